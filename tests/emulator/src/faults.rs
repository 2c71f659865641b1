//! Fault injection: rules that say what goes wrong (`Fault`) and when (`When`), their two
//! spellings (JSON for the control API, `KIND:key=value` for `--fault`), and the global latency.

use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::answers::{self, Replay};
use crate::fota::{Answer, Keys, Rejection, Shape, TimeStyle};
use crate::timefmt::{self, HttpDateFormat};

/// How long a `hang` holds a connection unless told otherwise: 10 minutes.
const DEFAULT_HANG_MS: u64 = 600_000;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Wait `ms` plus up to `jitter_ms`, then answer normally.
    Latency {
        /// The fixed part of the wait.
        ms: u64,
        /// The most added to it at random.
        jitter_ms: u64,
    },
    /// Any status with any body.
    Status(Canned),
    /// One of ThingSpace's documented refusals, whatever the request.
    Reject(Rejection),
    /// Never answer; close the connection after `ms`.
    Hang {
        /// How long the connection is held.
        ms: u64,
    },
    /// Close the connection without an HTTP answer.
    Drop,
    /// The normal answer's body cut in half (the status stays).
    Truncated,
    /// The normal answer's status and headers and the first half of its body, chunked; then the
    /// connection drops before the last chunk (a proxy or upstream dying mid-answer).
    Cut,
    /// 200 with an HTML page.
    NotJson,
    /// 200, but some devices are left out.
    Omit(Omission),
    /// 200 with other spellings of the keys, other times, `null`s or numeric ids.
    Variant(Shape),
    /// An answer recorded from a real front end (`tests/fixtures/answers/`).
    Answer(Replay),
}

/// A fixed answer; `Retry-After` is rendered when the answer is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Canned {
    /// The status answered.
    pub status: StatusCode,
    /// The `Content-Type` header.
    pub content_type: String,
    /// The body, sent as is.
    pub body: String,
    /// A `Retry-After` header, if any.
    pub retry_after: Option<RetryAfter>,
}

/// A `Retry-After` a rule asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum RetryAfter {
    /// Sent as is (`"2"`, or an HTTP-date, or garbage to test the app).
    Verbatim(String),
    /// An HTTP-date `secs` seconds after the answer is sent (before it, when negative).
    Date {
        /// Seconds from the moment the answer is sent; negative for a date in the past.
        secs: i64,
        /// Which of the three HTTP-date forms.
        format: HttpDateFormat,
    },
}

impl RetryAfter {
    /// The header value for an answer sent at `now`.
    pub fn render(&self, now: SystemTime) -> String {
        match self {
            Self::Verbatim(value) => value.clone(),
            Self::Date { secs, format } => {
                timefmt::http_date(timefmt::unix_secs(now) + secs, *format)
            }
        }
    }
}

impl Canned {
    /// The answer, its `Retry-After` rendered for now.
    pub fn answer(&self) -> Answer {
        let mut answer = Answer::new(self.status, &self.content_type, self.body.clone());
        answer.retry_after = self
            .retry_after
            .as_ref()
            .map(|r| r.render(SystemTime::now()));
        answer
    }
}

/// Which devices an `omit` leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Omission {
    /// The k-th, 2k-th, ... device (k = 2: every other one).
    Every(usize),
    /// The last n devices.
    Last(usize),
}

impl Omission {
    /// The devices left in the answer, in order.
    pub fn apply(self, devices: &[String]) -> Vec<String> {
        let keep = |i: usize| match self {
            Self::Every(k) => !(i + 1).is_multiple_of(k),
            Self::Last(n) => i + n < devices.len(),
        };
        devices
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, imei)| imei.clone())
            .collect()
    }
}

/// When a rule applies. A rule counts the requests that reach it (no earlier rule applied, and
/// the account matches); it lets the first `skip` pass, then applies to a `share` of the rest,
/// until it has applied `times` times.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct When {
    /// Apply at most this many times (`None`: forever).
    pub times: Option<u64>,
    /// Let this many requests through first.
    pub skip: u64,
    /// Parts per million; `share = 0.25` applies to the 4th, 8th, ... request after `skip`.
    pub share_ppm: Option<u64>,
    /// Only requests for this account count.
    pub account: Option<String>,
}

/// A fault and when it applies, with the JSON it was made from (the control API echoes it).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// What goes wrong.
    pub fault: Fault,
    /// When it does.
    pub when: When,
    /// The rule as posted (or as the `--fault` text reads in JSON).
    pub spec: Value,
}

/// The JSON form of a rule besides `kind`; see the README for each key.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    times: Option<u64>,
    skip: Option<u64>,
    share: Option<f64>,
    account: Option<String>,
    ms: Option<u64>,
    jitter_ms: Option<u64>,
    status: Option<u16>,
    body: Option<String>,
    content_type: Option<String>,
    retry_after: Option<NumberOrString>,
    retry_after_date: Option<i64>,
    retry_after_format: Option<String>,
    file: Option<String>,
    every: Option<usize>,
    count: Option<usize>,
    time: Option<String>,
    keys: Option<String>,
    nulls: Option<bool>,
    numeric_id: Option<bool>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(u64),
    String(String),
}

impl std::fmt::Display for NumberOrString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => f.write_str(s),
        }
    }
}

const WHEN_KEYS: [&str; 5] = ["kind", "times", "skip", "share", "account"];

/// What a replayed answer takes: its `Retry-After`.
const REPLAY_KEYS: [&str; 3] = ["retryAfter", "retryAfterDate", "retryAfterFormat"];

/// Keys a kind takes besides [`WHEN_KEYS`].
fn kind_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "latency" => &["ms", "jitterMs"],
        "status" => &[
            "status",
            "body",
            "contentType",
            "retryAfter",
            "retryAfterDate",
            "retryAfterFormat",
        ],
        "hang" => &["ms"],
        "omit" => &["every", "count"],
        "variant" => &["time", "keys", "every", "nulls", "numericId"],
        "answer" => &["file", "retryAfter", "retryAfterDate", "retryAfterFormat"],
        "xml403" => &REPLAY_KEYS,
        "drop" | "truncated" | "cut" | "not_json" | "session_missing" | "session_expired"
        | "session_invalid" | "bearer_missing" | "bearer_invalid" | "inactive" | "not_found" => &[],
        name if answers::find(name).is_some() => &REPLAY_KEYS,
        _ => return None,
    })
}

impl FaultRule {
    /// A rule from its JSON form, e.g. `{"kind": 503, "skip": 1, "times": 1}`.
    pub fn from_json(spec: Value) -> Result<Self, String> {
        let object = spec.as_object().ok_or("a fault rule is a JSON object")?;
        let kind = match object.get("kind") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => return Err("`kind` is missing (a kind name or an HTTP status)".into()),
        };
        let status_code = kind.parse::<u16>().ok();
        let allowed = kind_keys(if status_code.is_some() {
            "status"
        } else {
            &kind
        })
        .ok_or_else(|| format!("unknown fault kind `{kind}`"))?;
        if let Some(key) = object
            .keys()
            .find(|k| !WHEN_KEYS.contains(&k.as_str()) && !allowed.contains(&k.as_str()))
        {
            return Err(format!("`{key}` does not apply to kind `{kind}`"));
        }
        let parsed: Spec = serde_json::from_value(spec.clone()).map_err(|e| e.to_string())?;
        let when = When {
            times: parsed.times,
            skip: parsed.skip.unwrap_or(0),
            share_ppm: parsed.share.map(share_ppm).transpose()?,
            account: parsed.account.clone(),
        };
        let fault = match status_code {
            Some(code) => status_fault(Some(code), parsed)?,
            None => named_fault(&kind, parsed)?,
        };
        Ok(Self { fault, when, spec })
    }

    /// A rule from the `--fault` grammar: `KIND(:KEY=VALUE)*`, e.g. `503:times=1:skip=1`.
    /// Keys are the JSON keys, also in kebab-case (`retry-after`); values that read as numbers
    /// are numbers, except `account` and `body`, and `true` and `false` are booleans.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = text.split(':');
        let kind = parts.next().unwrap_or_default();
        let mut object = Map::new();
        object.insert("kind".into(), Value::String(kind.to_string()));
        for part in parts {
            let (key, raw) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` is not KEY=VALUE"))?;
            let key = camel_case(key);
            let value = match (key.as_str(), raw.parse::<f64>()) {
                ("account" | "body", _) => Value::String(raw.to_string()),
                (_, Err(_)) => match raw {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => Value::String(raw.to_string()),
                },
                (_, Ok(_)) => serde_json::from_str(raw).map_err(|e| format!("{key}: {e}"))?,
            };
            object.insert(key, value);
        }
        Self::from_json(Value::Object(object)).map_err(|e| format!("fault `{text}`: {e}"))
    }

    /// The name of the kind, as the request log reports it.
    pub fn kind_name(&self) -> String {
        match &self.spec["kind"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

fn share_ppm(share: f64) -> Result<u64, String> {
    if share > 0.0 && share <= 1.0 {
        Ok((share * 1_000_000.0).round() as u64)
    } else {
        Err(format!("share {share} is not in (0, 1]"))
    }
}

fn camel_case(key: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in key.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn named_fault(kind: &str, spec: Spec) -> Result<Fault, String> {
    Ok(match kind {
        "latency" => Fault::Latency {
            ms: spec.ms.ok_or("latency needs `ms`")?,
            jitter_ms: spec.jitter_ms.unwrap_or(0),
        },
        "status" => status_fault(None, spec)?,
        "hang" => Fault::Hang {
            ms: spec.ms.unwrap_or(DEFAULT_HANG_MS),
        },
        "drop" => Fault::Drop,
        "truncated" => Fault::Truncated,
        "cut" => Fault::Cut,
        "not_json" => Fault::NotJson,
        "omit" => Fault::Omit(match (spec.every, spec.count) {
            (Some(_), Some(_)) => return Err("omit takes `every` or `count`, not both".into()),
            (Some(k), None) if k >= 1 => Omission::Every(k),
            (Some(_), None) => return Err("`every` must be at least 1".into()),
            (None, Some(n)) => Omission::Last(n),
            (None, None) => Omission::Every(2),
        }),
        "variant" => Fault::Variant(variant_shape(&spec)?),
        "answer" => {
            let file = spec.file.clone().ok_or_else(|| {
                format!(
                    "answer needs `file`, one of: {}",
                    answers::names().collect::<Vec<_>>().join(", ")
                )
            })?;
            replay_fault(&file, spec)?
        }
        "xml403" => replay_fault("xml-403", spec)?,
        "session_missing" => Fault::Reject(Rejection::SessionMissing),
        "session_expired" => Fault::Reject(Rejection::SessionExpired),
        "session_invalid" => Fault::Reject(Rejection::SessionInvalid),
        "bearer_missing" => Fault::Reject(Rejection::MissingCredentials),
        "bearer_invalid" => Fault::Reject(Rejection::InvalidCredentials),
        "inactive" => Fault::Reject(Rejection::InvalidParameter("Inactive account")),
        "not_found" => Fault::Reject(Rejection::NoMatchingResource),
        name if answers::find(name).is_some() => replay_fault(name, spec)?,
        other => return Err(format!("unknown fault kind `{other}`")),
    })
}

/// The 200 answer a `variant` rule asks for: SDK spellings unless `keys` is `documented`.
fn variant_shape(spec: &Spec) -> Result<Shape, String> {
    let keys = match spec.keys.as_deref().unwrap_or("sdk") {
        "sdk" => Keys::Sdk,
        "documented" => Keys::Documented,
        other => return Err(format!("keys `{other}` is not sdk or documented")),
    };
    let time = match spec.time.as_deref() {
        None => keys.default_time(),
        Some(name) => TimeStyle::from_name(name).ok_or_else(|| {
            format!(
                "time `{name}` is not one of {}",
                TimeStyle::NAMES.join(", ")
            )
        })?,
    };
    let every = spec.every.unwrap_or(1);
    if every == 0 {
        return Err("`every` must be at least 1".into());
    }
    Ok(Shape {
        keys,
        time,
        every,
        nulls: spec.nulls.unwrap_or(false),
        numeric_id: spec.numeric_id.unwrap_or(false),
    })
}

/// A `Retry-After` from `retryAfter` (verbatim) or `retryAfterDate` (seconds from the answer),
/// and a `retryAfterFormat` the caller still has to use when neither was given.
fn retry_after(spec: &Spec) -> Result<(Option<RetryAfter>, Option<HttpDateFormat>), String> {
    let format = spec
        .retry_after_format
        .as_deref()
        .map(|name| {
            HttpDateFormat::from_name(name)
                .ok_or_else(|| format!("retryAfterFormat `{name}` is not imf, rfc850 or asctime"))
        })
        .transpose()?;
    Ok(match (&spec.retry_after, spec.retry_after_date, format) {
        (Some(_), Some(_), _) => {
            return Err("give `retryAfter` or `retryAfterDate`, not both".into())
        }
        (Some(_), None, Some(_)) => {
            return Err("`retryAfterFormat` goes with `retryAfterDate`, not `retryAfter`".into())
        }
        (Some(value), None, None) => (Some(RetryAfter::Verbatim(value.to_string())), None),
        (None, Some(secs), format) => (
            Some(RetryAfter::Date {
                secs,
                format: format.unwrap_or_default(),
            }),
            None,
        ),
        (None, None, format) => (None, format),
    })
}

fn replay_fault(file: &str, spec: Spec) -> Result<Fault, String> {
    let (retry_after, date_format) = retry_after(&spec)?;
    Ok(Fault::Answer(Replay::new(file, retry_after, date_format)?))
}

/// A `status` fault; the code comes from the kind (`"503"`) or from `status`.
fn status_fault(code: Option<u16>, spec: Spec) -> Result<Fault, String> {
    let code = code.or(spec.status).ok_or("status needs `status`")?;
    let status = StatusCode::from_u16(code)
        .ok()
        .filter(|s| s.as_u16() >= 200)
        .ok_or_else(|| format!("{code} is not an HTTP status"))?;
    let retry_after = match retry_after(&spec)? {
        (_, Some(_)) => return Err("`retryAfterFormat` goes with `retryAfterDate`".into()),
        (retry_after, None) => retry_after,
    };
    let (content_type, body) = match (spec.content_type, spec.body) {
        (content_type, Some(body)) => (
            content_type.unwrap_or_else(|| "application/json".into()),
            body,
        ),
        (_, None) => ("text/html".into(), html_page(status)),
    };
    Ok(Fault::Status(Canned {
        status,
        content_type,
        body,
        retry_after,
    }))
}

/// What a proxy sends: `<html><body><h1>502 Bad Gateway</h1></body></html>`.
fn html_page(status: StatusCode) -> String {
    format!(
        "<html><body><h1>{} {}</h1></body></html>",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    )
}

/// The page a `not_json` fault answers with, as a captive portal or a login wall would.
pub const NOT_JSON_PAGE: &str = "<!DOCTYPE html><html><head><title>Sign in</title></head>\
<body><h1>Please sign in to continue</h1></body></html>";

/// The rules in force, in order, with their counters.
#[derive(Debug, Default)]
pub struct Rules {
    entries: Vec<Entry>,
    next_id: u64,
}

#[derive(Debug)]
struct Entry {
    id: u64,
    rule: FaultRule,
    seen: u64,
    applied: u64,
}

impl Rules {
    /// Appends a rule and returns its id.
    pub fn add(&mut self, rule: FaultRule) -> u64 {
        self.next_id += 1;
        self.entries.push(Entry {
            id: self.next_id,
            rule,
            seen: 0,
            applied: 0,
        });
        self.next_id
    }

    /// The first rule that applies to a request for `account`, with its id; counts it.
    pub fn pick(&mut self, account: &str) -> Option<(u64, &FaultRule)> {
        for entry in &mut self.entries {
            let when = &entry.rule.when;
            if when.times.is_some_and(|times| entry.applied >= times)
                || when.account.as_deref().is_some_and(|a| a != account)
            {
                continue;
            }
            let index = entry.seen;
            entry.seen += 1;
            let Some(n) = index.checked_sub(when.skip) else {
                continue;
            };
            if when
                .share_ppm
                .is_some_and(|ppm| (n + 1) * ppm / 1_000_000 == n * ppm / 1_000_000)
            {
                continue;
            }
            entry.applied += 1;
            return Some((entry.id, &entry.rule));
        }
        None
    }

    /// The rules as the control API lists them.
    pub fn to_json(&self) -> Value {
        self.entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "id": e.id,
                    "rule": e.rule.spec,
                    "seen": e.seen,
                    "applied": e.applied,
                })
            })
            .collect()
    }
}

/// A delay added to every FOTA request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Latency {
    /// The fixed delay.
    pub ms: u64,
    /// The most added to it at random.
    #[serde(default)]
    pub jitter_ms: u64,
}

impl Latency {
    /// This request's delay, its jitter drawn from `rng`.
    pub fn delay(self, rng: &mut Jitter) -> Duration {
        let jitter = if self.jitter_ms == 0 {
            0
        } else {
            rng.next_u64() % (self.jitter_ms + 1)
        };
        Duration::from_millis(self.ms + jitter)
    }
}

/// SplitMix64 with a fixed seed: jitter varies, yet a run can be repeated exactly.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Default for Jitter {
    fn default() -> Self {
        Self(0x5eed)
    }
}

impl Jitter {
    /// The next pseudo-random number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ACCOUNT: &str = "0000123456-00001";

    fn rules(specs: &[&str]) -> Rules {
        let mut rules = Rules::default();
        for spec in specs {
            rules.add(FaultRule::parse(spec).unwrap());
        }
        rules
    }

    /// Which rule id applied to each of `n` requests (0 = none).
    fn run(rules: &mut Rules, n: usize, account: &str) -> Vec<u64> {
        (0..n)
            .map(|_| rules.pick(account).map_or(0, |(id, _)| id))
            .collect()
    }

    #[test]
    fn the_cli_grammar_reads_the_documented_examples() {
        let rule = FaultRule::parse("503:times=1:skip=1").unwrap();
        assert_eq!(rule.when.times, Some(1));
        assert_eq!(rule.when.skip, 1);
        assert!(
            matches!(&rule.fault, Fault::Status(c) if c.status == 503 && c.body.contains("503 Service Unavailable"))
        );

        let rule = FaultRule::parse("429:retry-after=2").unwrap();
        let Fault::Status(canned) = &rule.fault else {
            panic!("{rule:?}")
        };
        assert_eq!(canned.answer().retry_after.as_deref(), Some("2"));

        let rule = FaultRule::parse("drop:share=0.25").unwrap();
        assert_eq!(
            (rule.fault, rule.when.share_ppm),
            (Fault::Drop, Some(250_000))
        );

        let rule = FaultRule::parse("omit:account=0000123456-00001").unwrap();
        assert_eq!(rule.fault, Fault::Omit(Omission::Every(2)));
        assert_eq!(rule.when.account.as_deref(), Some(ACCOUNT));

        let rule = FaultRule::parse("latency:ms=300:jitter-ms=50").unwrap();
        assert_eq!(
            rule.fault,
            Fault::Latency {
                ms: 300,
                jitter_ms: 50
            }
        );
    }

    #[test]
    fn the_cli_and_json_forms_agree() {
        let cli = FaultRule::parse("status:status=429:retry-after-date=5:times=2").unwrap();
        let json = FaultRule::from_json(
            json!({"kind": "status", "status": 429, "retryAfterDate": 5, "times": 2}),
        )
        .unwrap();
        assert_eq!((cli.fault, cli.when), (json.fault, json.when));
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        for (spec, needle) in [
            ("explode", "unknown fault kind"),
            ("drop:ms=5", "does not apply"),
            ("drop:share=0", "not in (0, 1]"),
            ("drop:share=1.5", "not in (0, 1]"),
            ("latency", "needs `ms`"),
            ("99", "not an HTTP status"),
            ("omit:every=2:count=1", "not both"),
            ("variant:time=unix", "not one of rfc3339"),
            ("variant:keys=portal", "not sdk or documented"),
            ("variant:every=0", "at least 1"),
            ("variant:nulls=yes", "expected a boolean"),
            ("drop:times", "KEY=VALUE"),
            ("answer", "needs `file`, one of: gateway-429-throttled"),
            ("answer:file=iis-500", "no recorded answer `iis-500`"),
            ("nginx-502:file=alb-503", "does not apply"),
            ("nginx-502:body=x", "does not apply"),
            ("alb-503:retry-after=1:retry-after-date=2", "not both"),
            (
                "alb-503:retry-after=1:retry-after-format=imf",
                "goes with `retryAfterDate`",
            ),
            (
                "alb-503:retry-after-format=http",
                "not imf, rfc850 or asctime",
            ),
            ("nginx-502:retry-after-format=imf", "no Retry-After date"),
            ("503:retry-after-format=imf", "goes with `retryAfterDate`"),
        ] {
            let error = FaultRule::parse(spec).unwrap_err();
            assert!(error.contains(needle), "{spec}: {error}");
        }
        assert!(FaultRule::from_json(json!({"times": 1})).is_err());
        assert!(FaultRule::from_json(json!("drop")).is_err());
    }

    #[test]
    fn custom_status_bodies_default_to_json() {
        let rule = FaultRule::from_json(json!({"kind": 418, "body": "{\"x\":1}"})).unwrap();
        let Fault::Status(canned) = rule.fault else {
            panic!()
        };
        assert_eq!(canned.content_type, "application/json");
        assert_eq!(canned.answer().body, "{\"x\":1}");
    }

    #[test]
    fn retry_after_date_is_an_http_date_in_the_future() {
        let rule = FaultRule::parse("429:retry-after-date=30").unwrap();
        let Fault::Status(canned) = rule.fault else {
            panic!()
        };
        let value = canned.answer().retry_after.unwrap();
        let when = httpdate::parse_http_date(&value).unwrap();
        assert!(
            when > SystemTime::now() + Duration::from_secs(25),
            "{value}"
        );
    }

    #[test]
    fn recorded_answers_are_named_by_file_or_by_kind() {
        let by_file = FaultRule::parse("answer:file=nginx-502:times=1").unwrap();
        let by_kind = FaultRule::parse("nginx-502:times=1").unwrap();
        let json = FaultRule::from_json(json!({"kind": "answer", "file": "nginx-502", "times": 1}))
            .unwrap();
        assert_eq!(by_file.fault, by_kind.fault);
        assert_eq!((&by_file.fault, &by_file.when), (&json.fault, &json.when));
        let Fault::Answer(replay) = &by_file.fault else {
            panic!("{by_file:?}")
        };
        assert_eq!(replay.recorded.name, "nginx-502");
        assert_eq!(by_kind.kind_name(), "nginx-502");
        for name in answers::names() {
            assert!(FaultRule::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn xml403_is_the_recorded_wso2_fault() {
        let Fault::Answer(replay) = FaultRule::parse("xml403").unwrap().fault else {
            panic!()
        };
        assert_eq!(replay.recorded.name, "xml-403");
        let answer = replay.answer(SystemTime::now());
        assert_eq!(
            (answer.status.as_u16(), answer.content_type.as_str()),
            (403, "application/xml")
        );
    }

    #[test]
    fn retry_after_takes_seconds_dates_either_way_and_three_formats() {
        let rule = |spec: &str| {
            let rule = FaultRule::parse(spec).unwrap();
            match rule.fault {
                Fault::Answer(replay) => (replay.retry_after, replay.date_format),
                Fault::Status(canned) => (canned.retry_after, None),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            rule("alb-503:retry-after-date=-30:retry-after-format=rfc850"),
            (
                Some(RetryAfter::Date {
                    secs: -30,
                    format: HttpDateFormat::Rfc850
                }),
                None
            )
        );
        assert_eq!(
            rule("alb-503:retry-after-format=asctime"),
            (None, Some(HttpDateFormat::Asctime))
        );
        assert_eq!(
            rule("answer:file=gateway-429-throttled:retry-after=5"),
            (Some(RetryAfter::Verbatim("5".into())), None)
        );
        assert_eq!(
            rule("503:retry-after-date=-5"),
            (
                Some(RetryAfter::Date {
                    secs: -5,
                    format: HttpDateFormat::Imf
                }),
                None
            )
        );
        let Fault::Status(canned) =
            FaultRule::parse("429:retry-after-date=-60:retry-after-format=asctime")
                .unwrap()
                .fault
        else {
            panic!()
        };
        let value = canned.answer().retry_after.unwrap();
        let when = httpdate::parse_http_date(&value).unwrap();
        assert!(
            when < SystemTime::now() - Duration::from_secs(55),
            "{value}"
        );
        assert!(!value.contains(',') && !value.ends_with("GMT"), "{value}");
    }

    #[test]
    fn variants_read_their_keys() {
        let shape = |spec: &str| match FaultRule::parse(spec).unwrap().fault {
            Fault::Variant(shape) => shape,
            other => panic!("{other:?}"),
        };
        assert_eq!(shape("variant"), Shape::sdk(TimeStyle::Rfc3339));
        assert_eq!(shape("variant:time=go"), Shape::sdk(TimeStyle::Go));
        assert_eq!(
            shape("variant:keys=documented"),
            Shape::DOCUMENTED,
            "the documented keys with their own time"
        );
        assert_eq!(
            shape("variant:keys=documented:time=go-zero-lmt:every=2:nulls=true:numeric-id=true"),
            Shape {
                keys: Keys::Documented,
                time: TimeStyle::GoZeroLmt,
                every: 2,
                nulls: true,
                numeric_id: true,
            }
        );
        let json = FaultRule::from_json(
            json!({"kind": "variant", "time": "go-zero", "numericId": true, "nulls": false}),
        )
        .unwrap();
        assert_eq!(
            json.fault,
            Fault::Variant(Shape {
                numeric_id: true,
                ..Shape::sdk(TimeStyle::GoZero)
            })
        );
    }

    #[test]
    fn skip_then_times() {
        let mut r = rules(&["503:skip=1:times=1"]);
        assert_eq!(run(&mut r, 4, ACCOUNT), [0, 1, 0, 0]);
    }

    #[test]
    fn share_applies_to_every_kth_request() {
        let mut r = rules(&["drop:share=0.25"]);
        assert_eq!(run(&mut r, 8, ACCOUNT), [0, 0, 0, 1, 0, 0, 0, 1]);
        let mut r = rules(&["drop:share=0.5:skip=1:times=2"]);
        assert_eq!(run(&mut r, 7, ACCOUNT), [0, 0, 1, 0, 1, 0, 0]);
    }

    #[test]
    fn account_rules_ignore_other_accounts() {
        let mut r = rules(&["omit:account=0000123456-00001:times=1"]);
        assert_eq!(run(&mut r, 2, "0000654321-00001"), [0, 0]);
        assert_eq!(run(&mut r, 2, ACCOUNT), [1, 0]);
    }

    #[test]
    fn the_first_applying_rule_wins_and_later_ones_count_what_reaches_them() {
        let mut r = rules(&["503:times=2", "drop:skip=1"]);
        assert_eq!(run(&mut r, 5, ACCOUNT), [1, 1, 0, 2, 2]);
    }

    #[test]
    fn omission_leaves_out_every_kth_or_the_last_n() {
        let devices: Vec<String> = (1..=5).map(|i| i.to_string()).collect();
        assert_eq!(Omission::Every(2).apply(&devices), ["1", "3", "5"]);
        assert_eq!(Omission::Last(2).apply(&devices), ["1", "2", "3"]);
        assert_eq!(Omission::Last(9).apply(&devices), Vec::<String>::new());
    }

    #[test]
    fn jitter_stays_within_bounds_and_repeats() {
        let latency = Latency {
            ms: 50,
            jitter_ms: 10,
        };
        let delays: Vec<_> = (0..100)
            .scan(Jitter::default(), |rng, _| Some(latency.delay(rng)))
            .collect();
        assert!(delays.iter().all(|d| (50..=60).contains(&d.as_millis())));
        assert!(delays.iter().any(|d| *d != delays[0]));
        let again: Vec<_> = (0..100)
            .scan(Jitter::default(), |rng, _| Some(latency.delay(rng)))
            .collect();
        assert_eq!(delays, again);
    }
}
