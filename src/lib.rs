//! Run any tower service — an `axum::Router`, a `tower::ServiceBuilder` stack, a hyper service —
//! on AWS Lambda behind API Gateway (REST, HTTP and WebSocket APIs), Lambda Function URLs,
//! Application Load Balancers and VPC Lattice, unchanged; and on your laptop as a plain HTTP
//! server.
//!
//! ```no_run
//! use axum::{extract::Path, routing::get, Router};
//!
//! async fn hello(Path(name): Path<String>) -> String {
//!     format!("Hello, {name}!")
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), tower_lambda::Error> {
//!     let app = Router::new().route("/hello/{name}", get(hello));
//!     tower_lambda::serve(app).await
//! }
//! ```
//!
//! On Lambda (`AWS_LAMBDA_RUNTIME_API` is set) each event is read once, its source detected
//! from the fields that identify it, and turned into an [`http::Request`] carrying exactly what
//! the client sent: method, URI, every header value, the body (base64-decoded when needed).
//! The response goes back in the shape that source reads. Request extensions carry the
//! invocation's [`lambda_runtime::Context`], the event source's [`RequestContext`] (request id,
//! stage, source IP, authorizer claims, ...), the [`PathPrefix`] removed before routing (stage,
//! base path; see [`PathMode`]) and the [`ClientUrl`]; read them with [`RequestExt`] or, with the
//! `axum` feature, with extractors (see [`extract`](crate#axum)). Anywhere else, `serve` runs a local HTTP/1.1 server on
//! `127.0.0.1:$PORT` (default 3000).
//!
//! | Source | Request fields read | Response shape |
//! |---|---|---|
//! | API Gateway REST API | `path`, `multiValueHeaders`, `multiValueQueryStringParameters` | `multiValueHeaders` |
//! | HTTP API, payload 1.0 | as REST | `multiValueHeaders` |
//! | HTTP API, payload 2.0 | `rawPath`, `rawQueryString`, `headers`, `cookies` | `headers` + `cookies` |
//! | Function URL | as HTTP API 2.0 | `headers` + `cookies` |
//! | ALB | `path`, (`multiValue`)`headers`, (`multiValue`)`queryStringParameters` | the header map the request used, `statusDescription` |
//! | VPC Lattice V1 / V2 | `raw_path` / `path` (with the query), `headers` | `headers` (strings), `isBase64Encoded` |
//! | API Gateway WebSocket API | `requestContext.routeKey` → `GET`/`POST {websocket_path}/{routeKey}`, REST-style maps, `body` | `headers` (strings), `isBase64Encoded` |
//!
//! # How events are identified
//! Each source by the combination of fields only it sends, never by one field another payload
//! may carry too; an event with `methodArn` or `routeArn` (an API Gateway Lambda authorizer's
//! input) is never a request:
//!
//! | Source | Identified by |
//! |---|---|
//! | REST API / HTTP API payload 1.0 | `httpMethod` + a `requestContext` without `elb`; no `version` / `"version": "1.0"` |
//! | HTTP API payload 2.0 / Function URL | `requestContext.http`, `"version": "2.0"` (or none); a Function URL's domain |
//! | ALB | `httpMethod` + `requestContext.elb.targetGroupArn` |
//! | VPC Lattice V1 / V2 | `method` + `raw_path` / `method` + `"version": "2.0"` + `requestContext` |
//! | WebSocket API | `requestContext.eventType` (`CONNECT`, `MESSAGE`, `DISCONNECT`) + `requestContext.connectionId` |
//!
//! Any other event fails the invocation, or, with [`Serve::events_path`], becomes a request to
//! `{events_path}/{kind}` (see [`EventKind`], authorizers included). A request from an HTTP source
//! for the events path or the WebSocket path is answered `404` without calling the service, in
//! any spelling a router might read the same.
//!
//! Options live on [`Serve`]. Response bodies that are not text travel base64-encoded; the rule
//! and its overrides are described at [`BodyEncoding`]. [`Serve::invoke`] runs one event through
//! the production path in a test.
//!
//! # axum
//! With the `axum` cargo feature, [`RequestContext`], [`PathPrefix`] and [`ClientUrl`] are
//! extractors, the `extract` module adds `LambdaContext`, and `axum::extract::ConnectInfo` is
//! populated from the event's source IP.
//!
//! # What goes wrong, and how it shows
//! - An event that is not an HTTP event fails the invocation with a message naming what was
//!   expected and the event's top-level keys.
//! - A request that cannot be represented (invalid base64 body, invalid method) gets a `400`
//!   without calling the service.
//! - A service that returns `Err` or panics gets a `500` and a `tracing` error with the request
//!   id; the process keeps serving (see [`ErrorPolicy`]).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

// # Layers
//
// The crate reads bottom-up: each module uses only modules of its own layer or the ones below,
// and no two modules import each other in a circle (`.ci/check-layers.py` checks both, from
// this list). A new file goes into the lowest layer whose modules it needs.
//
// 1. **Data and rules**: `error`, `event` (the borrowed envelope), `events` (the kinds of
//    non-HTTP events), `config` (plain options), `binary`, `headers`, `uri`, `body`, `context`,
//    `response`, `restore`, `emulate` (the events local mode and tests build), `testing` (its
//    public face).
// 2. **Sources**: `source`, one module per source under it, owning detect, decode and the
//    response JSON, with what they share in modules of its own (`source/mod.rs` is only the
//    table of contents and the dispatch).
// 3. **One invocation**: `collect` (the buffered body and its size guard), `invoke` (event bytes
//    → request → service → response).
// 4. **Drivers**: `shutdown`, `streaming`, `runtime`, `local`, `logging`, `snapstart`.
// 5. **The front door**: `serve` (`Serve`), `hyper_service`, `extract`, and this file.

// 1. Data and rules.
mod binary;
mod body;
mod config;
mod context;
mod emulate;
mod error;
mod event;
mod events;
mod headers;
mod response;
mod restore;
pub mod testing;
mod uri;

// 2. Sources: one module per event source, each owning both directions.
mod source;

// 3. One invocation.
mod collect;
mod invoke;

// 4. Drivers.
mod local;
mod logging;
mod runtime;
mod shutdown;
mod snapstart;
mod streaming;

// 5. The front door.
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod extract;
mod hyper_service;
mod serve;

/// The event types (`aws_lambda_events::event::sqs::SqsEvent`, ...) in the version tower-lambda
/// uses; the `events` cargo feature turns on the non-HTTP ones.
pub use aws_lambda_events;
pub use binary::BodyEncoding;
pub use body::Body;
pub use config::{ErrorPolicy, PathMode, ResponseMode, BUFFERED_RESPONSE_LIMIT};
pub use context::{
    ClientUrl, ContextError, EventSource, EventTraceHeader, LatticeContext, LatticeIdentity,
    PathPrefix, RequestContext, RequestExt, SourceContext, WebSocketContext, WebSocketEventType,
};
pub use error::{BoxError, Error, InvocationError};
pub use events::EventKind;
pub use hyper_service::{from_hyper, HyperService};
/// The Lambda runtime tower-lambda drives, in the version it uses: for
/// [`SnapStartResource`](lambda_runtime::SnapStartResource) ([`Serve::snapstart_resource`]) and
/// [`Context`].
pub use lambda_runtime;
pub use lambda_runtime::Context;
pub use serve::Serve;

use bytes::Bytes;
use http::{Request, Response};
use tower::Service;

/// Serves `service` on Lambda, or locally when not running on Lambda, with default options.
///
/// Accepts any `Clone` tower service from `http::Request<tower_lambda::Body>` to an
/// `http::Response` whose body yields [`Bytes`]: an `axum::Router`, a `tower::ServiceBuilder`
/// stack with tower-http layers, or a hyper service through [`from_hyper`]. For options, use
/// [`Serve`].
///
/// # Errors
/// See [`Serve::run`].
pub async fn serve<S, B>(service: S) -> Result<(), Error>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    Serve::new(service).run().await
}

/// The adapter's rules that its fuzz oracle (`fuzz/`) checks against, so that the two cannot
/// drift apart. Not part of the API: no stability promise.
#[doc(hidden)]
#[cfg(feature = "__internal")]
pub mod __rules {
    /// Whether a payload-2.0 event on this domain is a Function URL event.
    pub use crate::source::is_function_url_domain;

    /// A request cookie of `cookies[]` as it joins the `Cookie` header (`None`: skipped).
    pub use crate::source::cookie_to_add;

    /// How many `Set-Cookie` values a single-value header map can carry (one per letter-case
    /// spelling of the name); the rest are dropped.
    pub use crate::headers::SET_COOKIE_SPELLINGS;

    /// Whether `Serve::binary_media_types` takes this pattern (it refuses the others, naming
    /// them, with `Error::Configuration`).
    pub fn is_media_pattern(pattern: &str) -> bool {
        crate::binary::MediaPattern::is_valid(pattern)
    }
}

/// Entry points for the crate's own benchmarks (`benches/`), which compare the decoding and
/// encoding halves separately. Not part of the API: no stability promise.
#[doc(hidden)]
#[cfg(feature = "__internal")]
pub mod __bench {
    use bytes::Bytes;
    use http::{Request, Response};

    use crate::body::Body;
    use crate::config::Config;
    use crate::error::BoxError;
    use crate::invoke::{prepare, respond_buffered, Prepared, Reply};
    use crate::source::Source;

    /// An event decoded into the request the service sees.
    pub struct Decoded {
        /// The request.
        pub request: Request<Body>,
        source: Source,
    }

    /// Decodes one event (what happens before the service is called).
    pub fn decode(raw: Bytes) -> Option<Decoded> {
        match prepare(&Config::default(), raw).ok()? {
            Prepared::Request { source, request } => Some(Decoded { request, source }),
            Prepared::Event { .. } | Prepared::Answer(_) => None,
        }
    }

    /// One invocation as the Lambda runtime glue runs it (event bytes → request → service →
    /// response JSON), without the copy [`Serve::invoke`](crate::Serve::invoke) makes of a
    /// borrowed event.
    pub async fn round_trip<S, B>(serve: &crate::Serve<S>, raw: Bytes) -> Option<String>
    where
        S: tower::Service<Request<Body>, Response = Response<B>> + Clone,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        serve.invoke_bytes(raw).await.ok()
    }

    /// Encodes `response` as the JSON `decoded`'s source reads (what happens after the service
    /// answered), through the same collection and size guard as production.
    pub async fn encode<B>(decoded: &Decoded, response: Response<B>) -> Option<String>
    where
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let mut once = Some(response);
        let answer = tower::service_fn(move |_: Request<Body>| {
            let response = once.take();
            async move { response.ok_or("answered twice") }
        });
        let config = Config::default();
        let response = respond_buffered(answer, &config, Request::new(Body::empty()))
            .await
            .ok()?;
        serde_json::to_string(&Reply::new(decoded.source, response, &config)).ok()
    }
}
