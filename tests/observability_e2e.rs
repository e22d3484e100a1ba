//! What operators see, on the real `lambda_runtime` client with `lambda_runtime`'s default
//! subscriber in JSON mode (`AWS_LAMBDA_LOG_FORMAT=json`): one JSON line per invocation with the
//! OpenTelemetry-named fields, the service's own events inside the invocation's span (request
//! id), the invocation's X-Ray trace header on the request, and statuses that fail the
//! invocation.
//!
//! One test per binary: it installs the global subscriber and sets process-wide environment.

mod support;

use axum::routing::get;
use axum::Router;
use http::HeaderMap;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use support::runtime_api::RuntimeApi;
use tower_lambda::testing::{EventBuilder, Shape};
use tower_lambda::{EventTraceHeader, Serve};

/// What the runtime gives every invocation of the in-test Runtime API.
const TRACE: &str = "Root=1-5759e988-bd862e3fe1be46a994272793";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn url_event(path: &str, trace: Option<&str>) -> String {
    let event = EventBuilder::new(Shape::FunctionUrl, "GET", path);
    match trace {
        Some(trace) => event.header("x-amzn-trace-id", trace).build(),
        None => event.build(),
    }
}

/// `/` answers with the trace headers it saw; `/busy` is a 503.
fn app() -> Router {
    Router::new()
        .route(
            "/",
            get(
                |headers: HeaderMap, carried: Option<axum::Extension<EventTraceHeader>>| async move {
                    tracing::info!("inside the handler");
                    let seen: Vec<_> = headers
                        .get_all("x-amzn-trace-id")
                        .iter()
                        .map(|v| v.to_str().unwrap().to_owned())
                        .collect();
                    let carried: Vec<_> = carried
                        .map(|c| c.0 .0.iter().map(|v| v.to_str().unwrap().to_owned()).collect())
                        .unwrap_or_default();
                    axum::Json(json!({"seen": seen, "carried": carried}))
                },
            ),
        )
        .route(
            "/busy",
            get(|| async { (http::StatusCode::SERVICE_UNAVAILABLE, "overloaded, retry later") }),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_json_line_per_invocation_trace_header_and_failing_statuses() {
    std::env::set_var("AWS_LAMBDA_LOG_FORMAT", "json");
    let captured = Captured::default();
    let writer = captured.clone();
    tower_lambda::lambda_runtime::tracing::init_default_subscriber_with_writer(move || {
        writer.clone()
    });

    // Local mode first (before the Lambda environment is set): its access line's latency reads
    // as milliseconds to the microsecond.
    let port = support::http::free_port();
    let local = tokio::spawn(Serve::new(app()).local_port(port).run());
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut answer = None;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            answer = Some(support::http::send(address, "GET", "/busy", &[], b"").await);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(answer.map(|a| a.status), Some(503));
    local.abort();
    let access = String::from_utf8_lossy(&captured.0.lock().unwrap())
        .lines()
        .find(|line| line.contains(r#""message":"request""#))
        .map(str::to_owned)
        .expect("an access line");
    let latency = access
        .split(r#""latency_ms":"#)
        .nth(1)
        .and_then(|rest| rest.split([',', '}']).next())
        .expect("a latency");
    let decimals = latency.split('.').nth(1).unwrap_or("");
    assert!(
        latency.parse::<f64>().is_ok() && decimals.len() <= 3,
        "{access}"
    );

    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    let server = tokio::spawn(Serve::new(app()).fail_on_status(500..=599).run());

    // A client's own trace header gives way to the invocation's, and is kept aside.
    api.send(
        "first",
        url_event("/", Some("Root=1-00000000-forgedbyclient")),
    );
    let posted = api.posted().await;
    assert_eq!(posted.kind, "response");
    let response: Value = serde_json::from_slice(&posted.body).unwrap();
    let first_size = response["body"].as_str().unwrap().len();
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"seen": [TRACE], "carried": ["Root=1-00000000-forgedbyclient"]})
    );
    // Without one, the request carries the invocation's.
    api.send("second", url_event("/", None));
    let response: Value = serde_json::from_slice(&api.posted().await.body).unwrap();
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"seen": [TRACE], "carried": []}));

    // A status `fail_on_status` lists fails the invocation, the body as the message.
    api.send("third", url_event("/busy", None));
    let posted = api.posted().await;
    assert_eq!(posted.kind, "error");
    let error: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(
        error,
        json!({"errorType": "tower_lambda::Status503", "errorMessage": "overloaded, retry later"})
    );

    // The lines are written after the answer is sent: wait for the third.
    let lines = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let lines: Vec<Value> = String::from_utf8_lossy(&captured.0.lock().unwrap())
                .lines()
                .map(|line| serde_json::from_str(line).expect("every line is one JSON object"))
                .collect();
            if lines
                .iter()
                .filter(|l| l["fields"]["message"] == "invocation")
                .count()
                == 3
            {
                return lines;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("three invocation lines");
    let invocations: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "invocation")
        .collect();
    let fields = |i: usize| {
        let mut fields = invocations[i]["fields"].clone();
        assert!(
            fields["duration_ms"].as_f64().is_some_and(|d| d >= 0.0),
            "{fields}"
        );
        fields.as_object_mut().unwrap().remove("duration_ms");
        (invocations[i]["level"].clone(), fields)
    };
    assert_eq!(
        fields(0),
        (
            json!("INFO"),
            json!({
                "message": "invocation",
                "faas.invocation_id": "first",
                "faas.coldstart": true,
                "faas.trigger": "http",
                "aws.lambda.event_source": "function_url",
                "http.request.method": "GET",
                "url.path": "/",
                "http.response.status_code": 200,
                "http.response.body.size": first_size,
                "aws.xray.trace_id": TRACE,
            })
        )
    );
    assert_eq!(fields(1).1["faas.coldstart"], false);
    assert_eq!(
        fields(2).1,
        json!({
            "message": "invocation",
            "faas.invocation_id": "third",
            "faas.coldstart": false,
            "faas.trigger": "http",
            "aws.lambda.event_source": "function_url",
            "http.request.method": "GET",
            "url.path": "/busy",
            "error.type": "tower_lambda::Status503",
            "aws.xray.trace_id": TRACE,
        })
    );

    // The service's own events carry the invocation's request id (its span).
    let inside: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "inside the handler")
        .collect();
    assert_eq!(inside.len(), 2);
    assert_eq!(inside[0]["span"]["requestId"], "first");
    assert_eq!(inside[1]["span"]["requestId"], "second");
    // The failing status's body is logged too.
    assert!(
        lines.iter().any(|l| l["level"] == "ERROR"
            && l["fields"]["body"] == "overloaded, retry later"
            && l["fields"]["status"] == 503),
        "{lines:#?}"
    );
    server.abort();
}
