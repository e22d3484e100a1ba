//! The sse example streams: run locally, its first event arrives long before the tenth is sent.

#[path = "../../../tests/support/http.rs"]
mod http;

use http::spawn_local;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn the_first_event_arrives_before_the_clock_is_done() {
    let (mut child, address) = spawn_local(env!("CARGO_BIN_EXE_sse"), &[]).await;
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /clock HTTP/1.1\r\nhost: local\r\n\r\n")
        .await
        .unwrap();
    let asked = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).contains("id: 1\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the stream ended early");
        seen.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&seen);
    assert!(text.contains("content-type: text/event-stream"), "{text}");
    assert!(text.contains("event: tick"), "{text}");
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "two events came within seconds, not after ten"
    );
    child.kill().unwrap();
    let _ = child.wait();
}
