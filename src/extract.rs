//! axum extractors for the request context (cargo feature `axum`).
//!
//! ```
//! use axum::{routing::get, Router};
//! use tower_lambda::extract::LambdaContext;
//! use tower_lambda::{PathPrefix, RequestContext};
//!
//! async fn whoami(context: RequestContext, LambdaContext(lambda): LambdaContext) -> String {
//!     format!(
//!         "{:?} request {} (Lambda request {}) from {:?}",
//!         context.source(),
//!         context.request_id().unwrap_or("-"),
//!         lambda.request_id,
//!         context.source_ip(),
//!     )
//! }
//!
//! async fn links(PathPrefix(prefix): PathPrefix) -> String {
//!     format!("next page: {prefix}/items?page=2")
//! }
//!
//! let app: Router = Router::new().route("/whoami", get(whoami)).route("/links", get(links));
//! ```
//!
//! With this feature, `axum::extract::ConnectInfo<SocketAddr>` is populated too: from the
//! event's source IP on Lambda (port 0: gateways do not pass the client's port) and from the real
//! peer in local mode, so apps that already use `ConnectInfo` work unchanged.

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::StatusCode;
use std::fmt;

use crate::context::{ClientUrl, LatticeContext, PathPrefix, RequestContext, WebSocketContext};
use crate::events::EventKind;

/// The Lambda invocation context: request id, deadline, function ARN, X-Ray trace id.
#[derive(Debug, Clone)]
pub struct LambdaContext(pub lambda_runtime::Context);

/// Why an extractor found nothing: the request did not come from a Lambda event.
///
/// Answers `500 Internal Server Error` with a message naming what was missing, since it is a
/// deployment problem rather than the client's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingContext {
    what: &'static str,
}

impl fmt::Display for MissingContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "missing {}: the request did not come from a Lambda event (tower-lambda adds it on Lambda, not in local mode)",
            self.what
        )
    }
}

impl std::error::Error for MissingContext {}

impl IntoResponse for MissingContext {
    fn into_response(self) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}

fn get<T: Clone + Send + Sync + 'static>(
    parts: &Parts,
    what: &'static str,
) -> Result<T, MissingContext> {
    parts
        .extensions
        .get::<T>()
        .cloned()
        .ok_or(MissingContext { what })
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = MissingContext;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, MissingContext> {
        get(parts, "tower_lambda::RequestContext")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LambdaContext {
    type Rejection = MissingContext;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, MissingContext> {
        get(parts, "the Lambda invocation context").map(LambdaContext)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientUrl {
    type Rejection = MissingContext;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, MissingContext> {
        get(parts, "tower_lambda::ClientUrl")
    }
}

/// Never fails: without a prefix (local mode, or nothing removed) it is empty.
impl<S: Send + Sync> FromRequestParts<S> for PathPrefix {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<PathPrefix>()
            .cloned()
            .unwrap_or_default())
    }
}

/// Why a source-specific extractor refused a request: it did not come from that event source.
///
/// Answers `404 Not Found`: a route meant for WebSocket (or VPC Lattice) events does not exist
/// for a client of an HTTP API in front of the same function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongSource {
    wanted: &'static str,
}

impl fmt::Display for WrongSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not found: this route serves {} events only",
            self.wanted
        )
    }
}

impl std::error::Error for WrongSource {}

impl IntoResponse for WrongSource {
    fn into_response(self) -> Response {
        (StatusCode::NOT_FOUND, self.to_string()).into_response()
    }
}

/// The WebSocket connection and event; refuses (`404`) requests from any other source.
///
/// ```
/// use axum::{routing::{get, post}, Router};
/// use tower_lambda::WebSocketContext;
///
/// async fn connect(ws: WebSocketContext) -> &'static str {
///     tracing::info!(connection = ws.connection_id(), "connected");
///     "welcome"
/// }
///
/// async fn message(ws: WebSocketContext, body: String) -> String {
///     format!("{} said {body}", ws.connection_id().unwrap_or("?"))
/// }
///
/// let app: Router = Router::new()
///     .route("/ws/$connect", get(connect))
///     .route("/ws/sendmessage", post(message));
/// ```
impl<S: Send + Sync> FromRequestParts<S> for WebSocketContext {
    type Rejection = WrongSource;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, WrongSource> {
        parts
            .extensions
            .get::<RequestContext>()
            .and_then(RequestContext::websocket)
            .cloned()
            .ok_or(WrongSource {
                wanted: "API Gateway WebSocket API",
            })
    }
}

/// The VPC Lattice service, target group and caller; refuses (`404`) requests from any other
/// source, and from VPC Lattice V1 events (which carry no context).
impl<S: Send + Sync> FromRequestParts<S> for LatticeContext {
    type Rejection = WrongSource;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, WrongSource> {
        parts
            .extensions
            .get::<RequestContext>()
            .and_then(RequestContext::vpc_lattice)
            .cloned()
            .ok_or(WrongSource {
                wanted: "VPC Lattice (payload V2)",
            })
    }
}

/// The kind of non-HTTP event; refuses (`404`) requests that did not come from one.
impl<S: Send + Sync> FromRequestParts<S> for EventKind {
    type Rejection = WrongSource;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, WrongSource> {
        parts
            .extensions
            .get::<EventKind>()
            .copied()
            .ok_or(WrongSource {
                wanted: "non-HTTP Lambda",
            })
    }
}
