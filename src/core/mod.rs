//! The domain in plain Rust: no DOM, no signals. Tested natively with `cargo test`.

pub mod account;
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
pub mod run;
pub mod time;
pub mod token;
