//! Local mode: without `AWS_LAMBDA_RUNTIME_API`, `serve` is a plain HTTP/1.1 server on
//! 127.0.0.1 running the same service, with the same body type and failure handling.

mod support;

use axum::{
    body::Bytes,
    extract::{ConnectInfo, Path},
    response::AppendHeaders,
    routing::{get, post},
    Router,
};
use std::net::SocketAddr;
use std::time::Duration;
use support::http::{free_port, send};
use tower_lambda::testing::Shape;
use tower_lambda::{ClientUrl, PathPrefix};

fn app() -> Router {
    Router::new()
        .route(
            "/hello/{name}",
            get(|Path(name): Path<String>| async move { format!("Hello, {name}!") }),
        )
        .route("/echo", post(|body: Bytes| async move { body }))
        .route(
            "/panic",
            get(|| async { panic!("local panic") as &'static str }),
        )
        .route(
            "/urls",
            get(
                |PathPrefix(prefix): PathPrefix, ClientUrl(url): ClientUrl| async move {
                    format!("[{prefix}] {url}")
                },
            ),
        )
        .route(
            "/uri",
            get(|uri: axum::http::Uri| async move { uri.to_string() }),
        )
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        )
        .route(
            "/cookies",
            get(|| async {
                (
                    AppendHeaders([("set-cookie", "a=1"), ("set-cookie", "b=2")]),
                    "two cookies",
                )
            }),
        )
}

/// Local mode is chosen by the absence of `AWS_LAMBDA_RUNTIME_API`; these tests do not change
/// the environment (other tests run in parallel threads), they require it.
fn not_on_lambda() {
    assert!(
        std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none(),
        "run the local-mode tests without AWS_LAMBDA_RUNTIME_API"
    );
}

async fn start(app: Router) -> SocketAddr {
    start_with(tower_lambda::Serve::new(app)).await
}

async fn start_with(serve: tower_lambda::Serve<Router>) -> SocketAddr {
    not_on_lambda();
    let port = free_port();
    tokio::spawn(serve.local_port(port).run());
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return address;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the local server did not start on {address}");
}

#[tokio::test]
async fn serves_real_http_requests_with_the_same_service() {
    let address = start(app()).await;

    let answer = send(address, "GET", "/hello/world", &[], b"").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text(), "Hello, world!");

    let body: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let answer = send(
        address,
        "POST",
        "/echo",
        &[("content-type", "application/octet-stream")],
        &body,
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, body, "request bodies stream through unchanged");

    let answer = send(address, "GET", "/cookies", &[], b"").await;
    let cookies: Vec<_> = answer
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);

    let answer = send(address, "GET", "/peer", &[], b"").await;
    assert_eq!(
        answer.text(),
        "127.0.0.1",
        "ConnectInfo carries the real peer locally"
    );

    let answer = send(address, "GET", "/urls?x=1", &[], b"").await;
    assert_eq!(
        answer.text(),
        format!("[] http://{address}/urls?x=1"),
        "the same extensions as on Lambda"
    );

    let answer = send(address, "GET", "/nowhere", &[], b"").await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn a_panic_gets_500_and_the_server_keeps_serving() {
    let address = start(app()).await;
    let answer = send(address, "GET", "/panic", &[], b"").await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.text(), "Internal Server Error");
    assert_eq!(
        answer.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let answer = send(address, "GET", "/hello/again", &[], b"").await;
    assert_eq!(answer.text(), "Hello, again!");
}

#[tokio::test]
async fn a_taken_port_is_a_clear_error() {
    not_on_lambda();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let error = tower_lambda::Serve::new(app())
        .local_port(port)
        .run()
        .await
        .unwrap_err();
    assert!(
        matches!(error, tower_lambda::Error::Bind { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains(&format!("http://127.0.0.1:{port}")),
        "{error}"
    );
}

#[tokio::test]
async fn emulating_a_source_goes_through_its_event_and_back() {
    for shape in [
        Shape::HttpApiV2,
        Shape::Alb,
        Shape::RestApi,
        Shape::VpcLatticeV1,
        Shape::VpcLatticeV2,
    ] {
        let address = start_with(tower_lambda::Serve::new(app()).local_source(shape)).await;
        let answer = send(address, "GET", "/cookies", &[], b"").await;
        let mut cookies: Vec<_> = answer
            .headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect();
        cookies.sort();
        assert_eq!(
            cookies,
            ["a=1", "b=2"],
            "{shape:?}: every cookie survives the round trip"
        );

        let body: Vec<u8> = (0..=255u8).collect();
        let answer = send(
            address,
            "POST",
            "/echo",
            &[("content-type", "application/octet-stream")],
            &body,
        )
        .await;
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.body, body,
            "{shape:?}: binary bodies cross the event as base64 and back"
        );

        let answer = send(address, "GET", "/panic", &[], b"").await;
        assert_eq!(answer.status, 500);
        let answer = send(address, "GET", "/hello/w%C3%B6rld", &[], b"").await;
        assert_eq!(answer.text(), "Hello, wörld!", "{shape:?}");
        // The request URI in origin form, as in plain local mode and on Lambda.
        let answer = send(address, "GET", "/uri?a=1", &[], b"").await;
        assert_eq!(answer.text(), "/uri?a=1", "{shape:?}");
    }
    let address = start(app()).await;
    let answer = send(address, "GET", "/uri?a=1", &[], b"").await;
    assert_eq!(answer.text(), "/uri?a=1", "plain local mode");
}

#[tokio::test]
async fn emulating_websocket_events_routes_by_route_key() {
    let app = Router::new()
        .route(
            "/ws/$connect",
            get(|ws: tower_lambda::WebSocketContext| async move {
                format!("{:?} {}", ws.event_type(), ws.route_key().unwrap_or("-"))
            }),
        )
        .route(
            "/ws/sendmessage",
            post(
                |ws: tower_lambda::WebSocketContext, body: String| async move {
                    format!(
                        "{:?} from {}: {body}",
                        ws.event_type(),
                        ws.connection_id().unwrap_or("-")
                    )
                },
            ),
        );
    let serve = tower_lambda::Serve::new(app).local_source(Shape::WebSocket);
    let address = start_with(serve).await;
    let answer = send(address, "GET", "/ws/$connect?room=a", &[], b"").await;
    assert_eq!(
        (answer.status, answer.text()),
        (200, "Some(Connect) $connect".into())
    );
    let answer = send(
        address,
        "POST",
        "/ws/sendmessage",
        &[],
        br#"{"action":"sendmessage"}"#,
    )
    .await;
    assert_eq!(
        (answer.status, answer.text()),
        (
            200,
            r#"Some(Message) from R0oXAdfD0kwCH6w=: {"action":"sendmessage"}"#.into()
        )
    );
}

#[tokio::test]
async fn events_posted_locally_run_as_on_lambda() {
    let fixture = |name: &str| {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/events")
                .join(name),
        )
        .unwrap()
    };
    let app = Router::new()
        .route(
            "/events/{kind}",
            post(|kind: tower_lambda::EventKind, body: Bytes| async move {
                if kind == tower_lambda::EventKind::Schedule {
                    return Err((http::StatusCode::INTERNAL_SERVER_ERROR, "no report today"));
                }
                Ok(axum::Json(
                    serde_json::json!({"kind": format!("{kind:?}"), "bytes": body.len()}),
                ))
            }),
        )
        .route(
            "/hello/{name}",
            get(|Path(name): Path<String>| async move { name }),
        );
    let address = start_with(tower_lambda::Serve::new(app).events_path("/events")).await;
    let sqs = fixture("sqs.json");
    let answer = send(address, "POST", "/events/sqs", &[], &sqs).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(
        answer.text(),
        format!(r#"{{"bytes":{},"kind":"Sqs"}}"#, sqs.len())
    );
    // The kind comes from the event, not from the URL.
    let answer = send(address, "POST", "/events/sqs", &[], &fixture("s3.json")).await;
    assert!(
        answer.text().contains(r#""kind":"S3""#),
        "{}",
        answer.text()
    );
    // A failed invocation, as Lambda reports it.
    let answer = send(address, "POST", "/events", &[], &fixture("schedule.json")).await;
    assert_eq!(answer.status, 502);
    assert_eq!(
        answer.text(),
        r#"{"errorMessage":"no report today","errorType":"tower_lambda::Status500"}"#
    );
    let answer = send(address, "GET", "/hello/you", &[], b"").await;
    assert_eq!(answer.text(), "you", "other routes are plain HTTP");
}

#[tokio::test]
async fn serve_installs_the_default_subscriber_only_with_its_feature() {
    // An unusable option stops `serve` right after the logging set-up.
    let stopped = tower_lambda::Serve::new(Router::new())
        .events_path("/")
        .run()
        .await;
    assert!(
        matches!(stopped, Err(tower_lambda::Error::Configuration { .. })),
        "{stopped:?}"
    );
    // Other tests here run `serve` too, and no test installs a subscriber of its own.
    assert_eq!(
        tracing::dispatcher::has_been_set(),
        cfg!(feature = "default-subscriber")
    );
}
