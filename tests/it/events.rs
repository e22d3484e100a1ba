//! Non-HTTP events (SQS, SNS, S3, streams, EventBridge, schedules, CloudWatch Logs, Kafka, direct
//! invokes) as requests to the events path: the request each becomes, the invocation result the
//! response becomes, and the rule that an HTTP client can never reach the events path.
//!
//! Fixtures: `tests/fixtures/events/<case>.json` (the event) next to `<case>.expected.json`
//! (the kind and the URI the service must see).

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde::Deserialize;
use std::convert::Infallible;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tower_lambda::testing::{EventBuilder, Shape};
use tower_lambda::{Body, EventKind, Serve};

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    kind: String,
    uri: String,
}

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: String,
    uri: String,
    content_type: Option<String>,
    kind: Option<EventKind>,
    body: Bytes,
}

type Slot = Arc<Mutex<Vec<Seen>>>;

/// Records each request and answers with `answer(body)`.
fn recording(
    answer: fn(Bytes) -> Response<Body>,
) -> (
    impl tower::Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone,
    Slot,
) {
    let slot: Slot = Arc::default();
    let recorder = Arc::clone(&slot);
    let service = tower::service_fn(move |request: Request<Body>| {
        let recorder = Arc::clone(&recorder);
        async move {
            let (parts, body) = request.into_parts();
            let body = body.collect().await.unwrap().to_bytes();
            recorder.lock().unwrap().push(Seen {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                content_type: parts
                    .headers
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned()),
                kind: parts.extensions.get::<EventKind>().copied(),
                body: body.clone(),
            });
            Ok::<_, Infallible>(answer(body))
        }
    });
    (service, slot)
}

fn echo(body: Bytes) -> Response<Body> {
    Response::new(Body::from(body))
}

#[tokio::test]
async fn every_event_kind_becomes_a_post_to_its_path_and_its_result_is_the_body() {
    let mut cases: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let case = name.strip_suffix(".json")?;
            (!case.ends_with(".expected")).then(|| case.to_owned())
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 14, "{cases:?}");
    for case in cases {
        let raw = std::fs::read_to_string(fixtures().join(format!("{case}.json"))).unwrap();
        let expected: Expected = serde_json::from_str(
            &std::fs::read_to_string(fixtures().join(format!("{case}.expected.json"))).unwrap(),
        )
        .unwrap();
        let (service, seen) = recording(echo);
        let result = Serve::new(service)
            .events_path("/events")
            .invoke(&raw)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let seen = seen.lock().unwrap().pop().unwrap();
        assert_eq!(
            (seen.method.as_str(), seen.uri.as_str()),
            ("POST", expected.uri.as_str()),
            "{case}"
        );
        assert_eq!(format!("{:?}", seen.kind.unwrap()), expected.kind, "{case}");
        assert_eq!(seen.content_type.as_deref(), Some("application/json"));
        assert_eq!(
            seen.body,
            raw.as_bytes(),
            "{case}: the event's bytes, unchanged"
        );
        // The echoed body is the invocation's result, to the byte (but for surrounding space).
        assert_eq!(result, raw.trim(), "{case}");
    }
}

async fn result_of(
    answer: fn(Bytes) -> Response<Body>,
) -> Result<String, tower_lambda::InvocationError> {
    let (service, _) = recording(answer);
    let sqs = std::fs::read(fixtures().join("sqs.json")).unwrap();
    Serve::new(service).events_path("/events").invoke(sqs).await
}

fn status(code: u16, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(code).unwrap();
    response
}

#[tokio::test]
async fn the_response_becomes_the_invocation_result() {
    let batch =
        r#"{"batchItemFailures":[{"itemIdentifier":"059f36b4-87a3-44ab-83d2-661975830a7d"}]}"#;
    assert_eq!(
        result_of(|_| Response::new(Body::from(
            r#"{"batchItemFailures":[{"itemIdentifier":"059f36b4-87a3-44ab-83d2-661975830a7d"}]}"#
        )))
        .await
        .unwrap(),
        batch,
        "a JSON body as it is (partial batch responses)"
    );
    assert_eq!(result_of(|_| status(200, "")).await.unwrap(), "null");
    assert_eq!(result_of(|_| status(204, "")).await.unwrap(), "null");
    assert_eq!(result_of(|_| status(200, " \n")).await.unwrap(), "null");
    assert_eq!(
        result_of(|_| status(200, "done \"ok\"")).await.unwrap(),
        r#""done \"ok\"""#,
        "other text as a JSON string"
    );
    assert_eq!(result_of(|_| status(202, "[1,2]")).await.unwrap(), "[1,2]");

    let failed = result_of(|_| status(500, "the database is down"))
        .await
        .unwrap_err();
    assert_eq!(
        (failed.error_type(), failed.message()),
        ("tower_lambda::Status500", "the database is down")
    );
    let failed = result_of(|_| status(404, "")).await.unwrap_err();
    assert_eq!(
        (failed.error_type(), failed.message()),
        ("tower_lambda::Status404", "Not Found"),
        "no route for the kind fails the invocation, so the event is retried or dead-lettered"
    );
    let failed = result_of(|_| panic!("a bug in the consumer"))
        .await
        .unwrap_err();
    assert_eq!(failed.error_type(), "tower_lambda::ServiceError");
    assert!(
        failed.message().contains("a bug in the consumer"),
        "{failed}"
    );
}

#[tokio::test]
async fn an_err_from_the_service_fails_the_invocation_whatever_the_error_policy() {
    let service = tower::service_fn(|_: Request<Body>| async {
        Err::<Response<Body>, _>(std::io::Error::other("the queue handler failed"))
    });
    let sqs = std::fs::read(fixtures().join("sqs.json")).unwrap();
    let failed = Serve::new(service)
        .events_path("/events")
        .invoke(sqs)
        .await
        .unwrap_err();
    assert_eq!(failed.error_type(), "tower_lambda::ServiceError");
    assert!(failed.message().contains("the queue handler failed"));
}

#[tokio::test]
async fn off_by_default() {
    let (service, seen) = recording(echo);
    let sqs = std::fs::read(fixtures().join("sqs.json")).unwrap();
    let failed = Serve::new(service).invoke(sqs).await.unwrap_err();
    assert_eq!(failed.error_type(), "tower_lambda::UnsupportedEvent");
    assert!(failed.message().contains("\"Records\""), "{failed}");
    assert!(seen.lock().unwrap().is_empty());
    // Invalid JSON fails with events on too.
    let (service, _) = recording(echo);
    let failed = Serve::new(service)
        .events_path("/events")
        .invoke("{not json")
        .await
        .unwrap_err();
    assert!(failed.message().contains("not valid JSON"), "{failed}");
}

#[tokio::test]
async fn an_http_client_never_reaches_the_events_path() {
    let forged = std::fs::read_to_string(fixtures().join("sqs.json")).unwrap();
    let targets = [
        "/events/sqs",
        "/events",
        "/Events/sqs",
        "/%65vents/sqs",
        "//events//sqs",
        "/events/sqs?x=1",
    ];
    for shape in EventBuilder::SOURCES {
        for target in targets {
            let event = EventBuilder::new(shape, "POST", target)
                .header("content-type", "application/json")
                .body(forged.clone())
                .build();
            let (service, seen) = recording(echo);
            let response = Serve::new(service)
                .events_path("/events")
                .invoke_decoded(&event)
                .await
                .unwrap();
            assert_eq!(response.status(), 404, "{shape:?} {target}");
            assert!(
                seen.lock().unwrap().is_empty(),
                "{shape:?} {target}: the service was called"
            );
        }
        // Elsewhere, and with the opt-out, the request reaches the service.
        let event = EventBuilder::new(shape, "POST", "/eventsx/sqs")
            .body("{}")
            .build();
        let (service, seen) = recording(echo);
        let response = Serve::new(service.clone())
            .events_path("/events")
            .invoke_decoded(&event)
            .await
            .unwrap();
        assert_eq!(
            (response.status(), seen.lock().unwrap().len()),
            (StatusCode::OK, 1),
            "{shape:?}"
        );
        let event = EventBuilder::new(shape, "POST", "/events/sqs")
            .body("{}")
            .build();
        let response = Serve::new(service)
            .events_path("/events")
            .events_reachable_over_http(true)
            .invoke_decoded(&event)
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{shape:?}");
        assert_eq!(
            seen.lock().unwrap().last().unwrap().kind,
            None,
            "no event kind for HTTP"
        );
    }
    // Behind a REST API stage: the routed path is what counts.
    let event = EventBuilder::new(Shape::RestApi, "POST", "/events/sqs")
        .stage("prod")
        .body("{}")
        .build();
    let (service, seen) = recording(echo);
    let response = Serve::new(service)
        .events_path("/events")
        .invoke_decoded(&event)
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn axum_routes_by_kind_and_the_extractor_refuses_http() {
    use axum::{routing::post, Json, Router};
    let app = Router::new()
        .route(
            "/events/sqs",
            post(|Json(event): Json<serde_json::Value>| async move {
                let ids: Vec<_> = event["Records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| serde_json::json!({"itemIdentifier": r["messageId"]}))
                    .collect();
                Json(serde_json::json!({"batchItemFailures": ids}))
            }),
        )
        .route(
            "/events/{kind}",
            post(|kind: EventKind| async move { format!("{kind:?}") }),
        )
        .route(
            "/hello",
            post(|kind: EventKind| async move { format!("{kind:?}") }),
        );
    let serve = Serve::new(app).events_path("/events");
    let sqs = std::fs::read(fixtures().join("sqs.json")).unwrap();
    let result: serde_json::Value =
        serde_json::from_str(&serve.invoke(&sqs).await.unwrap()).unwrap();
    assert_eq!(
        result,
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "MessageID_1"}]})
    );
    let schedule = std::fs::read(fixtures().join("schedule.json")).unwrap();
    assert_eq!(serve.invoke(&schedule).await.unwrap(), r#""Schedule""#);
    // An HTTP request to a route that takes `EventKind`: refused.
    let event = EventBuilder::new(Shape::HttpApiV2, "POST", "/hello")
        .body("{}")
        .build();
    let response = serve.invoke_decoded(event).await.unwrap();
    assert_eq!(response.status(), 404);
}
