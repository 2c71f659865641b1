//! Answers that the front ends of ThingSpace send (its WSO2 API gateway, the FOTA service behind
//! it, nginx, an AWS load balancer, Cloudflare), kept as raw HTTP/1.1 responses in
//! `tests/fixtures/answers/*.http` and replayed by `answer` fault rules.
//!
//! A file is a status line, header lines, a blank line and the body byte for byte. When one is
//! replayed, the emulator sends its status line (reason phrase included), its headers in order and
//! its body, except that `Date` is the time of sending, `Content-Length` is computed (the file's
//! must agree), connection headers are the emulator's own, and a `Retry-After` that is an
//! HTTP-date keeps its distance from the file's `Date` (a date 60 s in the past stays 60 s in the
//! past). A rule may replace `Retry-After` (see [`Replay`]).

use std::sync::OnceLock;
use std::time::SystemTime;

use axum::http::StatusCode;

use crate::faults::RetryAfter;
use crate::fota::Answer;
use crate::timefmt::{self, HttpDateFormat};

/// Every recorded answer: its name (the file name without `.http`) and its text.
const FILES: [(&str, &str); 26] = [
    (
        "gateway-429-throttled",
        include_str!("../../fixtures/answers/gateway-429-throttled.http"),
    ),
    (
        "errorcode-429",
        include_str!("../../fixtures/answers/errorcode-429.http"),
    ),
    (
        "server-500",
        include_str!("../../fixtures/answers/server-500.http"),
    ),
    (
        "xml-403",
        include_str!("../../fixtures/answers/xml-403.http"),
    ),
    (
        "nginx-502",
        include_str!("../../fixtures/answers/nginx-502.http"),
    ),
    (
        "alb-503",
        include_str!("../../fixtures/answers/alb-503.http"),
    ),
    (
        "cloudflare-522",
        include_str!("../../fixtures/answers/cloudflare-522.http"),
    ),
    (
        "gateway-504",
        include_str!("../../fixtures/answers/gateway-504.http"),
    ),
    (
        "gateway-401-invalid",
        include_str!("../../fixtures/answers/gateway-401-invalid.http"),
    ),
    (
        "gateway-404-no-resource",
        include_str!("../../fixtures/answers/gateway-404-no-resource.http"),
    ),
    (
        "errorcode-200",
        include_str!("../../fixtures/answers/errorcode-200.http"),
    ),
    (
        "oauth-error-200",
        include_str!("../../fixtures/answers/oauth-error-200.http"),
    ),
    (
        "single-object-200",
        include_str!("../../fixtures/answers/single-object-200.http"),
    ),
    (
        "xml-converter-200",
        include_str!("../../fixtures/answers/xml-converter-200.http"),
    ),
    (
        "keys-case-200",
        include_str!("../../fixtures/answers/keys-case-200.http"),
    ),
    (
        "truncated-200",
        include_str!("../../fixtures/answers/truncated-200.http"),
    ),
    (
        "bearer-401-challenge",
        include_str!("../../fixtures/answers/bearer-401-challenge.http"),
    ),
    (
        "envoy-401-jwt",
        include_str!("../../fixtures/answers/envoy-401-jwt.http"),
    ),
    (
        "no-content-204",
        include_str!("../../fixtures/answers/no-content-204.http"),
    ),
    (
        "empty-200",
        include_str!("../../fixtures/answers/empty-200.http"),
    ),
    (
        "bom-200",
        include_str!("../../fixtures/answers/bom-200.http"),
    ),
    (
        "float-id-200",
        include_str!("../../fixtures/answers/float-id-200.http"),
    ),
    (
        "problem-json-503",
        include_str!("../../fixtures/answers/problem-json-503.http"),
    ),
    (
        "decimal-retry-after-429",
        include_str!("../../fixtures/answers/decimal-retry-after-429.http"),
    ),
    (
        "null-list-200",
        include_str!("../../fixtures/answers/null-list-200.http"),
    ),
    (
        "login-page-200",
        include_str!("../../fixtures/answers/login-page-200.http"),
    ),
];

/// Headers about the connection, not the answer: the emulator sends its own, so files have none.
const CONNECTION_HEADERS: [&str; 5] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
];

/// One answer as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The file name without `.http`, e.g. `nginx-502`.
    pub name: &'static str,
    /// The status code of the status line.
    pub status: StatusCode,
    /// The status line's reason phrase, e.g. `Origin Connection Time-out`.
    pub reason: String,
    /// Every header line, in file order, names spelled as in the file.
    pub headers: Vec<(String, String)>,
    /// Exactly the bytes after the blank line.
    pub body: String,
}

impl Recorded {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The names of every recorded answer, as `answer` rules take them.
pub fn names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(name, _)| *name)
}

/// The recorded answer called `name`, e.g. `nginx-502`.
pub fn find(name: &str) -> Option<&'static Recorded> {
    static PARSED: OnceLock<Vec<Recorded>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            FILES
                .iter()
                .map(|(name, text)| {
                    parse(name, text)
                        .unwrap_or_else(|e| panic!("fixtures/answers/{name}.http: {e}"))
                })
                .collect()
        })
        .iter()
        .find(|r| r.name == name)
}

/// Reads a raw HTTP/1.1 response: `HTTP/1.1 SSS Reason`, `Name: value` lines, a blank line, the
/// body. Lines of the head end in CRLF (a bare LF is accepted). Refuses connection headers and a
/// `Content-Length` that disagrees with the body.
pub fn parse(name: &'static str, text: &str) -> Result<Recorded, String> {
    let (head, body) = text
        .split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"))
        .ok_or("no blank line after the head")?;
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let rest = status_line
        .strip_prefix("HTTP/1.1 ")
        .ok_or_else(|| format!("`{status_line}` does not start with `HTTP/1.1 `"))?;
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = code
        .parse::<u16>()
        .ok()
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or_else(|| format!("`{code}` is not a status code"))?;
    let mut headers = Vec::new();
    for line in lines {
        let (header, value) = line
            .split_once(':')
            .ok_or_else(|| format!("`{line}` is not a header line"))?;
        if CONNECTION_HEADERS.contains(&header.to_ascii_lowercase().as_str()) {
            return Err(format!("`{header}` is the emulator's to send"));
        }
        headers.push((header.to_string(), value.trim().to_string()));
    }
    let recorded = Recorded {
        name,
        status,
        reason: reason.to_string(),
        headers,
        body: body.to_string(),
    };
    if recorded.header("content-type").is_none() && !recorded.body.is_empty() {
        return Err("a body without a Content-Type".into());
    }
    if let Some(length) = recorded.header("content-length") {
        if length != recorded.body.len().to_string() {
            return Err(format!(
                "Content-Length {length}, but the body has {} bytes",
                recorded.body.len()
            ));
        }
    }
    Ok(recorded)
}

/// A recorded answer as a rule replays it, with its `Retry-After` as the rule says.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// The file replayed.
    pub recorded: &'static Recorded,
    /// Replaces the file's `Retry-After` (or adds one) when set.
    pub retry_after: Option<RetryAfter>,
    /// Without `retry_after`: the form the file's HTTP-date `Retry-After` is sent in.
    pub date_format: Option<HttpDateFormat>,
}

impl Replay {
    /// A replay of `name` with the rule's `Retry-After` settings; refuses a `date_format` alone
    /// when the file's `Retry-After` is not an HTTP-date.
    pub fn new(
        name: &str,
        retry_after: Option<RetryAfter>,
        date_format: Option<HttpDateFormat>,
    ) -> Result<Self, String> {
        let recorded = find(name).ok_or_else(|| {
            format!(
                "no recorded answer `{name}` (one of: {})",
                names().collect::<Vec<_>>().join(", ")
            )
        })?;
        if retry_after.is_none() && date_format.is_some() && recorded_date(recorded).is_none() {
            return Err(format!(
                "`{name}` has no Retry-After date to reformat: give `retryAfterDate` too"
            ));
        }
        Ok(Self {
            recorded,
            retry_after,
            date_format,
        })
    }

    /// The answer to send at `now`.
    pub fn answer(&self, now: SystemTime) -> Answer {
        let recorded = self.recorded;
        let mut answer = Answer::new(
            recorded.status,
            recorded.header("content-type").unwrap_or_default(),
            recorded.body.clone(),
        );
        answer.reason = Some(recorded.reason.clone());
        let mut sent_retry_after = false;
        for (name, value) in &recorded.headers {
            let value = match name.to_ascii_lowercase().as_str() {
                // Sent by the HTTP layer: the time of sending, the body's length.
                "content-type" | "date" | "content-length" => continue,
                "retry-after" => {
                    sent_retry_after = true;
                    self.retry_after_value(value, now)
                }
                _ => value.clone(),
            };
            answer.headers.push((name.clone(), value));
        }
        if let (false, Some(retry_after)) = (sent_retry_after, &self.retry_after) {
            answer
                .headers
                .push(("Retry-After".into(), retry_after.render(now)));
        }
        answer
    }

    fn retry_after_value(&self, recorded_value: &str, now: SystemTime) -> String {
        if let Some(retry_after) = &self.retry_after {
            return retry_after.render(now);
        }
        match recorded_date(self.recorded) {
            Some((secs_after_date, format)) => timefmt::http_date(
                timefmt::unix_secs(now) + secs_after_date,
                self.date_format.unwrap_or(format),
            ),
            None => recorded_value.to_string(),
        }
    }
}

/// When the file's `Retry-After` is an HTTP-date and it has a `Date`: how many seconds the first
/// is after the second (negative: before), and the form it is written in.
fn recorded_date(recorded: &Recorded) -> Option<(i64, HttpDateFormat)> {
    let retry_after = recorded.header("retry-after")?;
    let when = httpdate::parse_http_date(retry_after).ok()?;
    let date = httpdate::parse_http_date(recorded.header("date")?).ok()?;
    Some((
        timefmt::unix_secs(when) - timefmt::unix_secs(date),
        HttpDateFormat::of(retry_after),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<&'static Recorded> {
        names().map(|n| find(n).unwrap()).collect()
    }

    #[test]
    fn every_file_parses_and_its_length_agrees() {
        for recorded in all() {
            // A 204 has no Content-Length (RFC 9110 §8.6).
            if recorded.status == StatusCode::NO_CONTENT {
                assert!(recorded.header("content-length").is_none());
                assert!(recorded.body.is_empty());
                continue;
            }
            let length = recorded.header("content-length").unwrap();
            assert_eq!(length, recorded.body.len().to_string(), "{}", recorded.name);
            assert!(
                httpdate::parse_http_date(recorded.header("date").unwrap()).is_ok(),
                "{}",
                recorded.name
            );
        }
    }

    #[test]
    fn heads_use_crlf_as_on_the_wire() {
        for (name, text) in FILES {
            let head = text.split_once("\r\n\r\n").unwrap().0;
            assert!(!head.replace("\r\n", "").contains('\n'), "{name}");
        }
    }

    #[test]
    fn status_lines_keep_their_own_reason_phrases() {
        let reason = |name| find(name).unwrap().reason.as_str();
        assert_eq!(reason("cloudflare-522"), "Origin Connection Time-out");
        assert_eq!(reason("alb-503"), "Service Temporarily Unavailable");
        assert_eq!(reason("nginx-502"), "Bad Gateway");
        assert_eq!(find("cloudflare-522").unwrap().status.as_u16(), 522);
    }

    #[test]
    fn bodies_are_kept_byte_for_byte() {
        assert_eq!(
            find("nginx-502").unwrap().body,
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
             <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
             </body>\r\n</html>\r\n"
        );
        let xml = &find("xml-403").unwrap().body;
        assert!(xml.ends_with("<am:description>Resource forbidden </am:description></am:fault>"));
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        for (text, needle) in [
            ("HTTP/1.1 200 OK\r\nContent-Type: x\r\n", "no blank line"),
            ("HTTP/2 200\r\nContent-Type: x\r\n\r\n", "HTTP/1.1"),
            ("HTTP/1.1 abc\r\nContent-Type: x\r\n\r\n", "not a status"),
            ("HTTP/1.1 200 OK\r\nbroken\r\n\r\n", "not a header line"),
            (
                "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nab",
                "without a Content-Type",
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Type: x\r\nConnection: close\r\n\r\n",
                "emulator's",
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Type: x\r\nContent-Length: 3\r\n\r\nab",
                "2 bytes",
            ),
        ] {
            let error = parse("t", text).unwrap_err();
            assert!(error.contains(needle), "{text:?}: {error}");
        }
        let lf = parse("t", "HTTP/1.1 418 I'm a teapot\nContent-Type: x\n\nbody\n").unwrap();
        assert_eq!((lf.status.as_u16(), lf.body.as_str()), (418, "body\n"));
    }

    #[test]
    fn a_replay_sends_the_file_with_date_and_length_left_to_the_http_layer() {
        let replay = Replay::new("cloudflare-522", None, None).unwrap();
        let answer = replay.answer(SystemTime::now());
        let recorded = replay.recorded;
        assert_eq!(answer.status.as_u16(), 522);
        assert_eq!(answer.reason.as_deref(), Some("Origin Connection Time-out"));
        assert_eq!(answer.content_type, "text/html; charset=UTF-8");
        assert_eq!(answer.body, recorded.body);
        let expected: Vec<_> = recorded
            .headers
            .iter()
            .filter(|(n, _)| !["Date", "Content-Length", "Content-Type"].contains(&n.as_str()))
            .cloned()
            .collect();
        assert_eq!(answer.headers, expected);
        assert_eq!(answer.retry_after, None);
    }

    fn retry_after(answer: &Answer) -> Option<&str> {
        answer
            .headers
            .iter()
            .find(|(n, _)| n == "Retry-After")
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_recorded_retry_after_date_keeps_its_distance_from_the_date() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        let answer = Replay::new("alb-503", None, None).unwrap().answer(now);
        // The file's Retry-After is 60 s before its Date.
        assert_eq!(retry_after(&answer), Some("Sun, 06 Nov 1994 08:48:37 GMT"));
        let answer = Replay::new("alb-503", None, Some(HttpDateFormat::Asctime))
            .unwrap()
            .answer(now);
        assert_eq!(retry_after(&answer), Some("Sun Nov  6 08:48:37 1994"));
    }

    #[test]
    fn a_rule_replaces_or_adds_retry_after() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        let date = |secs, format| RetryAfter::Date { secs, format };
        for (name, rule, expected) in [
            (
                "gateway-429-throttled",
                RetryAfter::Verbatim("7".into()),
                "7",
            ),
            (
                "alb-503",
                date(-30, HttpDateFormat::Rfc850),
                "Sunday, 06-Nov-94 08:49:07 GMT",
            ),
            (
                "nginx-502",
                date(5, HttpDateFormat::Imf),
                "Sun, 06 Nov 1994 08:49:42 GMT",
            ),
        ] {
            let answer = Replay::new(name, Some(rule), None).unwrap().answer(now);
            assert_eq!(retry_after(&answer), Some(expected), "{name}");
            let count = answer
                .headers
                .iter()
                .filter(|(n, _)| n == "Retry-After")
                .count();
            assert_eq!(count, 1, "{name}");
        }
    }

    #[test]
    fn replays_of_unknown_files_or_dateless_reformats_are_refused() {
        let error = Replay::new("iis-500", None, None).unwrap_err();
        assert!(error.contains("nginx-502"), "{error}");
        let error = Replay::new("errorcode-429", None, Some(HttpDateFormat::Imf)).unwrap_err();
        assert!(error.contains("retryAfterDate"), "{error}");
    }
}
