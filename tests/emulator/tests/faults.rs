//! Every fault kind and every "when" over real HTTP, set through the control API and the config.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::*;
use fota_emulator::{Config, FaultRule, Latency};
use serde_json::json;

#[tokio::test]
async fn latency_rules_and_global_latency_delay_the_normal_answer() {
    let emulator = emulator_with(Config {
        latency: Latency {
            ms: 100,
            jitter_ms: 0,
        },
        ..Config::default()
    })
    .await;
    let started = Instant::now();
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(reply.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(100));

    add_fault(
        emulator.addr(),
        json!({"kind": "latency", "ms": 200, "times": 1}),
    )
    .await;
    let started = Instant::now();
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(answered_ids(&reply, "deviceFirmwarVersionList"), [IMEI_A]);
}

#[tokio::test]
async fn status_faults_answer_like_a_proxy() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": 502, "times": 1})).await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.header("content-type"), Some("text/html"));
    assert_eq!(
        reply.text(),
        "<html><body><h1>502 Bad Gateway</h1></body></html>"
    );
    assert_eq!(reply.header("retry-after"), None);
    assert_next_sync_succeeds(emulator.addr()).await;
}

#[tokio::test]
async fn retry_after_comes_as_seconds_or_as_an_http_date() {
    let emulator = emulator().await;
    add_fault(
        emulator.addr(),
        json!({"kind": 429, "retryAfter": 2, "times": 1}),
    )
    .await;
    add_fault(
        emulator.addr(),
        json!({"kind": "status", "status": 503, "retryAfterDate": 60, "times": 1}),
    )
    .await;
    let throttled = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(
        (throttled.status, throttled.header("retry-after")),
        (429, Some("2"))
    );

    let unavailable = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(unavailable.status, 503);
    let date = unavailable.header("retry-after").unwrap();
    let when = httpdate::parse_http_date(date).unwrap();
    assert!(when > SystemTime::now() + Duration::from_secs(50), "{date}");
}

#[tokio::test]
async fn a_fixed_status_and_json_body_can_be_injected() {
    let emulator = emulator().await;
    let body = r#"{"errorCode":"SERVICE_UNAVAILABLE","errorMessage":"Try later"}"#;
    add_fault(emulator.addr(), json!({"kind": 500, "body": body})).await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.text(), body);
}

#[tokio::test]
async fn drop_closes_the_connection_without_an_answer() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": "drop", "times": 1})).await;
    assert!(try_synchronize(emulator.addr(), ACCOUNT, &[IMEI_A])
        .await
        .is_none());
    assert_next_sync_succeeds(emulator.addr()).await;
}

#[tokio::test]
async fn hang_holds_the_connection_until_the_client_gives_up() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": "hang", "times": 1})).await;
    let waited =
        tokio::time::timeout(SHORT, try_synchronize(emulator.addr(), ACCOUNT, &[IMEI_A])).await;
    assert!(waited.is_err(), "answered: {waited:?}");
    assert_next_sync_succeeds(emulator.addr()).await;
}

#[tokio::test]
async fn a_bounded_hang_ends_by_closing_the_connection() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": "hang", "ms": 100})).await;
    let started = Instant::now();
    assert!(try_synchronize(emulator.addr(), ACCOUNT, &[IMEI_A])
        .await
        .is_none());
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn truncated_cuts_the_json_in_half() {
    let emulator = emulator().await;
    let whole = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A, IMEI_B])
        .await
        .text();
    add_fault(emulator.addr(), json!({"kind": "truncated"})).await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A, IMEI_B]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), whole[..whole.len() / 2]);
    assert!(serde_json::from_slice::<serde_json::Value>(&reply.body).is_err());
}

#[tokio::test]
async fn a_latin1_content_type_sends_latin1_bytes() {
    let emulator = emulator().await;
    let body = r#"{"reason":"Mise à jour réussie"}"#;
    add_fault(
        emulator.addr(),
        json!({"kind": 200, "body": body, "contentType": "application/json; charset=ISO-8859-1"}),
    )
    .await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(reply.body.len(), body.chars().count());
    assert!(reply.body.windows(3).any(|w| w == b" \xe0 "));
}

#[tokio::test]
async fn cut_drops_the_connection_in_the_middle_of_a_chunked_body() {
    let emulator = emulator().await;
    let whole = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A, IMEI_B])
        .await
        .text();
    add_fault(emulator.addr(), json!({"kind": "cut", "times": 1})).await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A, IMEI_B]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.header("content-length"), None);
    let raw = reply.text();
    // One chunk: its size in hex, the first half of the answer, and no last chunk.
    let half = &whole[..whole.len() / 2];
    assert_eq!(raw, format!("{:X}\r\n{half}\r\n", half.len()));
    assert_next_sync_succeeds(emulator.addr()).await;
}

#[tokio::test]
async fn not_json_answers_200_with_a_page() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": "not_json"})).await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/html"));
    assert!(reply.text().starts_with("<!DOCTYPE html>"));
}

#[tokio::test]
async fn omit_leaves_out_every_other_device_or_the_last_ones() {
    let imeis = fota_emulator::devices::imeis_where(5, |_| true);
    let imeis: Vec<&str> = imeis.iter().map(String::as_str).collect();
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": "omit", "times": 1})).await;
    add_fault(
        emulator.addr(),
        json!({"kind": "omit", "count": 2, "times": 1}),
    )
    .await;
    let every_other = synchronize(emulator.addr(), ACCOUNT, &imeis).await;
    assert_eq!(
        answered_ids(&every_other, "deviceFirmwarVersionList"),
        [imeis[0], imeis[2], imeis[4]]
    );
    let last_two = synchronize(emulator.addr(), ACCOUNT, &imeis).await;
    assert_eq!(
        answered_ids(&last_two, "deviceFirmwarVersionList"),
        imeis[..3]
    );
}

#[tokio::test]
async fn variant_uses_the_other_spellings_and_rfc_3339() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": "variant", "times": 1})).await;
    add_fault(emulator.addr(), json!({"kind": "variant", "time": "empty"})).await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    let json = reply.json();
    assert!(json.get("deviceFirmwarVersionList").is_none());
    let device = &json["deviceFirmwareVersionList"][0];
    let keys: Vec<&str> = device
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = [
        "deviceId",
        "status",
        "reason",
        "firmwareVersion",
        "firmwareVersionUpdateTime",
    ];
    expected.sort();
    assert_eq!(keys, expected);
    let time = device["firmwareVersionUpdateTime"].as_str().unwrap();
    assert_eq!(
        (time.len(), &time[10..11], &time[23..]),
        (24, "T", "Z"),
        "{time}"
    );

    let empty = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A])
        .await
        .json();
    assert_eq!(
        empty["deviceFirmwareVersionList"][0]["firmwareVersionUpdateTime"],
        ""
    );
}

#[tokio::test]
async fn xml403_is_the_recorded_am_fault_document() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": "xml403"})).await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.header("content-type"), Some("application/xml"));
    assert_eq!(
        reply.text(),
        "<am:fault xmlns:am=\"http://wso2.org/apimanager\"><am:code>900908</am:code>\
         <am:type>Status report</am:type><am:message>Runtime Error</am:message>\
         <am:description>Resource forbidden </am:description></am:fault>"
    );
}

/// The device list of a `variant` answer for `imeis`.
async fn variant_devices(rule: serde_json::Value, imeis: &[&str]) -> Vec<serde_json::Value> {
    let emulator = emulator().await;
    add_fault(emulator.addr(), rule).await;
    let reply = synchronize(emulator.addr(), ACCOUNT, imeis).await;
    let json = reply.json();
    let list = json
        .get("deviceFirmwarVersionList")
        .or_else(|| json.get("deviceFirmwareVersionList"))
        .unwrap();
    list.as_array().unwrap().clone()
}

#[tokio::test]
async fn go_zero_times_come_on_every_device_or_on_every_second_one() {
    let imeis = fota_emulator::devices::imeis_where(4, |_| true);
    let imeis: Vec<&str> = imeis.iter().map(String::as_str).collect();
    let all = variant_devices(
        json!({"kind": "variant", "keys": "documented", "time": "go-zero"}),
        &imeis,
    )
    .await;
    for device in &all {
        assert_eq!(device["VersionUpdateTime"], "0001-01-01 00:00:00 +0000 UTC");
    }
    let half = variant_devices(
        json!({"kind": "variant", "keys": "documented", "time": "go-zero-lmt", "every": 2}),
        &imeis,
    )
    .await;
    let times: Vec<&str> = half
        .iter()
        .map(|d| d["VersionUpdateTime"].as_str().unwrap())
        .collect();
    assert_eq!(times[1], "0001-01-01 00:19:32 +0019 LMT");
    assert_eq!(times[3], "0001-01-01 00:19:32 +0019 LMT");
    assert!(times[0].starts_with("202") && times[0].ends_with(" +0000 UTC"));
    assert!(times[2].starts_with("202") && times[2].ends_with(" +0000 UTC"));
}

#[tokio::test]
async fn nulls_and_numeric_ids_come_alone_or_together() {
    // 356938100000018 succeeds; 356938100000000 fails ("Device is offline").
    let imeis = ["356938100000018", "356938100000000"];
    let devices = variant_devices(
        json!({"kind": "variant", "keys": "documented", "nulls": true}),
        &imeis,
    )
    .await;
    assert_eq!(devices[0]["Reason"], "");
    assert_eq!(devices[1]["status"], "FirmwareVersionUpdateFailed");
    for key in ["Reason", "firmwareVersion", "VersionUpdateTime"] {
        assert!(devices[1][key].is_null(), "{key}: {}", devices[1]);
    }

    let devices = variant_devices(json!({"kind": "variant", "numericId": true}), &imeis).await;
    assert_eq!(devices[0]["deviceId"], 356_938_100_000_018_u64);
    assert!(devices[0]["firmwareVersionUpdateTime"]
        .as_str()
        .unwrap()
        .ends_with('Z'));

    let rule = FaultRule::parse("variant:keys=documented:time=go-zero:numeric-id=true:nulls=true")
        .unwrap();
    let devices = variant_devices(rule.spec, &imeis).await;
    assert_eq!(devices[0]["deviceId"], 356_938_100_000_018_u64);
    assert_eq!(
        devices[0]["VersionUpdateTime"],
        "0001-01-01 00:00:00 +0000 UTC"
    );
    assert_eq!(devices[1]["deviceId"], 356_938_100_000_000_u64);
    assert!(devices[1]["VersionUpdateTime"].is_null());
}

#[tokio::test]
async fn documented_errors_come_on_demand() {
    let emulator = emulator().await;
    for (kind, status, needle) in [
        (
            "session_expired",
            400,
            "REQUEST_FAILED.SessionToken.Expired",
        ),
        (
            "session_invalid",
            400,
            "REQUEST_FAILED.SessionToken.Invalid",
        ),
        (
            "session_missing",
            400,
            "REQUEST_FAILED.SessionToken.Missing",
        ),
        ("bearer_invalid", 401, "900901"),
        ("bearer_missing", 401, "900902"),
        ("inactive", 400, "Inactive account"),
        ("not_found", 404, "900906"),
    ] {
        add_fault(emulator.addr(), json!({"kind": kind, "times": 1})).await;
        let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
        assert_eq!(reply.status, status, "{kind}");
        assert!(reply.text().contains(needle), "{kind}: {}", reply.text());
    }
    assert_next_sync_succeeds(emulator.addr()).await;
}

#[tokio::test]
async fn the_second_batch_gets_a_503_then_all_succeed() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": 503, "skip": 1, "times": 1})).await;
    assert_eq!(statuses(&emulator, ACCOUNT, 4).await, [200, 503, 200, 200]);
}

#[tokio::test]
async fn share_applies_to_every_kth_request() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": 500, "share": 0.5})).await;
    assert_eq!(statuses(&emulator, ACCOUNT, 4).await, [200, 500, 200, 500]);
}

#[tokio::test]
async fn account_rules_touch_only_their_account() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": 503, "account": ACCOUNT})).await;
    assert_eq!(statuses(&emulator, "0000654321-00001", 2).await, [200, 200]);
    assert_eq!(statuses(&emulator, ACCOUNT, 2).await, [503, 503]);
}

#[tokio::test]
async fn rules_apply_in_order() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": 502, "times": 1})).await;
    add_fault(emulator.addr(), json!({"kind": 504, "times": 1})).await;
    assert_eq!(statuses(&emulator, ACCOUNT, 3).await, [502, 504, 200]);
}

#[tokio::test]
async fn faults_from_the_command_line_apply_too() {
    let emulator = emulator_with(Config {
        faults: vec![
            FaultRule::parse("503:times=1:skip=1").unwrap(),
            FaultRule::parse("drop:share=0.25:times=1").unwrap(),
        ],
        ..Config::default()
    })
    .await;
    let mut seen = Vec::new();
    for _ in 0..6 {
        let reply = try_synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
        seen.push(reply.map_or(0, |r| r.status));
    }
    // The drop rule counts only what the 503 rule lets through (requests 1, 3, 4, 5, ...),
    // so its 4th, the 5th request, is dropped.
    assert_eq!(seen, [200, 503, 200, 200, 0, 200]);
}
