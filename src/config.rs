//! The options: plain data that every layer above reads, set through [`Serve`](crate::Serve)'s
//! builder methods or the environment. Nothing here runs anything.

use std::net::{Ipv4Addr, SocketAddr};

use crate::binary::MediaPattern;
use crate::testing::Shape;

/// What to do when the service fails: returns `Err`, panics, or its response body fails.
///
/// ```
/// use tower_lambda::{ErrorPolicy, Serve};
/// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
/// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
/// # });
/// let serve = Serve::new(app).error_policy(ErrorPolicy::FailInvocation);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorPolicy {
    /// Answer `500 Internal Server Error` (`text/plain`), log a `tracing` error carrying the
    /// Lambda request id, and go on serving. The default.
    #[default]
    InternalServerError,
    /// Fail the Lambda invocation instead (the gateway then answers `502`), so the failure shows
    /// in Lambda's error metrics and can trigger retries or alarms. Local mode still answers 500.
    FailInvocation,
}

/// Which path the service sees when API Gateway puts a stage or a base path in it.
///
/// ```
/// use tower_lambda::{PathMode, Serve};
/// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
/// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
/// # });
/// let serve = Serve::new(app).path_mode(PathMode::AsRequested);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PathMode {
    /// The path your routes are written for: without the API Gateway stage (`/prod/items/7` on a
    /// REST API's `execute-api` URL, `/dev/items/7` on an HTTP API's named stage) and without the
    /// custom domain's base path. The removed part is the [`PathPrefix`](crate::PathPrefix)
    /// extension. The default.
    #[default]
    Routed,
    /// Exactly the path the client requested, stage and base path included where they were in
    /// the URL.
    AsRequested,
}

/// How responses travel back to Lambda.
///
/// ```
/// use tower_lambda::{ResponseMode, Serve};
/// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
/// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
/// # });
/// let serve = Serve::new(app).response_mode(ResponseMode::Streaming);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseMode {
    /// The whole response is collected and sent as one JSON document, limited to 6 MB
    /// ([`Serve::buffered_response_limit`](crate::Serve::buffered_response_limit)). Works with every event source. The default.
    #[default]
    Buffered,
    /// Responses to Function URL and REST API events are streamed: the status and headers
    /// first, then the body as the service produces it, unencoded, up to 200 MB. The Function URL
    /// must use invoke mode `RESPONSE_STREAM`, the REST API integration response transfer mode
    /// `STREAM`. Other sources (HTTP APIs, ALB) cannot stream and are answered buffered.
    Streaming,
}

impl ResponseMode {
    /// The mode named by `TOWER_LAMBDA_RESPONSE_MODE` (`streaming` or `buffered`).
    fn from_env() -> Option<Self> {
        match std::env::var("TOWER_LAMBDA_RESPONSE_MODE")
            .ok()?
            .to_ascii_lowercase()
            .as_str()
        {
            "streaming" | "stream" => Some(Self::Streaming),
            "buffered" => Some(Self::Buffered),
            other => {
                tracing::warn!(value = other, "TOWER_LAMBDA_RESPONSE_MODE is neither `streaming` nor `buffered`; using buffered");
                None
            }
        }
    }
}

/// The event source `TOWER_LAMBDA_LOCAL_SOURCE` names.
fn local_source_from_env() -> Option<Shape> {
    let value = std::env::var("TOWER_LAMBDA_LOCAL_SOURCE").ok()?;
    let shape = match value.to_ascii_lowercase().as_str() {
        "rest" | "rest-api" => Shape::RestApi,
        "http" | "http-v2" | "http-api" => Shape::HttpApiV2,
        "http-v1" => Shape::HttpApiV1,
        "url" | "function-url" => Shape::FunctionUrl,
        "alb" => Shape::Alb,
        "alb-multi" => Shape::AlbMultiValue,
        "lattice" | "lattice-v2" => Shape::VpcLatticeV2,
        "lattice-v1" => Shape::VpcLatticeV1,
        "websocket" | "ws" => Shape::WebSocket,
        "" | "none" | "plain" => return None,
        other => {
            tracing::warn!(value = other, "TOWER_LAMBDA_LOCAL_SOURCE is not one of rest, http, http-v1, url, alb, alb-multi, lattice, lattice-v1, websocket; serving plain HTTP");
            return None;
        }
    };
    Some(shape)
}

/// `path` as a prefix: one leading `/`, no trailing one; `""` for the root.
pub(crate) fn slash_prefixed(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// The events path for `path`; the root is refused (it would take every route), with a warning.
pub(crate) fn events_path(path: &str) -> Option<String> {
    let path = slash_prefixed(path);
    if path.is_empty() {
        tracing::warn!(
            "the events path cannot be `/` (it would shadow every route); non-HTTP events stay off"
        );
        return None;
    }
    Some(path)
}

/// The settings every invocation reads.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) binary_media_types: Vec<MediaPattern>,
    pub(crate) single_value_headers: bool,
    pub(crate) error_policy: ErrorPolicy,
    pub(crate) local_port: Option<u16>,
    pub(crate) strip_base_path: Option<String>,
    pub(crate) path_mode: PathMode,
    pub(crate) forwarded_prefix_header: bool,
    pub(crate) buffered_limit: usize,
    pub(crate) response_mode: Option<ResponseMode>,
    pub(crate) deadline_margin: Option<std::time::Duration>,
    pub(crate) local_source: Option<Shape>,
    /// Where WebSocket events are routed: `{websocket_path}/{routeKey}`; `""` or `/ws`-like.
    pub(crate) websocket_path: String,
    /// Where non-HTTP events are routed (`{events_path}/{kind}`); `None`: they fail the
    /// invocation.
    pub(crate) events_path: Option<String>,
    /// Let requests from HTTP sources reach the events path (off: they get `404`).
    pub(crate) events_over_http: bool,
}

/// Lambda's limit on a buffered (non-streaming) response: 6 MB of JSON.
pub const BUFFERED_RESPONSE_LIMIT: usize = 6 * 1024 * 1024;

impl Default for Config {
    fn default() -> Self {
        Self {
            binary_media_types: Vec::new(),
            single_value_headers: false,
            error_policy: ErrorPolicy::default(),
            local_port: None,
            strip_base_path: None,
            path_mode: PathMode::default(),
            forwarded_prefix_header: false,
            buffered_limit: BUFFERED_RESPONSE_LIMIT,
            response_mode: None,
            deadline_margin: None,
            local_source: None,
            websocket_path: "/ws".to_owned(),
            events_path: None,
            events_over_http: false,
        }
    }
}

impl Config {
    /// Fills in what the environment decides where the code did not: the response mode
    /// (`TOWER_LAMBDA_RESPONSE_MODE`) and, for local mode, the event source to emulate
    /// (`TOWER_LAMBDA_LOCAL_SOURCE`).
    pub(crate) fn with_environment(mut self, on_lambda: bool) -> Self {
        if self.response_mode.is_none() {
            self.response_mode = ResponseMode::from_env();
        }
        if !on_lambda && self.local_source.is_none() {
            self.local_source = local_source_from_env();
        }
        if self.events_path.is_none() {
            self.events_path = std::env::var("TOWER_LAMBDA_EVENTS_PATH")
                .ok()
                .and_then(|path| events_path(&path));
        }
        self
    }

    /// The local server's address: `127.0.0.1` and the configured port, else `PORT`, else 3000.
    pub(crate) fn local_address(&self) -> SocketAddr {
        let port = self
            .local_port
            .or_else(|| std::env::var("PORT").ok()?.parse().ok())
            .unwrap_or(3000);
        SocketAddr::from((Ipv4Addr::LOCALHOST, port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_source_names_every_source() {
        // The only test that sets this variable.
        for (value, shape) in [
            ("rest", Some(Shape::RestApi)),
            ("http", Some(Shape::HttpApiV2)),
            ("http-v1", Some(Shape::HttpApiV1)),
            ("url", Some(Shape::FunctionUrl)),
            ("alb", Some(Shape::Alb)),
            ("alb-multi", Some(Shape::AlbMultiValue)),
            ("lattice", Some(Shape::VpcLatticeV2)),
            ("Lattice-V2", Some(Shape::VpcLatticeV2)),
            ("lattice-v1", Some(Shape::VpcLatticeV1)),
            ("websocket", Some(Shape::WebSocket)),
            ("plain", None),
            ("nonsense", None),
        ] {
            std::env::set_var("TOWER_LAMBDA_LOCAL_SOURCE", value);
            assert_eq!(local_source_from_env(), shape, "{value}");
        }
        std::env::remove_var("TOWER_LAMBDA_LOCAL_SOURCE");
        assert_eq!(local_source_from_env(), None);
    }
}
