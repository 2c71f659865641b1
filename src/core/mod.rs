//! The domain in plain Rust: no DOM, no signals. Tested natively with `cargo test`.

pub mod account;
pub mod announce;
pub mod api_error;
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
