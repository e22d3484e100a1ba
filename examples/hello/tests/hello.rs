//! The hello binary, run as a user would (`cargo run -p hello`): it serves locally, answers
//! every route, logs its address, and stops cleanly on Ctrl-C.

#[path = "../../../tests/support/http.rs"]
mod http;

use http::{free_port, send};
use std::io::Read;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn hello_serves_locally_and_stops_on_ctrl_c() {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hello"))
        .env("PORT", port.to_string())
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while tokio::net::TcpStream::connect(address).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "hello did not start listening"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    assert_eq!(
        send(address, "GET", "/", &[], b"").await.text(),
        "Hello from tower-lambda!"
    );
    assert_eq!(
        send(address, "GET", "/hello/Ferris", &[], b"").await.text(),
        "Hello, Ferris!"
    );
    let echo = send(
        address,
        "POST",
        "/echo",
        &[("content-type", "application/json")],
        br#"{"a":[1,"x"]}"#,
    )
    .await;
    assert_eq!(echo.status, 200);
    assert_eq!(echo.text(), r#"{"a":[1,"x"]}"#);
    let png = send(address, "GET", "/pixel.png", &[], b"").await;
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert!(png.body.starts_with(b"\x89PNG\r\n\x1a\n"));

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "hello did not stop on Ctrl-C"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "hello exits cleanly on Ctrl-C: {exit:?}");
    let mut log = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains(&format!("http://127.0.0.1:{port}")),
        "the address is logged: {log}"
    );
}
