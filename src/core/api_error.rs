//! Every way a call can fail, classified from what came back, with words a user can act on.
//!
//! The status decides whether a retry can help, whatever shape the body has: API gateways, load
//! balancers and CDNs in front of ThingSpace answer with gateway faults, `{"errorCode"}` objects,
//! XML or HTML pages (see `tests/fixtures/answers/`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::fota::{decode_answer, field, SyncAnswer, Unreadable};

/// How many characters of an unexpected body are shown.
const SNIPPET_CHARS: usize = 200;

/// The CORS answer a proxy on another origin must give to a page at `origin`.
pub fn cors_requirements(origin: &str) -> String {
    format!("answer the preflight (OPTIONS) with Access-Control-Allow-Origin: {origin}, Access-Control-Allow-Methods: PUT and Access-Control-Allow-Headers: Authorization, Content-Type, VZ-M2M-Token, Accept; send Access-Control-Expose-Headers: Retry-After, WWW-Authenticate; and add its CORS headers to error answers too (nginx: add_header … always), or the browser hides a 401 or 429 as a network error")
}

/// A `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    Seconds(u32),
    /// An HTTP-date in any of its three forms (IMF-fixdate, RFC 850, asctime).
    At(DateTime<Utc>),
}

impl RetryAfter {
    /// Reads a header value; `None` when it is neither form (a negative number, say). Seconds
    /// written with a fraction (`1.5`, `2.0`: not RFC 9110's, but Shopify, Microsoft Graph and
    /// proxies send them) are rounded up, never to a shorter wait than asked.
    pub fn parse(value: &str) -> Option<RetryAfter> {
        let value = value.trim();
        if let Ok(seconds) = value.parse::<u32>() {
            return Some(RetryAfter::Seconds(seconds));
        }
        // Whole seconds, plus one for any fraction but zeros (no float parsing in the bundle).
        if let Some((whole, fraction)) = value.split_once('.') {
            let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
            if digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty()) {
                let whole = if whole.is_empty() {
                    0
                } else {
                    whole.parse::<u32>().ok()?
                };
                let up = u32::from(fraction.bytes().any(|b| b != b'0'));
                return whole.checked_add(up).map(RetryAfter::Seconds);
            }
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
    /// A 401 or 403 that is not one of the gateway's credential faults or a session-token error:
    /// a token was refused, whatever the body says. `challenge` is what the
    /// `WWW-Authenticate` header said (RFC 6750 §3), `detail` the body's own words, if any.
    TokenRefused {
        status: u16,
        challenge: Challenge,
        detail: String,
        retry_after: Option<RetryAfter>,
    },
    /// An answer with nothing in it (204 No Content, or any status with an empty body).
    Empty {
        status: u16,
        retry_after: Option<RetryAfter>,
    },
    /// The answer broke off before its end: the connection dropped while the body came, or the
    /// JSON stops mid-way. A network failure, retried like one.
    CutOff,
    /// The request never got an answer the browser let the app read: fetch itself failed.
    Unreachable { url: String, reach: Reach },
    /// No answer within the timeout; the request was aborted.
    Timeout { after_ms: u32 },
    /// A 2xx whose body is neither device results nor an error the app recognises; `why` says
    /// what it is in plain words.
    Unreadable { why: String, snippet: String },
}

/// The headers of an answer that the app reads, as the browser gives them (`None`: absent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AnswerHeaders<'a> {
    /// `Retry-After` (RFC 9110 §10.2.3).
    pub retry_after: Option<&'a str>,
    /// `WWW-Authenticate` (RFC 9110 §11.6.1), e.g. `Bearer error="invalid_token"`.
    pub www_authenticate: Option<&'a str>,
}

/// A `WWW-Authenticate` challenge's error, as OAuth 2.0 bearer-token servers send it
/// (RFC 6750 §3: `Bearer realm="…", error="invalid_token", error_description="…"`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Challenge {
    /// The `error` parameter: `invalid_token`, `insufficient_scope`, `invalid_request`, or
    /// empty when the header has none.
    pub error: String,
    /// The `error_description` parameter, or empty.
    pub description: String,
}

impl Challenge {
    /// Reads the `error` and `error_description` parameters of a header value; parameters may
    /// be quoted strings (with `\` escapes) or tokens, in any case, in any challenge.
    pub fn parse(header: &str) -> Challenge {
        Challenge {
            error: auth_param(header, "error").unwrap_or_default(),
            description: auth_param(header, "error_description").unwrap_or_default(),
        }
    }

    /// `invalid_token: The access token expired`, or what there is of it.
    fn words(&self) -> String {
        match (self.error.as_str(), self.description.as_str()) {
            ("", d) => d.to_owned(),
            (e, "") => e.to_owned(),
            (e, d) => format!("{e}: {d}"),
        }
    }
}

/// The value of the auth-param `name` in a `WWW-Authenticate` value (RFC 9110 §11.2).
fn auth_param(header: &str, name: &str) -> Option<String> {
    let bytes = header.as_bytes();
    let lower = header.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        let starts_word = at == 0 || matches!(bytes[at - 1], b' ' | b',' | b'\t');
        let rest = header[from..].trim_start_matches([' ', '\t']);
        let Some(value) = rest.strip_prefix('=') else {
            continue;
        };
        if !starts_word {
            continue;
        }
        let value = value.trim_start_matches([' ', '\t']);
        let text = match value.strip_prefix('"') {
            Some(quoted) => {
                let mut text = String::new();
                let mut chars = quoted.chars();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => text.extend(chars.next()),
                        c => text.push(c),
                    }
                }
                text
            }
            None => value
                .split([',', ' ', '\t'])
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        return Some(text.trim().to_owned());
    }
    None
}

fn snippet(body: &str) -> String {
    super::shorten(body.trim(), SNIPPET_CHARS)
}

/// The text of `value`'s field `folded` (any case or separators, see [`field`]); `None` when
/// absent, empty or not a string or number.
fn string_field(value: &Value, folded: &str) -> Option<String> {
    let text = match field(value.as_object()?, &[folded])? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// `code: message`, or whichever of the two there is.
fn code_and_message(code: Option<String>, message: Option<String>) -> Option<String> {
    match (code, message) {
        (Some(c), Some(m)) => Some(format!("{c}: {m}")),
        (c, m) => c.or(m),
    }
}

/// The words of the error shapes that gateways and frameworks other than ThingSpace's use:
/// OAuth 2.0's `{"error", "error_description"}` (RFC 6749 §5.2), `{"error": {"code",
/// "message"}}` (Google, Azure, AWS's `Error`), JSON:API's and GraphQL's `{"errors": [...]}`,
/// RFC 9457's problem details `{"title", "detail"}`, and a bare `{"message"}` (AWS API
/// Gateway, Spring) or `{"errorMessage"}` (AWS Lambda).
fn other_error_words(json: &Value) -> Option<String> {
    let error_object = |e: &Value| {
        code_and_message(
            string_field(e, "code").or_else(|| string_field(e, "type")),
            string_field(e, "message")
                .or_else(|| string_field(e, "detail"))
                .or_else(|| string_field(e, "title")),
        )
    };
    let object = json.as_object()?;
    if let Some(error) = field(object, &["error"]) {
        match error {
            Value::String(_) => {
                return code_and_message(
                    string_field(json, "error"),
                    string_field(json, "errordescription")
                        .or_else(|| string_field(json, "message")),
                );
            }
            Value::Object(_) => return error_object(error),
            _ => {}
        }
    }
    if let Some(Value::Array(errors)) = field(object, &["errors"]) {
        return errors.iter().find_map(error_object);
    }
    if let (Some(title), detail) = (string_field(json, "title"), string_field(json, "detail")) {
        return Some(match detail {
            Some(d) => format!("{title}: {d}"),
            None => title,
        });
    }
    string_field(json, "message").or_else(|| string_field(json, "errormessage"))
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
        ApiError::from_answer(
            status,
            body,
            AnswerHeaders {
                retry_after,
                ..AnswerHeaders::default()
            },
        )
    }

    /// Classifies a non-2xx answer from its status, body and headers. A 401 or 403 is a refused
    /// token whatever its body; an empty body is [`ApiError::Empty`].
    pub fn from_answer(status: u16, body: &str, headers: AnswerHeaders) -> ApiError {
        let retry_after = headers.retry_after.and_then(RetryAfter::parse);
        let body = body.trim_start_matches('\u{feff}');
        let said = if body.trim().is_empty() {
            ApiError::Empty {
                status,
                retry_after,
            }
        } else {
            ApiError::said(status, body, retry_after).unwrap_or_else(|| {
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
            })
        };
        if matches!(status, 401 | 403) && !said.stops_run() {
            let challenge = headers
                .www_authenticate
                .map(Challenge::parse)
                .unwrap_or_default();
            return ApiError::TokenRefused {
                status,
                detail: match &said {
                    // The challenge is the evidence; "nothing" would only contradict it.
                    ApiError::Empty { .. } if !challenge.words().is_empty() => String::new(),
                    ApiError::Gateway { description, .. } if !description.is_empty() => {
                        format!("{} ({description})", said.words())
                    }
                    _ => said.words(),
                },
                challenge,
                retry_after,
            };
        }
        said
    }

    /// Reads an answer: device results from a 2xx whose body has them, else the error it is.
    /// `body` is `None` when it broke off before its end. A 2xx whose body is an error in any
    /// shape the app knows (see [`ApiError::said`]) is that error, with the server's own words.
    pub fn read_answer(
        status: u16,
        body: Option<&str>,
        headers: AnswerHeaders,
    ) -> Result<SyncAnswer, ApiError> {
        let Some(body) = body else {
            // A token refused is one whatever became of its body; anything else is the network's.
            return Err(if matches!(status, 401 | 403) {
                ApiError::from_answer(status, "", headers)
            } else {
                ApiError::CutOff
            });
        };
        if !(200..300).contains(&status) {
            return Err(ApiError::from_answer(status, body, headers));
        }
        let retry_after = headers.retry_after.and_then(RetryAfter::parse);
        Err(match decode_answer(body) {
            Ok(answer) => return Ok(answer),
            Err(Unreadable::Empty) => ApiError::Empty {
                status,
                retry_after,
            },
            Err(Unreadable::CutOff) => ApiError::CutOff,
            Err(why) => ApiError::said(status, body, retry_after).unwrap_or_else(|| {
                ApiError::Unreadable {
                    why: what_it_is(why, body),
                    // Binary data shows as noise: its kind is all there is to say.
                    snippet: if is_binary(body) {
                        String::new()
                    } else {
                        snippet(body)
                    },
                }
            }),
        })
    }

    /// The error a body states in a shape the app recognises, on any status: a gateway fault
    /// (WSO2's `{"fault": {"code", "message", "description"}}`, Apigee's `{"fault":
    /// {"faultstring", "detail": {"errorcode"}}}`), ThingSpace's `{"errorCode",
    /// "errorMessage"}`, the shapes of [`other_error_words`], or a WSO2 XML `am:fault`. Keys
    /// match in any case.
    fn said(status: u16, body: &str, retry_after: Option<RetryAfter>) -> Option<ApiError> {
        let Ok(json) = serde_json::from_str::<Value>(body) else {
            let xml = words_of(body);
            return (body.contains("am:fault") && !xml.is_empty()).then_some(ApiError::Http {
                status,
                detail: xml,
                retry_after,
            });
        };
        let object = json.as_object()?;
        if let Some(fault) = field(object, &["fault"]).filter(|f| f.is_object()) {
            let code = string_field(fault, "code")
                .or_else(|| {
                    field(fault.as_object()?, &["detail"])
                        .and_then(|d| string_field(d, "errorcode"))
                })
                .unwrap_or_default();
            let message = string_field(fault, "message")
                .or_else(|| string_field(fault, "faultstring"))
                .unwrap_or_default();
            if !code.is_empty() || !message.is_empty() {
                return Some(ApiError::Gateway {
                    status,
                    code,
                    message,
                    description: string_field(fault, "description").unwrap_or_default(),
                    retry_after,
                });
            }
        }
        if let Some(code) = string_field(&json, "errorcode") {
            let message = string_field(&json, "errormessage").unwrap_or_default();
            if code.starts_with("REQUEST_FAILED.SessionToken") {
                return Some(ApiError::SessionToken { code, message });
            }
            return Some(ApiError::Fota {
                status,
                code,
                message,
                retry_after,
            });
        }
        other_error_words(&json).map(|detail| ApiError::Http {
            status,
            detail,
            retry_after,
        })
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Fota { status, .. }
            | ApiError::Gateway { status, .. }
            | ApiError::Http { status, .. }
            | ApiError::TokenRefused { status, .. }
            | ApiError::Empty { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A token error: a session-token error, a gateway credentials fault (900901, 900902) on
    /// any status, or any other 401 or 403. Every further request would fail the same way.
    pub fn stops_run(&self) -> bool {
        match self {
            ApiError::SessionToken { .. } | ApiError::TokenRefused { .. } => true,
            ApiError::Gateway { code, .. } => code == "900901" || code == "900902",
            _ => false,
        }
    }

    /// Which token to renew after this error paused a run, and why, in the words of the
    /// portal message `fota-sync:credentials-needed` (README, "Embedding in a portal"):
    /// `session-expired` (`REQUEST_FAILED.SessionToken.Expired`), `session-invalid` (any other
    /// session-token error), `bearer-invalid` (gateway fault 900901: wrong or expired, tokens
    /// last one hour; or any other 401 or 403: the `Authorization` header's token is what a
    /// 401 challenges, RFC 9110 §15.5.2) or `bearer-missing` (900902). `None` for errors that
    /// do not pause a run.
    pub fn token_to_renew(&self) -> Option<&'static str> {
        match self {
            ApiError::SessionToken { code, .. } if code.ends_with(".Expired") => {
                Some("session-expired")
            }
            ApiError::SessionToken { .. } => Some("session-invalid"),
            ApiError::Gateway { code, .. } if code == "900901" => Some("bearer-invalid"),
            ApiError::Gateway { code, .. } if code == "900902" => Some("bearer-missing"),
            ApiError::TokenRefused { .. } => Some("bearer-invalid"),
            _ => None,
        }
    }

    /// What was wrong with the token, and what to get: the first half of both headlines.
    fn token_trouble(&self) -> Option<String> {
        if let ApiError::TokenRefused {
            status, challenge, ..
        } = self
        {
            let line = status_line(*status);
            return Some(match challenge.error.as_str() {
                "insufficient_scope" => format!("the bearer token does not allow the FOTA API ({line}, insufficient_scope). Request one that does"),
                "invalid_request" => format!("the server found the bearer token missing or malformed ({line}, invalid_request). Request a new one"),
                "invalid_token" => "the bearer token is invalid or expired (bearer tokens last one hour). Request a new one".to_owned(),
                _ if *status == 403 => format!("access was denied ({line}): the bearer token may not use the FOTA API, or it expired. Request a new one"),
                _ => format!("the bearer token was refused ({line}): it is invalid or expired (bearer tokens last one hour). Request a new one"),
            });
        }
        Some(match self.token_to_renew()? {
            "session-expired" => "the session token expired (sessions end after 20 minutes without use). Log in again to get a new session token",
            "session-invalid" => "ThingSpace refused the session token (missing, invalid or expired). Log in again to get a new session token",
            "bearer-missing" => "no bearer token was sent. Get your bearer token",
            _ => "the bearer token is invalid or expired (bearer tokens last one hour). Request a new one",
        }.to_owned())
    }

    /// What the page says while this token error pauses a run: which token to renew, and how
    /// to go on. Nothing was lost: the devices not yet answered wait.
    pub fn pause_headline(&self) -> String {
        let what = self.token_trouble().unwrap_or_default();
        format!("Paused: {what}, paste it and press Resume. The devices without an answer wait; Cancel ends the run.")
    }

    /// Worth trying again later. A token error never is (the run pauses instead). A request
    /// that got no answer, none in time, or one cut off is, as a network failure. Otherwise the
    /// status decides ([`is_retryable_status`]), whatever the body says, except on a 2xx: a
    /// success status that carries an error gives no verdict, so the error is retried (the
    /// PUT is safe to repeat, and gateways that wrap errors in a 200 mostly wrap passing
    /// upstream faults, `Upstream timeout`) unless it is one of ThingSpace's documented
    /// refusals (`INVALID_PARAMETER`) or a gateway 9009xx fault (credentials, resources,
    /// subscriptions), which the same request meets again. An empty 2xx is not retried: the
    /// server finished an answer that says nothing, and would again.
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::Unreachable { .. } | ApiError::Timeout { .. } | ApiError::CutOff => true,
            _ if self.stops_run() => false,
            ApiError::Empty { status, .. } => is_retryable_status(*status),
            ApiError::Fota { code, .. } if code == "INVALID_PARAMETER" => false,
            ApiError::Gateway { code, .. } if code.starts_with("9009") => false,
            _ => self
                .status()
                .is_some_and(|s| (200..300).contains(&s) || is_retryable_status(s)),
        }
    }

    /// The server's `Retry-After`, on whatever status carried it.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self {
            ApiError::Fota { retry_after, .. }
            | ApiError::Gateway { retry_after, .. }
            | ApiError::Http { retry_after, .. }
            | ApiError::TokenRefused { retry_after, .. }
            | ApiError::Empty { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The server's own words, without the status: what its body said (and, for a refused
    /// token, its `WWW-Authenticate` challenge).
    fn words(&self) -> String {
        match self {
            ApiError::Fota { code, message, .. } | ApiError::SessionToken { code, message } => {
                code_and_message(
                    (!code.is_empty()).then(|| code.clone()),
                    (!message.is_empty()).then(|| message.clone()),
                )
                .unwrap_or_default()
            }
            ApiError::Gateway { code, message, .. } => format!("fault {code}: {message}"),
            ApiError::Http { detail, .. } => detail.clone(),
            ApiError::TokenRefused {
                challenge, detail, ..
            } => [detail.clone(), challenge.words()]
                .into_iter()
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::Empty { .. } => EMPTY_ANSWER.to_owned(),
            _ => String::new(),
        }
    }

    /// One sentence in plain words: what went wrong and what to do.
    pub fn headline(&self) -> String {
        let status = self.status().unwrap_or_default();
        let line = status_line(status);
        match self {
            ApiError::SessionToken { .. } => return "The session token is missing, invalid or expired. Log in again to get a new session token (sessions end after 20 minutes without use), paste it, and synchronize again.".into(),
            ApiError::TokenRefused { .. } => {
                let mut what = self.token_trouble().unwrap_or_default();
                // Every text of token_trouble starts with an ASCII letter.
                if let Some(first) = what.get_mut(..1) {
                    first.make_ascii_uppercase();
                }
                return format!("{what}, paste it, and synchronize again.");
            }
            ApiError::Gateway { code, .. } => match code.as_str() {
                "900901" => return "The bearer token is invalid or expired (bearer tokens last one hour). Request a new one and paste it.".into(),
                "900902" => return "No bearer token was sent. Paste your bearer token.".into(),
                "900906" => return "The API gateway found no such resource: check the API base URL (it should end in /api/fota/v3).".into(),
                _ if (200..300).contains(&status) => return self.error_in_success(&line),
                _ => {}
            },
            ApiError::Fota { message, code, .. } if code == "INVALID_PARAMETER" || status == 400 => match message.as_str() {
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
            ApiError::CutOff => return "The answer broke off before its end: the connection dropped, or the body was cut short on the way. Nothing you typed was lost: you can try again.".into(),
            ApiError::Unreadable { why, .. } => return format!("The answer could not be read: {why}."),
            ApiError::Empty { .. } if (200..300).contains(&status) => return format!("The server answered with nothing ({line}): no device results came back. Check the API base URL and the proxy in front of the API."),
            ApiError::Empty { .. } => return format!("The server answered with nothing ({line}). {}", status_advice(status, &line)),
            _ if (200..300).contains(&status) => return self.error_in_success(&line),
            _ => {}
        }
        match status {
            404 | 408 | 429 | 500..=599 => status_advice(status, &line),
            _ if matches!(self, ApiError::Gateway { .. }) => {
                format!("The API gateway refused the request ({line}).")
            }
            _ if matches!(self, ApiError::Fota { .. }) => {
                format!("ThingSpace refused the request ({line}).")
            }
            _ => status_advice(status, &line),
        }
    }

    /// The headline of an error that came with a success status.
    fn error_in_success(&self, line: &str) -> String {
        format!(
            "The server answered {line}, but with an error instead of device results: {}.",
            self.words()
        )
    }

    /// The raw status, code and message, as the server sent them, shown beside the headline.
    pub fn raw(&self) -> Option<String> {
        match self {
            ApiError::SessionToken { .. } => Some(self.words()),
            ApiError::Gateway { description, .. } if !description.is_empty() => {
                Some(format!("{} ({description})", self.short()))
            }
            ApiError::Fota { .. }
            | ApiError::Gateway { .. }
            | ApiError::Http { .. }
            | ApiError::TokenRefused { .. }
            | ApiError::Empty { .. } => Some(self.short()),
            ApiError::Unreadable { snippet, .. } if !snippet.is_empty() => {
                Some(format!("It began: {snippet}"))
            }
            ApiError::Unreadable { .. } => None,
            ApiError::Unreachable { .. } | ApiError::Timeout { .. } | ApiError::CutOff => None,
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
            | ApiError::Http { status, .. }
            | ApiError::TokenRefused { status, .. }
            | ApiError::Empty { status, .. } => {
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
            ApiError::CutOff => "Answer cut off before its end".into(),
            ApiError::Unreadable { .. } => "Answer could not be read".into(),
        }
    }
}

/// What an empty answer is called wherever it is shown.
const EMPTY_ANSWER: &str = "the server answered with nothing";

/// What a status generally means for the user, `line` being its [`status_line`].
fn status_advice(status: u16, line: &str) -> String {
    match status {
        429 => format!("ThingSpace is limiting requests ({line}). Wait a few minutes, then use Retry failed."),
        403 => format!("Access was denied ({line}): check that your tokens may use the FOTA API."),
        404 => format!("Nothing was found at that address ({line}): check the API base URL."),
        408 | 500..=599 => format!("The server or a proxy failed ({line}). Try again later; if it persists, check the proxy."),
        _ => format!("The server answered with an unexpected {line}. Check the API base URL and the proxy."),
    }
}

/// Text with control characters or U+FFFD (what a decoder puts for bytes that are not
/// UTF-8): compressed or otherwise binary data, or text in another encoding.
fn is_binary(body: &str) -> bool {
    body.chars()
        .any(|c| c == '\u{fffd}' || (c.is_control() && !c.is_whitespace()))
}

/// A 2xx body that is neither results nor an error, in plain words: a web page (named by its
/// title), text that is not JSON, or JSON without a device list.
fn what_it_is(why: Unreadable, body: &str) -> String {
    match why {
        Unreadable::NotJson if body.trim_start().starts_with('<') => match words_of(body) {
            title if title.is_empty() => "the server sent a web page instead of device results".into(),
            title => format!("the server sent a web page (“{title}”) instead of device results"),
        },
        Unreadable::NotJson if is_binary(body) => {
            "the server sent binary data (compressed, or in another encoding) instead of device results".into()
        }
        Unreadable::NotJson => "the server sent text that is not JSON instead of device results".into(),
        _ => "the server sent JSON without a device list".into(),
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
        let wrong_path = from(
            404,
            r#"{"fault": {"code": "900906", "message": "No matching resource found"}}"#,
        );
        assert!(wrong_path.headline().contains("API base URL"));
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
        assert!(!from(404, r#"{"fault": {"code": "900906"}}"#).stops_run());
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
        let u = ApiError::read_answer(200, Some(&"é".repeat(300)), AnswerHeaders::default())
            .unwrap_err();
        assert_eq!(u.raw().unwrap().chars().count(), "It began: ".len() + 201);
    }

    /// Every answer in `tests/fixtures/answers/`, recorded as gateways, load balancers and
    /// CDNs send them: read as device results where its README row says "—", else retried
    /// exactly as the row says, its `Retry-After` read, and the words the row says a user should
    /// see are in what the app shows (the devices' rows, or the alert and the reason).
    #[test]
    fn recorded_front_end_answers() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/answers");
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let mut seen = 0;
        for row in readme.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = row.split(" | ").collect();
            let file = cells[0].trim_start_matches("| ").trim_matches('`');
            let retry = cells[cells.len() - 2];
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
            let header_lines: Vec<(&str, &str)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(name, value)| (name, value.trim()))
                .collect();
            let header = |wanted: &str| {
                header_lines
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                    .map(|(_, value)| *value)
            };
            let headers = AnswerHeaders {
                retry_after: header("retry-after"),
                www_authenticate: header("www-authenticate"),
            };
            match ApiError::read_answer(status, Some(body), headers) {
                Ok(answer) => {
                    assert_eq!(retry, "—", "{file} reads as results");
                    let rows = format!("{:?}", answer.reports);
                    for word in &words {
                        assert!(rows.contains(word), "{file}: {word:?} not in {rows}");
                    }
                }
                Err(error) => {
                    assert_eq!(error.is_retryable(), retry == "yes", "{file}: {error:?}");
                    assert_eq!(
                        error.retry_after().is_some(),
                        headers.retry_after.is_some(),
                        "{file}"
                    );
                    let shown = shown(&error);
                    for word in &words {
                        assert!(shown.contains(word), "{file}: {word:?} not in {shown:?}");
                    }
                    assert!(!words.is_empty(), "{file}");
                    if !(200..300).contains(&status) {
                        assert!(
                            error.short().starts_with(&format!(
                                "{}HTTP {status} ",
                                if status == 429 { "Rate limited: " } else { "" }
                            )),
                            "{file}: {}",
                            error.short()
                        );
                    }
                }
            }
            seen += 1;
        }
        assert!(seen >= 26, "{seen} answers");
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

    /// Everything a user can see of an error, as one text.
    fn shown(e: &ApiError) -> String {
        format!(
            "{} | {} | {} | {}",
            e.headline(),
            e.raw().unwrap_or_default(),
            e.short(),
            if e.stops_run() {
                e.pause_headline()
            } else {
                String::new()
            }
        )
    }

    fn read(status: u16, body: &str) -> Result<SyncAnswer, ApiError> {
        ApiError::read_answer(status, Some(body), AnswerHeaders::default())
    }

    #[test]
    fn a_200_whose_body_is_an_error_gives_the_servers_words() {
        let cases = [
            (r#"{"errorCode":"E1234","errorMessage":"Upstream timeout"}"#, "E1234: Upstream timeout"),
            (r#"{"ErrorCode":"E1234","ERRORMESSAGE":"Upstream timeout"}"#, "E1234: Upstream timeout"),
            (r#"{"error":"server_error","error_description":"The upstream service did not respond"}"#, "server_error: The upstream service did not respond"),
            (r#"{"error":{"code":"UpstreamTimeout","message":"Backend did not answer in 30 s"}}"#, "UpstreamTimeout: Backend did not answer in 30 s"),
            (r#"{"Error":{"Code":"ServiceUnavailable","Message":"Please reduce your request rate."}}"#, "ServiceUnavailable: Please reduce your request rate."),
            (r#"{"message":"Endpoint request timed out"}"#, "Endpoint request timed out"),
            (r#"{"Message":"An error has occurred."}"#, "An error has occurred."),
            (r#"{"errorMessage":"Task timed out after 29.01 seconds","errorType":"Sandbox.Timedout"}"#, "Task timed out after 29.01 seconds"),
            (r#"{"fault":{"faultstring":"Gateway Timeout","detail":{"errorcode":"messaging.adaptors.http.flow.GatewayTimeout"}}}"#, "fault messaging.adaptors.http.flow.GatewayTimeout: Gateway Timeout"),
            (r#"{"fault":{"code":101504,"message":"Runtime Error","description":"Send timeout"}}"#, "fault 101504: Runtime Error"),
            (r#"{"errors":[{"code":"TIMEOUT","message":"Upstream timed out"}]}"#, "TIMEOUT: Upstream timed out"),
            (r#"{"type":"about:blank","title":"Bad Gateway","status":502,"detail":"Upstream connect error"}"#, "Bad Gateway: Upstream connect error"),
            (r#"{"status":"error","message":"Upstream timeout"}"#, "Upstream timeout"),
            ("<am:fault xmlns:am=\"http://wso2.org/apimanager\"><am:code>101503</am:code><am:message>Runtime Error</am:message><am:description>Error connecting to the back end</am:description></am:fault>", "101503 Runtime Error: Error connecting to the back end"),
        ];
        for (body, words) in cases {
            for status in [200, 201, 202] {
                let e = read(status, body).unwrap_err();
                assert!(e.short().contains(words), "{body}: {}", e.short());
                assert!(e.headline().contains(words), "{body}: {}", e.headline());
                assert!(
                    e.headline()
                        .contains("with an error instead of device results"),
                    "{body}"
                );
                assert!(e.is_retryable(), "{body}: the status gives no verdict");
                assert!(!e.stops_run(), "{body}");
            }
        }
        // Refusals that the same request meets again are not retried, on any status.
        for body in [
            r#"{"errorCode":"INVALID_PARAMETER","errorMessage":"Inactive account"}"#,
            r#"{"fault":{"code":"900906","message":"No matching resource found"}}"#,
        ] {
            let e = read(200, body).unwrap_err();
            assert!(!e.is_retryable(), "{body}");
        }
        assert!(read(
            200,
            r#"{"errorCode":"INVALID_PARAMETER","errorMessage":"Inactive account"}"#
        )
        .unwrap_err()
        .headline()
        .contains("not active"));
        // A token error in a 200 pauses the run as on any status.
        for (body, token) in [
            (
                r#"{"errorCode":"REQUEST_FAILED.SessionToken.Expired","errorMessage":"SessionToken Expired"}"#,
                "session-expired",
            ),
            (
                r#"{"fault":{"code":900901,"message":"Invalid Credentials"}}"#,
                "bearer-invalid",
            ),
        ] {
            let e = read(200, body).unwrap_err();
            assert!(e.stops_run(), "{body}");
            assert_eq!(e.token_to_renew(), Some(token), "{body}");
        }
        // JSON that is neither results nor an error stays unreadable, in plain words.
        let e = read(200, r#"{"result":"ok"}"#).unwrap_err();
        assert!(matches!(e, ApiError::Unreadable { .. }), "{e:?}");
        assert_eq!(
            e.headline(),
            "The answer could not be read: the server sent JSON without a device list."
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn a_401_or_403_is_a_token_problem_whatever_the_body() {
        let challenge = r#"Bearer realm="ThingSpace", error="invalid_token", error_description="The access token expired""#;
        let bodies = [
            "",
            "Unauthorized",
            "<html><head><title>401 Authorization Required</title></head></html>",
            r#"{"message":"Unauthorized"}"#,
            r#"{"fault":{"code":900900,"message":"Unclassified Authentication Failure"}}"#,
            "<am:fault xmlns:am=\"http://wso2.org/apimanager\"><am:code>900908</am:code><am:message>Resource forbidden </am:message></am:fault>",
        ];
        for status in [401, 403] {
            for body in bodies {
                for header in [None, Some(challenge)] {
                    let headers = AnswerHeaders {
                        www_authenticate: header,
                        ..AnswerHeaders::default()
                    };
                    let e = ApiError::from_answer(status, body, headers);
                    let seen = shown(&e);
                    assert!(e.stops_run(), "{status} {body}");
                    assert!(!e.is_retryable(), "{status} {body}");
                    assert_eq!(
                        e.token_to_renew(),
                        Some("bearer-invalid"),
                        "{status} {body}"
                    );
                    assert!(e.pause_headline().contains("bearer token"), "{seen}");
                    assert!(e.headline().contains("bearer token"), "{seen}");
                    assert!(!seen.contains("base URL"), "{seen}");
                    if header.is_some() {
                        assert!(
                            e.raw()
                                .unwrap()
                                .contains("invalid_token: The access token expired"),
                            "{seen}"
                        );
                        assert!(
                            e.pause_headline()
                                .starts_with("Paused: the bearer token is invalid or expired"),
                            "{seen}"
                        );
                    }
                }
            }
        }
        let only_challenge = ApiError::from_answer(
            401,
            "",
            AnswerHeaders {
                www_authenticate: Some(r#"Bearer error="invalid_token""#),
                ..AnswerHeaders::default()
            },
        );
        assert_eq!(
            only_challenge.raw().unwrap(),
            "HTTP 401 Unauthorized: invalid_token"
        );
        let scope = ApiError::from_answer(
            403,
            "",
            AnswerHeaders {
                www_authenticate: Some(r#"Bearer error="insufficient_scope", scope="fota""#),
                ..AnswerHeaders::default()
            },
        );
        assert!(scope
            .pause_headline()
            .contains("does not allow the FOTA API"));
        // A body that broke off after a 401 is still a refused token.
        let cut = ApiError::read_answer(401, None, AnswerHeaders::default()).unwrap_err();
        assert!(cut.stops_run());
    }

    #[test]
    fn challenges_are_read_in_every_spelling() {
        let read = |h: &str| {
            let c = Challenge::parse(h);
            (c.error, c.description)
        };
        let expected = ("invalid_token".to_owned(), "The token expired".to_owned());
        for header in [
            r#"Bearer error="invalid_token", error_description="The token expired""#,
            r#"Bearer realm="x",error="invalid_token",error_description="The token expired""#,
            r#"Bearer realm="WSO2 API Manager", ERROR = "invalid_token", Error_Description="The token expired""#,
            r#"Basic realm="a", Bearer error=invalid_token, error_description="The token expired""#,
            r#"Bearer error_description="The token expired", error="invalid_token""#,
        ] {
            assert_eq!(read(header), expected, "{header}");
        }
        assert_eq!(
            read(r#"Bearer error_description="say \"hi\"""#).1,
            r#"say "hi""#
        );
        assert_eq!(
            read(r#"Bearer realm="example""#),
            (String::new(), String::new())
        );
        assert_eq!(read(r#"Bearer realm="error=x""#).0, "");
    }

    #[test]
    fn an_empty_answer_says_the_server_answered_with_nothing() {
        for status in [200, 202, 204, 404, 429, 500, 502, 503] {
            for body in ["", " ", "\r\n", "\u{feff}"] {
                let e = read(status, body).unwrap_err();
                let seen = shown(&e);
                assert!(matches!(e, ApiError::Empty { .. }), "{status}: {e:?}");
                assert!(
                    e.short().contains("the server answered with nothing"),
                    "{seen}"
                );
                assert!(
                    e.headline().contains("The server answered with nothing"),
                    "{seen}"
                );
                assert_eq!(e.is_retryable(), is_retryable_status(status), "{status}");
            }
        }
        assert_eq!(
            read(204, "").unwrap_err().short(),
            "HTTP 204 No Content: the server answered with nothing"
        );
        assert!(matches!(
            read(200, "null").unwrap_err(),
            ApiError::Empty { .. }
        ));
    }

    #[test]
    fn an_answer_cut_off_is_a_network_failure_and_retried() {
        let documented = r#"{"accountName":"0000123456-00001","deviceFirmwarVersionList":[{"deviceId":"490154203237518","status":"FirmwareVersionUpdateSuccess"}]}"#;
        for cut in 1..documented.len() {
            let e = read(200, &documented[..cut]).unwrap_err();
            assert_eq!(e, ApiError::CutOff, "{}", &documented[..cut]);
        }
        for status in [200, 400, 502] {
            let e = ApiError::read_answer(status, None, AnswerHeaders::default()).unwrap_err();
            assert_eq!(e, ApiError::CutOff);
        }
        let e = ApiError::CutOff;
        assert!(e.is_retryable() && !e.stops_run());
        assert_eq!(e.short(), "Answer cut off before its end");
        assert!(e.headline().contains("broke off before its end"));
        assert_eq!(e.raw(), None);
    }

    #[test]
    fn a_200_that_is_not_json_says_what_it_is() {
        let login = "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form></form></body></html>";
        let e = read(200, login).unwrap_err();
        assert_eq!(
            e.headline(),
            "The answer could not be read: the server sent a web page (“Sign in”) instead of device results."
        );
        assert!(e.raw().unwrap().starts_with("It began: <!DOCTYPE html>"));
        let gzip = "\u{1f}\u{fffd}\u{8}\0\0\0\0\0\0\u{3}\u{fffd}V";
        let e = read(200, gzip).unwrap_err();
        assert!(e.headline().contains("binary data"), "{}", e.headline());
        assert_eq!(e.raw(), None, "noise is not shown");
        let text = read(200, "OK").unwrap_err();
        assert!(text.headline().contains("text that is not JSON"));
    }

    #[test]
    fn retry_after_with_a_fraction_is_rounded_up() {
        assert_eq!(RetryAfter::parse("1.5"), Some(RetryAfter::Seconds(2)));
        assert_eq!(RetryAfter::parse("2.0"), Some(RetryAfter::Seconds(2)));
        assert_eq!(RetryAfter::parse(" 0.503 "), Some(RetryAfter::Seconds(1)));
        assert_eq!(RetryAfter::parse("299.997"), Some(RetryAfter::Seconds(300)));
        for bad in ["1.2.3", ".", "-1.5", "1e3", "NaN", "inf"] {
            assert_eq!(RetryAfter::parse(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        /// No parser's words reach a user, whatever came back.
        #[test]
        fn no_parser_words_ever_reach_a_user(
            status in proptest::sample::select(vec![200u16, 201, 204, 400, 401, 403, 404, 429, 500, 502, 503]),
            body in proptest::prop_oneof![
                "\\PC{0,80}",
                "[{}\\[\\]\":,a-z0-9 ]{0,40}",
                proptest::strategy::Just(String::new()),
            ],
        ) {
            let e = match ApiError::read_answer(status, Some(&body), AnswerHeaders::default()) {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            let seen = format!("{} | {} | {}", e.headline(), e.short(), e.pause_headline());
            for word in ["EOF", "line 1", "column", "expected value", "expected `", "trailing characters", "invalid type", "key must be"] {
                proptest::prop_assert!(!seen.contains(word), "{word} in {seen}");
            }
        }
    }
}
