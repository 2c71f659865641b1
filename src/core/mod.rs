//! The domain in plain Rust: no DOM, no signals. Tested natively with `cargo test`.

pub mod account;
pub mod announce;
pub mod api_error;
pub mod as_seen;
pub mod autosave;
pub mod columns;
pub mod compare;
pub mod config;
pub mod embed;
pub mod evidence;
pub mod export;
pub mod firmware;
pub mod form;
pub mod fota;
pub mod imei;
pub mod import;
pub mod outcome;
pub mod pace;
pub mod results;
pub mod run;
pub mod stored;
pub mod table_view;
pub mod time;
pub mod token;
pub mod triage;

/// `text` cut to its first `chars` characters, with `…` when something was cut: for what the
/// user typed or a server sent, shown in a message.
pub fn shorten(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Sorts `list` by `order`, equal items kept in their order (a stable sort). Every list sorted
/// this way (outcome groups, firmware bars, comparison groups, stored runs, delimiters) goes
/// through one sort routine of the bundle, on indexes with a `dyn` comparison: a slice's own
/// sort compiles a copy of itself, several KB, for each item type and comparison. For lists
/// sorted now and then; the results table's sorts of 300,000 rows keep their own.
pub fn sort_list<T>(list: &mut [T], order: impl Fn(&T, &T) -> std::cmp::Ordering) {
    // `from[i]`: the index of the item that goes to `i`; applied in place, cycle by cycle.
    let mut from = ranking(list.len(), &|a, b| order(&list[a], &list[b]));
    for i in 0..list.len() {
        let mut j = i;
        loop {
            let k = from[j];
            from[j] = j;
            if k == i {
                break;
            }
            list.swap(j, k);
            j = k;
        }
    }
}

/// The indexes `0..len` sorted by `order`, ties by index.
fn ranking(len: usize, order: &dyn Fn(usize, usize) -> std::cmp::Ordering) -> Vec<usize> {
    let mut indexes: Vec<usize> = (0..len).collect();
    indexes.sort_unstable_by(|&a, &b| order(a, b).then(a.cmp(&b)));
    indexes
}

/// `300,000`: a count with its thousands grouped by commas, as the app writes counts.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sort_list_is_the_stable_sort(items in proptest::collection::vec((0u8..4, 0u16..1000), 0..60)) {
            let mut expected = items.clone();
            expected.sort_by_key(|&(key, _)| key);
            let mut got = items;
            super::sort_list(&mut got, |a, b| a.0.cmp(&b.0));
            prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn thousands_are_grouped() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (300_000, "300,000"),
            (1_234_567, "1,234,567"),
        ];
        for (n, text) in cases {
            assert_eq!(super::thousands(n), text);
        }
    }
}
