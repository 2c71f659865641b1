//! The portal handoff protocol: messages between the app and the page that frames it.
//!
//! The parent answers `fota-sync:ready` with `fota-sync:credentials`; the app reports a run's
//! progress with `fota-sync:progress` (at most every second) and each finished run with
//! `fota-sync:result`, neither of which ever carries tokens or devices. When a token
//! expires in the middle of a run, the app sends `fota-sync:credentials-needed` and the parent
//! answers, again, with `fota-sync:credentials`.

use serde_json::Value;

use super::evidence::Json;
use super::outcome::{CountName, OutcomeKind, Summary};

pub const READY: &str = "fota-sync:ready";
pub const CREDENTIALS: &str = "fota-sync:credentials";
pub const RESULT: &str = "fota-sync:result";
pub const CREDENTIALS_NEEDED: &str = "fota-sync:credentials-needed";
pub const PROGRESS: &str = "fota-sync:progress";

/// The shortest time between two `fota-sync:progress` messages of a run, in milliseconds.
pub const PROGRESS_EVERY_MS: f64 = 1_000.0;

/// Every key [`parse_handoff`] reads; the rest of a message is never looked at.
pub const HANDOFF_KEYS: [&str; 5] = [
    "type",
    "bearerToken",
    "sessionToken",
    "account",
    "apiBaseUrl",
];

/// Credentials and defaults handed over by the parent page.
#[derive(Clone, PartialEq, Eq)]
pub struct Handoff {
    pub bearer_token: String,
    pub session_token: String,
    pub account: Option<String>,
    pub api_base_url: Option<String>,
}

/// What a handoff changes in the form.
#[derive(Debug, PartialEq, Eq)]
pub struct FormDefaults {
    pub account: Option<String>,
    pub api_base_url: Option<String>,
}

impl Handoff {
    /// The portal's account fills the Account field only when it is empty (what the user typed
    /// wins); its API base URL replaces the form's.
    pub fn form_defaults(&self, typed_account: &str) -> FormDefaults {
        FormDefaults {
            account: self
                .account
                .clone()
                .filter(|_| typed_account.trim().is_empty()),
            api_base_url: self.api_base_url.clone(),
        }
    }
}

/// Whether a message from `origin` may be read at all: only listed origins, compared exactly.
pub fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    origin != "null" && allowed.iter().any(|a| a == origin)
}

/// Reads a credentials message (as JSON text). Anything else, or a message with an empty
/// token, is `None`. The tokens must be strings; `account` and `apiBaseUrl` may be missing or
/// `null`, and anything else in them refuses the message. (Read from a JSON value: serde's
/// derived readers for this and the config cost about 6 KB of the brotli bundle.)
pub fn parse_handoff(json_text: &str) -> Option<Handoff> {
    let value: Value = serde_json::from_str(json_text).ok()?;
    let object = value.as_object()?;
    if object.get("type")?.as_str()? != CREDENTIALS {
        return None;
    }
    let text = |key: &str| object.get(key)?.as_str().map(str::to_owned);
    let optional = |key: &str| match object.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    };
    let handoff = Handoff {
        bearer_token: text("bearerToken")?,
        session_token: text("sessionToken")?,
        account: optional("account")?,
        api_base_url: optional("apiBaseUrl")?,
    };
    let usable =
        !handoff.bearer_token.trim().is_empty() && !handoff.session_token.trim().is_empty();
    usable.then_some(handoff)
}

/// Whether a file the app offers can reach the user, as far as a frame can tell (HTML,
/// "iframe sandbox": a sandboxed frame drops downloads unless its `sandbox` attribute has
/// `allow-downloads`, silently: no event and no error reaches the page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Downloads {
    /// Not framed, or framed without a sandbox.
    Allowed,
    /// The frame's `sandbox` attribute is readable (a same-origin parent) and lacks
    /// `allow-downloads`.
    Blocked,
    /// Sandboxed, in a frame whose attribute a cross-origin parent keeps unreadable: a download
    /// may be dropped.
    Unknown,
}

/// What the frame says about downloads. `sandbox_attribute` is the frame element's `sandbox`
/// attribute when the parent lets the app read it (`Some(None)`: no attribute), `None` when it
/// does not; `sandboxed` is the outcome of the page's own probe (setting `document.domain`
/// throws in any sandboxed frame, HTML's "sandboxed document.domain browsing context flag").
pub fn downloads(
    framed: bool,
    sandbox_attribute: Option<Option<&str>>,
    sandboxed: bool,
) -> Downloads {
    match (framed, sandbox_attribute) {
        (false, _) | (true, Some(None)) => Downloads::Allowed,
        (true, Some(Some(flags))) => {
            if flags
                .split_ascii_whitespace()
                .any(|f| f.eq_ignore_ascii_case("allow-downloads"))
            {
                Downloads::Allowed
            } else {
                Downloads::Blocked
            }
        }
        (true, None) if sandboxed => Downloads::Unknown,
        (true, None) => Downloads::Allowed,
    }
}

/// The keys that copy a selection on `platform` (`navigator.platform`): ⌘C on Apple systems,
/// Ctrl+C elsewhere.
pub fn copy_keys(platform: &str) -> &'static str {
    if platform.starts_with("Mac") || platform.starts_with("iP") {
        "⌘C"
    } else {
        "Ctrl+C"
    }
}

pub fn ready_message() -> String {
    let mut j = Json("{".to_owned());
    j.string("type", Some(READY));
    j.close('}');
    j.0
}

/// Asks the parent for fresh tokens when one expired in the middle of a run: `reason` is
/// [`super::api_error::ApiError::token_to_renew`]'s. The parent answers with a
/// `fota-sync:credentials` message, and the run resumes by itself.
pub fn credentials_needed_message(reason: &str) -> String {
    let mut j = Json("{".to_owned());
    j.string("reason", Some(reason));
    j.string("type", Some(CREDENTIALS_NEEDED));
    j.close('}');
    j.0
}

/// The end-of-run report for the parent: counts only. Keys in name order, as `json!` wrote them.
pub fn result_message(account: &str, summary: &Summary) -> String {
    let mut j = Json("{".to_owned());
    j.string("account", Some(account));
    // Every count but waiting (none, at the end of a run), under its stored name.
    let mut counts = summary.entries();
    super::sort_list(&mut counts, |a, b| a.0.stored_name().cmp(b.0.stored_name()));
    for (name, n) in counts {
        if name != CountName::Of(OutcomeKind::Waiting) {
            j.number(name.stored_name(), n);
        }
    }
    j.string("type", Some(RESULT));
    j.close('}');
    j.0
}

/// A run's progress for the parent: `{"done", "paused", "total", "type"}`, devices done of
/// `total` and whether the run waits for new tokens; counts only, keys in name order as in the
/// other messages.
pub fn progress_message(done: usize, total: usize, paused: bool) -> String {
    let mut j = Json("{".to_owned());
    j.number("done", done);
    j.number("paused", paused);
    j.number("total", total);
    j.string("type", Some(PROGRESS));
    j.close('}');
    j.0
}

/// When to post a run's progress ([`ProgressPosts::next`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Post {
    /// Post the progress as it is now.
    Now,
    /// Too soon after the last message: post what the progress is then, this many ms from now.
    Later(f64),
}

/// Paces `fota-sync:progress`: a run's first change is posted at once, later ones at most every
/// [`PROGRESS_EVERY_MS`]; a change that comes sooner is posted when that time is up, so that the
/// parent always ends up with the latest progress and a portal's own progress bar never jumps.
#[derive(Debug, Default)]
pub struct ProgressPosts {
    run: u64,
    last_at: Option<f64>,
}

impl ProgressPosts {
    /// What to do about a change of run `run` (its number; a new one starts afresh) at `now_ms`
    /// (any clock in ms). Call it again with the same run when a [`Post::Later`] time is up.
    pub fn next(&mut self, run: u64, now_ms: f64) -> Post {
        if run != self.run {
            *self = ProgressPosts { run, last_at: None };
        }
        match self.last_at {
            Some(last) if now_ms - last < PROGRESS_EVERY_MS => {
                Post::Later(last + PROGRESS_EVERY_MS - now_ms)
            }
            _ => {
                self.last_at = Some(now_ms);
                Post::Now
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_handoff_fills_an_empty_account_and_sets_the_base_url() {
        let handoff = parse_handoff(
            r#"{"type": "fota-sync:credentials", "bearerToken": "b", "sessionToken": "s",
                "account": "0000123456-00001", "apiBaseUrl": "https://proxy.example.com/api/fota/v3"}"#,
        )
        .unwrap();
        let into_empty = handoff.form_defaults("  ");
        assert_eq!(into_empty.account.as_deref(), Some("0000123456-00001"));
        assert_eq!(
            into_empty.api_base_url.as_deref(),
            Some("https://proxy.example.com/api/fota/v3")
        );
        assert_eq!(handoff.form_defaults("0000999999-00001").account, None);
    }

    #[test]
    fn only_listed_origins_are_heard() {
        let allowed = vec!["https://portal.example.com".to_owned()];
        assert!(origin_allowed("https://portal.example.com", &allowed));
        assert!(!origin_allowed(
            "https://portal.example.com.evil.test",
            &allowed
        ));
        assert!(!origin_allowed("http://portal.example.com", &allowed));
        assert!(!origin_allowed("null", &["null".to_owned()]));
        assert!(!origin_allowed("https://portal.example.com", &[]));
    }

    #[test]
    fn credentials_messages_are_read_and_others_ignored() {
        let h = parse_handoff(
            r#"{"type": "fota-sync:credentials", "bearerToken": "b", "sessionToken": "s",
                "account": "0000123456-00001", "extra": 1}"#,
        )
        .unwrap();
        assert_eq!(
            (h.bearer_token.as_str(), h.session_token.as_str()),
            ("b", "s")
        );
        assert_eq!(h.account.as_deref(), Some("0000123456-00001"));
        assert_eq!(h.api_base_url, None);
        let h = parse_handoff(
            r#"{"type": "fota-sync:credentials", "bearerToken": "b", "sessionToken": "s",
                "account": null, "apiBaseUrl": "/api/fota/v3"}"#,
        )
        .unwrap();
        assert_eq!(h.account, None);
        assert_eq!(h.api_base_url.as_deref(), Some("/api/fota/v3"));
        for other in [
            r#"{"type": "fota-sync:ready"}"#,
            r#"{"type": "fota-sync:credentials", "bearerToken": "b"}"#,
            r#"{"type": "fota-sync:credentials", "bearerToken": " ", "sessionToken": "s"}"#,
            r#"{"type": "fota-sync:credentials", "bearerToken": 1, "sessionToken": "s"}"#,
            r#"{"type": "fota-sync:credentials", "bearerToken": "b", "sessionToken": null}"#,
            r#"{"type": "fota-sync:credentials", "bearerToken": "b", "sessionToken": "s", "account": 5}"#,
            r#"{"type": null, "bearerToken": "b", "sessionToken": "s"}"#,
            r#"["fota-sync:credentials", "b", "s"]"#,
            r#""fota-sync:credentials""#,
            "not json",
        ] {
            assert!(parse_handoff(other).is_none(), "{other}");
        }
    }

    #[test]
    fn the_result_carries_counts_only() {
        let summary = Summary {
            total: 5,
            succeeded: 2,
            failed: 1,
            no_result: 1,
            error: 0,
            not_sent: 1,
            waiting: 0,
        };
        let message: serde_json::Value =
            serde_json::from_str(&result_message("0000123456-00001", &summary)).unwrap();
        assert_eq!(
            message,
            json!({"type": "fota-sync:result", "account": "0000123456-00001", "total": 5,
                   "succeeded": 2, "failed": 1, "noResult": 1, "error": 0, "notSent": 1})
        );
        // The same text, to the byte, as serde_json writes these values.
        assert_eq!(
            result_message("0000123456-00001\"\u{1}", &summary),
            json!({"type": RESULT, "account": "0000123456-00001\"\u{1}", "total": 5,
                   "succeeded": 2, "failed": 1, "noResult": 1, "error": 0, "notSent": 1})
            .to_string()
        );
        assert_eq!(ready_message(), json!({ "type": READY }).to_string());
        // Progress: counts only, the same text serde_json writes.
        assert_eq!(
            progress_message(1_200, 2_500, true),
            json!({"type": PROGRESS, "done": 1_200, "total": 2_500, "paused": true}).to_string()
        );
    }

    #[test]
    fn progress_is_posted_at_once_then_at_most_every_second_and_never_lost() {
        let mut posts = ProgressPosts::default();
        assert_eq!(posts.next(1, 10_000.0), Post::Now);
        // Sooner changes wait for the second to be up, the wait shrinking as time goes.
        assert_eq!(posts.next(1, 10_300.0), Post::Later(700.0));
        assert_eq!(posts.next(1, 10_900.0), Post::Later(100.0));
        assert_eq!(posts.next(1, 11_000.0), Post::Now);
        assert_eq!(posts.next(1, 11_999.0), Post::Later(1.0));
        // A new run starts afresh: its first change goes at once.
        assert_eq!(posts.next(2, 12_100.0), Post::Now);
        assert_eq!(posts.next(2, 12_200.0), Post::Later(900.0));
    }

    #[test]
    fn downloads_are_blocked_only_by_a_sandbox_without_allow_downloads() {
        assert_eq!(downloads(false, None, true), Downloads::Allowed);
        assert_eq!(downloads(true, Some(None), false), Downloads::Allowed);
        assert_eq!(
            downloads(true, Some(Some("allow-scripts allow-same-origin")), true),
            Downloads::Blocked
        );
        assert_eq!(downloads(true, Some(Some("")), true), Downloads::Blocked);
        assert_eq!(
            downloads(true, Some(Some("allow-scripts\tALLOW-DOWNLOADS")), true),
            Downloads::Allowed
        );
        assert_eq!(
            downloads(true, Some(Some("allow-scripts allow-downloads-x")), true),
            Downloads::Blocked
        );
        assert_eq!(downloads(true, None, true), Downloads::Unknown);
        assert_eq!(downloads(true, None, false), Downloads::Allowed);
    }

    #[test]
    fn apple_systems_copy_with_the_command_key() {
        assert_eq!(copy_keys("MacIntel"), "⌘C");
        assert_eq!(copy_keys("iPhone"), "⌘C");
        assert_eq!(copy_keys("Win32"), "Ctrl+C");
        assert_eq!(copy_keys("Linux x86_64"), "Ctrl+C");
        assert_eq!(copy_keys(""), "Ctrl+C");
    }

    #[test]
    fn the_handoff_reads_only_its_listed_keys() {
        let full = json!({"type": CREDENTIALS, "bearerToken": "b", "sessionToken": "s",
                          "account": "a", "apiBaseUrl": "u", "extra": {"deep": [1]}});
        let kept: serde_json::Map<String, Value> = full
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| HANDOFF_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(kept.len(), HANDOFF_KEYS.len());
        let read = parse_handoff(&full.to_string()).unwrap();
        assert!(read == parse_handoff(&Value::Object(kept).to_string()).unwrap());
    }
}
