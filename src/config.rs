//! The options: plain data that every layer above reads, set through [`Serve`](crate::Serve)'s
//! builder methods or the environment. Nothing here runs anything.

use std::net::{Ipv4Addr, SocketAddr};

use crate::binary::MediaPattern;
use crate::emulate::Shape;

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
    fn from_env() -> Result<Option<Self>, Misconfigured> {
        let Some(value) = env_var("TOWER_LAMBDA_RESPONSE_MODE")? else {
            return Ok(None);
        };
        match value.to_ascii_lowercase().as_str() {
            "streaming" | "stream" => Ok(Some(Self::Streaming)),
            "buffered" => Ok(Some(Self::Buffered)),
            _ => Err(Misconfigured::new(
                "TOWER_LAMBDA_RESPONSE_MODE",
                value,
                "`streaming` or `buffered`",
            )),
        }
    }
}

/// A setting that cannot be used: which one, the value it has, and what it takes. Found when
/// [`Serve`](crate::Serve) starts, reported to Lambda's `/runtime/init/error`, and returned by
/// `serve` as [`Error::Configuration`](crate::Error::Configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Misconfigured {
    /// The environment variable or the `Serve` method.
    pub(crate) setting: &'static str,
    /// The value it has.
    pub(crate) value: String,
    /// What it takes.
    pub(crate) expected: &'static str,
}

impl Misconfigured {
    pub(crate) fn new(setting: &'static str, value: String, expected: &'static str) -> Self {
        Self {
            setting,
            value,
            expected,
        }
    }
}

impl From<Misconfigured> for crate::error::Error {
    fn from(problem: Misconfigured) -> Self {
        Self::Configuration {
            setting: problem.setting,
            value: problem.value,
            expected: problem.expected,
        }
    }
}

/// An environment variable's value; `None` when it is not set, an error when it is not Unicode.
fn env_var(variable: &'static str) -> Result<Option<String>, Misconfigured> {
    match std::env::var(variable) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(value)) => Err(Misconfigured::new(
            variable,
            value.to_string_lossy().into_owned(),
            "a UTF-8 value",
        )),
    }
}

/// Response statuses that fail the invocation
/// ([`Serve::fail_on_status`](crate::Serve::fail_on_status)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StatusSet(Vec<(u16, u16)>);

impl StatusSet {
    /// Adds the statuses `first..=last`.
    pub(crate) fn add(&mut self, first: u16, last: u16) {
        if first <= last {
            self.0.push((first, last));
        }
    }

    /// Whether `status` is one of them.
    #[inline]
    pub(crate) fn contains(&self, status: u16) -> bool {
        !self.0.is_empty() && self.0.iter().any(|&(a, b)| (a..=b).contains(&status))
    }

    /// Parses `500-599,429`: statuses and inclusive ranges, separated by commas.
    pub(crate) fn parse(list: &str) -> Option<Self> {
        let status = |s: &str| {
            s.trim()
                .parse::<u16>()
                .ok()
                .filter(|s| (100..=999).contains(s))
        };
        let mut set = Self::default();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (first, last) = item.split_once('-').unwrap_or((item, item));
            let (first, last) = (status(first)?, status(last)?);
            if first > last {
                return None;
            }
            set.add(first, last);
        }
        Some(set)
    }
}

/// The statuses `TOWER_LAMBDA_ERROR_STATUS_CODES` names.
fn error_statuses_from_env() -> Result<Option<StatusSet>, Misconfigured> {
    let Some(value) = env_var("TOWER_LAMBDA_ERROR_STATUS_CODES")? else {
        return Ok(None);
    };
    match StatusSet::parse(&value) {
        Some(set) => Ok(Some(set)),
        None => Err(Misconfigured::new(
            "TOWER_LAMBDA_ERROR_STATUS_CODES",
            value,
            "HTTP statuses and ranges separated by commas, such as `500-599` or `500,502-504`",
        )),
    }
}

/// The invocation log line: off, or at a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvocationLog {
    Off,
    At(tracing::Level),
}

impl InvocationLog {
    fn level(self) -> Option<tracing::Level> {
        match self {
            Self::Off => None,
            Self::At(level) => Some(level),
        }
    }
}

/// What `TOWER_LAMBDA_INVOCATION_LOG` says, if it is set.
fn invocation_log_from_env() -> Result<Option<InvocationLog>, Misconfigured> {
    let Some(value) = env_var("TOWER_LAMBDA_INVOCATION_LOG")? else {
        return Ok(None);
    };
    if value.eq_ignore_ascii_case("off") {
        return Ok(Some(InvocationLog::Off));
    }
    match value.parse::<tracing::Level>() {
        Ok(level) => Ok(Some(InvocationLog::At(level))),
        Err(_) => Err(Misconfigured::new(
            "TOWER_LAMBDA_INVOCATION_LOG",
            value,
            "`off`, `error`, `warn`, `info`, `debug` or `trace`",
        )),
    }
}

/// The event source `TOWER_LAMBDA_LOCAL_SOURCE` names.
fn local_source_from_env() -> Result<Option<Shape>, Misconfigured> {
    let Some(value) = env_var("TOWER_LAMBDA_LOCAL_SOURCE")? else {
        return Ok(None);
    };
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
        "" | "none" | "plain" => return Ok(None),
        _ => {
            return Err(Misconfigured::new(
                "TOWER_LAMBDA_LOCAL_SOURCE",
                value,
                "one of rest, http, http-v1, url, alb, alb-multi, lattice, lattice-v1, websocket, plain",
            ))
        }
    };
    Ok(Some(shape))
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

/// What a path option takes: letters, digits and `-._~!$&'()*+,;=:@/`, no empty, `.` or `..`
/// segment and no percent-escape, so that it reads the same to every router and to the guard that
/// keeps HTTP clients out of it.
const PLAIN_PATH: &str = "a path other than `/` that is plain (letters, digits and `-._~!$&'()*+,;=:@/`, no empty, `.` or `..` segment, no `%` escape), such as `/events`";

/// Whether `path` (already [`slash_prefixed`]) is a plain path.
fn is_plain_path(path: &str) -> bool {
    path.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b))
        && path
            .split('/')
            .skip(1)
            .all(|segment| !matches!(segment, "" | "." | ".."))
}

/// The events path for `path`; the root is refused (it would take every route), and so is a
/// path that is not plain.
pub(crate) fn events_path(
    path: &str,
    setting: &'static str,
) -> Result<Option<String>, Misconfigured> {
    let prefixed = slash_prefixed(path);
    if prefixed.is_empty() || !is_plain_path(&prefixed) {
        return Err(Misconfigured::new(setting, path.to_owned(), PLAIN_PATH));
    }
    Ok(Some(prefixed))
}

/// The WebSocket path for `path`: `""` for the root, else a plain path.
pub(crate) fn websocket_path(path: &str) -> Result<String, Misconfigured> {
    let prefixed = slash_prefixed(path);
    if !is_plain_path(&prefixed) {
        return Err(Misconfigured::new(
            "Serve::websocket_path",
            path.to_owned(),
            "a plain path (letters, digits and `-._~!$&'()*+,;=:@/`, no empty, `.` or `..` segment, no `%` escape), such as `/ws`",
        ));
    }
    Ok(prefixed)
}

/// The events path and the WebSocket path may not overlap: an events path equal to the
/// WebSocket path, under it or above it would take WebSocket routes (or give events to them).
fn paths_overlap(events: &str, websocket: &str, setting: &'static str) -> Option<Misconfigured> {
    let under = |path: &str, prefix: &str| crate::uri::is_under(path, prefix);
    (websocket.is_empty() || under(events, websocket) || under(websocket, events)).then(|| {
        Misconfigured::new(
            setting,
            events.to_owned(),
            "a path that neither holds nor lies under the WebSocket path (`Serve::websocket_path`, `/ws` by default, `\"\"` for the root, which holds every path)",
        )
    })
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
    pub(crate) response_mode: ResponseMode,
    pub(crate) deadline_margin: Option<std::time::Duration>,
    pub(crate) local_source: Option<Shape>,
    /// Where WebSocket events are routed: `{websocket_path}/{routeKey}`; `""` or `/ws`-like.
    pub(crate) websocket_path: String,
    /// Where non-HTTP events are routed (`{events_path}/{kind}`); `None`: they fail the
    /// invocation.
    pub(crate) events_path: Option<String>,
    /// Let requests from HTTP sources reach the events path (off: they get `404`).
    pub(crate) events_over_http: bool,
    /// Let requests from HTTP sources reach the WebSocket path (off: they get `404`).
    pub(crate) websocket_over_http: bool,
    /// Put the removed path prefix back into `Location`, `Content-Location` and cookie paths.
    pub(crate) restore_prefix: bool,
    /// Response statuses that fail the invocation.
    pub(crate) fail_on_status: StatusSet,
    /// The level of the line logged per invocation on Lambda; `None`: no line.
    pub(crate) invocation_log: Option<tracing::Level>,
}

/// What [`Serve`](crate::Serve)'s builder methods collected, before the environment is read:
/// the options no environment variable decides, already plain (in `config`), those a
/// `TOWER_LAMBDA_*` variable decides when the code did not (`None`: not set in code), and the
/// first option set to a value that cannot be used. [`Options::resolve`] turns it into the
/// [`Config`] every invocation reads, once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// Every option no environment variable decides. (Its fields that one does decide keep
    /// their defaults here; the fields below win.)
    pub(crate) config: Config,
    /// `TOWER_LAMBDA_RESPONSE_MODE`.
    pub(crate) response_mode: Option<ResponseMode>,
    /// `TOWER_LAMBDA_LOCAL_SOURCE` (local mode only).
    pub(crate) local_source: Option<Shape>,
    /// `TOWER_LAMBDA_EVENTS_PATH`.
    pub(crate) events_path: Option<String>,
    /// `TOWER_LAMBDA_ERROR_STATUS_CODES`.
    pub(crate) fail_on_status: Option<StatusSet>,
    /// `TOWER_LAMBDA_INVOCATION_LOG`.
    pub(crate) invocation_log: Option<InvocationLog>,
    /// The first option set to a value that cannot be used.
    pub(crate) misconfigured: Option<Misconfigured>,
}

/// Whether [`Options::resolve`] reads the `TOWER_LAMBDA_*` variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Environment {
    /// Serving: on Lambda, or (`on_lambda` false) locally, where `TOWER_LAMBDA_LOCAL_SOURCE`
    /// counts too.
    Read { on_lambda: bool },
    /// [`Serve::invoke`](crate::Serve::invoke) in a test: the code's options alone.
    Ignored,
}

impl Options {
    /// The configuration: the code's options, else the environment's (when read), else the
    /// defaults; then the checks that take several options together.
    ///
    /// # Errors
    /// The first option or variable whose value cannot be used.
    pub(crate) fn resolve(&self, environment: Environment) -> Result<Config, Misconfigured> {
        if let Some(problem) = &self.misconfigured {
            return Err(problem.clone());
        }
        let read = |on_local: bool| match environment {
            Environment::Read { on_lambda } => !on_local || !on_lambda,
            Environment::Ignored => false,
        };
        let mut config = self.config.clone();
        config.response_mode = match self.response_mode {
            Some(mode) => mode,
            None if read(false) => ResponseMode::from_env()?.unwrap_or_default(),
            None => ResponseMode::default(),
        };
        config.local_source = match self.local_source {
            Some(shape) => Some(shape),
            None if read(true) => local_source_from_env()?,
            None => None,
        };
        // The events path, and the setting it came from (which a refusal names).
        let (events, setting) = match &self.events_path {
            Some(path) => (Some(path.clone()), "Serve::events_path"),
            None if read(false) => match env_var("TOWER_LAMBDA_EVENTS_PATH")? {
                Some(path) => (
                    events_path(&path, "TOWER_LAMBDA_EVENTS_PATH")?,
                    "TOWER_LAMBDA_EVENTS_PATH",
                ),
                None => (None, "TOWER_LAMBDA_EVENTS_PATH"),
            },
            None => (None, "Serve::events_path"),
        };
        if let Some(events) = &events {
            if let Some(problem) = paths_overlap(events, &config.websocket_path, setting) {
                return Err(problem);
            }
        }
        config.events_path = events;
        config.fail_on_status = match &self.fail_on_status {
            Some(set) => set.clone(),
            None if read(false) => error_statuses_from_env()?.unwrap_or_default(),
            None => StatusSet::default(),
        };
        let log = match self.invocation_log {
            Some(log) => Some(log),
            None if read(false) => invocation_log_from_env()?,
            None => None,
        };
        config.invocation_log = log.map_or(Some(tracing::Level::INFO), InvocationLog::level);
        Ok(config)
    }
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
            response_mode: ResponseMode::Buffered,
            deadline_margin: None,
            local_source: None,
            websocket_path: "/ws".to_owned(),
            events_path: None,
            events_over_http: false,
            websocket_over_http: false,
            restore_prefix: true,
            fail_on_status: StatusSet::default(),
            invocation_log: Some(tracing::Level::INFO),
        }
    }
}

impl Config {
    /// The path a request from an HTTP source may not reach, if `path` is under one: the
    /// events path, and (for a source other than the WebSocket API) the WebSocket path. Only
    /// AWS sends events and WebSocket routes; a client that asks for them over HTTP must not
    /// reach the handlers that trust them.
    pub(crate) fn aws_only_path(&self, path: &str, from_websocket: bool) -> Option<&str> {
        if let Some(events) = &self.events_path {
            if !self.events_over_http && crate::uri::is_under(path, events) {
                return Some(events);
            }
        }
        let websocket = self.websocket_path.as_str();
        let guarded = !from_websocket && !self.websocket_over_http && !websocket.is_empty();
        (guarded && crate::uri::is_under(path, websocket)).then_some(websocket)
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
        ] {
            std::env::set_var("TOWER_LAMBDA_LOCAL_SOURCE", value);
            assert_eq!(local_source_from_env(), Ok(shape), "{value}");
        }
        std::env::set_var("TOWER_LAMBDA_LOCAL_SOURCE", "nonsense");
        let problem = local_source_from_env().unwrap_err();
        assert_eq!(
            (problem.setting, problem.value.as_str()),
            ("TOWER_LAMBDA_LOCAL_SOURCE", "nonsense")
        );
        std::env::remove_var("TOWER_LAMBDA_LOCAL_SOURCE");
        assert_eq!(local_source_from_env(), Ok(None));
    }

    #[test]
    fn status_lists_read_statuses_and_ranges() {
        let set = StatusSet::parse("500-599, 429,").unwrap();
        for (status, fails) in [
            (500, true),
            (599, true),
            (429, true),
            (600, false),
            (499, false),
            (200, false),
        ] {
            assert_eq!(set.contains(status), fails, "{status}");
        }
        assert_eq!(StatusSet::parse(""), Some(StatusSet::default()));
        for invalid in ["5xx", "599-500", "500-", "42", "1000", "500;502"] {
            assert_eq!(StatusSet::parse(invalid), None, "{invalid}");
        }
    }

    #[test]
    fn every_variable_with_an_unusable_value_is_named() {
        // The only test that sets these variables.
        for (variable, value) in [
            ("TOWER_LAMBDA_RESPONSE_MODE", "fast"),
            ("TOWER_LAMBDA_EVENTS_PATH", "/"),
            ("TOWER_LAMBDA_EVENTS_PATH", "/ev ents"),
            // It would hold the WebSocket path, `/ws` by default.
            ("TOWER_LAMBDA_EVENTS_PATH", "/ws/events"),
            ("TOWER_LAMBDA_ERROR_STATUS_CODES", "5xx"),
            ("TOWER_LAMBDA_INVOCATION_LOG", "loud"),
        ] {
            std::env::set_var(variable, value);
            let lambda = Environment::Read { on_lambda: true };
            let problem = Options::default().resolve(lambda).unwrap_err();
            std::env::remove_var(variable);
            assert_eq!((problem.setting, problem.value.as_str()), (variable, value));
            assert!(!problem.expected.is_empty());
        }
        std::env::set_var("TOWER_LAMBDA_ERROR_STATUS_CODES", "500-599");
        std::env::set_var("TOWER_LAMBDA_INVOCATION_LOG", "OFF");
        std::env::set_var("TOWER_LAMBDA_RESPONSE_MODE", "Streaming");
        let lambda = Environment::Read { on_lambda: true };
        let config = Options::default().resolve(lambda).unwrap();
        assert!(config.fail_on_status.contains(503));
        assert_eq!(config.invocation_log, None);
        assert_eq!(config.response_mode, ResponseMode::Streaming);
        // What the code set wins over the environment.
        let coded = Options {
            fail_on_status: Some(StatusSet::default()),
            invocation_log: Some(InvocationLog::At(tracing::Level::INFO)),
            response_mode: Some(ResponseMode::Buffered),
            ..Options::default()
        };
        let config = coded.resolve(lambda).unwrap();
        assert!(!config.fail_on_status.contains(503));
        assert_eq!(config.invocation_log, Some(tracing::Level::INFO));
        assert_eq!(config.response_mode, ResponseMode::Buffered);
        // And a test's `Serve::invoke` reads none of them.
        let config = Options::default().resolve(Environment::Ignored).unwrap();
        assert!(!config.fail_on_status.contains(503));
        assert_eq!(config.invocation_log, Some(tracing::Level::INFO));
        assert_eq!(config.response_mode, ResponseMode::Buffered);
        for variable in [
            "TOWER_LAMBDA_ERROR_STATUS_CODES",
            "TOWER_LAMBDA_INVOCATION_LOG",
            "TOWER_LAMBDA_RESPONSE_MODE",
        ] {
            std::env::remove_var(variable);
        }
    }
}
