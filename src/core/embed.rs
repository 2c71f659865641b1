//! The portal handoff protocol: messages between the app and the page that frames it.
//!
//! The parent answers `fota-sync:ready` with `fota-sync:credentials`; the app reports each
//! finished run with `fota-sync:result`, which never carries tokens or devices. When a token
//! expires in the middle of a run, the app sends `fota-sync:credentials-needed` and the parent
//! answers, again, with `fota-sync:credentials`.

use serde::Deserialize;
use serde_json::json;

use super::outcome::Summary;

pub const READY: &str = "fota-sync:ready";
pub const CREDENTIALS: &str = "fota-sync:credentials";
pub const RESULT: &str = "fota-sync:result";
pub const CREDENTIALS_NEEDED: &str = "fota-sync:credentials-needed";

/// Credentials and defaults handed over by the parent page.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handoff {
    pub bearer_token: String,
    pub session_token: String,
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
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
/// token, is `None`.
pub fn parse_handoff(json_text: &str) -> Option<Handoff> {
    #[derive(Deserialize)]
    struct Envelope {
        #[serde(rename = "type")]
        kind: String,
    }
    let envelope: Envelope = serde_json::from_str(json_text).ok()?;
    if envelope.kind != CREDENTIALS {
        return None;
    }
    let handoff: Handoff = serde_json::from_str(json_text).ok()?;
    let usable =
        !handoff.bearer_token.trim().is_empty() && !handoff.session_token.trim().is_empty();
    usable.then_some(handoff)
}

pub fn ready_message() -> String {
    json!({ "type": READY }).to_string()
}

/// Asks the parent for fresh tokens when one expired in the middle of a run: `reason` is
/// [`super::api_error::ApiError::token_to_renew`]'s. The parent answers with a
/// `fota-sync:credentials` message, and the run resumes by itself.
pub fn credentials_needed_message(reason: &str) -> String {
    json!({ "type": CREDENTIALS_NEEDED, "reason": reason }).to_string()
}

/// The end-of-run report for the parent: counts only.
pub fn result_message(account: &str, summary: &Summary) -> String {
    json!({
        "type": RESULT,
        "account": account,
        "total": summary.total,
        "succeeded": summary.succeeded,
        "failed": summary.failed,
        "noResult": summary.no_result,
        "error": summary.error,
        "notSent": summary.not_sent,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for other in [
            r#"{"type": "fota-sync:ready"}"#,
            r#"{"type": "fota-sync:credentials", "bearerToken": "b"}"#,
            r#"{"type": "fota-sync:credentials", "bearerToken": " ", "sessionToken": "s"}"#,
            r#"{"type": "fota-sync:credentials", "bearerToken": 1, "sessionToken": "s"}"#,
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
    }
}
