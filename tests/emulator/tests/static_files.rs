//! `--serve-dir`: the release build and the API on one origin.

mod common;

use std::path::PathBuf;

use common::*;
use fota_emulator::Config;

/// A site folder, and beside it a file that must stay out of reach.
fn site() -> PathBuf {
    let pid = std::process::id();
    std::fs::write(
        std::env::temp_dir().join(format!("fota-emulator-secret-{pid}")),
        "secret",
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("fota-emulator-site-{pid}"));
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
