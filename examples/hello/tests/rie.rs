//! The hello binary under AWS's Lambda Runtime Interface Emulator (the `aws-lambda-rie` binary
//! from the `aws-sam-cli` wheel; `.ci/run` fetches it and sets `TOWER_LAMBDA_RIE`): an event of
//! every source, posted one at a time, answered in that source's shape.
//!
//! Without the emulator the test says so and does nothing; with `TOWER_LAMBDA_REQUIRE_RIE` set
//! (as in CI) a missing emulator is a failure.

#[path = "../../../tests/support/http.rs"]
mod http;

use http::{free_port, send};
use serde_json::Value;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tower_lambda::testing::{EventBuilder, Shape};

#[tokio::test]
async fn every_source_under_the_runtime_interface_emulator() {
    let Some(rie) = std::env::var_os("TOWER_LAMBDA_RIE") else {
        assert!(
            std::env::var_os("TOWER_LAMBDA_REQUIRE_RIE").is_none(),
            "TOWER_LAMBDA_REQUIRE_RIE is set but TOWER_LAMBDA_RIE does not name the emulator"
        );
        eprintln!("SKIPPED: set TOWER_LAMBDA_RIE to the aws-lambda-rie binary to run this test");
        return;
    };
    let (invoke_port, runtime_port) = (free_port(), free_port());
    let mut emulator = Command::new(rie)
        .arg("--runtime-interface-emulator-address")
        .arg(format!("127.0.0.1:{invoke_port}"))
        .arg("--runtime-api-address")
        .arg(format!("127.0.0.1:{runtime_port}"))
        .arg(env!("CARGO_BIN_EXE_hello"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let address = SocketAddr::from(([127, 0, 0, 1], invoke_port));
    let started = Instant::now();
    while tokio::net::TcpStream::connect(address).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the emulator did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let invoke = |event: String| async move {
        let answer = send(
            address,
            "POST",
            "/2015-03-31/functions/function/invocations",
            &[],
            event.as_bytes(),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        serde_json::from_slice::<Value>(&answer.body).unwrap()
    };
    for shape in EventBuilder::SOURCES {
        let hello = invoke(EventBuilder::new(shape, "GET", "/hello/R%C3%AFe").build()).await;
        assert_eq!(hello["statusCode"], 200, "{shape:?}: {hello}");
        assert_eq!(hello["body"], "Hello, Rïe!", "{shape:?}");
        let multi = matches!(
            shape,
            Shape::RestApi | Shape::HttpApiV1 | Shape::AlbMultiValue
        );
        assert_eq!(
            hello.get("multiValueHeaders").is_some(),
            multi,
            "{shape:?}: {hello}"
        );
        assert_eq!(
            hello.get("statusDescription").is_some(),
            matches!(shape, Shape::Alb | Shape::AlbMultiValue)
        );

        let png = invoke(EventBuilder::new(shape, "GET", "/pixel.png").build()).await;
        assert_eq!(png["isBase64Encoded"], true, "{shape:?}");
        assert!(
            png["body"].as_str().unwrap().starts_with("iVBORw0KGgo"),
            "{shape:?}: a PNG in base64"
        );

        let echo = EventBuilder::new(shape, "POST", "/echo")
            .header("content-type", "application/json")
            .body(r#"{"source":"rie"}"#)
            .build();
        assert_eq!(
            invoke(echo).await["body"],
            r#"{"source":"rie"}"#,
            "{shape:?}"
        );
    }
    emulator.kill().unwrap();
    let _ = emulator.wait();
}
