//! `--serve-dir`: the release build and the API on one origin.

mod common;

use std::path::PathBuf;

use common::*;
use fota_emulator::{Config, Csp};
use serde_json::Value;

/// A site folder, and beside it a file that must stay out of reach.
fn site() -> PathBuf {
    let pid = std::process::id();
    std::fs::write(
        std::env::temp_dir().join(format!("fota-emulator-secret-{pid}")),
        "secret",
    )
    .unwrap();
    site_named(&format!("fota-emulator-site-{pid}"))
}

fn site_named(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(name);
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!DOCTYPE html><title>FOTA Sync</title>",
    )
    .unwrap();
    std::fs::write(dir.join("fota-sync_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("fota-sync.js"), "export default 1;").unwrap();
    std::fs::write(dir.join("assets/index.html"), "assets").unwrap();
    dir
}

#[tokio::test]
async fn files_are_served_with_their_types_next_to_the_api() {
    let site_dir = site();
    let emulator = emulator_with(Config {
        serve_dir: Some(site_dir.clone()),
        ..Config::default()
    })
    .await;
    let addr = emulator.addr();
    let get = |path: &'static str| async move { send(addr, "GET", path, &[], "").await.unwrap() };

    let index = get("/").await;
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(index.text().contains("FOTA Sync"));

    let wasm = get("/fota-sync_bg.wasm").await;
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.body, b"\0asm\x01\0\0\0");

    let js = get("/fota-sync.js").await;
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(get("/assets/").await.text(), "assets");

    assert_eq!(get("/missing.js").await.status, 404);
    let secret = format!("/../fota-emulator-secret-{}", std::process::id());
    let escaped = send(addr, "GET", &secret, &[], "").await.unwrap();
    assert_eq!(escaped.status, 404);

    assert_eq!(synchronize(addr, ACCOUNT, &[IMEI_A]).await.status, 200);
    let control = send(addr, "GET", "/_emulator/faults", &[], "")
        .await
        .unwrap();
    assert_eq!(control.status, 200);

    let _ = std::fs::remove_dir_all(site_dir);
    let _ = std::fs::remove_file(std::env::temp_dir().join(&secret[4..]));
}

const STRICT: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
    img-src 'self'; connect-src 'self' http://127.0.0.1:* http://localhost:*; \
    frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'";

#[tokio::test]
async fn every_static_file_carries_the_strict_policy_and_the_api_none() {
    let site_dir = site_named(&format!("fota-emulator-csp-{}", std::process::id()));
    let emulator = emulator_with(Config {
        serve_dir: Some(site_dir.clone()),
        ..Config::default()
    })
    .await;
    let addr = emulator.addr();
    for path in ["/", "/fota-sync.js", "/fota-sync_bg.wasm", "/missing.js"] {
        let reply = send(addr, "GET", path, &[], "").await.unwrap();
        assert_eq!(
            reply.header("content-security-policy"),
            Some(STRICT),
            "{path}"
        );
    }
    let api = synchronize(addr, ACCOUNT, &[IMEI_A]).await;
    assert_eq!(api.header("content-security-policy"), None);
    let _ = std::fs::remove_dir_all(site_dir);
}

#[tokio::test]
async fn the_policy_takes_the_deployment_sources_or_is_left_out() {
    let site_dir = site_named(&format!("fota-emulator-csp-custom-{}", std::process::id()));
    let portal = emulator_with(Config {
        serve_dir: Some(site_dir.clone()),
        csp: Some(Csp {
            connect_src: vec!["'self'".into()],
            frame_ancestors: vec!["http://127.0.0.1:9000".into()],
        }),
        ..Config::default()
    })
    .await;
    let reply = send(portal.addr(), "GET", "/", &[], "").await.unwrap();
    let policy = reply.header("content-security-policy").unwrap();
    assert!(
        policy.contains("; connect-src 'self'; frame-ancestors http://127.0.0.1:9000;"),
        "{policy}"
    );

    let bare = emulator_with(Config {
        serve_dir: Some(site_dir.clone()),
        csp: None,
        ..Config::default()
    })
    .await;
    let reply = send(bare.addr(), "GET", "/", &[], "").await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-security-policy"), None);
    let _ = std::fs::remove_dir_all(site_dir);
}

#[tokio::test]
async fn a_mount_serves_the_site_and_the_api_as_at_the_root() {
    let site_dir = site_named(&format!("fota-emulator-mount-{}", std::process::id()));
    let emulator = emulator_with(Config {
        serve_dir: Some(site_dir.clone()),
        mounts: vec!["/tools/fota-sync/".into()],
        ..Config::default()
    })
    .await;
    let addr = emulator.addr();
    let get = |path: &'static str| async move { send(addr, "GET", path, &[], "").await.unwrap() };

    let index = get("/tools/fota-sync/").await;
    assert_eq!(index.status, 200);
    assert!(index.text().contains("FOTA Sync"));
    assert_eq!(index.header("content-security-policy"), Some(STRICT));
    let js = get("/tools/fota-sync/fota-sync.js").await;
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(get("/tools/fota-sync/assets/").await.text(), "assets");
    assert_eq!(
        get("/fota-sync.js").await.status,
        200,
        "the root still serves"
    );
    assert_eq!(get("/tools/fota-sync/missing.js").await.status, 404);
    assert_eq!(get("/tools/fota-sync/../../etc/passwd").await.status, 404);

    // Without the trailing slash, relative URLs would resolve against /tools/.
    let bare = get("/tools/fota-sync").await;
    assert_eq!(bare.status, 308);
    assert_eq!(bare.header("location"), Some("/tools/fota-sync/"));
    let with_query = send(addr, "GET", "/tools/fota-sync?x=1", &[], "")
        .await
        .unwrap();
    assert_eq!(with_query.header("location"), Some("/tools/fota-sync/?x=1"));

    let mounted = format!("/tools/fota-sync{}", devices_path(ACCOUNT));
    let reply = send(
        addr,
        "PUT",
        &mounted,
        &VALID_HEADERS,
        &device_list(&[IMEI_A]),
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(answered_ids(&reply, "deviceFirmwarVersionList"), [IMEI_A]);
    assert_eq!(reply.header("content-security-policy"), None);
    let wrong = send(addr, "GET", "/tools/fota-sync/api/fota/v3/nothing", &[], "")
        .await
        .unwrap();
    assert_eq!(wrong.status, 404);
    assert_eq!(wrong.json()["fault"]["code"], "900906");

    let log = control(addr, "GET", "/_emulator/requests", "").await.json();
    let paths: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [mounted.as_str(), "/tools/fota-sync/api/fota/v3/nothing"]
    );
    assert_eq!(log[0]["account"], Value::from(ACCOUNT));
    let _ = std::fs::remove_dir_all(site_dir);
}
