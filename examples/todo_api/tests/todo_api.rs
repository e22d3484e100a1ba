//! The todo API through a REST API event and back (local emulation), as a client would use it.

#[path = "../../../tests/support/http.rs"]
mod http;

use http::{send, spawn_local};

#[tokio::test]
async fn crud_through_a_rest_api_event() {
    let (mut child, address) = spawn_local(
        env!("CARGO_BIN_EXE_todo_api"),
        &[("TOWER_LAMBDA_LOCAL_SOURCE", "rest")],
    )
    .await;
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
