//! One request per connection by default; `keep_alive` serves several on one, as a proxy would.

mod common;

use common::emulator_with;
use fota_emulator::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Duration};

const REQUEST: &[u8] = b"GET /_emulator/latency HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// Sends two requests on one connection, the second after the first answer was read; returns
/// how many answers came back before the connection closed.
async fn answers_on_one_connection(keep_alive: bool) -> usize {
    let emulator = emulator_with(Config {
        keep_alive,
        ..Config::default()
    })
    .await;
    let mut stream = TcpStream::connect(emulator.addr()).await.unwrap();
    let mut answers = 0;
    for _ in 0..2 {
        if stream.write_all(REQUEST).await.is_err() {
            break;
        }
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // Read until a whole answer is in (its body is a small JSON object) or the socket closes.
        loop {
            let read = timeout(Duration::from_secs(5), stream.read(&mut buf))
                .await
                .expect("the emulator answers within 5 s");
            match read {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
            if seen.starts_with(b"HTTP/1.1 200") && seen.ends_with(b"}") {
                answers += 1;
                break;
            }
        }
        if !seen.ends_with(b"}") {
            break;
        }
    }
    emulator.shutdown().await;
    answers
}

#[tokio::test]
async fn by_default_a_connection_carries_one_request() {
    assert_eq!(answers_on_one_connection(false).await, 1);
}

#[tokio::test]
async fn keep_alive_serves_the_next_request_on_the_same_connection() {
    assert_eq!(answers_on_one_connection(true).await, 2);
}
