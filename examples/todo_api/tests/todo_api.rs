//! The todo API through a REST API event and back (local emulation), as a client would use it.

#[path = "../../../tests/support/http.rs"]
mod http;

use http::{free_port, send};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn crud_through_a_rest_api_event() {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_todo_api"))
        .env("PORT", port.to_string())
        .env("TOWER_LAMBDA_LOCAL_SOURCE", "rest")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while tokio::net::TcpStream::connect(address).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "todo_api did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let json = [("content-type", "application/json")];
    let created = send(
        address,
        "POST",
        "/todos",
        &json,
        br#"{"title":"write tests"}"#,
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.header("location"), Some("/todos/1"));
    assert_eq!(
        created.text(),
        r#"{"id":1,"title":"write tests","done":false}"#
    );
    let updated = send(address, "PATCH", "/todos/1", &json, br#"{"done":true}"#).await;
    assert_eq!(
        updated.text(),
        r#"{"id":1,"title":"write tests","done":true}"#
    );
    let missing = send(address, "GET", "/todos/9", &[], b"").await;
    assert_eq!(
        (missing.status, missing.text()),
        (404, r#"{"error":"no todo 9"}"#.to_owned())
    );
    let invalid = send(address, "POST", "/todos", &json, br#"{"title":" "}"#).await;
    assert_eq!(invalid.status, 422);
    let whoami = send(address, "GET", "/whoami", &[], b"").await;
    assert!(
        whoami.text().contains(r#""source":"RestApi""#),
        "{}",
        whoami.text()
    );
    let cors = send(
        address,
        "GET",
        "/todos",
        &[("origin", "https://app.example")],
        b"",
    )
    .await;
    assert_eq!(cors.header("access-control-allow-origin"), Some("*"));
    let deleted = send(address, "DELETE", "/todos/1", &[], b"").await;
    assert_eq!(deleted.status, 204);
    child.kill().unwrap();
    let _ = child.wait();
}
