//! "What happens with bad input": one test per row of the README table. Every outcome is one of:
//! a `400`-class response without calling the service, a failed invocation whose message names
//! the problem, or handled (the request reaches the service intact). Never a panic.

use bytes::Bytes;
use http::{Request, Response};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tower_lambda::{Body, InvocationError, Serve};

#[derive(Debug, Default, Clone)]
struct Seen {
    method: String,
    headers: usize,
    body: Bytes,
}

/// Runs `event`, returning the outcome and what the service saw (if it was called).
async fn run(event: impl Into<Vec<u8>>) -> (Result<Value, InvocationError>, Option<Seen>) {
    let slot = Arc::new(Mutex::new(None));
    let recorder = Arc::clone(&slot);
    let service = tower::service_fn(move |request: Request<Body>| {
        let recorder = Arc::clone(&recorder);
        async move {
            let (parts, body) = request.into_parts();
            let body = http_body_util::BodyExt::collect(body).await?.to_bytes();
            *recorder.lock().unwrap() = Some(Seen {
                method: parts.method.to_string(),
                headers: parts.headers.len(),
                body,
            });
            Ok::<_, tower_lambda::BoxError>(Response::new(String::from("ok")))
        }
    });
    let outcome = Serve::new(service)
        .invoke(event.into())
        .await
        .map(|json| serde_json::from_str(&json).unwrap());
    let seen = slot.lock().unwrap().take();
    (outcome, seen)
}

fn rest(overrides: Value) -> Value {
    let mut event = json!({
        "httpMethod": "POST", "path": "/x",
        "headers": {"Host": "api.example.com"}, "multiValueHeaders": null,
        "requestContext": {"stage": "prod"}, "body": "hi", "isBase64Encoded": false
    });
    for (key, value) in overrides.as_object().unwrap() {
        event[key] = value.clone();
    }
    event
}

fn failed_with(outcome: &Result<Value, InvocationError>, needle: &str) {
    match outcome {
        Err(error) => assert!(
            error.message().contains(needle),
            "expected {needle:?} in: {error}"
        ),
        Ok(response) => panic!("expected a failed invocation, got {response}"),
    }
}

#[tokio::test]
async fn not_json() {
    let (outcome, seen) = run("GET / HTTP/1.1").await;
    failed_with(&outcome, "not valid JSON");
    assert!(seen.is_none());
}

#[tokio::test]
async fn json_that_is_not_an_object() {
    let (outcome, _) = run("[{\"httpMethod\": \"GET\"}]").await;
    failed_with(&outcome, "the event is an array, not a JSON object");
}

#[tokio::test]
async fn an_object_of_an_unknown_event_type() {
    let (outcome, _) =
        run(json!({"detail-type": "Scheduled Event", "source": "aws.events"}).to_string()).await;
    failed_with(&outcome, "top-level keys are [\"detail-type\", \"source\"]");
}

#[tokio::test]
async fn a_missing_http_method() {
    let mut event = rest(json!({}));
    event.as_object_mut().unwrap().remove("httpMethod");
    let (outcome, _) = run(event.to_string()).await;
    failed_with(&outcome, "expected an HTTP event");
}

#[tokio::test]
async fn an_invalid_http_method() {
    let (outcome, seen) = run(rest(json!({"httpMethod": "GET /"})).to_string()).await;
    let response = outcome.unwrap();
    assert_eq!(response["statusCode"], 400);
    assert!(response["body"]
        .as_str()
        .unwrap()
        .contains("invalid HTTP method \"GET /\""));
    assert!(seen.is_none());
}

#[tokio::test]
async fn an_invalid_header_name_is_skipped() {
    let (outcome, seen) = run(rest(
        json!({"headers": {"Host": "a.example", "bad name": "x", "ok": "1"}}),
    )
    .to_string())
    .await;
    assert_eq!(outcome.unwrap()["statusCode"], 200);
    assert_eq!(
        seen.unwrap().headers,
        2,
        "host and ok reach the service; `bad name` cannot"
    );
}

#[tokio::test]
async fn a_header_value_with_cr_or_lf_is_skipped() {
    let headers = json!({"Host": "a.example", "x-injected": "a\r\nSet-Cookie: evil=1", "x-lf": "b\nc", "ok": "1"});
    let (outcome, seen) = run(rest(json!({ "headers": headers })).to_string()).await;
    assert_eq!(outcome.unwrap()["statusCode"], 200);
    assert_eq!(seen.unwrap().headers, 2);
}

#[tokio::test]
async fn is_base64_encoded_with_invalid_base64() {
    let (outcome, seen) =
        run(rest(json!({"body": "@@not base64@@", "isBase64Encoded": true})).to_string()).await;
    let response = outcome.unwrap();
    assert_eq!(response["statusCode"], 400);
    assert!(response["body"]
        .as_str()
        .unwrap()
        .contains("not valid base64"));
    assert!(seen.is_none());
}

#[tokio::test]
async fn is_base64_encoded_as_a_string() {
    let (outcome, seen) =
        run(rest(json!({"body": "aGk=", "isBase64Encoded": "true"})).to_string()).await;
    assert_eq!(outcome.unwrap()["statusCode"], 200);
    assert_eq!(seen.unwrap().body, "hi", "\"true\" is read as true");
    let (outcome, _) = run(rest(json!({"isBase64Encoded": "yes"})).to_string()).await;
    failed_with(&outcome, "`isBase64Encoded` to be a boolean");
}

#[tokio::test]
async fn a_body_that_is_not_a_string() {
    let (outcome, seen) = run(rest(json!({"body": {"a": 1}})).to_string()).await;
    failed_with(&outcome, "`body` to be a string or null");
    assert!(seen.is_none());
}

#[tokio::test]
async fn a_6_mb_body() {
    let body = "b".repeat(6 * 1024 * 1024);
    let (outcome, seen) = run(rest(json!({ "body": body })).to_string()).await;
    assert_eq!(outcome.unwrap()["statusCode"], 200);
    assert_eq!(seen.unwrap().body.len(), 6 * 1024 * 1024);
}

#[tokio::test]
async fn ten_thousand_headers() {
    let mut headers = serde_json::Map::new();
    headers.insert("Host".into(), json!("a.example"));
    for i in 0..10_000 {
        headers.insert(format!("x-h-{i}"), json!(i.to_string()));
    }
    let (outcome, seen) = run(rest(json!({ "headers": headers })).to_string()).await;
    assert_eq!(outcome.unwrap()["statusCode"], 200);
    assert_eq!(seen.unwrap().headers, 10_001);
}

#[tokio::test]
async fn more_headers_than_http_can_hold() {
    let mut headers = serde_json::Map::new();
    for i in 0..40_000 {
        headers.insert(format!("x-h-{i}"), json!("v"));
    }
    let (outcome, seen) = run(rest(json!({ "headers": headers })).to_string()).await;
    assert_eq!(outcome.unwrap()["statusCode"], 431);
    assert!(seen.is_none());
}

#[tokio::test]
async fn deeply_nested_json_in_the_request_context() {
    let depth = 10_000;
    let nested = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    let event = format!(
        r#"{{"httpMethod":"GET","path":"/","requestContext":{{"stage":"prod","deep":{nested}}}}}"#
    );
    // A field the adapter does not read is skipped without recursion: handled.
    let (outcome, seen) = run(event).await;
    assert_eq!(outcome.unwrap()["statusCode"], 200);
    assert!(seen.is_some());
    // Nesting where the adapter reads (a header value): refused at serde_json's depth limit.
    let event = format!(
        r#"{{"httpMethod":"GET","path":"/","headers":{{"x":{nested}}},"requestContext":{{}}}}"#
    );
    let (outcome, seen) = run(event).await;
    failed_with(&outcome, "recursion limit exceeded");
    assert!(seen.is_none());
}

#[tokio::test]
async fn lone_utf16_surrogates_in_json_strings() {
    for surrogate in [r"\ud800", r"\udc00", r"\ud800x"] {
        let event = format!(
            r#"{{"httpMethod":"GET","path":"/","headers":{{"x-name":"{surrogate}"}},"requestContext":{{}}}}"#
        );
        let (outcome, seen) = run(event).await;
        failed_with(&outcome, "not valid JSON");
        assert!(seen.is_none());
    }
}

#[tokio::test]
async fn bytes_that_are_not_utf8() {
    // In a header value, which the adapter reads: refused, whatever the byte.
    for bad in [&b"\xff"[..], b"\xc3", b"caf\xe9"] {
        let mut event = br#"{"httpMethod":"GET","path":"/","headers":{"x-name":""#.to_vec();
        event.extend_from_slice(bad);
        event.extend_from_slice(br#""},"requestContext":{}}"#);
        let (outcome, seen) = run(event).await;
        failed_with(&outcome, "not valid JSON");
        assert!(seen.is_none());
    }
    // In a field the adapter skips: the request reaches the service, every header with it.
    let mut event = br#"{"httpMethod":"GET","path":"/","headers":{"x-a":"1"},"requestContext":{"identity":{"userAgent":""#.to_vec();
    event.push(0xff);
    event.extend_from_slice(br#""}},"body":"hi"}"#);
    let (outcome, seen) = run(event).await;
    assert_eq!(outcome.unwrap()["statusCode"], 200);
    let seen = seen.unwrap();
    assert_eq!((seen.headers, &seen.body[..]), (1, &b"hi"[..]));
}

#[tokio::test]
async fn duplicate_json_keys() {
    // A duplicated field of the event: refused, since which one is meant is unknowable.
    let event = r#"{"httpMethod":"GET","path":"/a","path":"/b","requestContext":{}}"#;
    let (outcome, _) = run(event).await;
    failed_with(&outcome, "duplicate field `path`");
    // A header repeated inside the header map: both values are kept.
    let event =
        r#"{"httpMethod":"GET","path":"/","headers":{"x-a":"1","x-a":"2"},"requestContext":{}}"#;
    let (outcome, seen) = run(event).await;
    assert_eq!(outcome.unwrap()["statusCode"], 200);
    assert_eq!(seen.unwrap().headers, 2);
}

#[tokio::test]
async fn the_method_reaches_the_service_as_sent() {
    let (_, seen) = run(rest(json!({"httpMethod": "PROPFIND"})).to_string()).await;
    assert_eq!(seen.unwrap().method, "PROPFIND");
}

/// Response header values with CR or LF cannot be emitted: `http` refuses to make such a value,
/// so a service cannot hand one over, and every value that does exist is written as is.
#[tokio::test]
async fn response_header_values_cannot_carry_cr_or_lf() {
    for bad in [&b"a\r\nSet-Cookie: evil=1"[..], b"a\nb", b"a\rb", b"\0"] {
        assert!(http::HeaderValue::from_bytes(bad).is_err());
    }
    assert!(http::HeaderValue::from_str("a\r\nb").is_err());
    assert!(http::HeaderName::from_bytes(b"x-a\r\nb").is_err());
    let service = tower::service_fn(|_request: Request<Body>| async {
        let mut response = Response::new(String::from("ok"));
        let value = http::HeaderValue::from_bytes(b"tab\tand obs-text \xe9").unwrap();
        response.headers_mut().insert("x-odd", value);
        Ok::<_, std::convert::Infallible>(response)
    });
    for event in [
        rest(json!({})),
        json!({"version": "2.0", "rawPath": "/", "requestContext": {"http": {"method": "GET"}}}),
    ] {
        let json = Serve::new(service).invoke(event.to_string()).await.unwrap();
        assert!(!json.contains("\\r") && !json.contains("\\n"), "{json}");
        let response: Value = serde_json::from_str(&json).unwrap();
        let odd = response["headers"]["x-odd"]
            .as_str()
            .or(response["multiValueHeaders"]["x-odd"][0].as_str());
        assert_eq!(odd, Some("tab\tand obs-text \u{fffd}"), "{json}");
    }
}

#[tokio::test]
async fn vpc_lattice_invalid_method_and_base64_are_400_in_the_lattice_shape() {
    let v1 = json!({"raw_path": "/x", "method": "GET /", "headers": {}, "body": "", "is_base64_encoded": false});
    let (outcome, seen) = run(v1.to_string()).await;
    let response = outcome.unwrap();
    assert_eq!(response["statusCode"], 400);
    assert!(response["body"]
        .as_str()
        .unwrap()
        .contains("invalid HTTP method"));
    assert_eq!(
        response["headers"]["content-type"],
        "text/plain; charset=utf-8"
    );
    assert!(response.get("multiValueHeaders").is_none() && response.get("cookies").is_none());
    assert!(seen.is_none());

    let v2 = json!({"version": "2.0", "path": "/x", "method": "POST", "headers": {},
        "body": "%%%", "isBase64Encoded": true, "requestContext": {"region": "us-east-1"}});
    let (outcome, seen) = run(v2.to_string()).await;
    let response = outcome.unwrap();
    assert_eq!(response["statusCode"], 400);
    assert!(response["body"]
        .as_str()
        .unwrap()
        .contains("not valid base64"));
    assert!(seen.is_none());

    let flag_as_text =
        json!({"raw_path": "/x", "method": "POST", "body": "aGk=", "is_base64_encoded": "true"});
    let (outcome, seen) = run(flag_as_text.to_string()).await;
    assert_eq!(outcome.unwrap()["statusCode"], 200);
    assert_eq!(seen.unwrap().body, "hi");
}

#[tokio::test]
async fn a_websocket_event_without_a_route_key() {
    let event =
        json!({"requestContext": {"eventType": "MESSAGE", "connectionId": "c1"}, "body": "x"});
    let (outcome, seen) = run(event.to_string()).await;
    failed_with(&outcome, "`requestContext.routeKey`");
    assert!(seen.is_none());
}

#[tokio::test]
async fn a_lambda_authorizer_event_is_not_served_as_a_websocket_route() {
    let event = json!({
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/$connect",
        "headers": {"Host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "c1"}
    });
    let (outcome, seen) = run(event.to_string()).await;
    failed_with(
        &outcome,
        "the event is an API Gateway Lambda authorizer's input (`type` and `methodArn` or `routeArn`), not a request to serve: set `Serve::events_path`",
    );
    assert!(seen.is_none());
}

#[tokio::test]
async fn an_explicit_version_1_0_without_http_method() {
    // Payload-2.0 fields do not make it a 2.0 event (the version says 1.0), and without
    // `httpMethod` it is no payload-1.0 event either: the version alone identifies nothing.
    let event = json!({
        "version": "1.0", "rawPath": "/x", "path": "/x",
        "requestContext": {"http": {"method": "GET"}, "stage": "$default"}
    });
    let (outcome, seen) = run(event.to_string()).await;
    failed_with(&outcome, "expected an HTTP event");
    assert!(seen.is_none());
}
