//! Every way a call can fail, classified from what came back, with words a user can act on.
//!
//! The status decides whether a retry can help, whatever shape the body has: API gateways, load
//! balancers and CDNs in front of ThingSpace answer with gateway faults, `{"errorCode"}` objects,
//! XML or HTML pages (see `tests/fixtures/answers/`).

use chrono::{DateTime, Utc};
use serde_json::Value;

/// How many characters of an unexpected body are shown.
const SNIPPET_CHARS: usize = 200;

/// The CORS answer a proxy on another origin must give to a page at `origin`.
pub fn cors_requirements(origin: &str) -> String {
    format!("answer the preflight (OPTIONS) with Access-Control-Allow-Origin: {origin}, Access-Control-Allow-Methods: PUT and Access-Control-Allow-Headers: Authorization, Content-Type, VZ-M2M-Token, Accept; send Access-Control-Expose-Headers: Retry-After; and add its CORS headers to error answers too (nginx: add_header … always), or the browser hides a 401 or 429 as a network error")
}

/// A `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    Seconds(u32),
    /// An HTTP-date in any of its three forms (IMF-fixdate, RFC 850, asctime).
    At(DateTime<Utc>),
}

impl RetryAfter {
    /// Reads a header value; `None` when it is neither form (a negative number, say).
    pub fn parse(value: &str) -> Option<RetryAfter> {
        let value = value.trim();
        if let Ok(seconds) = value.parse::<u32>() {
            return Some(RetryAfter::Seconds(seconds));
        }
        let at = httpdate::parse_http_date(value).ok()?;
        let since_epoch = at.duration_since(std::time::UNIX_EPOCH).ok()?;
        DateTime::from_timestamp(i64::try_from(since_epoch.as_secs()).ok()?, 0).map(RetryAfter::At)
    }

    /// How long it asks to wait from `now_epoch_ms`, in ms; a date in the past asks for none.
    pub fn wait_ms(&self, now_epoch_ms: f64) -> f64 {
        match self {
            RetryAfter::Seconds(s) => f64::from(*s) * 1000.0,
            RetryAfter::At(at) => (at.timestamp_millis() as f64 - now_epoch_ms).max(0.0),
        }
    }
}

/// Why a request got no answer the app could read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The base URL is on this site's origin, or nothing more could be learnt.
    Unknown,
    /// A request without CORS (an opaque `no-cors` probe) reached the server: it answers, but
    /// the browser withheld its answer, so the proxy's CORS headers do not allow the page's
    /// origin, `page_origin` (`https://fota.example.com`).
    CorsBlocked { page_origin: String },
    /// The probe failed too: nothing answers at that address (down, wrong host or port, DNS,
    /// or the site's Content-Security-Policy does not list it).
    NoServer,
}

/// A failed call. Built from the wire by [`ApiError::from_response`] or by the network layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// A FOTA error answer: `{"errorCode", "errorMessage"}`, on any status.
    Fota {
        status: u16,
        code: String,
        message: String,
        retry_after: Option<RetryAfter>,
    },
    /// `REQUEST_FAILED.SessionToken.*`: the session token is missing, invalid or expired.
    SessionToken { code: String, message: String },
    /// An API gateway fault: `{"fault": {"code", "message", "description"}}`.
    Gateway {
        status: u16,
        code: String,
        message: String,
        description: String,
        retry_after: Option<RetryAfter>,
    },
    /// Any other status, often with an HTML or XML body from a proxy or gateway; `detail` is
    /// the server's own words (an XML fault's code and message, an HTML page's title) or a
    /// snippet of the body.
    Http {
        status: u16,
        detail: String,
        retry_after: Option<RetryAfter>,
    },
    /// The request never got an answer the browser let the app read: fetch itself failed.
    Unreachable { url: String, reach: Reach },
    /// No answer within the timeout; the request was aborted.
    Timeout { after_ms: u32 },
    /// A 200 whose body is not the expected JSON.
    Unreadable { why: String, snippet: String },
}

fn snippet(body: &str) -> String {
    super::shorten(body.trim(), SNIPPET_CHARS)
}

fn string_field(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The text between `<tag…>` and `</tag>`, for XML faults and HTML titles. Case-insensitive on
/// the tag, ASCII only, so byte offsets agree between the lowered copy and the body.
fn element(body: &str, tag: &str) -> Option<String> {
    let lower = body.to_ascii_lowercase();
    let open = format!("<{tag}");
    let mut from = 0;
    let start = loop {
        let at = lower[from..].find(&open)? + from;
        let after = at + open.len();
        match lower.as_bytes().get(after) {
            Some(b'>') => break after + 1,
            Some(b' ' | b'\t' | b'\r' | b'\n') => break lower[after..].find('>')? + after + 1,
            _ => from = after,
        }
    };
    let end = lower[start..].find(&format!("</{tag}>"))? + start;
    let text = body[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!text.is_empty()).then_some(text)
}

/// The server's own words in a body that is neither JSON we know nor empty: a WSO2 `am:fault`'s
/// code and message, an HTML page's title (or first heading), or else the start of the text.
fn words_of(body: &str) -> String {
    if let (Some(code), Some(message)) = (element(body, "am:code"), element(body, "am:message")) {
        return match element(body, "am:description") {
            Some(d) if d != message => format!("{code} {message}: {d}"),
            _ => format!("{code} {message}"),
        };
    }
    if body.trim_start().starts_with('<') {
        return element(body, "title")
            .or_else(|| element(body, "h1"))
            .unwrap_or_default();
    }
    snippet(body)
}

/// The reason phrase of a status (RFC 9110 §15; 520 to 524 are Cloudflare's own).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        520 => "Web Server Returned an Unknown Error",
        521 => "Web Server Is Down",
        522 => "Connection Timed Out",
        523 => "Origin Is Unreachable",
        524 => "A Timeout Occurred",
        _ => http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or(""),
    }
}

/// `HTTP 502 Bad Gateway`.
fn status_line(status: u16) -> String {
    match reason_phrase(status) {
        "" => format!("HTTP {status}"),
        phrase => format!("HTTP {status} {phrase}"),
    }
}

/// Statuses after which the same request may well succeed: timeouts, throttling, an overloaded
/// or unreachable upstream (the SDKs' list, and the 52x a CDN front sends).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504 | 520..=524)
}

impl ApiError {
    /// Classifies a non-2xx answer from its status, body and `Retry-After` header.
    pub fn from_response(status: u16, body: &str, retry_after: Option<&str>) -> ApiError {
        let retry_after = retry_after.and_then(RetryAfter::parse);
        if let Ok(json) = serde_json::from_str::<Value>(body) {
            // WSO2's `{"fault": {"code", "message", "description"}}`, or Apigee's
            // `{"fault": {"faultstring", "detail": {"errorcode"}}}`.
            if let Some(fault) = json.get("fault").filter(|f| f.is_object()) {
                let code = string_field(fault, "code")
                    .or_else(|| {
                        fault
                            .get("detail")
                            .and_then(|d| string_field(d, "errorcode"))
                    })
                    .unwrap_or_default();
                let message = string_field(fault, "message")
                    .or_else(|| string_field(fault, "faultstring"))
                    .unwrap_or_default();
                if !code.is_empty() || !message.is_empty() {
                    return ApiError::Gateway {
                        status,
                        code,
                        message,
                        description: string_field(fault, "description").unwrap_or_default(),
                        retry_after,
                    };
                }
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
                    retry_after,
                };
            }
        }
        let mut detail = words_of(body);
        // An HTML page whose title only repeats the status adds nothing.
        let phrase = reason_phrase(status);
        if detail == format!("{status} {phrase}") || detail == phrase {
            detail.clear();
        }
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

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Fota { status, .. }
            | ApiError::Gateway { status, .. }
            | ApiError::Http { status, .. } => Some(*status),
            _ => None,
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

    /// Which token to renew after this error paused a run, and why, in the words of the
    /// portal message `fota-sync:credentials-needed` (README, "Embedding in a portal"):
    /// `session-expired` (`REQUEST_FAILED.SessionToken.Expired`), `session-invalid` (any other
    /// session-token error), `bearer-invalid` (gateway fault 900901: wrong or expired, tokens
    /// last one hour) or `bearer-missing` (900902). `None` for errors that do not pause a run.
    pub fn token_to_renew(&self) -> Option<&'static str> {
        match self {
            ApiError::SessionToken { code, .. } if code.ends_with(".Expired") => {
                Some("session-expired")
            }
            ApiError::SessionToken { .. } => Some("session-invalid"),
            ApiError::Gateway { code, .. } if code == "900901" => Some("bearer-invalid"),
            ApiError::Gateway { code, .. } if code == "900902" => Some("bearer-missing"),
            _ => None,
        }
    }

    /// What the page says while this token error pauses a run: which token to renew, and how
    /// to go on. Nothing was lost: the devices not yet answered wait.
    pub fn pause_headline(&self) -> String {
        let what = match self.token_to_renew() {
            Some("session-expired") => "the session token expired (sessions end after 20 minutes without use). Log in again to get a new session token",
            Some("session-invalid") => "ThingSpace refused the session token (missing, invalid or expired). Log in again to get a new session token",
            Some("bearer-missing") => "no bearer token was sent. Get your bearer token",
            _ => "the bearer token is invalid or expired (bearer tokens last one hour). Request a new one",
        };
        format!("Paused: {what}, paste it and press Resume. The devices without an answer wait; Cancel ends the run.")
    }

    /// Worth trying again later: decided by the status alone ([`is_retryable_status`]), whatever
    /// the body says, and for a request that got no answer or none in time.
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::Unreachable { .. } | ApiError::Timeout { .. } => true,
            _ if self.stops_run() => false,
            _ => self.status().is_some_and(is_retryable_status),
        }
    }

    /// The server's `Retry-After`, on whatever status carried it.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self {
            ApiError::Fota { retry_after, .. }
            | ApiError::Gateway { retry_after, .. }
            | ApiError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The server's own words, without the status: what its body said.
    fn words(&self) -> String {
        match self {
            ApiError::Fota { code, message, .. } | ApiError::SessionToken { code, message } => {
                format!("{code}: {message}")
            }
            ApiError::Gateway { code, message, .. } => format!("fault {code}: {message}"),
            ApiError::Http { detail, .. } => detail.clone(),
            _ => String::new(),
        }
    }

    /// One sentence in plain words: what went wrong and what to do.
    pub fn headline(&self) -> String {
        match self {
            ApiError::SessionToken { .. } => return "The session token is missing, invalid or expired. Log in again to get a new session token (sessions end after 20 minutes without use), paste it, and synchronize again.".into(),
            ApiError::Gateway { code, .. } => match code.as_str() {
                "900901" => return "The bearer token is invalid or expired (bearer tokens last one hour). Request a new one and paste it.".into(),
                "900902" => return "No bearer token was sent. Paste your bearer token.".into(),
                "900906" => return "The API gateway found no such resource: check the API base URL (it should end in /api/fota/v3).".into(),
                _ => {}
            },
            ApiError::Fota { message, status: 400, .. } => match message.as_str() {
                "Inactive account" => return "ThingSpace says this account is not active. Check the account name, or ask your ThingSpace administrator.".into(),
                "Invalid account name format" => return "ThingSpace refused the account name. Check it against the form 0000123456-00001.".into(),
                "Invalid device id format" => return "ThingSpace refused a device ID as not a valid IMEI.".into(),
                "Device list is empty" => return "ThingSpace received no devices. Add at least one valid IMEI.".into(),
                "Input binding error" => return "ThingSpace could not read the request body.".into(),
                _ => return "ThingSpace refused the request.".into(),
            },
            ApiError::Unreachable { url, reach } => return match reach {
                Reach::CorsBlocked { page_origin } => format!("The server at {url} answered, but the browser withheld the answer: its CORS headers do not allow this site ({page_origin}). The proxy must {}.", cors_requirements(page_origin)),
                Reach::NoServer => format!("Nothing answered at {url}: the server or proxy is down, the API base URL is wrong, or this site's Content-Security-Policy (connect-src) does not list it."),
                Reach::Unknown => format!("Could not reach {url}. Check the network connection, the API base URL, and the proxy in front of the API."),
            },
            ApiError::Timeout { after_ms } => return format!("No answer after {}; the request was stopped. Nothing you typed was lost: you can try again.", seconds(*after_ms)),
            ApiError::Unreadable { why, .. } => return format!("The answer could not be read: {why}."),
            _ => {}
        }
        let status = self.status().unwrap_or_default();
        let line = status_line(status);
        match status {
            429 => format!("ThingSpace is limiting requests ({line}). Wait a few minutes, then use Retry failed."),
            403 => format!("Access was denied ({line}): check that your tokens may use the FOTA API."),
            404 => format!("Nothing was found at that address ({line}): check the API base URL."),
            408 | 500..=599 => format!("The server or a proxy failed ({line}). Try again later; if it persists, check the proxy."),
            _ if matches!(self, ApiError::Gateway { .. }) => format!("The API gateway refused the request ({line})."),
            _ if matches!(self, ApiError::Fota { .. }) => format!("ThingSpace refused the request ({line})."),
            _ => format!("The server answered with an unexpected {line}. Check the API base URL and the proxy."),
        }
    }

    /// The raw status, code and message, as the server sent them, shown beside the headline.
    pub fn raw(&self) -> Option<String> {
        match self {
            ApiError::SessionToken { .. } => Some(self.words()),
            ApiError::Gateway { description, .. } if !description.is_empty() => {
                Some(format!("{} ({description})", self.short()))
            }
            ApiError::Fota { .. } | ApiError::Gateway { .. } | ApiError::Http { .. } => {
                Some(self.short())
            }
            ApiError::Unreadable { snippet, .. } => Some(format!("It began: {snippet}")),
            ApiError::Unreachable { .. } | ApiError::Timeout { .. } => None,
        }
    }

    /// The Reason of a device whose request failed for good: the status with its reason phrase
    /// and the server's own words, `HTTP 502 Bad Gateway`, `Rate limited: HTTP 429 Too Many
    /// Requests: fault 900800: Message throttled out`.
    pub fn short(&self) -> String {
        match self {
            ApiError::SessionToken { .. } => self.words(),
            ApiError::Fota { status, .. }
            | ApiError::Gateway { status, .. }
            | ApiError::Http { status, .. } => {
                let words = self.words();
                let line = status_line(*status);
                let said = if words.is_empty() {
                    line
                } else {
                    format!("{line}: {words}")
                };
                if *status == 429 {
                    format!("Rate limited: {said}")
                } else {
                    said
                }
            }
            ApiError::Unreachable { reach, .. } => match reach {
                Reach::CorsBlocked { .. } => {
                    "Blocked by the browser: the proxy's CORS headers do not allow this site".into()
                }
                Reach::NoServer => "No server answered".into(),
                Reach::Unknown => "Server not reached".into(),
            },
            ApiError::Timeout { after_ms } => format!("No answer after {}", seconds(*after_ms)),
            ApiError::Unreadable { .. } => "Answer could not be read".into(),
        }
    }
}

fn seconds(ms: u32) -> String {
    super::time::format_seconds(f64::from(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(status: u16, body: &str) -> ApiError {
        ApiError::from_response(status, body, None)
    }

    #[test]
    fn fota_errors_keep_code_and_message() {
        let e = from(
            400,
            r#"{"errorCode": "INVALID_PARAMETER", "errorMessage": "Inactive account"}"#,
        );
        assert_eq!(
            e.raw().unwrap(),
            "HTTP 400 Bad Request: INVALID_PARAMETER: Inactive account"
        );
        assert!(e.headline().contains("not active"));
        assert!(!e.is_retryable());
    }

    #[test]
    fn session_token_errors_say_how_to_renew() {
        let e = from(
            400,
            r#"{"errorCode": "REQUEST_FAILED.SessionToken.Expired", "errorMessage": "SessionToken Expired"}"#,
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
            from(
                401,
                &format!(
                    r#"{{"fault": {{"code": "{code}", "message": "m", "description": "d"}}}}"#
                ),
            )
        };
        assert!(fault("900901")
            .headline()
            .contains("bearer token is invalid or expired"));
        assert!(fault("900902").headline().contains("No bearer token"));
        assert!(fault("900906").headline().contains("API base URL"));
        assert_eq!(
            fault("123").raw().unwrap(),
            "HTTP 401 Unauthorized: fault 123: m (d)"
        );
        let numeric = from(401, r#"{"fault": {"code": 900901}}"#);
        assert!(numeric.headline().contains("bearer token"));
    }

    #[test]
    fn xml_and_html_bodies_give_the_servers_words() {
        let xml = r#"<?xml version="1.0"?><am:fault xmlns:am="http://wso2.org/apimanager"><am:code>900908</am:code><am:message>Resource forbidden</am:message></am:fault>"#;
        let e = from(403, xml);
        assert_eq!(e.short(), "HTTP 403 Forbidden: 900908 Resource forbidden");
        assert!(e.headline().contains("403"));
        let nginx = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
        assert_eq!(from(502, nginx).short(), "HTTP 502 Bad Gateway");
        let titled = "<!DOCTYPE html><HTML><Head><TITLE lang=en>\n example.com | 522:\n Connection timed out</TITLE>";
        assert_eq!(
            from(522, titled).short(),
            "HTTP 522 Connection Timed Out: example.com | 522: Connection timed out"
        );
        let long = format!("<html><body>{}</body></html>", "x".repeat(1000));
        let e = ApiError::from_response(502, &long, Some("5"));
        assert!(e.headline().contains("HTTP 502 Bad Gateway"));
        assert!(e.raw().unwrap().chars().count() < 230);
        assert_eq!(e.retry_after(), Some(RetryAfter::Seconds(5)));
    }

    #[test]
    fn the_status_decides_retries_whatever_the_body() {
        let bodies = [
            "",
            "<html><title>x</title></html>",
            r#"{"fault": {"code": "900800", "message": "Message throttled out"}}"#,
            r#"{"errorCode": "TOO_MANY_REQUESTS", "errorMessage": "slow down"}"#,
            "<am:fault><am:code>1</am:code><am:message>m</am:message></am:fault>",
        ];
        for body in bodies {
            for status in [408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524] {
                assert!(from(status, body).is_retryable(), "{status} {body}");
            }
            for status in [400, 401, 403, 404, 405, 409, 413, 501, 505, 525] {
                assert!(!from(status, body).is_retryable(), "{status} {body}");
            }
        }
        assert!(ApiError::Timeout { after_ms: 1 }.is_retryable());
        let unreachable = ApiError::Unreachable {
            url: String::new(),
            reach: Reach::Unknown,
        };
        assert!(unreachable.is_retryable());
    }

    #[test]
    fn only_token_errors_stop_a_run() {
        let fault = |code: &str| from(401, &format!(r#"{{"fault": {{"code": "{code}"}}}}"#));
        assert!(fault("900901").stops_run() && fault("900902").stops_run());
        assert!(!fault("900901").is_retryable());
        assert!(!fault("900906").stops_run());
        assert!(ApiError::SessionToken {
            code: String::new(),
            message: String::new()
        }
        .stops_run());
        assert!(!ApiError::Timeout { after_ms: 1 }.stops_run());
    }

    #[test]
    fn a_rate_limited_device_says_so_with_the_servers_words() {
        let e = ApiError::from_response(
            429,
            r#"{"fault": {"code": 900800, "message": "Message throttled out", "description": "You have exceeded your quota"}}"#,
            Some("0"),
        );
        assert_eq!(
            e.short(),
            "Rate limited: HTTP 429 Too Many Requests: fault 900800: Message throttled out"
        );
        assert!(e.headline().contains("limiting requests"));
        assert_eq!(e.retry_after(), Some(RetryAfter::Seconds(0)));
        let e = from(
            429,
            r#"{"errorCode": "TOO_MANY_REQUESTS", "errorMessage": "Rate limit exceeded"}"#,
        );
        assert_eq!(
            e.short(),
            "Rate limited: HTTP 429 Too Many Requests: TOO_MANY_REQUESTS: Rate limit exceeded"
        );
        assert!(e.headline().contains("limiting requests"));
    }

    #[test]
    fn retry_after_in_seconds_or_any_http_date_form() {
        let now = 1_445_412_478_000.0; // Wed, 21 Oct 2015 07:27:58 GMT
        let wait = |v: &str| RetryAfter::parse(v).map(|r| r.wait_ms(now));
        assert_eq!(wait("2"), Some(2000.0));
        assert_eq!(wait(" 0 "), Some(0.0));
        assert_eq!(wait("Wed, 21 Oct 2015 07:28:00 GMT"), Some(2000.0));
        assert_eq!(wait("Wednesday, 21-Oct-15 07:28:00 GMT"), Some(2000.0));
        assert_eq!(wait("Wed Oct 21 07:28:00 2015"), Some(2000.0));
        assert_eq!(wait("Wed, 21 Oct 2015 07:27:00 GMT"), Some(0.0));
        assert_eq!(wait("soon"), None);
        assert_eq!(wait("-1"), None);
        assert_eq!(wait(""), None);
    }

    #[test]
    fn apigee_faults_and_empty_faults_keep_the_servers_words() {
        let apigee = from(
            429,
            r#"{"fault":{"faultstring":"Spike arrest violation. Allowed rate : 10ps","detail":{"errorcode":"policies.ratelimit.SpikeArrestViolation"}}}"#,
        );
        assert_eq!(
            apigee.short(),
            "Rate limited: HTTP 429 Too Many Requests: fault policies.ratelimit.SpikeArrestViolation: Spike arrest violation. Allowed rate : 10ps"
        );
        assert_eq!(
            from(502, r#"{"fault":null}"#).short(),
            r#"HTTP 502 Bad Gateway: {"fault":null}"#
        );
        assert_eq!(
            from(503, r#"{"fault":{}}"#).short(),
            r#"HTTP 503 Service Unavailable: {"fault":{}}"#
        );
    }

    #[test]
    fn unknown_json_is_shown_as_text() {
        let e = from(418, r#"{"teapot": true}"#);
        assert_eq!(
            e.raw().unwrap(),
            r#"HTTP 418 I'm a teapot: {"teapot": true}"#
        );
    }

    #[test]
    fn transport_failures_explain_themselves() {
        let at = |reach| ApiError::Unreachable {
            url: "http://127.0.0.1:9/api".into(),
            reach,
        };
        assert!(at(Reach::Unknown)
            .headline()
            .contains("http://127.0.0.1:9/api"));
        assert!(at(Reach::Unknown)
            .headline()
            .contains("the proxy in front of the API"));
        let cors = at(Reach::CorsBlocked {
            page_origin: "https://fota.example.com".into(),
        })
        .headline();
        for needed in [
            "this site (https://fota.example.com)",
            "Access-Control-Allow-Origin: https://fota.example.com,",
            "Access-Control-Allow-Methods: PUT",
            "VZ-M2M-Token",
            "Retry-After",
            "always",
        ] {
            assert!(cors.contains(needed), "{needed} in {cors}");
        }
        assert!(at(Reach::NoServer).headline().contains("Nothing answered"));
        assert!(ApiError::Timeout { after_ms: 30_000 }
            .headline()
            .contains("30 s"));
        assert!(ApiError::Timeout { after_ms: 1500 }
            .headline()
            .contains("1.5 s"));
        let u = ApiError::unreadable("not JSON".into(), &"é".repeat(300));
        assert_eq!(u.raw().unwrap().chars().count(), "It began: ".len() + 201);
    }

    /// Every answer in `tests/fixtures/answers/`, recorded as gateways, load balancers and
    /// CDNs send them: retried exactly when its status allows, its `Retry-After` read, and the
    /// words its README row says a user should see are in what the app shows.
    #[test]
    fn recorded_front_end_answers() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/answers");
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let mut seen = 0;
        for row in readme.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = row.split(" | ").collect();
            let file = cells[0].trim_start_matches("| ").trim_matches('`');
            let words: Vec<&str> = cells[cells.len() - 1]
                .split('`')
                .skip(1)
                .step_by(2)
                .collect();
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            let mut lines = head.lines();
            let status: u16 = lines
                .next()
                .unwrap()
                .split(' ')
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            let retry_after = lines
                .filter_map(|l| l.split_once(':'))
                .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
                .map(|(_, value)| value.trim());
            let error = ApiError::from_response(status, body, retry_after);
            assert_eq!(
                error.is_retryable(),
                is_retryable_status(status) && !error.stops_run(),
                "{file}"
            );
            assert_eq!(
                error.retry_after().is_some(),
                retry_after.is_some(),
                "{file}"
            );
            let shown = format!("{} {}", error.headline(), error.raw().unwrap());
            assert!(
                error.short().starts_with(&format!(
                    "{}HTTP {status} ",
                    if status == 429 { "Rate limited: " } else { "" }
                )),
                "{file}: {}",
                error.short()
            );
            for word in &words {
                assert!(shown.contains(word), "{file}: {word:?} not in {shown:?}");
            }
            assert!(!words.is_empty(), "{file}");
            seen += 1;
        }
        assert!(seen >= 10, "{seen} answers");
    }

    #[test]
    fn a_paused_run_names_the_token_to_renew() {
        let cases = [
            (
                r#"{"errorCode": "REQUEST_FAILED.SessionToken.Expired", "errorMessage": "SessionToken Expired"}"#,
                400,
                "session-expired",
                "new session token",
            ),
            (
                r#"{"errorCode": "REQUEST_FAILED.SessionToken.Invalid", "errorMessage": "x"}"#,
                400,
                "session-invalid",
                "new session token",
            ),
            (
                r#"{"fault": {"code": "900901", "message": "Invalid Credentials", "description": "Access failure"}}"#,
                401,
                "bearer-invalid",
                "bearer tokens last one hour",
            ),
            (
                r#"{"fault": {"code": "900902", "message": "Missing Credentials", "description": "x"}}"#,
                401,
                "bearer-missing",
                "no bearer token was sent",
            ),
        ];
        for (body, status, reason, says) in cases {
            let error = ApiError::from_response(status, body, None);
            assert_eq!(error.token_to_renew(), Some(reason), "{body}");
            assert!(error.pause_headline().starts_with("Paused: "), "{body}");
            assert!(error.pause_headline().contains(says), "{body}");
            assert!(error.pause_headline().contains("press Resume"), "{body}");
        }
        assert_eq!(ApiError::Timeout { after_ms: 1 }.token_to_renew(), None);
    }
}
