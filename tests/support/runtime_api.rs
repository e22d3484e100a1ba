//! An in-test Lambda Runtime API on 127.0.0.1: hands out queued events on
//! `GET /2018-06-01/runtime/invocation/next` and records what the function posts back to
//! `.../{id}/response` and `.../{id}/error`.

#![allow(dead_code)]

use axum::{
    body::Bytes,
    extract::{Path, Request, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
    Router,
};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{mpsc, Mutex};

/// What the function posted for one invocation.
///
/// A streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`) is reported piece by
/// piece, as it arrives: one `"stream-chunk"` per data frame, `"stream-trailers"` if trailers
/// came, then `"stream-end"`.
#[derive(Debug, Clone)]
pub struct Posted {
    pub request_id: String,
    /// `"response"`, `"error"`, `"stream-chunk"`, `"stream-trailers"` or `"stream-end"`.
    pub kind: String,
    pub error_type: Option<String>,
    pub body: Bytes,
    pub headers: HeaderMap,
}

#[derive(Clone)]
struct Shared {
    events: Arc<Mutex<mpsc::UnboundedReceiver<(String, Bytes, u128)>>>,
    posted: mpsc::UnboundedSender<Posted>,
}

pub struct RuntimeApi {
    pub address: SocketAddr,
    events: mpsc::UnboundedSender<(String, Bytes, u128)>,
    posted: mpsc::UnboundedReceiver<Posted>,
}

impl RuntimeApi {
    pub async fn start() -> Self {
        let (event_tx, event_rx) = mpsc::unbounded_channel();
        let (posted_tx, posted_rx) = mpsc::unbounded_channel();
        let shared = Shared {
            events: Arc::new(Mutex::new(event_rx)),
            posted: posted_tx,
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            address,
            events: event_tx,
            posted: posted_rx,
        }
    }

    /// Queues an event under a request id, with a deadline 30 s away.
    pub fn send(&self, request_id: &str, event: impl Into<Bytes>) {
        self.send_with_deadline(request_id, event, std::time::Duration::from_secs(30));
    }

    /// Queues an event whose invocation deadline is `time_limit` from now.
    pub fn send_with_deadline(
        &self,
        request_id: &str,
        event: impl Into<Bytes>,
        time_limit: std::time::Duration,
    ) {
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + time_limit.as_millis();
        self.events
            .send((request_id.to_owned(), event.into(), deadline))
            .unwrap();
    }

    /// The next thing the function posted, waiting up to 30 s.
    pub async fn posted(&mut self) -> Posted {
        tokio::time::timeout(std::time::Duration::from_secs(30), self.posted.recv())
            .await
            .expect("the function posted a result within 30 s")
            .expect("the runtime API is running")
    }

    /// Sets the environment the Lambda runtime reads to point at this server.
    pub fn set_lambda_env(&self) {
        std::env::set_var("AWS_LAMBDA_RUNTIME_API", self.address.to_string());
        std::env::set_var("AWS_LAMBDA_FUNCTION_NAME", "test-function");
        std::env::set_var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128");
        std::env::set_var("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    }
}

async fn next(State(shared): State<Shared>) -> impl IntoResponse {
    let (request_id, event, deadline) = shared
        .events
        .lock()
        .await
        .recv()
        .await
        .expect("the test keeps the event queue open");
    (
        [
            ("lambda-runtime-aws-request-id", request_id),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:test-function".to_owned(),
            ),
            (
                "lambda-runtime-trace-id",
                "Root=1-5759e988-bd862e3fe1be46a994272793".to_owned(),
            ),
            ("content-type", "application/json".to_owned()),
        ],
        event,
    )
}

async fn response(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    request: Request,
) -> StatusCode {
    let (parts, mut body) = request.into_parts();
    let streaming = parts
        .headers
        .get("lambda-runtime-function-response-mode")
        .is_some_and(|mode| mode == "streaming");
    let post = |kind: &str, body: Bytes, headers: HeaderMap| {
        let _ = shared.posted.send(Posted {
            request_id: id.clone(),
            kind: kind.into(),
            error_type: None,
            body,
            headers,
        });
    };
    if !streaming {
        let bytes = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        post("response", bytes, parts.headers);
        return StatusCode::ACCEPTED;
    }
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) if frame.is_data() => post(
                "stream-chunk",
                frame.into_data().unwrap_or_default(),
                HeaderMap::new(),
            ),
            Ok(frame) => post(
                "stream-trailers",
                Bytes::new(),
                frame.into_trailers().unwrap_or_default(),
            ),
            Err(_) => break,
        }
    }
    post("stream-end", Bytes::new(), parts.headers);
    StatusCode::ACCEPTED
}

async fn error(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let error_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let _ = shared.posted.send(Posted {
        request_id: id,
        kind: "error".into(),
        error_type,
        body,
        headers,
    });
    StatusCode::ACCEPTED
}
