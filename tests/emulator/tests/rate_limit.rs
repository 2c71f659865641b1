//! The account's rate limit over real HTTP: the gateway's 429 past the burst, set by the config
//! or the control API, per account, counting only the FOTA endpoint.
//!
//! The limits refill one token in 100 s or more, so that quick requests find the bucket as the
//! test left it, whatever the machine's speed; the arithmetic of refilling is tested in
//! `src/rate_limit.rs` with a driven clock.

mod common;

use common::*;
use fota_emulator::{Config, RateLimit};
use serde_json::json;

const OTHER_ACCOUNT: &str = "0000654321-00001";

/// An emulator that lets each account through `burst` requests at once, then `rps` a second.
async fn limited(rps: f64, burst: u64) -> fota_emulator::Emulator {
    emulator_with(Config {
        rate_limit: Some(RateLimit::new(rps, Some(burst)).unwrap()),
        ..Config::default()
    })
    .await
}

#[tokio::test]
async fn one_request_over_the_burst_gets_the_gateways_429_and_when_to_come_back() {
    let emulator = limited(0.01, 5).await;
    assert_eq!(statuses(&emulator, ACCOUNT, 5).await, [200; 5]);

    let throttled = put_from(&emulator, APP_ORIGIN).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.reason, "Too Many Requests");
    let fault = &throttled.json()["fault"];
    assert_eq!(fault["code"], 900800);
    assert_eq!(fault["message"], "Message throttled out");
    assert!(fault["description"]
        .as_str()
        .unwrap()
        .starts_with("You have exceeded your quota .nextAccessTime : "));
    // 0.01 a second: the next token comes 100 s after the first request, told in whole seconds.
    let retry_after: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=100).contains(&retry_after), "{retry_after}");
    // A page on another origin can read it.
    assert_eq!(
        throttled.header("access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    assert!(throttled
        .header("access-control-expose-headers")
        .unwrap()
        .contains("Retry-After"));

    let log = control(emulator.addr(), "GET", "/_emulator/requests", "")
        .await
        .json();
    let statuses: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["status"].clone(), r["fault"].clone()))
        .collect();
    assert_eq!(statuses.len(), 6);
    assert_eq!(statuses[5], (json!(429), json!("rate-limit")));
    assert!(statuses[..5]
        .iter()
        .all(|s| *s == (json!(200), json!(null))));
    assert_eq!(
        control(emulator.addr(), "GET", "/_emulator/rate-limit", "")
            .await
            .json(),
        json!({"limit": {"rps": 0.01, "burst": 5}, "admitted": 5, "throttled": 1})
    );
}

#[tokio::test]
async fn each_account_has_its_own_bucket() {
    let emulator = limited(0.01, 2).await;
    assert_eq!(statuses(&emulator, ACCOUNT, 3).await, [200, 200, 429]);
    assert_eq!(statuses(&emulator, OTHER_ACCOUNT, 3).await, [200, 200, 429]);
}

#[tokio::test]
async fn only_the_endpoint_counts() {
    let emulator = limited(0.01, 1).await;
    for path in ["/", "/index.html", "/api/fota/v3/nope"] {
        send(emulator.addr(), "GET", path, &[], "").await.unwrap();
    }
    let preflight = [
        ("Origin", APP_ORIGIN),
        ("Access-Control-Request-Method", "PUT"),
    ];
    send(
        emulator.addr(),
        "OPTIONS",
        &devices_path(ACCOUNT),
        &preflight,
        "",
    )
    .await
    .unwrap();
    control(emulator.addr(), "GET", "/_emulator/requests", "").await;
    assert_eq!(statuses(&emulator, ACCOUNT, 2).await, [200, 429]);
}

#[tokio::test]
async fn the_control_api_sets_reads_and_removes_the_limit() {
    let emulator = emulator().await;
    let addr = emulator.addr();
    assert_eq!(
        control(addr, "GET", "/_emulator/rate-limit", "")
            .await
            .json(),
        json!({"limit": null, "admitted": 0, "throttled": 0})
    );
    let set = control(
        addr,
        "PUT",
        "/_emulator/rate-limit",
        r#"{"rps":0.01,"burst":2}"#,
    )
    .await;
    assert_eq!(
        (set.status, set.json()),
        (
            200,
            json!({"limit": {"rps": 0.01, "burst": 2}, "admitted": 0, "throttled": 0})
        )
    );
    assert_eq!(statuses(&emulator, ACCOUNT, 3).await, [200, 200, 429]);

    // Setting it again starts every bucket full and the counts from 0.
    control(
        addr,
        "PUT",
        "/_emulator/rate-limit",
        r#"{"rps":0.01,"burst":1}"#,
    )
    .await;
    assert_eq!(statuses(&emulator, ACCOUNT, 2).await, [200, 429]);
    assert_eq!(
        control(addr, "GET", "/_emulator/rate-limit", "")
            .await
            .json()["throttled"],
        1
    );

    for bad in [
        r#"{"rps":0}"#,
        r#"{"burst":2}"#,
        r#"{"rps":1,"per":"s"}"#,
        "x",
    ] {
        let reply = control(addr, "PUT", "/_emulator/rate-limit", bad).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert!(reply.json()["error"].is_string(), "{bad}");
    }

    let removed = control(addr, "DELETE", "/_emulator/rate-limit", "").await;
    assert_eq!(removed.status, 204);
    assert_eq!(statuses(&emulator, ACCOUNT, 3).await, [200; 3]);
}

#[tokio::test]
async fn reset_removes_the_limit_and_throttled_requests_reach_no_fault_rule() {
    let emulator = limited(0.01, 1).await;
    let addr = emulator.addr();
    let id = add_fault(addr, json!({"kind": 503, "skip": 1})).await;
    assert_eq!(statuses(&emulator, ACCOUNT, 3).await, [200, 429, 429]);
    let rules = control(addr, "GET", "/_emulator/faults", "").await.json();
    assert_eq!(
        (rules[0]["id"].as_u64(), &rules[0]["seen"]),
        (Some(id), &json!(1))
    );

    control(addr, "POST", "/_emulator/reset", "").await;
    assert_eq!(statuses(&emulator, ACCOUNT, 3).await, [200; 3]);
}
