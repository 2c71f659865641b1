//! CORS: exact allowed origins, preflights, denied origins, same-origin requests, faults.

mod common;

use common::*;
use fota_emulator::Config;
use serde_json::json;

fn cors_headers(reply: &Reply) -> Vec<&str> {
    reply
        .headers
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| name.starts_with("access-control-") || *name == "vary")
        .collect()
}

async fn preflight(emulator: &fota_emulator::Emulator, origin: &str, path: &str) -> Reply {
    let headers = [
        ("Origin", origin),
        ("Access-Control-Request-Method", "PUT"),
        (
            "Access-Control-Request-Headers",
            "authorization,content-type,vz-m2m-token",
        ),
    ];
    send(emulator.addr(), "OPTIONS", path, &headers, "")
        .await
        .unwrap()
}

#[tokio::test]
async fn an_allowed_origin_is_echoed_exactly() {
    let emulator = emulator().await;
    for origin in ["http://127.0.0.1:8080", "http://localhost:8080"] {
        let reply = put_from(&emulator, origin).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("access-control-allow-origin"), Some(origin));
        assert_eq!(reply.header("vary"), Some("Origin"));
        assert_eq!(
            reply.header("access-control-expose-headers"),
            Some("Retry-After, WWW-Authenticate")
        );
        assert_eq!(reply.header("access-control-allow-credentials"), None);
    }
}

#[tokio::test]
async fn the_preflight_allows_put_and_the_api_headers() {
    let emulator = emulator().await;
    let reply = preflight(&emulator, APP_ORIGIN, &devices_path(ACCOUNT)).await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    assert_eq!(reply.header("access-control-allow-methods"), Some("PUT"));
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("Authorization, VZ-M2M-Token, Content-Type, Accept")
    );
    assert_eq!(reply.header("access-control-max-age"), Some("7200"));
    assert_eq!(reply.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn other_origins_get_no_cors_headers_at_all() {
    let emulator = emulator().await;
    for origin in [
        "http://evil.example",
        "http://127.0.0.1:8081",
        "null",
        "http://localhost:8080/",
    ] {
        let reply = put_from(&emulator, origin).await;
        assert_eq!(reply.status, 200, "the request itself is still served");
        assert!(
            cors_headers(&reply).is_empty(),
            "{origin}: {:?}",
            reply.headers
        );

        let refused = preflight(&emulator, origin, &devices_path(ACCOUNT)).await;
        assert_eq!(refused.status, 403);
        assert!(
            cors_headers(&refused).is_empty(),
            "{origin}: {:?}",
            refused.headers
        );
    }
}

#[tokio::test]
async fn the_allow_list_is_configurable() {
    let emulator = emulator_with(Config {
        allowed_origins: vec!["https://fota.example".into()],
        ..Config::default()
    })
    .await;
    let reply = put_from(&emulator, "https://fota.example").await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://fota.example")
    );
    let default_origin = put_from(&emulator, APP_ORIGIN).await;
    assert!(cors_headers(&default_origin).is_empty());
}

#[tokio::test]
async fn same_origin_requests_are_untouched() {
    let emulator = emulator().await;
    let own = emulator.url();
    let reply = put_from(&emulator, &own).await;
    assert_eq!(reply.status, 200);
    assert!(cors_headers(&reply).is_empty(), "{:?}", reply.headers);
    let no_origin = synchronize(emulator.addr(), ACCOUNT, &[IMEI_A]).await;
    assert!(cors_headers(&no_origin).is_empty());
}

#[tokio::test]
async fn faults_still_carry_cors_headers() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": 503, "retryAfter": 3})).await;
    let reply = put_from(&emulator, APP_ORIGIN).await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    assert_eq!(
        reply.header("access-control-expose-headers"),
        Some("Retry-After, WWW-Authenticate")
    );
    assert_eq!(reply.header("retry-after"), Some("3"));
}

#[tokio::test]
async fn preflights_are_not_logged_and_hit_no_fault() {
    let emulator = emulator().await;
    add_fault(emulator.addr(), json!({"kind": 503, "times": 1})).await;
    assert_eq!(
        preflight(&emulator, APP_ORIGIN, &devices_path(ACCOUNT))
            .await
            .status,
        204
    );
    assert_eq!(put_from(&emulator, APP_ORIGIN).await.status, 503);
    let log = control(emulator.addr(), "GET", "/_emulator/requests", "")
        .await
        .json();
    assert_eq!(log.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_control_api_answers_cors_for_allowed_origins() {
    let emulator = emulator().await;
    let reply = preflight(&emulator, APP_ORIGIN, "/_emulator/faults").await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some("GET, POST, PUT")
    );
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("Content-Type")
    );
    let headers = [("Origin", APP_ORIGIN)];
    let list = send(emulator.addr(), "GET", "/_emulator/faults", &headers, "")
        .await
        .unwrap();
    assert_eq!(list.header("access-control-allow-origin"), Some(APP_ORIGIN));
}
