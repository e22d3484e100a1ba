//! The download example serves all 50 MB, byte for byte, locally.

#[path = "../../../tests/support/http.rs"]
mod http;

use http::spawn_local;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn the_whole_file_arrives_intact() {
    let (mut child, address) = spawn_local(env!("CARGO_BIN_EXE_download"), &[]).await;
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /big.bin HTTP/1.1\r\nhost: local\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    assert!(head.contains("content-length: 52428800"), "{head}");
    let body = &raw[split + 4..];
    assert_eq!(body.len(), 50 * 1024 * 1024);
    assert!(body.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
}
