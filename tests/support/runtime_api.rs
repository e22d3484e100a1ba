//! An in-test Lambda Runtime API on 127.0.0.1: hands out queued events on
//! `GET /2018-06-01/runtime/invocation/next` and records what the function posts back to
//! `.../{id}/response` and `.../{id}/error`, and to `/runtime/init/error`.
//!
//! It also plays the SnapStart lifecycle (`/runtime/restore/next`, answered when the test calls
//! [`RuntimeApi::restore`], and `/runtime/restore/error`) and the Extensions API's `register`
//! and `event/next` (which never answers: the extension registers for no events). A restore
//! leaves every connection the function held before it silently dead, as a restored microVM
//! finds them: the server stops reading from them, without closing them.

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
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, Mutex, Notify};

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
    lifecycle: mpsc::UnboundedSender<Posted>,
    /// Every connection so far: its id and the switch that kills it.
    connections: Arc<std::sync::Mutex<Vec<Connection>>>,
    restore: Arc<Notify>,
    restore_mode: Arc<std::sync::Mutex<Restore>>,
}

/// A connection: its id and the switch that ends it ([`ALIVE`], [`DEAD`] or [`CLOSED`]).
type Connection = (u64, Arc<AtomicU8>);

const ALIVE: u8 = 0;
/// Nothing more is read from it or written to it, and it stays open.
const DEAD: u8 = 1;
/// Closed by the server.
const CLOSED: u8 = 2;

/// What a restore does to the connections the function held before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restore {
    /// They stay open but nothing more goes through them (no FIN, no RST).
    LeaveDead,
    /// The server closes them.
    Close,
}

/// The id of the connection a request came on.
#[derive(Clone, Copy)]
struct ConnectionId(u64);

/// A connection that can be left silently dead (nothing more is read from it or written to it,
/// and it stays open) or closed.
struct Killable<T> {
    io: T,
    state: Arc<AtomicU8>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Killable<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.state.load(Ordering::SeqCst) {
            DEAD => Poll::Pending,
            CLOSED => Poll::Ready(Ok(())),
            _ => Pin::new(&mut self.io).poll_read(cx, buf),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Killable<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.state.load(Ordering::SeqCst) {
            DEAD => Poll::Pending,
            CLOSED => Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into())),
            _ => Pin::new(&mut self.io).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

pub struct RuntimeApi {
    pub address: SocketAddr,
    events: mpsc::UnboundedSender<(String, Bytes, u128)>,
    posted: mpsc::UnboundedReceiver<Posted>,
    lifecycle: mpsc::UnboundedReceiver<Posted>,
    restore: Arc<Notify>,
    restore_mode: Arc<std::sync::Mutex<Restore>>,
}

impl RuntimeApi {
    pub async fn start() -> Self {
        let (event_tx, event_rx) = mpsc::unbounded_channel();
        let (posted_tx, posted_rx) = mpsc::unbounded_channel();
        let restore = Arc::new(Notify::new());
        let (lifecycle_tx, lifecycle_rx) = mpsc::unbounded_channel();
        let shared = Shared {
            events: Arc::new(Mutex::new(event_rx)),
            posted: posted_tx,
            lifecycle: lifecycle_tx,
            connections: Arc::default(),
            restore: Arc::clone(&restore),
            restore_mode: Arc::new(std::sync::Mutex::new(Restore::LeaveDead)),
        };
        let restore_mode = Arc::clone(&shared.restore_mode);
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(lifecycle_error))
            .route("/2018-06-01/runtime/restore/error", post(lifecycle_error))
            .route("/2018-06-01/runtime/restore/next", get(restore_next))
            .route("/2020-01-01/extension/register", post(register_extension))
            .route("/2020-01-01/extension/event/next", get(extension_next))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let ids = AtomicU64::new(0);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let id = ids.fetch_add(1, Ordering::SeqCst);
                let state = Arc::new(AtomicU8::new(ALIVE));
                shared
                    .connections
                    .lock()
                    .unwrap()
                    .push((id, Arc::clone(&state)));
                let app = app.clone();
                let service = hyper::service::service_fn(
                    move |mut request: Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(ConnectionId(id));
                        let mut app = app.clone();
                        async move {
                            use tower::Service;
                            app.call(request.map(axum::body::Body::new)).await
                        }
                    },
                );
                let io = hyper_util::rt::TokioIo::new(Killable { io: stream, state });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new().serve_connection(io, service),
                );
            }
        });
        Self {
            address,
            events: event_tx,
            posted: posted_rx,
            lifecycle: lifecycle_rx,
            restore,
            restore_mode,
        }
    }

    /// The next lifecycle call the function made (`"init-error"`, `"restore-next"`,
    /// `"restore-error"`, `"extension-register"`, `"extension-next"`), waiting up to 30 s.
    pub async fn lifecycle(&mut self) -> Posted {
        tokio::time::timeout(std::time::Duration::from_secs(30), self.lifecycle.recv())
            .await
            .expect("the function made a lifecycle call within 30 s")
            .expect("the runtime API is running")
    }

    /// Lets the pending `/runtime/restore/next` answer: the microVM is restored. Every
    /// connection the function held goes silently dead first.
    pub fn restore(&self) {
        self.restore_as(Restore::LeaveDead);
    }

    /// [`RuntimeApi::restore`], doing `what` to the connections the function held.
    pub fn restore_as(&self, what: Restore) {
        *self.restore_mode.lock().unwrap() = what;
        self.restore.notify_one();
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

    /// Reads one streamed response: all its data, its trailers, and the POST's own headers.
    pub async fn streamed(&mut self, request_id: &str) -> (Vec<u8>, Option<HeaderMap>, HeaderMap) {
        let mut data = Vec::new();
        let mut trailers = None;
        loop {
            let posted = self.posted().await;
            assert_eq!(posted.request_id, request_id);
            match posted.kind.as_str() {
                "stream-chunk" => data.extend_from_slice(&posted.body),
                "stream-trailers" => trailers = Some(posted.headers),
                "stream-end" => return (data, trailers, posted.headers),
                other => panic!(
                    "expected a streamed response, got {other}: {:?}",
                    posted.body
                ),
            }
        }
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

/// `/runtime/init/error` and `/runtime/restore/error`: posted as `"init-error"` or
/// `"restore-error"`.
async fn lifecycle_error(State(shared): State<Shared>, request: Request) -> StatusCode {
    let kind = if request.uri().path().contains("/init/") {
        "init-error"
    } else {
        "restore-error"
    };
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let _ = shared.lifecycle.send(Posted {
        request_id: String::new(),
        kind: kind.into(),
        error_type: parts
            .headers
            .get("lambda-runtime-function-error-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
        headers: parts.headers,
    });
    StatusCode::ACCEPTED
}

/// `/runtime/restore/next`: posted as `"restore-next"` when asked, answered when the test calls
/// [`RuntimeApi::restore`]; every other connection is then dead, and this one closes after the
/// answer.
async fn restore_next(
    State(shared): State<Shared>,
    axum::Extension(ConnectionId(this)): axum::Extension<ConnectionId>,
) -> impl IntoResponse {
    let _ = shared.lifecycle.send(Posted {
        request_id: String::new(),
        kind: "restore-next".into(),
        error_type: None,
        body: Bytes::new(),
        headers: HeaderMap::new(),
    });
    shared.restore.notified().await;
    let state = match *shared.restore_mode.lock().unwrap() {
        Restore::LeaveDead => DEAD,
        Restore::Close => CLOSED,
    };
    for (id, connection) in shared.connections.lock().unwrap().iter() {
        if *id != this {
            connection.store(state, Ordering::SeqCst);
        }
    }
    ([("connection", "close")], "")
}

/// The Extensions API's `register`: posted as `"extension-register"`.
async fn register_extension(State(shared): State<Shared>, headers: HeaderMap) -> impl IntoResponse {
    let _ = shared.lifecycle.send(Posted {
        request_id: String::new(),
        kind: "extension-register".into(),
        error_type: None,
        body: Bytes::new(),
        headers,
    });
    (
        [("lambda-extension-identifier", "extension-1")],
        axum::Json(serde_json::json!({
            "functionName": "test-function",
            "functionVersion": "$LATEST",
            "handler": "bootstrap",
        })),
    )
}

/// The Extensions API's `event/next`: posted as `"extension-next"`, never answered.
async fn extension_next(State(shared): State<Shared>, headers: HeaderMap) -> StatusCode {
    let _ = shared.lifecycle.send(Posted {
        request_id: String::new(),
        kind: "extension-next".into(),
        error_type: None,
        body: Bytes::new(),
        headers,
    });
    std::future::pending::<()>().await;
    StatusCode::OK
}
