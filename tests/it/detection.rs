//! What an event *is*, decided from the combination of fields only its source sends, and the
//! paths only AWS may reach: authorizer events, lookalike events, near misses, malformed HTTP
//! events, the events and WebSocket paths in every disguise, and unusable path options.

use http::{Request, Response, StatusCode};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tower_lambda::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequest,
    ApiGatewayCustomAuthorizerResponse, ApiGatewayV2CustomAuthorizerSimpleResponse,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use tower_lambda::aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use tower_lambda::testing::{EventBuilder, Shape};
use tower_lambda::{Body, EventKind, InvocationError, Serve};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The events of one fixture folder, by case name.
fn cases(folder: &str) -> Vec<(String, Value)> {
    let mut cases: Vec<(String, Value)> = std::fs::read_dir(fixtures().join(folder))
        .unwrap()
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let case = name.strip_suffix(".json")?;
            (!case.ends_with(".expected")).then(|| case.to_owned())
        })
        .map(|case| {
            let text =
                std::fs::read_to_string(fixtures().join(folder).join(format!("{case}.json")))
                    .unwrap();
            (case, serde_json::from_str(&text).unwrap())
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

/// What the service saw: method, path and query (the authority left out), the event kind.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: String,
    uri: String,
    kind: Option<EventKind>,
}

type Slot = Arc<Mutex<Vec<Seen>>>;

/// A service that records each request and answers `status` with `body`.
fn recording(status: StatusCode, body: &'static str) -> (BoxedService, Slot) {
    let slot: Slot = Arc::default();
    let recorder = Arc::clone(&slot);
    let service = tower::service_fn(move |request: Request<Body>| {
        let recorder = Arc::clone(&recorder);
        async move {
            recorder.lock().unwrap().push(Seen {
                method: request.method().to_string(),
                uri: request
                    .uri()
                    .path_and_query()
                    .map_or(String::new(), ToString::to_string),
                kind: request.extensions().get::<EventKind>().copied(),
            });
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = status;
            Ok::<_, Infallible>(response)
        }
    });
    (BoxedService::new(service), slot)
}

async fn run(
    serve: impl FnOnce(Serve<BoxedService>) -> Serve<BoxedService>,
    event: &Value,
) -> (Result<String, InvocationError>, Vec<Seen>) {
    let (service, slot) = recording(StatusCode::OK, "{}");
    let serve = serve(Serve::new(service));
    let outcome = serve.invoke(event.to_string()).await;
    let seen = slot.lock().unwrap().clone();
    (outcome, seen)
}

type BoxedService = tower::util::BoxCloneService<Request<Body>, Response<Body>, Infallible>;

fn events_on(serve: Serve<BoxedService>) -> Serve<BoxedService> {
    serve.events_path("/events")
}

fn events_off(serve: Serve<BoxedService>) -> Serve<BoxedService> {
    serve
}

/// The path of a JSON field: top level, or under `requestContext` (`requestContext.elb.x`).
fn remove(event: &mut Value, path: &str) {
    let parts: Vec<&str> = path.split('.').collect();
    let (last, parents) = parts.split_last().unwrap();
    let mut at = event;
    for part in parents {
        at = at.get_mut(*part).unwrap();
    }
    assert!(
        at.as_object_mut().unwrap().remove(*last).is_some(),
        "{path}"
    );
}

// ---- Authorizers ---------------------------------------------------------------------------

const AUTHORIZERS: [&str; 5] = [
    "authorizer_rest_token",
    "authorizer_rest_request",
    "authorizer_http_api_v1_request",
    "authorizer_http_api_v2_request",
    "authorizer_websocket_connect",
];

#[tokio::test]
async fn authorizer_events_are_never_served_as_the_request_they_protect() {
    for case in AUTHORIZERS {
        let event = &cases("events")
            .into_iter()
            .find(|(c, _)| c == case)
            .unwrap()
            .1;
        // Without the events path: a failed invocation that names it, the service untouched.
        let (outcome, seen) = run(events_off, event).await;
        let error = outcome.unwrap_err();
        assert!(
            error
                .message()
                .starts_with("the event is an API Gateway Lambda authorizer's input"),
            "{case}: {error}"
        );
        assert!(seen.is_empty(), "{case}: {seen:?}");
        // With it: `POST /events/authorizer`, whatever method and path the request had.
        let (outcome, seen) = run(events_on, event).await;
        assert_eq!(outcome.unwrap(), "{}", "{case}");
        assert_eq!(
            seen,
            vec![Seen {
                method: "POST".into(),
                uri: "/events/authorizer".into(),
                kind: Some(EventKind::Authorizer),
            }],
            "{case}"
        );
    }
}

#[tokio::test]
async fn an_authorizer_event_with_the_arn_removed_or_the_type_changed_is_still_not_a_request() {
    for case in AUTHORIZERS {
        let event = &cases("events")
            .into_iter()
            .find(|(c, _)| c == case)
            .unwrap()
            .1;
        // Another `type`: not an authorizer's input, and still no request (the ARN says so).
        let mut other_type = event.clone();
        other_type["type"] = json!("PROXY");
        let (_, seen) = run(events_on, &other_type).await;
        assert_eq!(seen[0].uri, "/events/unknown", "{case}");
        // Without `type`: the same.
        let mut untyped = event.clone();
        remove(&mut untyped, "type");
        let (_, seen) = run(events_on, &untyped).await;
        assert_eq!(seen[0].uri, "/events/unknown", "{case}");
    }
}

/// An app that is its own authorizer: a REST TOKEN authorizer and an HTTP API simple-response
/// authorizer, typed with `aws_lambda_events`, beside the API they protect.
fn authorizing_app() -> axum::Router {
    use axum::routing::post;
    use axum::Json;
    axum::Router::new()
        .route(
            "/transfer",
            post(|| async { (StatusCode::OK, "transferred") }),
        )
        .route(
            "/events/authorizer",
            post(|Json(event): Json<Value>| async move {
                if event["type"] == "TOKEN" {
                    let request: ApiGatewayCustomAuthorizerRequest =
                        serde_json::from_value(event).unwrap();
                    if request.authorization_token.as_deref() != Some("allow") {
                        return (StatusCode::UNAUTHORIZED, "no").into_response();
                    }
                    let mut statement = IamPolicyStatement::default();
                    statement.action = vec!["execute-api:Invoke".into()];
                    statement.effect = IamPolicyEffect::Allow;
                    statement.resource = vec![request.method_arn.unwrap_or_default()];
                    let mut document = ApiGatewayCustomAuthorizerPolicy::default();
                    document.version = Some("2012-10-17".into());
                    document.statement = vec![statement];
                    let mut policy = ApiGatewayCustomAuthorizerResponse::<Value>::default();
                    policy.principal_id = Some("user".into());
                    policy.policy_document = document;
                    policy.context = json!({"tenant": "acme"});
                    return Json(policy).into_response();
                }
                let request: ApiGatewayV2CustomAuthorizerV2Request =
                    serde_json::from_value(event).unwrap();
                let allowed = request
                    .identity_source
                    .iter()
                    .flatten()
                    .any(|s| s == "allow");
                let mut answer = ApiGatewayV2CustomAuthorizerSimpleResponse::<Value>::default();
                answer.is_authorized = allowed;
                answer.context = json!({});
                Json(answer).into_response()
            }),
        )
}

use axum::response::IntoResponse;

#[tokio::test]
async fn the_same_app_answers_as_its_own_authorizer() {
    let events = cases("events");
    let token = &events
        .iter()
        .find(|(c, _)| c == "authorizer_rest_token")
        .unwrap()
        .1;
    let serve = Serve::new(authorizing_app()).events_path("/events");

    let mut allowed = token.clone();
    allowed["authorizationToken"] = json!("allow");
    let policy: Value =
        serde_json::from_str(&serve.invoke(allowed.to_string()).await.unwrap()).unwrap();
    assert_eq!(policy["principalId"], "user");
    assert_eq!(policy["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(
        policy["policyDocument"]["Statement"][0]["Resource"][0],
        token["methodArn"]
    );
    assert_eq!(policy["context"]["tenant"], "acme");

    // A TOKEN authorizer's 401 is the error API Gateway turns into its own 401.
    let mut denied = token.clone();
    denied["authorizationToken"] = json!("deny");
    let error = serve.invoke(denied.to_string()).await.unwrap_err();
    assert_eq!(error.message(), "Unauthorized");

    let v2 = &events
        .iter()
        .find(|(c, _)| c == "authorizer_http_api_v2_request")
        .unwrap()
        .1;
    for (source, authorized) in [("allow", true), ("deny", false)] {
        let mut event = v2.clone();
        event["identitySource"] = json!([source]);
        let answer: Value =
            serde_json::from_str(&serve.invoke(event.to_string()).await.unwrap()).unwrap();
        assert_eq!(answer, json!({"isAuthorized": authorized, "context": {}}));
    }
}

// ---- Lookalikes and near misses -------------------------------------------------------------

/// Every non-HTTP fixture, with its expected kind's path.
fn non_http_events() -> Vec<(String, Value, String)> {
    cases("events")
        .into_iter()
        .map(|(case, event)| {
            let expected: Value = serde_json::from_str(
                &std::fs::read_to_string(
                    fixtures()
                        .join("events")
                        .join(format!("{case}.expected.json")),
                )
                .unwrap(),
            )
            .unwrap();
            let uri = expected["uri"].as_str().unwrap().to_owned();
            (case, event, uri)
        })
        .collect()
}

#[tokio::test]
async fn lookalike_events_fail_clearly_without_the_events_path() {
    for case in [
        "destination_success",
        "destination_failure",
        "config_rule",
        "alexa_skill_request",
        "bedrock_agent_schema",
        "bedrock_agent_function",
        "jsonrpc_direct_invoke",
        "sqs_with_http_method",
        "direct_invoke_lattice_lookalike",
        "direct_invoke_rest_lookalike",
        "direct_invoke_v2_lookalike",
    ] {
        let event = &cases("events")
            .into_iter()
            .find(|(c, _)| c == case)
            .unwrap()
            .1;
        let (outcome, seen) = run(events_off, event).await;
        let error = outcome.unwrap_err();
        assert_eq!(
            error.error_type(),
            "tower_lambda::UnsupportedEvent",
            "{case}"
        );
        assert!(
            error.message().contains("the event's top-level keys are"),
            "{case}: {error}"
        );
        assert!(seen.is_empty(), "{case}");
    }
}

/// Fields an HTTP event carries, one of which a non-HTTP payload may carry too.
fn single_http_fields() -> Vec<(&'static str, Value)> {
    vec![
        ("httpMethod", json!("POST")),
        ("method", json!("POST")),
        ("path", json!("/transfer")),
        ("rawPath", json!("/transfer")),
        ("raw_path", json!("/transfer")),
        ("version", json!("1.0")),
        ("version", json!("2.0")),
        ("headers", json!({"host": "api.example.com"})),
        ("multiValueHeaders", json!({"host": ["api.example.com"]})),
        ("cookies", json!(["a=1"])),
        ("isBase64Encoded", json!(false)),
        ("body", json!("{}")),
        ("resource", json!("/{proxy+}")),
        ("routeKey", json!("$default")),
    ]
}

#[tokio::test]
async fn a_non_http_event_that_carries_one_http_field_stays_what_it_is() {
    for (case, event, uri) in non_http_events() {
        if !event.is_object() {
            continue; // a direct invoke of a string or a list carries no field
        }
        for (field, value) in single_http_fields() {
            // Already there, or the other half of a combination the event carries already (a
            // Lambda destination record has a `requestContext`: with `httpMethod` beside it, it
            // would be API Gateway's envelope; `method` with `raw_path` is VPC Lattice V1's).
            let has = |key: &str| event.get(key).is_some();
            let completes = (matches!(field, "httpMethod" | "method") && has("requestContext"))
                || (field == "raw_path" && has("method"))
                || (field == "method" && has("raw_path"));
            if event.get(field).is_some() || completes {
                continue;
            }
            let mut carrying = event.clone();
            carrying[field] = value.clone();
            let (outcome, seen) = run(events_on, &carrying).await;
            assert!(outcome.is_ok(), "{case} + {field}: {outcome:?}");
            assert_eq!(
                (seen.len(), seen[0].uri.as_str()),
                (1, uri.as_str()),
                "{case} + {field}: {value}"
            );
        }
    }
}

/// Each HTTP source's identifying fields: taking away any one leaves no HTTP event.
const IDENTIFYING: [(&str, &[&str]); 9] = [
    ("rest_api", &["httpMethod", "requestContext"]),
    ("http_api_v1", &["httpMethod", "requestContext"]),
    ("http_api_v2", &["requestContext.http"]),
    ("function_url", &["requestContext.http"]),
    ("alb", &["httpMethod", "requestContext.elb.targetGroupArn"]),
    (
        "alb_multi",
        &["httpMethod", "requestContext.elb.targetGroupArn"],
    ),
    ("vpc_lattice_v1", &["method", "raw_path"]),
    ("vpc_lattice_v2", &["method", "version", "requestContext"]),
    (
        "websocket",
        &["requestContext.eventType", "requestContext.connectionId"],
    ),
];

#[tokio::test]
async fn an_http_event_missing_one_identifying_field_is_no_request() {
    let mut checked = 0;
    for (source, fields) in IDENTIFYING {
        for (case, event) in cases(source) {
            // Served as a request as recorded (the guard aside).
            let (outcome, seen) = run(|s| s.websocket_path("/wsx"), &event).await;
            assert!(outcome.is_ok(), "{source}/{case}: {outcome:?}");
            assert!(seen.len() == 1 && seen[0].kind.is_none(), "{source}/{case}");
            for field in fields {
                let mut near_miss = event.clone();
                remove(&mut near_miss, field);
                let (outcome, seen) = run(events_on, &near_miss).await;
                assert!(outcome.is_ok(), "{source}/{case} - {field}: {outcome:?}");
                assert_eq!(
                    seen,
                    vec![Seen {
                        method: "POST".into(),
                        uri: "/events/unknown".into(),
                        kind: Some(EventKind::Unknown),
                    }],
                    "{source}/{case} without {field}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 150, "{checked}");
}

#[tokio::test]
async fn an_http_event_with_an_authorizer_arn_is_no_request() {
    for (source, _) in IDENTIFYING {
        for (case, event) in cases(source) {
            for arn in ["methodArn", "routeArn"] {
                let mut carrying = event.clone();
                carrying[arn] =
                    json!("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/transfer");
                let (_, seen) = run(events_on, &carrying).await;
                assert_eq!(seen[0].uri, "/events/unknown", "{source}/{case} + {arn}");
            }
        }
    }
}

#[tokio::test]
async fn an_identified_http_event_with_a_malformed_field_never_reaches_the_events_path() {
    for (source, _) in IDENTIFYING {
        for (case, event) in cases(source) {
            for (field, bad) in [
                ("cookies", json!([null])),
                ("headers", json!(5)),
                ("body", json!({"a": 1})),
                ("isBase64Encoded", json!("maybe")),
                ("multiValueQueryStringParameters", json!({"a": [{"b": 1}]})),
            ] {
                let mut malformed = event.clone();
                malformed[field] = bad.clone();
                let (outcome, seen) = run(events_on, &malformed).await;
                let error = outcome.unwrap_err();
                assert!(
                    error.message().starts_with("the event is from ")
                        && error
                            .message()
                            .contains("but has a field of the wrong type"),
                    "{source}/{case} {field}={bad}: {error}"
                );
                assert!(seen.is_empty(), "{source}/{case} {field}={bad}");
            }
        }
    }
    // An identifying field of the wrong type is still there: the envelope is still HTTP's.
    for malformed in [
        json!({"httpMethod": 5, "path": "/", "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1"}}}),
        json!({"httpMethod": ["GET"], "path": "/", "requestContext": {"stage": "prod"}}),
        json!({"method": 1, "raw_path": "/", "headers": {}}),
        json!({"method": "GET", "raw_path": {"p": "/"}, "headers": {}}),
    ] {
        let (outcome, seen) = run(events_on, &malformed).await;
        let error = outcome.unwrap_err();
        assert!(
            error.message().starts_with("the event is from "),
            "{malformed}: {error}"
        );
        assert!(seen.is_empty(), "{malformed}");
    }
}

#[tokio::test]
async fn a_direct_invoke_with_any_json_still_reaches_the_events_path() {
    for (event, uri) in [
        (
            json!({"version": 2, "source": {"id": 1}, "body": {"a": 1}}),
            "/events/unknown",
        ),
        (json!({"type": 5, "methodArn": 7}), "/events/unknown"),
        (json!([1, 2, 3]), "/events/unknown"),
        (
            json!({"Records": [{"eventSource": "aws:sqs", "body": "x"}], "headers": 5}),
            "/events/sqs",
        ),
    ] {
        let (outcome, seen) = run(events_on, &event).await;
        assert!(outcome.is_ok(), "{event}: {outcome:?}");
        assert_eq!(seen[0].uri, uri, "{event}");
    }
}

// ---- Paths only AWS may reach ----------------------------------------------------------------

/// Every HTTP source's shape.
const HTTP_SHAPES: [Shape; 8] = EventBuilder::SOURCES;

/// Every way of writing a path under `prefix` that a router or a normalizing layer could read
/// as that path.
fn disguises(prefix: &str, rest: &str) -> Vec<String> {
    let upper = prefix.to_ascii_uppercase();
    let first = &prefix[1..2];
    let encoded = format!("/%{:02X}{}", first.as_bytes()[0], &prefix[2..]);
    vec![
        format!("{prefix}/{rest}"),
        format!("{prefix}"),
        format!("{upper}/{rest}"),
        format!("/{prefix}//{rest}"),
        format!("/.{prefix}/{rest}"),
        format!("/static/..{prefix}/{rest}"),
        format!("/static/%2e%2e{prefix}/{rest}"),
        format!("/static/%2E%2E{prefix}/{rest}"),
        format!("{encoded}/{rest}"),
        format!("{prefix}/%2e%2e"),
        format!("{prefix}/{rest}/../.."),
    ]
}

#[tokio::test]
async fn websocket_routes_are_unreachable_from_every_http_source() {
    for shape in HTTP_SHAPES {
        for route in ["$connect", "sendmessage", "$disconnect", "$default"] {
            for path in disguises("/ws", route) {
                for method in ["GET", "POST"] {
                    let event: Value = serde_json::from_str(
                        &EventBuilder::new(shape, method, &path)
                            .body(r#"{"action":"sendmessage"}"#)
                            .build(),
                    )
                    .unwrap();
                    let (outcome, seen) = run(events_off, &event).await;
                    let response: Value = serde_json::from_str(&outcome.unwrap()).unwrap();
                    assert_eq!(
                        (&response["statusCode"], &response["body"]),
                        (&json!(404), &json!("Not Found")),
                        "{shape:?} {method} {path}"
                    );
                    assert!(seen.is_empty(), "{shape:?} {method} {path}");
                    // The opt-out lets it through.
                    let (_, seen) = run(|s| s.websocket_reachable_over_http(true), &event).await;
                    assert_eq!(seen.len(), 1, "{shape:?} {method} {path}");
                }
            }
        }
        // A neighbour of the WebSocket path is an ordinary route.
        let event: Value =
            serde_json::from_str(&EventBuilder::new(shape, "GET", "/wsx/a").build()).unwrap();
        let (_, seen) = run(events_off, &event).await;
        assert_eq!(seen.len(), 1, "{shape:?}");
    }
    // WebSocket events themselves still reach their routes, under a path of any name.
    for (path, serve_path) in [("/ws", None), ("/chat", Some("/chat"))] {
        let event: Value = serde_json::from_str(
            &EventBuilder::new(Shape::WebSocket, "POST", "/sendmessage")
                .body(r#"{"action":"sendmessage"}"#)
                .build(),
        )
        .unwrap();
        let (_, seen) = run(
            |s| match serve_path {
                Some(p) => s.websocket_path(p),
                None => s,
            },
            &event,
        )
        .await;
        assert_eq!(seen[0].uri, format!("{path}/sendmessage"));
    }
}

#[tokio::test]
async fn the_events_path_is_unreachable_in_every_disguise() {
    for shape in HTTP_SHAPES {
        for path in disguises("/events", "sqs") {
            let event: Value = serde_json::from_str(
                &EventBuilder::new(shape, "POST", &path)
                    .body(r#"{"Records":[]}"#)
                    .build(),
            )
            .unwrap();
            let (outcome, seen) = run(events_on, &event).await;
            let response: Value = serde_json::from_str(&outcome.unwrap()).unwrap();
            assert_eq!(response["statusCode"], 404, "{shape:?} {path}");
            assert!(seen.is_empty(), "{shape:?} {path}");
        }
    }
}

// ---- Options that cannot work ----------------------------------------------------------------

#[tokio::test]
async fn unusable_paths_are_refused_before_any_event() {
    let event = EventBuilder::new(Shape::HttpApiV2, "GET", "/").build();
    for (serve, setting, value) in [
        (
            (|s: Serve<BoxedService>| s.events_path("/ev ents")) as fn(_) -> _,
            "Serve::events_path",
            "/ev ents",
        ),
        (
            |s| s.events_path("/a/../events"),
            "Serve::events_path",
            "/a/../events",
        ),
        (
            |s| s.events_path("/ev%20ents"),
            "Serve::events_path",
            "/ev%20ents",
        ),
        (|s| s.events_path("/ws"), "Serve::events_path", "/ws"),
        (
            |s| s.events_path("/ws/events"),
            "Serve::events_path",
            "/ws/events",
        ),
        (
            |s| s.events_path("/WS/events"),
            "Serve::events_path",
            "/WS/events",
        ),
        (
            |s| s.websocket_path("/hooks/ws").events_path("/hooks"),
            "Serve::events_path",
            "/hooks",
        ),
        (
            |s| s.events_path("/events").websocket_path("/events/ws"),
            "Serve::events_path",
            "/events",
        ),
        (
            |s| s.events_path("/events").websocket_path(""),
            "Serve::events_path",
            "/events",
        ),
        (
            |s| s.events_path("/hooks//events"),
            "Serve::events_path",
            "/hooks//events",
        ),
        (
            |s| s.websocket_path("/w s"),
            "Serve::websocket_path",
            "/w s",
        ),
        (
            |s| s.websocket_path("/./ws"),
            "Serve::websocket_path",
            "/./ws",
        ),
    ] {
        let (service, slot) = recording(StatusCode::OK, "");
        let serve = serve(Serve::new(service));
        let error = serve.invoke(&event).await.unwrap_err();
        assert_eq!(error.error_type(), "tower_lambda::Configuration", "{value}");
        assert!(
            error
                .message()
                .starts_with(&format!("{setting} is {value:?}, but it takes")),
            "{value}: {error}"
        );
        assert!(slot.lock().unwrap().is_empty());
    }
    // Paths apart from each other are fine, in either order, whatever was set before.
    for serve in [
        (|s: Serve<BoxedService>| s.websocket_path("/chat").events_path("/events")) as fn(_) -> _,
        |s| s.events_path("/events").websocket_path("/chat"),
        |s| s.events_path("/ws/events").websocket_path("/chat"),
    ] {
        let (service, _) = recording(StatusCode::OK, "");
        assert!(serve(Serve::new(service)).invoke(&event).await.is_ok());
    }
}

// ---- Values kept as written -------------------------------------------------------------------

#[tokio::test]
async fn json_numbers_in_query_values_are_kept_as_written_or_refused() {
    let request = |query: Value| {
        json!({
            "httpMethod": "GET", "path": "/q", "requestContext": {"stage": "prod"},
            "multiValueQueryStringParameters": query
        })
    };
    let (outcome, seen) = run(events_off, &request(json!({"n": [42, -7], "b": [true]}))).await;
    assert!(outcome.is_ok());
    assert_eq!(seen[0].uri, "/q?b=true&n=42&n=-7");
    for inexact in [
        json!({"n": [12345678901234567890123u128 as f64]}),
        serde_json::from_str::<Value>(r#"{"n": [1.10]}"#).unwrap(),
        serde_json::from_str::<Value>(r#"{"n": [1e3]}"#).unwrap(),
    ] {
        let (outcome, seen) = run(events_off, &request(inexact.clone())).await;
        let response: Value = serde_json::from_str(&outcome.unwrap()).unwrap();
        assert_eq!(response["statusCode"], 400, "{inexact}");
        assert!(
            response["body"]
                .as_str()
                .unwrap()
                .contains("cannot be kept as written"),
            "{response}"
        );
        assert!(seen.is_empty(), "{inexact}");
    }
    // As the raw JSON text, the big integer too (no `Value` in between).
    let raw = r#"{"httpMethod":"GET","path":"/q","requestContext":{"stage":"prod"},"queryStringParameters":{"n":12345678901234567890123}}"#;
    let (service, slot) = recording(StatusCode::OK, "");
    let json = Serve::new(service).invoke(raw).await.unwrap();
    let response: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(response["statusCode"], 400);
    assert!(slot.lock().unwrap().is_empty());
}
