//! What a run leaves as evidence for a support ticket or a script: the log of its requests,
//! any request as a `curl` command without its tokens, and the whole result set as JSON.

use super::fota::{UpdateTime, BEARER_HEADER, JSON_HEADERS, SESSION_TOKEN_HEADER};
use super::imei::Imei;
use super::outcome::{Outcome, Summary};
use super::run::RunSettings;
use super::time::format_rfc3339_millis;

/// Most bytes of an answer body a [`RequestRecord`] keeps: 64 KiB.
pub const ANSWER_CAP_BYTES: usize = 65_536;

/// The shell variables `curl` reads the tokens from.
pub const BEARER_TOKEN_VARIABLE: &str = "THINGSPACE_BEARER_TOKEN";
pub const SESSION_TOKEN_VARIABLE: &str = "THINGSPACE_SESSION_TOKEN";

/// One request of a run, as the request log shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestRecord {
    /// The batch's number in the run, from 0.
    pub batch: usize,
    /// The try of that batch, from 1.
    pub attempt: u32,
    /// Devices in the request.
    pub devices: usize,
    /// The HTTP status; `None` when no answer came (network, CORS, timeout, cancel).
    pub status: Option<u16>,
    /// From sending to the end of the answer, in ms.
    pub duration_ms: f64,
    /// The answer's body as text, at most [`ANSWER_CAP_BYTES`]: set it with [`Self::with_answer`].
    pub answer: String,
    /// Whether `answer` was cut.
    pub cut: bool,
    /// When the request was sent, in ms since the Unix epoch (`Date.now()`).
    pub started_at_ms: f64,
}

impl RequestRecord {
    /// The record with `body` as its answer: the first [`ANSWER_CAP_BYTES`] bytes, cut back to
    /// the last whole character, and `cut` set when anything was left out.
    pub fn with_answer(self, body: &str) -> RequestRecord {
        let mut end = body.len().min(ANSWER_CAP_BYTES);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        RequestRecord {
            answer: body[..end].to_owned(),
            cut: end < body.len(),
            ..self
        }
    }
}

/// `text` as one POSIX shell word in single quotes, where nothing is special; a `'` inside
/// closes the quotes, adds an escaped quote and reopens them (`'it'\''s'`).
fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The request as a `curl` command for a POSIX shell (bash, zsh, sh), as the app sends it:
/// `method`, the absolute `url`, the headers of [`super::fota`] and `body` sent as is
/// (`--data-raw`). The tokens are never in it: the two token headers read the shell variables
/// [`BEARER_TOKEN_VARIABLE`] and [`SESSION_TOKEN_VARIABLE`], in double quotes so that the
/// shell expands them; every other word is single-quoted (POSIX "Shell Command Language",
/// 2.2.2), so that nothing in the URL or body is expanded. The words follow curl's manual
/// (`-X`, `-H`, `--data-raw`). Lines end in ` \` so the command pastes as one.
pub fn curl(method: &str, url: &str, body: &str) -> String {
    let mut words = vec![
        format!("curl -X {} {}", single_quoted(method), single_quoted(url)),
        format!("-H \"{BEARER_HEADER}: Bearer ${BEARER_TOKEN_VARIABLE}\""),
        format!("-H \"{SESSION_TOKEN_HEADER}: ${SESSION_TOKEN_VARIABLE}\""),
    ];
    words.extend(
        JSON_HEADERS
            .iter()
            .map(|(name, value)| format!("-H {}", single_quoted(&format!("{name}: {value}")))),
    );
    words.push(format!("--data-raw {}", single_quoted(body)));
    words.join(" \\\n  ")
}

/// Everything the JSON download holds. Slices are indexed alike: position `i` is the `i`th
/// device the user entered; a position missing from `requests_per_device` counts 0 requests.
pub struct JsonExport<'a> {
    pub account: &'a str,
    pub api_base_url: &'a str,
    pub run: RunSettings,
    pub request_timeout_ms: u32,
    /// When the file is made, in ms since the Unix epoch.
    pub exported_at_ms: f64,
    pub devices: &'a [Imei],
    pub outcomes: &'a [Outcome],
    /// How many requests each device took (every try counts).
    pub requests_per_device: &'a [u32],
    /// The request log, in the order the requests were sent.
    pub requests: &'a [RequestRecord],
}

/// The version of the JSON format; a change that can break a reader raises it.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// RFC 3339 in UTC with milliseconds, or `None` for a time out of chrono's range.
fn rfc3339(ms: f64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms as i64).map(|t| format_rfc3339_millis(&t))
}

/// A JSON document written straight into a string: keys are fixed names, strings are escaped
/// by serde_json (RFC 8259 §7), numbers are integers. Also writes the portal messages
/// (`core::embed`). (Derived `Serialize` structs written by `serde_json::to_string` give the
/// same text, to the byte, for about 700 bytes brotli more of the bundle: serde_json's writer
/// and a routine per value type. The byte and schema tests check the text either way.)
pub(crate) struct Json(pub(crate) String);

impl Json {
    fn key(&mut self, name: &str) {
        if !matches!(self.0.chars().last(), Some('{' | '[') | None) {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(name);
        self.0.push_str("\":");
    }
    pub(crate) fn string(&mut self, name: &str, value: Option<&str>) {
        self.key(name);
        match value {
            Some(v) => self
                .0
                .push_str(&serde_json::to_string(v).unwrap_or_default()),
            None => self.0.push_str("null"),
        }
    }
    pub(crate) fn number(&mut self, name: &str, value: impl std::fmt::Display) {
        self.key(name);
        self.0.push_str(&value.to_string());
    }
    fn open(&mut self, name: &str, bracket: char) {
        self.key(name);
        self.0.push(bracket);
    }
    /// Starts an element of an array.
    fn element(&mut self) {
        if !self.0.ends_with('[') {
            self.0.push(',');
        }
        self.0.push('{');
    }
    pub(crate) fn close(&mut self, bracket: char) {
        self.0.push(bracket);
    }
}

/// The outcome's name in the JSON: `success`, `failed`, `no-result`, `error`, `not-sent` or
/// `waiting` (the names the table's rows carry as classes).
fn outcome_name(outcome: &Outcome) -> &'static str {
    outcome.css_class()
}

/// The whole result set as JSON (RFC 8259), the shape `tests/fixtures/result.schema.json`
/// describes and the README shows: settings (never a token), the summary, every device in input
/// order with its outcome, the server's status, reason (or the error's text), firmware version,
/// update time (RFC 3339 UTC, the server's text when the app could not read it, or `null` when
/// unknown) and how many requests it took, and the request log with each answer as received
/// (cut at 64 KiB). Devices past the shorter of `devices` and `outcomes` are left out.
pub fn result_json(export: &JsonExport<'_>) -> String {
    let rows = export.devices.len().min(export.outcomes.len());
    let summary = Summary::of(&export.outcomes[..rows]);
    let mut j = Json(String::with_capacity(256 + rows * 160));
    j.0.push('{');
    j.string("format", Some("fota-sync-results"));
    j.number("version", JSON_FORMAT_VERSION);
    j.string("exportedAt", rfc3339(export.exported_at_ms).as_deref());
    j.open("settings", '{');
    j.string("account", Some(export.account));
    j.string("apiBaseUrl", Some(export.api_base_url));
    j.number("batchSize", export.run.batch_size);
    j.number("concurrency", export.run.concurrency);
    j.string("pacing", Some(export.run.pacing.name()));
    j.number("maxAttempts", export.run.max_attempts);
    j.number("requestTimeoutMs", export.request_timeout_ms);
    j.close('}');
    j.open("summary", '{');
    for (name, n) in [
        ("total", summary.total),
        ("succeeded", summary.succeeded),
        ("failed", summary.failed),
        ("noResult", summary.no_result),
        ("error", summary.error),
        ("notSent", summary.not_sent),
        ("waiting", summary.waiting),
    ] {
        j.number(name, n);
    }
    j.close('}');
    j.open("devices", '[');
    for (i, (imei, outcome)) in export.devices.iter().zip(export.outcomes).enumerate() {
        let report = outcome.report();
        j.element();
        j.string("imei", Some(imei.as_str()));
        j.string("outcome", Some(outcome_name(outcome)));
        j.string("status", report.map(|r| r.status.as_str()));
        j.string(
            "reason",
            match outcome {
                Outcome::Error(why) => Some(why),
                _ => report.map(|r| r.reason.as_str()),
            },
        );
        j.string(
            "firmwareVersion",
            report.map(|r| r.firmware_version.as_str()),
        );
        let updated = match report.map(|r| &r.updated) {
            Some(UpdateTime::At(t)) => Some(format_rfc3339_millis(t)),
            Some(UpdateTime::Unparsed(raw)) => Some(raw.clone()),
            Some(UpdateTime::Unknown) | None => None,
        };
        j.string("updated", updated.as_deref());
        j.number(
            "requests",
            export.requests_per_device.get(i).copied().unwrap_or(0),
        );
        j.close('}');
    }
    j.close(']');
    j.open("requests", '[');
    for r in export.requests {
        j.element();
        j.number("batch", r.batch);
        j.number("attempt", r.attempt);
        j.number("devices", r.devices);
        j.key("status");
        match r.status {
            Some(status) => j.0.push_str(&status.to_string()),
            None => j.0.push_str("null"),
        }
        j.number("durationMs", r.duration_ms.max(0.0).round() as u64);
        j.string("startedAt", rfc3339(r.started_at_ms).as_deref());
        j.string("answer", Some(&r.answer));
        j.key("cut");
        j.0.push_str(if r.cut { "true" } else { "false" });
        j.close('}');
    }
    j.close(']');
    j.close('}');
    j.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fota::SUCCESS_STATUS;
    use crate::core::test_support::{failed, imei, report};
    use proptest::prelude::*;
    use serde_json::Value;

    #[test]
    fn answers_are_kept_up_to_64_kib_whole_characters_only() {
        let short = RequestRecord::default().with_answer("{\"ok\":1}");
        assert_eq!((short.answer.as_str(), short.cut), ("{\"ok\":1}", false));
        let exact = "a".repeat(ANSWER_CAP_BYTES);
        assert!(!RequestRecord::default().with_answer(&exact).cut);
        // A 3-byte character across the cap is left out whole.
        let across = format!("{}€", "a".repeat(ANSWER_CAP_BYTES - 1));
        let record = RequestRecord::default().with_answer(&across);
        assert_eq!(record.answer.len(), ANSWER_CAP_BYTES - 1);
        assert!(record.cut);
    }

    /// The words `/bin/sh` makes of `command` when it runs it, with the token variables set:
    /// `curl` is a shell function that prints its arguments, NUL-separated.
    fn words_of(command: &str, bearer: &str, session: &str) -> Vec<String> {
        let script =
            format!("curl() {{ for a in \"$@\"; do printf '%s\\0' \"$a\"; done; }}\n{command}");
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .env(BEARER_TOKEN_VARIABLE, bearer)
            .env(SESSION_TOKEN_VARIABLE, session)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        text.split_terminator('\0').map(str::to_owned).collect()
    }

    #[test]
    fn curl_sends_what_the_app_sends_with_the_tokens_from_the_shell() {
        let url = "https://proxy.example.com/api/fota/v3/firmware/0000123456-00001/devices";
        let body = r#"{"deviceList":["490154203237518"]}"#;
        let command = curl("PUT", url, body);
        assert!(
            command.starts_with("curl -X 'PUT' 'https://proxy"),
            "{command}"
        );
        assert_eq!(
            words_of(&command, "bearer-1", "session-2"),
            [
                "-X",
                "PUT",
                url,
                "-H",
                "Authorization: Bearer bearer-1",
                "-H",
                "VZ-M2M-Token: session-2",
                "-H",
                "Content-Type: application/json",
                "-H",
                "Accept: application/json",
                "--data-raw",
                body
            ]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn curl_quoting_gives_back_any_url_and_body_exactly(
            url in "[ -~\\t\\n'\"$`\\\\]{0,40}|[^\\x00]{0,20}",
            body in "[ -~\\t\\n'\"$`\\\\]{0,60}|[^\\x00]{0,20}|\\$THINGSPACE_BEARER_TOKEN",
            token in "[A-Za-z0-9._-]{8,20}",
        ) {
            let command = curl("PUT", &url, &body);
            prop_assert!(!command.contains(&token));
            let words = words_of(&command, &token, &token);
            prop_assert_eq!(&words[2], &url);
            prop_assert_eq!(&words[12], &body, "nothing in the body is expanded");
            prop_assert_eq!(words.len(), 13);
        }
    }

    /// Checks `value` against the part of JSON Schema that `result.schema.json` uses, and
    /// fails on any keyword it does not know, so the schema cannot outgrow the check.
    fn validate(schema: &Value, value: &Value, at: &str) {
        let schema = schema.as_object().unwrap();
        for (keyword, rule) in schema {
            match keyword.as_str() {
                "$schema" | "title" | "description" => {}
                "type" => {
                    let types: Vec<&str> = match rule {
                        Value::String(t) => vec![t],
                        _ => rule
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|t| t.as_str().unwrap())
                            .collect(),
                    };
                    let fits = |t: &str| match t {
                        "object" => value.is_object(),
                        "array" => value.is_array(),
                        "string" => value.is_string(),
                        "integer" => value.is_u64() || value.is_i64(),
                        "boolean" => value.is_boolean(),
                        "null" => value.is_null(),
                        other => panic!("type {other}"),
                    };
                    assert!(
                        types.iter().any(|t| fits(t)),
                        "{at}: {value} is not {types:?}"
                    );
                }
                "enum" => assert!(rule.as_array().unwrap().contains(value), "{at}: {value}"),
                "minimum" => assert!(
                    value.as_f64().is_none_or(|v| v >= rule.as_f64().unwrap()),
                    "{at}"
                ),
                "maximum" => assert!(
                    value.as_f64().is_none_or(|v| v <= rule.as_f64().unwrap()),
                    "{at}"
                ),
                "pattern" => {
                    assert_eq!(rule, "^[0-9]{15}$", "the only pattern this check knows");
                    let text = value.as_str().unwrap();
                    assert!(
                        text.len() == 15 && text.bytes().all(|b| b.is_ascii_digit()),
                        "{at}"
                    );
                }
                "required" => {
                    for key in rule.as_array().unwrap() {
                        assert!(value.get(key.as_str().unwrap()).is_some(), "{at}: no {key}");
                    }
                }
                "additionalProperties" => {
                    assert_eq!(rule, &Value::Bool(false));
                    let known = schema["properties"].as_object().unwrap();
                    for key in value.as_object().unwrap().keys() {
                        assert!(known.contains_key(key), "{at}: unknown key {key}");
                    }
                }
                "properties" => {
                    for (key, property) in rule.as_object().unwrap() {
                        if let Some(v) = value.get(key) {
                            validate(property, v, &format!("{at}.{key}"));
                        }
                    }
                }
                "items" => {
                    for (i, item) in value.as_array().unwrap().iter().enumerate() {
                        validate(rule, item, &format!("{at}[{i}]"));
                    }
                }
                other => panic!("the check does not know the keyword {other}"),
            }
        }
    }

    fn schema() -> Value {
        let text = include_str!("../../tests/fixtures/result.schema.json");
        serde_json::from_str(text).unwrap()
    }

    /// The JSON export's text of `outcomes`, device `n` being `imei(n * 31)` with `n + 1`
    /// requests.
    fn sample_text(outcomes: &[Outcome], requests: &[RequestRecord]) -> String {
        let devices: Vec<Imei> = (0..outcomes.len() as u64).map(|n| imei(n * 31)).collect();
        let per_device: Vec<u32> = (1..=outcomes.len() as u32).collect();
        let export = JsonExport {
            account: "0000123456-00001",
            api_base_url: "api/fota/v3",
            run: RunSettings::default(),
            request_timeout_ms: 30_000,
            exported_at_ms: 1_795_656_264_500.0,
            devices: &devices,
            outcomes,
            requests_per_device: &per_device,
            requests,
        };
        result_json(&export)
    }

    fn sample(outcomes: &[Outcome], requests: &[RequestRecord]) -> Value {
        serde_json::from_str(&sample_text(outcomes, requests)).unwrap()
    }

    #[test]
    fn the_json_has_every_device_and_request_in_the_documented_shape() {
        let mut updated = report(SUCCESS_STATUS, "", "SR1.2");
        updated.updated = UpdateTime::parse("2022-02-04 06:10:01.441 +0000 UTC");
        let outcomes = [
            Outcome::Success(Box::new(updated)),
            failed("DeviceNotFound", "device not found"),
            Outcome::Error("HTTP 502 Bad Gateway (after 4 tries)".into()),
            Outcome::NoResult,
            Outcome::NotSent,
            Outcome::Waiting,
        ];
        let requests = [
            RequestRecord {
                batch: 0,
                attempt: 2,
                devices: 6,
                status: None,
                duration_ms: 1234.6,
                started_at_ms: 1_795_656_264_500.0,
                ..RequestRecord::default()
            },
            RequestRecord {
                attempt: 1,
                status: Some(502),
                ..RequestRecord::default()
            }
            .with_answer("<html>Bad gateway</html>"),
        ];
        let json = sample(&outcomes, &requests);
        validate(&schema(), &json, "$");
        assert_eq!(json["exportedAt"], "2026-11-26T01:24:24.500Z");
        assert_eq!(json["settings"]["batchSize"], 100);
        assert_eq!(json["summary"]["total"], 6);
        assert_eq!(json["summary"]["noResult"], 1);
        let devices = json["devices"].as_array().unwrap();
        let outcome_names: Vec<&str> = devices
            .iter()
            .map(|d| d["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(
            outcome_names,
            [
                "success",
                "failed",
                "error",
                "no-result",
                "not-sent",
                "waiting"
            ]
        );
        assert_eq!(devices[0]["updated"], "2022-02-04T06:10:01.441Z");
        assert_eq!(devices[0]["firmwareVersion"], "SR1.2");
        assert_eq!(devices[1]["reason"], "device not found");
        assert_eq!(devices[2]["reason"], "HTTP 502 Bad Gateway (after 4 tries)");
        assert_eq!(devices[2]["status"], Value::Null);
        assert_eq!(devices[5]["requests"], 6);
        assert_eq!(json["requests"][0]["durationMs"], 1235);
        assert_eq!(json["requests"][0]["status"], Value::Null);
        assert_eq!(json["requests"][1]["answer"], "<html>Bad gateway</html>");
    }

    /// The text itself, to the byte: compact, keys in the documented order, texts escaped as
    /// RFC 8259 says, integers only.
    #[test]
    fn the_json_is_compact_text_in_the_documented_key_order() {
        let outcomes = [Outcome::Error("HTTP \"502\"".into())];
        let requests = [RequestRecord {
            attempt: 1,
            status: Some(502),
            duration_ms: 12.4,
            ..RequestRecord::default()
        }
        .with_answer("<html>\n</html>")];
        assert_eq!(
            sample_text(&outcomes, &requests),
            concat!(
                r#"{"format":"fota-sync-results","version":1,"exportedAt":"2026-11-26T01:24:24.500Z","#,
                r#""settings":{"account":"0000123456-00001","apiBaseUrl":"api/fota/v3","batchSize":100,"concurrency":4,"pacing":"adaptive","maxAttempts":4,"requestTimeoutMs":30000},"#,
                r#""summary":{"total":1,"succeeded":0,"failed":0,"noResult":0,"error":1,"notSent":0,"waiting":0},"#,
                r#""devices":[{"imei":"000000000000000","outcome":"error","status":null,"reason":"HTTP \"502\"","firmwareVersion":null,"updated":null,"requests":1}],"#,
                r#""requests":[{"batch":0,"attempt":1,"devices":0,"status":502,"durationMs":12,"startedAt":"1970-01-01T00:00:00.000Z","answer":"<html>\n</html>","cut":false}]}"#,
            )
        );
    }

    #[test]
    fn the_check_catches_what_the_schema_forbids() {
        let mut json = sample(&[Outcome::NotSent], &[]);
        json["settings"]["bearerToken"] = "x".into();
        let caught = std::panic::catch_unwind(|| validate(&schema(), &json, "$"));
        assert!(caught.is_err(), "a token in the settings breaks the schema");
    }

    proptest! {
        #[test]
        fn any_result_set_fits_the_schema(
            outcomes in proptest::collection::vec(crate::core::test_support::arb_outcome(), 0..20),
            answer in "\\PC{0,30}",
            status in proptest::option::of(100u16..600),
        ) {
            let record = RequestRecord { status, attempt: 1, ..RequestRecord::default() }.with_answer(&answer);
            let json = sample(&outcomes, &[record]);
            validate(&schema(), &json, "$");
            prop_assert_eq!(json["devices"].as_array().unwrap().len(), outcomes.len());
            prop_assert_eq!(&json["requests"][0]["answer"], &Value::String(answer));
        }
    }
}
