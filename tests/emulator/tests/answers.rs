//! Recorded front-end answers (`tests/fixtures/answers/*.http`) over real HTTP: the status line,
//! headers and body on the wire are the file's, and `Retry-After` follows the rule.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use fota_emulator::answers::{self, Recorded};
use fota_emulator::{Config, FaultRule};
use serde_json::json;

/// Headers the HTTP layer sends itself, whatever the file says.
const HTTP_LAYER: [&str; 3] = ["date", "content-length", "connection"];

/// The wire answer carries exactly the file's status line, headers (Date aside) and body.
fn assert_replayed(reply: &Reply, recorded: &Recorded) {
    let name = recorded.name;
    assert_eq!(reply.status, recorded.status.as_u16(), "{name}");
    assert_eq!(reply.reason, recorded.reason, "{name}");
    assert_eq!(reply.body, recorded.body.as_bytes(), "{name}");
    for (header, value) in &recorded.headers {
        let sent = reply.header(header);
        match header.to_ascii_lowercase().as_str() {
            "date" => {
                let date = httpdate::parse_http_date(sent.unwrap()).unwrap();
                let age = SystemTime::now().duration_since(date).unwrap_or_default();
                assert!(age < Duration::from_secs(5), "{name}: Date is now");
            }
            "retry-after" if value.contains(' ') => {
                assert!(httpdate::parse_http_date(sent.unwrap()).is_ok(), "{name}")
            }
            _ => assert_eq!(sent, Some(value.as_str()), "{name}: {header}"),
        }
    }
    for (header, _) in &reply.headers {
        assert!(
            HTTP_LAYER.contains(&header.as_str()) || recorded.header(header).is_some(),
            "{name}: `{header}` is not in the file"
        );
    }
}

#[tokio::test]
async fn every_recorded_answer_goes_out_as_recorded() {
    let emulator = emulator().await;
    for name in answers::names() {
        add_fault(
            emulator.addr(),
            json!({"kind": "answer", "file": name, "times": 1}),
        )
        .await;
        let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
        assert_replayed(&reply, answers::find(name).unwrap());
    }
    assert_next_sync_succeeds(emulator.addr()).await;
}

#[tokio::test]
async fn a_file_name_is_a_kind_too_on_the_command_line_and_in_json() {
    let emulator = emulator_with(Config {
        faults: vec![FaultRule::parse("cloudflare-522:times=1").unwrap()],
        ..Config::default()
    })
    .await;
    add_fault(emulator.addr(), json!({"kind": "gateway-504", "times": 1})).await;
    let first = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(
        (first.status, first.reason.as_str()),
        (522, "Origin Connection Time-out")
    );
    assert!(first
        .text()
        .contains("<title>example.com | 522: Connection timed out</title>"));
    assert_eq!(first.header("server"), Some("cloudflare"));
    assert_eq!(first.header("cf-ray"), Some("8e9f1c2b7a6d4e53-AMS"));
    let second = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(second.status, 504);
    assert_eq!(second.json()["fault"]["code"], 101_504);

    let log = control(emulator.addr(), "GET", "/_emulator/requests", "")
        .await
        .json();
    assert_eq!(log[0]["fault"], "cloudflare-522");
    assert_eq!(log[0]["status"], 522);
    assert_eq!(log[1]["fault"], "gateway-504");
}

#[tokio::test]
async fn the_gateway_throttle_says_retry_after_0_and_its_fault_code_is_a_number() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": "gateway-429-throttled"})).await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(
        (reply.status, reply.header("retry-after")),
        (429, Some("0"))
    );
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    let fault = &reply.json()["fault"];
    assert_eq!(fault["code"], 900_800);
    assert_eq!(fault["message"], "Message throttled out");
}

#[tokio::test]
async fn the_load_balancer_retry_after_stays_a_minute_in_the_past() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": "alb-503"})).await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(reply.header("server"), Some("awselb/2.0"));
    let date = httpdate::parse_http_date(reply.header("date").unwrap()).unwrap();
    let value = reply.header("retry-after").unwrap();
    let retry_after = httpdate::parse_http_date(value).unwrap();
    let behind = date.duration_since(retry_after).unwrap().as_secs();
    assert!(
        (59..=61).contains(&behind),
        "{value}: {behind} s before Date"
    );
    assert!(
        value.ends_with(" GMT") && value.contains(", "),
        "IMF: {value}"
    );
}

/// `Retry-After` of an answer sent under `rule`.
async fn retry_after_of(rule: serde_json::Value) -> String {
    let emulator = emulator().await;
    add_fault(emulator.addr(), rule).await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    reply.header("retry-after").unwrap().to_string()
}

#[tokio::test]
async fn retry_after_can_be_replaced_by_seconds_or_by_a_date_in_any_form() {
    assert_eq!(
        retry_after_of(json!({"kind": "errorcode-429", "retryAfter": "120"})).await,
        "120"
    );
    /// Whether a date is written in the expected form.
    type LooksLike = fn(&str) -> bool;
    let forms: [(&str, LooksLike); 3] = [
        ("imf", |v| v.contains(", ") && !v.contains('-')),
        ("rfc850", |v| v.contains("day, ") && v.contains('-')),
        ("asctime", |v| !v.contains(',') && !v.ends_with("GMT")),
    ];
    for (format, looks_like) in forms {
        for secs in [-90_i64, 90] {
            let value = retry_after_of(json!({
                "kind": "alb-503", "retryAfterDate": secs, "retryAfterFormat": format
            }))
            .await;
            assert!(looks_like(&value), "{format}: {value}");
            let when = httpdate::parse_http_date(&value).unwrap();
            let now = SystemTime::now();
            let expected = if secs < 0 {
                now - Duration::from_secs(90)
            } else {
                now + Duration::from_secs(90)
            };
            let off = expected
                .duration_since(when)
                .unwrap_or_else(|e| e.duration());
            assert!(off <= Duration::from_secs(3), "{format} {secs}: {value}");
        }
    }
    // The file's own date, in another form.
    let value = retry_after_of(json!({"kind": "alb-503", "retryAfterFormat": "rfc850"})).await;
    let when = httpdate::parse_http_date(&value).unwrap();
    assert!(value.contains('-') && when < SystemTime::now(), "{value}");
    // An answer without Retry-After gets one.
    let value = retry_after_of(json!({"kind": "nginx-502", "retryAfterDate": 30})).await;
    assert!(httpdate::parse_http_date(&value).unwrap() > SystemTime::now());
}

#[tokio::test]
async fn recorded_answers_get_cors_like_every_other_answer() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": "errorcode-429"})).await;
    let reply = put_from(&emulator, APP_ORIGIN).await;
    assert_eq!(reply.status, 429);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    assert_eq!(
        reply.header("access-control-expose-headers"),
        Some("Retry-After, WWW-Authenticate")
    );
    assert_eq!(reply.header("retry-after"), Some("2"));
}

#[tokio::test]
async fn answers_without_a_body_have_no_content_type() {
    let emulator = emulator().await;
    add_fault(
        emulator.addr(),
        json!({"kind": "bearer-401-challenge", "times": 1}),
    )
    .await;
    add_fault(
        emulator.addr(),
        json!({"kind": "no-content-204", "times": 1}),
    )
    .await;
    let refused = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.is_empty());
    assert_eq!(refused.header("content-type"), None);
    assert!(refused
        .header("www-authenticate")
        .unwrap()
        .starts_with(r#"Bearer error="invalid_token", error_description="Jwt expired"#));
    let nothing = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!((nothing.status, nothing.body.len()), (204, 0));
    assert_eq!(nothing.header("content-type"), None);
}
