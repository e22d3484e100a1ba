//! The hello binary, run as a user would (`cargo run -p hello`): it serves locally, answers
//! every route, logs its address, and stops cleanly on Ctrl-C.

#[path = "../../../tests/support/http.rs"]
mod http;

use http::{send, spawn_local};
use std::io::Read;
use std::process::Command;
use std::time::{Duration, Instant};

#[tokio::test]
async fn hello_serves_locally_and_stops_on_ctrl_c() {
    let (mut child, address) = spawn_local(env!("CARGO_BIN_EXE_hello"), &[]).await;
    let port = address.port();

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
