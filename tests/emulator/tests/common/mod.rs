//! A tiny HTTP/1.1 client over a raw socket, so tests see exactly what went over the wire
//! (including a connection closed without an answer), and helpers to start an emulator.

#![allow(dead_code)] // each test file uses its own subset

use std::net::SocketAddr;
use std::time::Duration;

use fota_emulator::{start, Config, Emulator};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const ACCOUNT: &str = "0000123456-00001";
pub const IMEI_A: &str = "490154203237518";
pub const IMEI_B: &str = "356938035643809";
pub const APP_ORIGIN: &str = "http://127.0.0.1:8080";

/// An emulator on a free port with `config`'s other settings.
pub async fn emulator_with(config: Config) -> Emulator {
    start(Config { port: 0, ..config }).await.expect("start")
}

pub async fn emulator() -> Emulator {
    emulator_with(Config::default()).await
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The status line's reason phrase, e.g. `Bad Gateway`.
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends one request; `None` if the connection closed without a byte of answer.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<Reply> {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));

    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    // The emulator closes every connection after its answer.
    match stream.read_to_end(&mut raw).await {
        Ok(_) | Err(_) if raw.is_empty() => return None,
        _ => {}
    }
    Some(parse(&raw))
}

fn parse(raw: &[u8]) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let mut status_line = lines.next().unwrap().splitn(3, ' ');
    let status = status_line.nth(1).unwrap().parse().unwrap();
    let reason = status_line.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_string())
        })
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse::<usize>().unwrap());
    if let Some(length) = length {
        assert_eq!(body.len(), length, "body length matches Content-Length");
        body.truncate(length);
    }
    Reply {
        status,
        reason,
        headers,
        body,
    }
}

pub fn devices_path(account: &str) -> String {
    format!("/api/fota/v3/firmware/{account}/devices")
}

pub fn device_list(imeis: &[&str]) -> String {
    serde_json::json!({ "deviceList": imeis }).to_string()
}

pub const VALID_HEADERS: [(&str, &str); 3] = [
    ("Authorization", "Bearer token-1"),
    ("VZ-M2M-Token", "session-1"),
    ("Content-Type", "application/json"),
];

/// A valid synchronize call for `imeis`; panics if the connection is dropped.
pub async fn synchronize(addr: SocketAddr, account: &str, imeis: &[&str]) -> Reply {
    try_synchronize(addr, account, imeis)
        .await
        .expect("an answer")
}

pub async fn try_synchronize(addr: SocketAddr, account: &str, imeis: &[&str]) -> Option<Reply> {
    send(
        addr,
        "PUT",
        &devices_path(account),
        &VALID_HEADERS,
        &device_list(imeis),
    )
    .await
}

/// A control API call with a JSON body.
pub async fn control(addr: SocketAddr, method: &str, path: &str, body: &str) -> Reply {
    send(
        addr,
        method,
        path,
        &[("Content-Type", "application/json")],
        body,
    )
    .await
    .expect("a control answer")
}

pub async fn add_fault(addr: SocketAddr, rule: Value) -> u64 {
    let reply = control(addr, "POST", "/_emulator/faults", &rule.to_string()).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()["id"].as_u64().unwrap()
}

/// The device ids of a 200 answer, in order.
pub fn answered_ids(reply: &Reply, list_key: &str) -> Vec<String> {
    reply.json()[list_key]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["deviceId"].as_str().unwrap().to_string())
        .collect()
}

pub const SHORT: Duration = Duration::from_millis(300);

/// A valid sync for `IMEI_A`, sent with `Origin: origin`, as a browser page on it would.
pub async fn put_from(emulator: &fota_emulator::Emulator, origin: &str) -> Reply {
    let mut headers = VALID_HEADERS.to_vec();
    headers.push(("Origin", origin));
    send(
        emulator.addr(),
        "PUT",
        &devices_path(ACCOUNT),
        &headers,
        &device_list(&[IMEI_A]),
    )
    .await
    .unwrap()
}

/// The statuses of `n` valid syncs of `account`, one after the other.
pub async fn statuses(emulator: &Emulator, account: &str, n: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        statuses.push(
            synchronize(emulator.addr(), account, &[IMEI_A])
                .await
                .status,
        );
    }
    statuses
}

/// Asserts that the next sync is answered normally (200): the fault rules before it are spent.
pub async fn assert_next_sync_succeeds(addr: SocketAddr) {
    assert_eq!(synchronize(addr, ACCOUNT, &[IMEI_A]).await.status, 200);
}
