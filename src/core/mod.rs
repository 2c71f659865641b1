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
pub mod report;
pub mod results;
pub mod run;
pub mod stored;
pub mod table_view;
#[cfg(test)]
pub(crate) mod test_support;
pub mod time;
pub mod token;
pub mod triage;
pub mod view_link;

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
/// sorted now and then; the results table sorts its rows by counting ([`table_view`]).
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
pub(crate) fn ranking(
    len: usize,
    order: &dyn Fn(usize, usize) -> std::cmp::Ordering,
) -> Vec<usize> {
    let mut indexes: Vec<usize> = (0..len).collect();
    sort_indexes(&mut indexes, &|a, b| order(a, b).then(a.cmp(&b)));
    indexes
}

/// The rank of each index `0..len` in the order `order` gives (ties by index): `ranks[i]` is
/// where `i` goes, for the table's counting sorts.
pub(crate) fn ranks(len: usize, order: &dyn Fn(usize, usize) -> std::cmp::Ordering) -> Vec<u32> {
    let mut rank = vec![0u32; len];
    for (r, i) in ranking(len, order).into_iter().enumerate() {
        rank[i] = r as u32;
    }
    rank
}

/// Sorts `list` by `order` (not stable). The one place the bundle's comparison sort is
/// compiled: every sort that is not the table's IMEI sort (a sort of plain numbers) goes
/// through here, so that the slice sort is compiled once, not once per item type and closure
/// (about 3 KB of wasm each).
pub(crate) fn sort_indexes(list: &mut [usize], order: &dyn Fn(usize, usize) -> std::cmp::Ordering) {
    list.sort_unstable_by(|&a, &b| order(a, b));
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

/// `1 request`, `2,500 requests`: a count as [`thousands`] writes it, then its noun, `one` for
/// exactly one and `many` otherwise (zero too: `0 requests`).
pub fn count_of(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
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

    /// The modules of the core each name the modules they use (`super::NAME`,
    /// `crate::core::NAME`, outside their tests); a cycle among them would mean two modules
    /// that can only be understood, and changed, together.
    #[test]
    fn core_modules_form_no_cycle() {
        use std::collections::BTreeMap;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core");
        let sources: BTreeMap<String, String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "rs"))
            .map(|path| {
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&path).unwrap();
                // The code, not its tests (tests may use any module) nor its comments (a doc
                // link to another module is no dependency).
                let code = text
                    .split("#[cfg(test)]\nmod tests")
                    .next()
                    .unwrap()
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n");
                (name, code)
            })
            .filter(|(name, _)| name != "mod")
            .collect();
        let uses: BTreeMap<&str, Vec<&str>> = sources
            .iter()
            .map(|(name, code)| {
                let used = sources
                    .keys()
                    .filter(|other| *other != name && uses_module(code, other))
                    .map(String::as_str)
                    .collect();
                (name.as_str(), used)
            })
            .collect();
        assert!(
            uses["results"].contains(&"outcome"),
            "the scan reads the uses"
        );
        // Depth-first, each module's path from the start kept: a module met again on its own
        // path closes a cycle.
        fn visit<'a>(
            module: &'a str,
            uses: &BTreeMap<&'a str, Vec<&'a str>>,
            path: &mut Vec<&'a str>,
            done: &mut Vec<&'a str>,
        ) {
            if let Some(at) = path.iter().position(|m| *m == module) {
                panic!(
                    "the core's modules form a cycle: {}",
                    [&path[at..], &[module]].concat().join(" -> ")
                );
            }
            if done.contains(&module) {
                return;
            }
            path.push(module);
            for used in &uses[module] {
                visit(used, uses, path, done);
            }
            path.pop();
            done.push(module);
        }
        let mut done = Vec::new();
        for module in uses.keys() {
            visit(module, &uses, &mut Vec::new(), &mut done);
        }
    }

    /// Whether `code` names `module` as `super::module::…`, `crate::core::module::…`, or
    /// within a list such as `super::{fota::X, module::{Y, Z}}`.
    fn uses_module(code: &str, module: &str) -> bool {
        let path = format!("{module}::");
        ["super::", "crate::core::"].iter().any(|prefix| {
            code.match_indices(prefix).any(|(at, _)| {
                let rest = &code[at + prefix.len()..];
                let Some(list) = rest.strip_prefix('{') else {
                    return rest.starts_with(&path);
                };
                // The list's top-level items, up to its closing brace.
                let mut depth = 0;
                let mut items = vec![String::new()];
                for c in list.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => items.push(String::new()),
                        _ => {}
                    }
                    items.last_mut().unwrap().push(c);
                }
                items
                    .iter()
                    .any(|item| item.trim_start_matches([',', ' ', '\n']).starts_with(&path))
            })
        })
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

    #[test]
    fn counts_take_the_singular_for_exactly_one() {
        let cases = [
            (0, "0 requests"),
            (1, "1 request"),
            (2, "2 requests"),
            (2_500, "2,500 requests"),
        ];
        for (n, text) in cases {
            assert_eq!(super::count_of(n, "request", "requests"), text);
        }
    }
}
