//! Faults over a sequence of events on the real `lambda_runtime` client: a service that runs into
//! the deadline margin gets `504`, one whose body fails part-way, one that panics and one that
//! returns `Err` get `500` — each logged with the request id — and the process keeps serving.
//!
//! One test per binary: the runtime reads process-wide environment variables.

mod support;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, StreamBody};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::runtime_api::RuntimeApi;
use tower_lambda::{Body, BoxError, RequestExt, Serve};

type AnyBody = UnsyncBoxBody<Bytes, BoxError>;

fn text(body: &'static str) -> AnyBody {
    Full::new(Bytes::from_static(body.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync()
}

async fn app(request: Request<Body>) -> Result<Response<AnyBody>, BoxError> {
    match request.uri().path() {
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(Response::new(text("too late")))
        }
        "/deadline" => {
            // The invocation deadline travels with the request.
            let context = request.lambda_context().ok_or("no Lambda context")?;
            let left = context
                .deadline()
                .duration_since(std::time::SystemTime::now())?;
            Ok(Response::new(
                Full::new(Bytes::from(format!("{}", left.as_secs())))
                    .map_err(|n| match n {})
                    .boxed_unsync(),
            ))
        }
        "/body-fails" => {
            let frames: Vec<Result<http_body::Frame<Bytes>, BoxError>> = vec![
                Ok(http_body::Frame::data(Bytes::from_static(b"half"))),
                Err("the disk went away".into()),
            ];
            Ok(Response::new(
                StreamBody::new(futures_util::stream::iter(frames)).boxed_unsync(),
            ))
        }
        "/panic" => panic!("a bug"),
        "/err" => Err("the database is down".into()),
        _ => Ok(Response::new(text("fine"))),
    }
}

fn event(path: &str) -> String {
    json!({
        "httpMethod": "GET", "path": path, "headers": {"Host": "api.example.com"},
        "requestContext": {"stage": "prod", "requestId": "gw"}, "body": null, "isBase64Encoded": false
    })
    .to_string()
}

/// Sends `path` with a deadline 1.5 s away and returns the posted response.
async fn answer(api: &mut RuntimeApi, path: &str) -> Value {
    let id = format!("req{}", path.replace('/', "-"));
    api.send_with_deadline(&id, event(path), Duration::from_millis(1_500));
    let posted = api.posted().await;
    assert_eq!(
        (posted.request_id.as_str(), posted.kind.as_str()),
        (id.as_str(), "response")
    );
    serde_json::from_slice::<Value>(&posted.body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_over_a_sequence_of_events() {
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    let server = tokio::spawn(
        Serve::new(tower::service_fn(app))
            .deadline_margin(Duration::from_millis(1_000))
            .run(),
    );

    let started = Instant::now();
    let slow = answer(&mut api, "/slow").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered before the deadline, not after 10 s"
    );
    assert_eq!(slow["statusCode"], 504);
    assert!(
        slow["body"]
            .as_str()
            .unwrap()
            .starts_with("Gateway Timeout"),
        "{slow}"
    );

    for path in ["/body-fails", "/panic", "/err"] {
        let failed = answer(&mut api, path).await;
        assert_eq!(failed["statusCode"], 500, "{path}");
        assert_eq!(failed["body"], "Internal Server Error", "{path}");
    }
    let deadline = answer(&mut api, "/deadline").await;
    assert_eq!(deadline["statusCode"], 200);
    assert_eq!(
        deadline["body"], "1",
        "the request carries the invocation deadline (1.5 s away)"
    );
    let fine = answer(&mut api, "/fine").await;
    assert_eq!(
        (fine["statusCode"].as_u64(), fine["body"].as_str()),
        (Some(200), Some("fine"))
    );

    assert!(!server.is_finished());
    server.abort();
}
