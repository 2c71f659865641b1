//! The endpoint's documented behaviour over real HTTP: the 200 shape, determinism, every error.

mod common;

use common::*;
use fota_emulator::outcome;
use serde_json::Value;

#[tokio::test]
async fn the_200_answer_has_exactly_the_documented_shape() {
    let emulator = emulator().await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A, IMEI_B]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));

    let text = reply.text();
    let top_keys = ["\"accountName\":", "\"deviceFirmwarVersionList\":"];
    let device_keys = [
        "\"deviceId\":",
        "\"status\":",
        "\"Reason\":",
        "\"firmwareVersion\":",
        "\"VersionUpdateTime\":",
    ];
    let mut at = 0;
    for key in top_keys.iter().chain(&device_keys) {
        at += text[at..]
            .find(key)
            .unwrap_or_else(|| panic!("{key} in order: {text}"));
    }

    let json = reply.json();
    assert_eq!(json.as_object().unwrap().len(), 2);
    assert_eq!(json["accountName"], ACCOUNT);
    let list = json["deviceFirmwarVersionList"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    for (device, imei) in list.iter().zip([IMEI_A, IMEI_B]) {
        let expected = outcome(imei);
        assert_eq!(device.as_object().unwrap().len(), 5);
        assert_eq!(device["deviceId"], imei);
        assert_eq!(device["status"], expected.status);
        assert_eq!(device["Reason"], expected.reason);
        assert_eq!(device["firmwareVersion"], expected.firmware_version);
        let time = device["VersionUpdateTime"].as_str().unwrap();
        assert!(time.ends_with(" +0000 UTC"), "{time}");
        assert!(
            time.starts_with("2022-") || time.starts_with("2023-"),
            "{time}"
        );
    }
}

#[tokio::test]
async fn answers_are_deterministic_across_requests_and_restarts() {
    let imeis = fota_emulator::devices::imeis_where(100, |_| true);
    let imeis: Vec<&str> = imeis.iter().map(String::as_str).collect();
    let first = emulator().await;
    let a = synchronize(first.addr(), ACCOUNT, &imeis).await;
    let b = synchronize(first.addr(), ACCOUNT, &imeis).await;
    first.shutdown().await;
    let second = emulator().await;
    let c = synchronize(second.addr(), ACCOUNT, &imeis).await;
    assert_eq!(a.body, b.body);
    assert_eq!(a.body, c.body);
    assert_eq!(answered_ids(&a, "deviceFirmwarVersionList"), imeis);
}

#[tokio::test]
async fn both_kinds_of_outcome_come_back() {
    let ok = fota_emulator::devices::imeis_where(1, |o| o.is_success());
    let failed = fota_emulator::devices::imeis_where(1, |o| !o.is_success());
    let emulator = emulator().await;
    let json = synchronize(emulator.addr(), ACCOUNT, &[&ok[0], &failed[0]])
        .await
        .json();
    let list = &json["deviceFirmwarVersionList"];
    assert_eq!(list[0]["status"], "FirmwareVersionUpdateSuccess");
    assert_eq!(list[0]["Reason"], "");
    assert_eq!(list[1]["status"], "FirmwareVersionUpdateFailed");
    assert!(fota_emulator::devices::FAILURE_REASONS.contains(&list[1]["Reason"].as_str().unwrap()));
}

async fn expect(headers: &[(&str, &str)], account: &str, body: &str, status: u16, expected: Value) {
    let emulator = emulator().await;
    let reply = send(
        emulator.addr(),
        "PUT",
        &devices_path(account),
        headers,
        body,
    )
    .await
    .unwrap();
    assert_eq!(
        (reply.status, reply.json()),
        (status, expected),
        "{headers:?} {account} {body}"
    );
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

fn invalid_parameter(message: &str) -> Value {
    serde_json::json!({"errorCode": "INVALID_PARAMETER", "errorMessage": message})
}

#[tokio::test]
async fn credentials_errors_are_gateway_faults() {
    let body = device_list(&[IMEI_A]);
    let missing = serde_json::json!({"fault": {
        "code": "900902",
        "message": "Missing Credentials",
        "description": "Invalid Credentials. Make sure your API invocation call has a header: 'Authorization : Bearer ACCESS_TOKEN' or 'Authorization : Basic ACCESS_TOKEN' or 'apikey: API_KEY'"
    }});
    expect(
        &[("VZ-M2M-Token", "s")],
        ACCOUNT,
        &body,
        401,
        missing.clone(),
    )
    .await;
    expect(
        &[("Authorization", "Basic abc"), ("VZ-M2M-Token", "s")],
        ACCOUNT,
        &body,
        401,
        missing,
    )
    .await;
    let invalid = serde_json::json!({"fault": {
        "code": "900901",
        "message": "Invalid Credentials",
        "description": "Access failure for API: /api/fota/v3, version: v3 status: (900901) - Invalid Credentials. Make sure you have provided the correct security credentials"
    }});
    for token in ["Bearer invalid", "Bearer Expired"] {
        let headers = [("Authorization", token), ("VZ-M2M-Token", "s")];
        expect(&headers, ACCOUNT, &body, 401, invalid.clone()).await;
    }
}

#[tokio::test]
async fn a_bearer_token_must_be_one_word_after_bearer() {
    let body = device_list(&[IMEI_A]);
    let invalid = serde_json::json!({"fault": {
        "code": "900901",
        "message": "Invalid Credentials",
        "description": "Access failure for API: /api/fota/v3, version: v3 status: (900901) - Invalid Credentials. Make sure you have provided the correct security credentials"
    }});
    for authorization in [
        "Bearer Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        "Bearer bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        "Bearer  eyJhbGciOiJSUzI1NiJ9",
        "Bearer eyJhbGci OiJSUzI1NiJ9",
        "Bearer eyJhbGci\tOiJSUzI1NiJ9",
        "Bearer eyJhbGci\u{a0}OiJSUzI1NiJ9",
    ] {
        let headers = [("Authorization", authorization), ("VZ-M2M-Token", "s")];
        expect(&headers, ACCOUNT, &body, 401, invalid.clone()).await;
    }
    let headers = [
        ("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
        ("VZ-M2M-Token", "s"),
    ];
    let emulator = emulator().await;
    let reply = send(
        emulator.addr(),
        "PUT",
        &devices_path(ACCOUNT),
        &headers,
        &body,
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn a_session_token_with_whitespace_inside_is_invalid() {
    let body = device_list(&[IMEI_A]);
    let expected = serde_json::json!({
        "errorCode": "REQUEST_FAILED.SessionToken.Invalid",
        "errorMessage": "SessionToken Invalid"
    });
    for session in ["sess ion", "sess\tion", "sess\u{a0}ion"] {
        let headers = [("Authorization", "Bearer t"), ("VZ-M2M-Token", session)];
        expect(&headers, ACCOUNT, &body, 400, expected.clone()).await;
    }
}

#[tokio::test]
async fn session_token_errors() {
    let body = device_list(&[IMEI_A]);
    for (session, code, message) in [
        (
            "",
            "REQUEST_FAILED.SessionToken.Missing",
            "SessionToken is missing",
        ),
        (
            "expired",
            "REQUEST_FAILED.SessionToken.Expired",
            "SessionToken Expired",
        ),
        (
            "invalid",
            "REQUEST_FAILED.SessionToken.Invalid",
            "SessionToken Invalid",
        ),
    ] {
        let headers = [("Authorization", "Bearer t"), ("VZ-M2M-Token", session)];
        let expected = serde_json::json!({"errorCode": code, "errorMessage": message});
        expect(&headers, ACCOUNT, &body, 400, expected).await;
    }
}

#[tokio::test]
async fn account_errors() {
    let body = device_list(&[IMEI_A]);
    expect(
        &VALID_HEADERS,
        "123456-1",
        &body,
        400,
        invalid_parameter("Invalid account name format"),
    )
    .await;
    expect(
        &VALID_HEADERS,
        "0000999999-00001",
        &body,
        400,
        invalid_parameter("Inactive account"),
    )
    .await;
}

#[tokio::test]
async fn device_list_errors() {
    let too_many = device_list(&[IMEI_A; 101]);
    for (body, message) in [
        ("", "Input binding error"),
        ("not json", "Input binding error"),
        (
            r#"{"deviceList": "490154203237518"}"#,
            "Input binding error",
        ),
        (
            r#"{"deviceList": [490154203237518]}"#,
            "Input binding error",
        ),
        (r#"{"deviceList": []}"#, "Device list is empty"),
        (
            too_many.as_str(),
            "Device list exceeds the maximum of 100 devices",
        ),
        (
            r#"{"deviceList": ["990000473475989"]}"#,
            "Invalid device id format",
        ),
        (
            r#"{"deviceList": ["49015420323751"]}"#,
            "Invalid device id format",
        ),
    ] {
        expect(
            &VALID_HEADERS,
            ACCOUNT,
            body,
            400,
            invalid_parameter(message),
        )
        .await;
    }
}

#[tokio::test]
async fn other_paths_and_methods_are_not_found() {
    let emulator = emulator().await;
    let expected = serde_json::json!({"fault": {
        "code": "900906",
        "message": "No matching resource found",
        "description": "No matching resource found for given API Request"
    }});
    for (method, path) in [
        ("POST", devices_path(ACCOUNT)),
        ("GET", devices_path(ACCOUNT)),
        ("PUT", format!("/api/fota/v3/firmware/{ACCOUNT}")),
        ("PUT", "/api/fota/v3".to_string()),
        (
            "PUT",
            "/api/fota/v2/firmware/0000123456-00001/devices".replace("v2", "v3/x"),
        ),
    ] {
        let reply = send(
            emulator.addr(),
            method,
            &path,
            &VALID_HEADERS,
            &device_list(&[IMEI_A]),
        )
        .await
        .unwrap();
        assert_eq!(
            (reply.status, reply.json()),
            (404, expected.clone()),
            "{method} {path}"
        );
    }
    let elsewhere = send(emulator.addr(), "GET", "/index.html", &[], "")
        .await
        .unwrap();
    assert_eq!(elsewhere.status, 404);
}

#[tokio::test]
async fn every_answer_closes_its_connection() {
    let emulator = emulator().await;
    let reply = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert_eq!(reply.header("connection"), Some("close"));
}

/// The emulator binary started on a free port, and the first line it printed.
fn spawn_binary() -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_fota-emulator"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}

/// Sends SIGTERM to `child` and waits for it to end.
fn terminate(mut child: std::process::Child) -> std::process::ExitStatus {
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap()
}

/// Scripts stop the emulator as soon as they have read its address (a failed start-up check, a
/// Ctrl-C): a SIGTERM sent right after the line must stop it cleanly every time, not kill it
/// with the signal because its handler was not installed yet.
#[test]
fn a_sigterm_right_after_the_address_line_stops_it_cleanly() {
    for attempt in 0..20 {
        let (child, line) = spawn_binary();
        assert!(line.starts_with("fota-emulator listening on "), "{line:?}");
        let status = terminate(child);
        assert!(status.success(), "attempt {attempt}: {status}");
    }
}

#[tokio::test]
async fn the_binary_prints_its_address_and_stops_on_sigterm() {
    let (mut child, line) = spawn_binary();
    let url = line
        .trim_end()
        .strip_prefix("fota-emulator listening on http://127.0.0.1:")
        .map(|port| format!("127.0.0.1:{port}"));
    let addr = url.and_then(|a| a.parse().ok());
    let Some(addr) = addr else {
        let _ = child.kill();
        panic!("unexpected first line: {line:?}");
    };
    let reply = synchronize(addr, ACCOUNT, &[IMEI_A]).await;
    assert_eq!(reply.status, 200);

    let status = terminate(child);
    assert!(status.success(), "{status}");
}
