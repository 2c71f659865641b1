//! Every way a call can fail, classified from what came back, with words a user can act on.

use serde_json::Value;

/// How many characters of an unexpected body are shown.
const SNIPPET_CHARS: usize = 200;

/// A failed call. Built from the wire by [`ApiError::from_response`] or by the network layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// A FOTA error answer: `{"errorCode", "errorMessage"}`.
    Fota {
        status: u16,
        code: String,
        message: String,
    },
    /// `REQUEST_FAILED.SessionToken.*`: the session token is missing, invalid or expired.
    SessionToken { code: String, message: String },
    /// An API gateway fault: `{"fault": {"code", "message", "description"}}`.
    Gateway {
        status: u16,
        code: String,
        message: String,
    },
    /// Any other status, often with an HTML or XML body from a proxy or gateway.
    Http {
        status: u16,
        detail: String,
        retry_after: Option<String>,
    },
    /// The request never reached a server: fetch itself failed.
    Unreachable { url: String },
    /// No answer within the timeout; the request was aborted.
    Timeout { after_ms: u32 },
    /// A 200 whose body is not the expected JSON.
    Unreadable { why: String, snippet: String },
}

fn snippet(body: &str) -> String {
    let trimmed = body.trim();
    match trimmed.char_indices().nth(SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

fn string_field(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The text between `<tag>` and `</tag>`, for the gateway's XML `am:fault` documents.
fn xml_element(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    Some(body[start..end].trim().to_owned())
}

impl ApiError {
    /// Classifies a non-2xx answer from its status and body.
    pub fn from_response(status: u16, body: &str, retry_after: Option<String>) -> ApiError {
        if let Ok(json) = serde_json::from_str::<Value>(body) {
            if let Some(fault) = json.get("fault") {
                return ApiError::Gateway {
                    status,
                    code: string_field(fault, "code").unwrap_or_default(),
                    message: string_field(fault, "message").unwrap_or_default(),
                };
            }
            if let Some(code) = string_field(&json, "errorCode") {
                let message = string_field(&json, "errorMessage").unwrap_or_default();
                if code.starts_with("REQUEST_FAILED.SessionToken") {
                    return ApiError::SessionToken { code, message };
                }
                return ApiError::Fota {
                    status,
                    code,
                    message,
                };
            }
        }
        let detail = match (
            xml_element(body, "am:code"),
            xml_element(body, "am:message"),
        ) {
            (Some(code), Some(message)) => format!("{code} {message}"),
            _ => snippet(body),
        };
        ApiError::Http {
            status,
            detail,
            retry_after,
        }
    }

    pub fn unreadable(why: String, body: &str) -> ApiError {
        ApiError::Unreadable {
            why,
            snippet: snippet(body),
        }
    }

    /// A bearer-token fault or a session-token error: every further request would fail too.
    pub fn stops_run(&self) -> bool {
        match self {
            ApiError::SessionToken { .. } => true,
            ApiError::Gateway { code, .. } => code == "900901" || code == "900902",
            _ => false,
        }
    }

    /// Worth trying again later: throttling, an overloaded or unreachable upstream, a timeout.
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::Http { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            ApiError::Unreachable { .. } | ApiError::Timeout { .. } => true,
            _ => false,
        }
    }

    /// The server's `Retry-After`, when it sent one.
    pub fn retry_after(&self) -> Option<&str> {
        match self {
            ApiError::Http { retry_after, .. } => retry_after.as_deref(),
            _ => None,
        }
    }

    /// One sentence in plain words: what went wrong and what to do.
    pub fn headline(&self) -> String {
        match self {
            ApiError::Fota { message, .. } => match message.as_str() {
                "Inactive account" => "ThingSpace says this account is not active. Check the account name, or ask your ThingSpace administrator.".into(),
                "Invalid account name format" => "ThingSpace refused the account name. Check it against the form 0000123456-00001.".into(),
                "Invalid device id format" => "ThingSpace refused a device ID as not a valid IMEI.".into(),
                "Device list is empty" => "ThingSpace received no devices. Add at least one valid IMEI.".into(),
                "Input binding error" => "ThingSpace could not read the request body.".into(),
                _ => "ThingSpace refused the request.".into(),
            },
            ApiError::SessionToken { .. } => "The session token is missing, invalid or expired. Log in again to get a new session token (sessions end after 20 minutes without use), paste it, and synchronize again.".into(),
            ApiError::Gateway { code, .. } => match code.as_str() {
                "900901" => "The bearer token is invalid or expired (bearer tokens last one hour). Request a new one and paste it.".into(),
                "900902" => "No bearer token was sent. Paste your bearer token.".into(),
                "900906" => "The API gateway found no such resource: check the API base URL (it should end in /api/fota/v3).".into(),
                _ => "The API gateway refused the request.".into(),
            },
            ApiError::Http { status, .. } => match status {
                403 => "Access was denied (HTTP 403): check that your tokens may use the FOTA API.".into(),
                404 => "Nothing was found at that address (HTTP 404): check the API base URL.".into(),
                429 => "ThingSpace is limiting requests (HTTP 429). Wait a little and try again.".into(),
                500..=599 => format!("The server or a proxy failed (HTTP {status}). Try again later; if it persists, check the proxy."),
                _ => format!("The server answered with an unexpected HTTP {status}. Check the API base URL and the proxy."),
            },
            ApiError::Unreachable { url } => format!("Could not reach {url}. Check the network connection, the API base URL, and that the proxy allows this site's origin (CORS)."),
            ApiError::Timeout { after_ms } => format!("No answer after {}; the request was stopped. Nothing you typed was lost: you can try again.", seconds(*after_ms)),
            ApiError::Unreadable { why, .. } => format!("The answer could not be read: {why}."),
        }
    }

    /// The raw code and message, as the server sent them, shown beside the headline.
    pub fn raw(&self) -> Option<String> {
        match self {
            ApiError::Fota { code, message, .. } | ApiError::SessionToken { code, message } => {
                Some(format!("{code}: {message}"))
            }
            ApiError::Gateway {
                status,
                code,
                message,
            } => Some(format!("HTTP {status}, fault {code}: {message}")),
            ApiError::Http { status, detail, .. } if detail.is_empty() => {
                Some(format!("HTTP {status}"))
            }
            ApiError::Http { status, detail, .. } => Some(format!("HTTP {status}: {detail}")),
            ApiError::Unreadable { snippet, .. } => Some(format!("It began: {snippet}")),
            ApiError::Unreachable { .. } | ApiError::Timeout { .. } => None,
        }
    }

    /// A short line for the Reason column of devices whose request failed.
    pub fn short(&self) -> String {
        match self {
            ApiError::Fota { code, message, .. } | ApiError::SessionToken { code, message } => {
                format!("{code}: {message}")
            }
            ApiError::Gateway { code, message, .. } => format!("{code} {message}"),
            ApiError::Http { status, .. } => format!("HTTP {status}"),
            ApiError::Unreachable { .. } => "Server not reached".into(),
            ApiError::Timeout { after_ms } => format!("No answer after {}", seconds(*after_ms)),
            ApiError::Unreadable { .. } => "Answer could not be read".into(),
        }
    }
}

/// How long a `Retry-After` value asks to wait, in ms: delay-seconds or an HTTP-date, measured
/// from `now_epoch_ms`. A date in the past means no wait.
pub fn retry_after_ms(value: &str, now_epoch_ms: f64) -> Option<f64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u32>() {
        return Some(f64::from(seconds) * 1000.0);
    }
    let at = super::time::parse_http_date(value)?;
    Some((at.timestamp_millis() as f64 - now_epoch_ms).max(0.0))
}

fn seconds(ms: u32) -> String {
    super::time::format_seconds(f64::from(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fota_errors_keep_code_and_message() {
        let e = ApiError::from_response(
            400,
            r#"{"errorCode": "INVALID_PARAMETER", "errorMessage": "Inactive account"}"#,
            None,
        );
        assert_eq!(e.raw().unwrap(), "INVALID_PARAMETER: Inactive account");
        assert!(e.headline().contains("not active"));
    }

    #[test]
    fn session_token_errors_say_how_to_renew() {
        let e = ApiError::from_response(
            400,
            r#"{"errorCode": "REQUEST_FAILED.SessionToken.Expired", "errorMessage": "SessionToken Expired"}"#,
            None,
        );
        assert!(matches!(e, ApiError::SessionToken { .. }));
        assert!(e.headline().contains("session token"));
        assert!(e.headline().contains("Log in again"));
        assert!(e
            .raw()
            .unwrap()
            .starts_with("REQUEST_FAILED.SessionToken.Expired"));
    }

    #[test]
    fn gateway_faults_are_told_apart() {
        let fault = |code: &str| {
            ApiError::from_response(
                401,
                &format!(
                    r#"{{"fault": {{"code": "{code}", "message": "m", "description": "d"}}}}"#
                ),
                None,
            )
        };
        assert!(fault("900901")
            .headline()
            .contains("bearer token is invalid or expired"));
        assert!(fault("900902").headline().contains("No bearer token"));
        assert!(fault("900906").headline().contains("API base URL"));
        assert_eq!(fault("123").raw().unwrap(), "HTTP 401, fault 123: m");
        let numeric = ApiError::from_response(401, r#"{"fault": {"code": 900901}}"#, None);
        assert!(numeric.headline().contains("bearer token"));
    }

    #[test]
    fn xml_and_html_bodies_are_summarised() {
        let xml = r#"<?xml version="1.0"?><am:fault xmlns:am="http://wso2.org/apimanager"><am:code>900908</am:code><am:message>Resource forbidden</am:message></am:fault>"#;
        let e = ApiError::from_response(403, xml, None);
        assert_eq!(e.raw().unwrap(), "HTTP 403: 900908 Resource forbidden");
        assert!(e.headline().contains("403"));
        let html = format!("<html><body>{}</body></html>", "x".repeat(1000));
        let e = ApiError::from_response(502, &html, Some("5".into()));
        assert!(e.headline().contains("HTTP 502"));
        assert!(e.raw().unwrap().chars().count() < 230);
        assert!(matches!(
            e,
            ApiError::Http {
                retry_after: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn only_transient_failures_are_retried_and_only_token_errors_stop_a_run() {
        for code in [429, 502, 503, 504] {
            assert!(
                ApiError::from_response(code, "", None).is_retryable(),
                "{code}"
            );
        }
        for code in [400, 401, 403, 404, 500] {
            assert!(
                !ApiError::from_response(code, "", None).is_retryable(),
                "{code}"
            );
        }
        assert!(ApiError::Timeout { after_ms: 1 }.is_retryable());
        assert!(ApiError::Unreachable { url: String::new() }.is_retryable());
        let fault = |code: &str| {
            ApiError::from_response(401, &format!(r#"{{"fault": {{"code": "{code}"}}}}"#), None)
        };
        assert!(fault("900901").stops_run() && fault("900902").stops_run());
        assert!(!fault("900906").stops_run());
        assert!(ApiError::SessionToken {
            code: String::new(),
            message: String::new()
        }
        .stops_run());
        assert!(!ApiError::Timeout { after_ms: 1 }.stops_run());
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(retry_after_ms("2", 0.0), Some(2000.0));
        let now = 1_445_412_478_000.0; // Wed, 21 Oct 2015 07:27:58 GMT
        assert_eq!(
            retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(2000.0)
        );
        assert_eq!(
            retry_after_ms("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(0.0)
        );
        assert_eq!(retry_after_ms("soon", now), None);
        assert_eq!(retry_after_ms("-1", now), None);
    }

    #[test]
    fn unknown_json_is_shown_as_text() {
        let e = ApiError::from_response(418, r#"{"teapot": true}"#, None);
        assert_eq!(e.raw().unwrap(), r#"HTTP 418: {"teapot": true}"#);
    }

    #[test]
    fn transport_failures_explain_themselves() {
        let e = ApiError::Unreachable {
            url: "http://127.0.0.1:9/api".into(),
        };
        assert!(e.headline().contains("http://127.0.0.1:9/api"));
        assert!(e.headline().contains("CORS"));
        assert!(ApiError::Timeout { after_ms: 30_000 }
            .headline()
            .contains("30 s"));
        assert!(ApiError::Timeout { after_ms: 1500 }
            .headline()
            .contains("1.5 s"));
        let u = ApiError::unreadable("not JSON".into(), &"é".repeat(300));
        assert_eq!(u.raw().unwrap().chars().count(), "It began: ".len() + 201);
    }
}
