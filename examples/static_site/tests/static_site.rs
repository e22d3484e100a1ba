//! The static site through a Function URL event and back (local emulation): HTML as text, the
//! PNG as base64 that arrives as the original bytes.

#[path = "../../../tests/support/http.rs"]
mod http;

use http::{send, spawn_local};

#[tokio::test]
async fn pages_and_images_arrive_intact() {
    let (mut child, address) = spawn_local(
        env!("CARGO_BIN_EXE_static_site"),
        &[("TOWER_LAMBDA_LOCAL_SOURCE", "url")],
    )
    .await;
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let page = send(address, "GET", "/", &[], b"").await;
    assert_eq!(page.header("content-type"), Some("text/html"));
    assert_eq!(page.body, std::fs::read(assets.join("index.html")).unwrap());
    let logo = send(address, "GET", "/logo.png", &[], b"").await;
    assert_eq!(logo.header("content-type"), Some("image/png"));
    assert_eq!(logo.body, std::fs::read(assets.join("logo.png")).unwrap());
    let css = send(address, "GET", "/style.css", &[], b"").await;
    assert_eq!(css.header("content-type"), Some("text/css"));
    assert_eq!(
        send(address, "GET", "/missing.txt", &[], b"").await.status,
        404
    );
    child.kill().unwrap();
    let _ = child.wait();
}
