//! The control API: the request log, fault rules and their counters, latency, reset, outcomes.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fota_emulator::outcome;
use serde_json::json;

#[tokio::test]
async fn the_log_records_each_request_as_received_and_its_answer() {
    let emulator = emulator().await;
    let body = device_list(&[IMEI_A]);
    let headers = [
        ("Authorization", "Bearer abc"),
        ("VZ-M2M-Token", "s-1"),
        ("Content-Type", "application/json"),
        ("X-Trace", "one"),
        ("X-Trace", "two"),
    ];
    send(
        emulator.addr(),
        "PUT",
        &devices_path(ACCOUNT),
        &headers,
        &body,
    )
    .await;
    add_fault(emulator.addr(), json!({"kind": "drop"})).await;
    send(
        emulator.addr(),
        "PUT",
        &devices_path(ACCOUNT),
        &headers,
        &body,
    )
    .await;
    send(emulator.addr(), "GET", "/api/fota/v3/nope?x=1", &[], "").await;

    let log = control(emulator.addr(), "GET", "/_emulator/requests", "")
        .await
        .json();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 3);

    let first = &log[0];
    assert_eq!(first["seq"], 1);
    assert_eq!(first["method"], "PUT");
    assert_eq!(first["path"], devices_path(ACCOUNT));
    assert_eq!(first["account"], ACCOUNT);
    assert_eq!(first["headers"]["authorization"], "Bearer abc");
    assert_eq!(first["headers"]["vz-m2m-token"], "s-1");
    assert_eq!(first["headers"]["content-type"], "application/json");
    assert_eq!(first["headers"]["x-trace"], "one, two");
    assert_eq!(first["headers"]["content-length"], body.len().to_string());
    assert_eq!(first["body"], body);
    assert_eq!(first["status"], 200);
    assert_eq!(first["fault"], serde_json::Value::Null);
    assert!(first["time"].as_str().unwrap().ends_with('Z'));

    assert_eq!(log[1]["status"], serde_json::Value::Null);
    assert_eq!(log[1]["fault"], "drop");
    assert_eq!(log[1]["ruleId"], 1);

    assert_eq!(log[2]["path"], "/api/fota/v3/nope?x=1");
    assert_eq!(log[2]["account"], serde_json::Value::Null);
    assert_eq!(log[2]["status"], 404);
}

#[tokio::test]
async fn rules_are_listed_with_their_counters() {
    let emulator = emulator().await;
    let rule = json!({"kind": 503, "skip": 1, "times": 1});
    assert_eq!(add_fault(emulator.addr(), rule.clone()).await, 1);
    assert_eq!(
        add_fault(
            emulator.addr(),
            json!({"kind": "drop", "account": "0000000001-00001"})
        )
        .await,
        2
    );
    for _ in 0..3 {
        synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    }
    let listed = control(emulator.addr(), "GET", "/_emulator/faults", "")
        .await
        .json();
    assert_eq!(
        listed[0],
        json!({"id": 1, "rule": rule, "seen": 2, "applied": 1})
    );
    assert_eq!(listed[1]["seen"], 0);
}

#[tokio::test]
async fn bad_rules_are_refused_with_a_reason() {
    let emulator = emulator().await;
    for body in [
        r#"{"kind":"explode"}"#,
        r#"{"kind":"drop","share":2}"#,
        "not json",
        r#"{"kind":"drop","ms":5}"#,
    ] {
        let reply = control(emulator.addr(), "POST", "/_emulator/faults", body).await;
        assert_eq!(reply.status, 400, "{body}");
        assert!(reply.json()["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()));
    }
    let listed = control(emulator.addr(), "GET", "/_emulator/faults", "")
        .await
        .json();
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn latency_can_be_set_and_read() {
    let emulator = emulator().await;
    let set = control(
        emulator.addr(),
        "PUT",
        "/_emulator/latency",
        r#"{"ms":150,"jitterMs":20}"#,
    )
    .await;
    assert_eq!(
        (set.status, set.json()),
        (200, json!({"ms": 150, "jitterMs": 20}))
    );
    let got = control(emulator.addr(), "GET", "/_emulator/latency", "")
        .await
        .json();
    assert_eq!(got, json!({"ms": 150, "jitterMs": 20}));
    let started = Instant::now();
    synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");

    let bad = control(
        emulator.addr(),
        "PUT",
        "/_emulator/latency",
        r#"{"seconds":1}"#,
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn reset_clears_rules_log_and_latency() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": 503})).await;
    control(
        emulator.addr(),
        "PUT",
        "/_emulator/latency",
        r#"{"ms":400}"#,
    )
    .await;
    synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;

    let reset = control(emulator.addr(), "POST", "/_emulator/reset", "").await;
    assert_eq!(reset.status, 204);

    let started = Instant::now();
    assert_next_sync_succeeds(emulator.addr()).await;
    assert!(started.elapsed() < Duration::from_millis(400));
    assert_eq!(
        control(emulator.addr(), "GET", "/_emulator/faults", "")
            .await
            .json(),
        json!([])
    );
    let log = control(emulator.addr(), "GET", "/_emulator/requests", "")
        .await
        .json();
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["seq"], 1);
    assert_eq!(add_fault(emulator.addr(), json!({"kind": "drop"})).await, 1);
}

#[tokio::test]
async fn outcomes_let_browser_tests_pick_devices_of_each_kind() {
    let emulator = emulator().await;
    let failures = control(
        emulator.addr(),
        "GET",
        "/_emulator/outcomes?status=failure&count=3",
        "",
    )
    .await
    .json();
    let failures = failures.as_array().unwrap();
    assert_eq!(failures.len(), 3);
    for device in failures {
        assert_eq!(device["status"], "FirmwareVersionUpdateFailed");
        let imei = device["deviceId"].as_str().unwrap();
        assert_eq!(device["Reason"], outcome(imei).reason);
    }
    let one = control(
        emulator.addr(),
        "GET",
        &format!("/_emulator/outcomes/{IMEI_A}"),
        "",
    )
    .await;
    assert_eq!(
        one.json()["firmwareVersion"],
        outcome(IMEI_A).firmware_version
    );
    let bad = control(emulator.addr(), "GET", "/_emulator/outcomes/123", "").await;
    assert_eq!(bad.status, 400);
}
