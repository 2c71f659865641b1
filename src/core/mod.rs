//! The domain in plain Rust: no DOM, no signals. Tested natively with `cargo test`.

pub mod account;
pub mod announce;
pub mod api_error;
pub mod columns;
pub mod config;
pub mod embed;
pub mod export;
pub mod form;
pub mod fota;
pub mod imei;
pub mod import;
pub mod outcome;
pub mod results;
pub mod run;
pub mod time;
pub mod token;

/// `text` cut to its first `chars` characters, with `…` when something was cut: for what the
/// user typed or a server sent, shown in a message.
pub fn shorten(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
