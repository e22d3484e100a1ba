//! The front door: [`Serve`], the builder that holds the service and its options, runs it on
//! Lambda or locally, and runs single events through the production path for tests.

use bytes::Bytes;
use http::{Request, Response};
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use tower::Service;

use crate::binary::MediaPattern;
use crate::body::Body;
use crate::config::{
    self, slash_prefixed, Config, Environment, ErrorPolicy, InvocationLog, Misconfigured, Options,
    PathMode, ResponseMode, StatusSet,
};
use crate::emulate::{Shape, TestResponse};
use crate::error::{BoxError, Error, ErrorType, InvocationError};
use crate::shutdown::Hook;
use crate::snapstart::{AfterRestore, BeforeSnapshot};
use crate::{invoke, local, logging, runtime};
use lambda_runtime::SnapStartResource;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;
use std::sync::OnceLock;

/// Serves a tower service on Lambda, or locally when not on Lambda, with options.
///
/// [`serve(app)`](crate::serve) is `Serve::new(app).run()` with every option at its default.
/// A `Serve` can be `.await`ed directly.
///
/// ```no_run
/// use axum::{routing::get, Router};
/// use tower_lambda::Serve;
///
/// # async fn run() -> Result<(), tower_lambda::Error> {
/// let app = Router::new().route("/", get(|| async { "hello" }));
/// Serve::new(app)
///     .binary_media_types(["image/*", "application/pdf"])
///     .local_port(8080)
///     .await
/// # }
/// ```
#[must_use = "a Serve does nothing until it is run or awaited"]
pub struct Serve<S> {
    service: S,
    /// What the builder methods collected.
    options: Options,
    /// The options resolved without the environment, for [`Serve::invoke`]: once, on first use
    /// (every builder method starts it afresh).
    resolved: OnceLock<Result<Config, Misconfigured>>,
    on_shutdown: Option<Hook>,
    snapstart: Vec<Arc<dyn SnapStartResource>>,
}

impl<S> Serve<S> {
    /// Wraps a service with the default options.
    pub fn new(service: S) -> Self {
        Self {
            service,
            options: Options::default(),
            resolved: OnceLock::new(),
            on_shutdown: None,
            snapstart: Vec::new(),
        }
    }

    /// Media types whose responses are always sent base64-encoded, on top of the default rule
    /// (textual types as text, everything else as base64). Patterns are `type/subtype`,
    /// `type/*` or `*/*`; parameters such as `; charset=utf-8` are ignored.
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// // CSV downloads travel as base64, like images and PDFs already do.
    /// let serve = tower_lambda::Serve::new(app).binary_media_types(["text/csv"]);
    /// ```
    pub fn binary_media_types<I>(mut self, types: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for pattern in types {
            let pattern = pattern.as_ref();
            if !MediaPattern::is_valid(pattern) {
                self.misconfigured(
                    "Serve::binary_media_types",
                    pattern,
                    "media type patterns: `type/subtype`, `type/*` or `*/*`",
                );
                continue;
            }
            self.options()
                .config
                .binary_media_types
                .push(MediaPattern::parse(pattern));
        }
        self
    }

    /// Write REST API and HTTP API 1.0 responses with a single-value `headers` map instead of
    /// `multiValueHeaders`, for gateways that ignore `multiValueHeaders` (Netlify Functions).
    /// Repeated headers are joined with `", "`; every `Set-Cookie` is still delivered, each under
    /// a different letter case of the name.
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app).single_value_headers(true);
    /// ```
    pub fn single_value_headers(mut self, enabled: bool) -> Self {
        self.options().config.single_value_headers = enabled;
        self
    }

    /// A custom domain's base path (API mapping path) to remove from the front of every path,
    /// on a segment boundary and once: with `"/v1"`, `/v1/items` is routed as `/items` and
    /// `/v10/items` is left alone. REST API events that say which base path matched
    /// (`requestContext.customDomain.basePathMatched`) are stripped without this setting.
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app).strip_base_path("/v1");
    /// ```
    pub fn strip_base_path(mut self, base_path: impl Into<String>) -> Self {
        let base_path = slash_prefixed(&base_path.into());
        self.options().config.strip_base_path = (!base_path.is_empty()).then_some(base_path);
        self
    }

    /// Which path the service sees; see [`PathMode`].
    pub fn path_mode(mut self, mode: PathMode) -> Self {
        self.options().config.path_mode = mode;
        self
    }

    /// Also send the removed stage and base path as an `X-Forwarded-Prefix` header (which
    /// frameworks use to build links behind a proxy). Any `X-Forwarded-Prefix` the client sent is
    /// removed first, so it cannot be forged.
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app).forwarded_prefix_header(true);
    /// ```
    pub fn forwarded_prefix_header(mut self, enabled: bool) -> Self {
        self.options().config.forwarded_prefix_header = enabled;
        self
    }

    /// How responses travel back; see [`ResponseMode`]. Without this option the
    /// `TOWER_LAMBDA_RESPONSE_MODE` environment variable (`streaming` or `buffered`) decides, and
    /// without that, buffered.
    pub fn response_mode(mut self, mode: ResponseMode) -> Self {
        self.options().response_mode = Some(mode);
        self
    }

    /// The largest buffered response, in bytes of the JSON sent to Lambda (base64 inflation
    /// included). Default: 6 MB, Lambda's own limit. A larger response is not collected past the
    /// limit: the service's body is dropped and the client gets `500` with a `text/plain` body
    /// that says the response exceeded the buffered limit and that streaming mode lifts it.
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app).buffered_response_limit(1024 * 1024);
    /// ```
    pub fn buffered_response_limit(mut self, bytes: usize) -> Self {
        if bytes == 0 {
            self.misconfigured(
                "Serve::buffered_response_limit",
                "0",
                "a number of bytes above 0 (Lambda's own limit is 6 MB)",
            );
            return self;
        }
        self.options().config.buffered_limit = bytes;
        self
    }

    /// Records the first option set to a value that cannot be used; `run` reports it.
    fn misconfigured(&mut self, setting: &'static str, value: &str, expected: &'static str) {
        self.options()
            .misconfigured
            .get_or_insert_with(|| Misconfigured::new(setting, value.to_owned(), expected));
    }

    /// The options, for a builder method to change (what was resolved from them is dropped).
    fn options(&mut self) -> &mut Options {
        self.resolved = OnceLock::new();
        &mut self.options
    }

    /// Answer `504 Gateway Timeout` (`text/plain`, saying why) `margin` before the invocation's
    /// deadline when the service has not answered by then, instead of letting Lambda end the
    /// invocation with no response at all (the client would get an opaque `502`/`504` and the
    /// logs a bare "Task timed out"). Off by default. In streaming mode the margin applies until
    /// the status and headers are sent.
    ///
    /// ```
    /// use std::time::Duration;
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app).deadline_margin(Duration::from_millis(500));
    /// ```
    pub fn deadline_margin(mut self, margin: std::time::Duration) -> Self {
        self.options().config.deadline_margin = Some(margin);
        self
    }

    /// In local mode, run every request the way Lambda would: built into the event `shape`'s
    /// source sends, through the same decode → service → encode path as production, and the
    /// response JSON turned back into HTTP. Binary bodies, cookies, headers and stage prefixes
    /// then behave on a laptop as they will behind that gateway. Without this option the
    /// `TOWER_LAMBDA_LOCAL_SOURCE` environment variable (`rest`, `http`, `http-v1`, `url`, `alb`,
    /// `alb-multi`, `lattice`, `lattice-v1` or `websocket`) decides; without either, local mode
    /// is plain HTTP. With [`Shape::WebSocket`], a request to `{websocket_path}/{route}` becomes
    /// that route's event (`$connect` a `CONNECT`, `$disconnect` a `DISCONNECT`, any other route
    /// a `MESSAGE` with the request body as the frame).
    ///
    /// ```
    /// use tower_lambda::testing::Shape;
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app).local_source(Shape::RestApi);
    /// ```
    pub fn local_source(mut self, shape: Shape) -> Self {
        self.options().local_source = Some(shape);
        self
    }

    /// Where API Gateway WebSocket events are routed: a `$connect` event becomes
    /// `GET {path}/$connect`, a message on route `sendmessage` becomes `POST {path}/sendmessage`
    /// (`$default` for messages that match no route), and `$disconnect` becomes
    /// `POST {path}/$disconnect`. Default: `/ws`; `""` puts the route keys at the root.
    ///
    /// Only API Gateway sends WebSocket events: a request from an HTTP source (a REST or HTTP
    /// API route, a Function URL, ALB, VPC Lattice) whose path is under `path`, in any spelling a
    /// router might read the same (letter case, percent-escapes, dot segments, repeated
    /// slashes), is answered `404` without calling the service, so a client cannot forge a
    /// `$connect`, a message or a `$disconnect`; [`Serve::websocket_reachable_over_http`] lifts
    /// that. At the root (`""`) the WebSocket routes cannot be told from the app's HTTP routes and
    /// nothing is refused: give them a path of their own.
    ///
    /// `path` must be a plain path (letters, digits and `-._~!$&'()*+,;=:@/`, no `.` or `..`
    /// segment, no `%` escape), apart from the events path ([`Serve::events_path`]); otherwise
    /// serving fails at start with [`Error::Configuration`].
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// // `/chat/$connect`, `/chat/sendmessage`, ...
    /// let serve = tower_lambda::Serve::new(app).websocket_path("/chat");
    /// ```
    pub fn websocket_path(mut self, path: impl Into<String>) -> Self {
        match config::websocket_path(&path.into()) {
            Ok(path) => self.options().config.websocket_path = path,
            Err(problem) => {
                self.options().misconfigured.get_or_insert(problem);
            }
        }
        self
    }

    /// Takes the function's other events — SQS, SNS, S3, DynamoDB and Kinesis streams,
    /// EventBridge events and schedules, CloudWatch Logs, Kafka, direct invokes — as requests:
    /// `POST {path}/{kind}` (`/events/sqs`, `/events/schedule`, ...; see [`EventKind`](crate::EventKind))
    /// with `content-type: application/json` and the event's bytes, unchanged, as the body. The
    /// response body becomes the invocation's result (JSON as it is, an empty body as `null`); a
    /// non-2xx status, an `Err` or a panic fails the invocation, so Lambda's retries and
    /// dead-letter queues work. Off by default (such events fail the invocation); without this
    /// option the `TOWER_LAMBDA_EVENTS_PATH` environment variable turns it on.
    ///
    /// API Gateway Lambda authorizer events (TOKEN and REQUEST, REST and HTTP APIs, WebSocket
    /// `$connect`) go to `{path}/authorizer`: the same app can hold an API and its authorizer
    /// (see [`EventKind::Authorizer`](crate::EventKind::Authorizer)).
    ///
    /// A request from an HTTP source (API Gateway, Function URL, ALB, VPC Lattice) whose path is
    /// under `path`, in any spelling a router might read the same (letter case, percent-escapes,
    /// dot segments, repeated slashes), is answered `404` without calling the service, so a
    /// client cannot forge an event; [`Serve::events_reachable_over_http`] lifts that.
    ///
    /// `path` must be a plain path other than `/` (letters, digits and `-._~!$&'()*+,;=:@/`, no
    /// `.` or `..` segment, no `%` escape) that neither holds nor lies under the WebSocket path;
    /// otherwise serving fails at start with [`Error::Configuration`] (so does
    /// `TOWER_LAMBDA_EVENTS_PATH` with such a value).
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app).events_path("/events");
    /// ```
    pub fn events_path(mut self, path: impl Into<String>) -> Self {
        match config::events_path(&path.into(), "Serve::events_path") {
            Ok(path) => self.options().events_path = path,
            Err(problem) => {
                self.options().misconfigured.get_or_insert(problem);
            }
        }
        self
    }

    /// Fail the Lambda invocation, instead of answering, when the response status is in `statuses`
    /// (`500..=599`, `429`, `..=399`; call it again to add more): for teams whose alarms and
    /// retries read Lambda's error metric. The error type names the status
    /// (`tower_lambda::Status503`), the message is the response body, which is also logged. The
    /// gateway then answers as it does for a failed invocation (API Gateway and Function URLs
    /// `502`). Applies to the adapter's own `400`, `500` and `504` answers too, and in streaming
    /// mode (the body is then read, up to the buffered limit, instead of streamed). Without this
    /// option the `TOWER_LAMBDA_ERROR_STATUS_CODES` environment variable (`500-599`,
    /// `500,502-504`) decides; without either, no status fails an invocation.
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app).fail_on_status(500..=599);
    /// ```
    pub fn fail_on_status(mut self, statuses: impl RangeBounds<u16>) -> Self {
        let first = match statuses.start_bound() {
            Bound::Included(&first) => first,
            Bound::Excluded(&first) => first.saturating_add(1),
            Bound::Unbounded => 100,
        };
        let last = match statuses.end_bound() {
            Bound::Included(&last) => last,
            Bound::Excluded(&last) => last.saturating_sub(1),
            Bound::Unbounded => 999,
        };
        self.options()
            .fail_on_status
            .get_or_insert_with(StatusSet::default)
            .add(first, last);
        self
    }

    /// The level of the line logged for each invocation on Lambda (a `tracing` event with target
    /// `tower_lambda::invocation`, written once the answer is sent), or `None` for no line.
    /// Default: `INFO`, which the default subscriber shows. Without this option the
    /// `TOWER_LAMBDA_INVOCATION_LOG` environment variable (`off`, `error`, `warn`, `info`,
    /// `debug`, `trace`) decides. See the README's "Logging and tracing" for the fields.
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// # let other_app = app.clone();
    /// let serve = tower_lambda::Serve::new(app).invocation_log(tracing::Level::DEBUG);
    /// let quiet = tower_lambda::Serve::new(other_app).invocation_log(None);
    /// ```
    pub fn invocation_log(mut self, level: impl Into<Option<tracing::Level>>) -> Self {
        self.options().invocation_log = Some(match level.into() {
            Some(level) => InvocationLog::At(level),
            None => InvocationLog::Off,
        });
        self
    }

    /// Runs `hook` before Lambda takes the SnapStart snapshot (after `main`'s initialization,
    /// before the first event): close connections, drop what must not be shared by every
    /// restored copy. An `Err` is reported to `/runtime/init/error` and stops the function, so
    /// no snapshot is taken. Hooks run only under SnapStart
    /// (`AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`); several run in the reverse order of
    /// registration (see [`Serve::snapstart_resource`]).
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app)
    ///     .before_snapshot(|| async { Ok::<_, std::io::Error>(()) });
    /// ```
    pub fn before_snapshot<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        self.snapstart.push(Arc::new(BeforeSnapshot(hook)));
        self
    }

    /// Runs `hook` after a restore from the SnapStart snapshot, before the first event: reconnect,
    /// refresh credentials, reseed what must be unique per copy. tower-lambda has already rebuilt
    /// its own connections to the Runtime API by then. An `Err` is reported to
    /// `/runtime/restore/error` and stops the function. Several run in the order of registration.
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app)
    ///     .after_restore(|| async { Ok::<_, std::io::Error>(()) });
    /// ```
    pub fn after_restore<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        self.snapstart.push(Arc::new(AfterRestore(hook)));
        self
    }

    /// Registers a [`lambda_runtime::SnapStartResource`] (both hooks on one value) with the
    /// runtime. Register foundations first: `before_snapshot` hooks run in the reverse order of
    /// registration, `after_restore` hooks in the order of registration, as `lambda_runtime`
    /// orders them; closures from [`Serve::before_snapshot`] and [`Serve::after_restore`] take
    /// their places in the same order.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tower_lambda::lambda_runtime::{BoxFuture, Error, SnapStartResource};
    ///
    /// struct Pool;
    /// impl SnapStartResource for Pool {
    ///     fn after_restore(&self) -> BoxFuture<'_, Result<(), Error>> {
    ///         Box::pin(async { /* reconnect */ Ok(()) })
    ///     }
    /// }
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app).snapstart_resource(Arc::new(Pool));
    /// ```
    pub fn snapstart_resource(mut self, resource: Arc<dyn SnapStartResource>) -> Self {
        self.snapstart.push(resource);
        self
    }

    /// Let requests from HTTP sources reach the events path instead of answering them `404`
    /// (for apps that also expose those routes over HTTP, and check the caller themselves).
    pub fn events_reachable_over_http(mut self, reachable: bool) -> Self {
        self.options().config.events_over_http = reachable;
        self
    }

    /// Put the path prefix removed before routing (the [`PathPrefix`](crate::PathPrefix): an API
    /// Gateway stage, a custom domain's base path, [`Serve::strip_base_path`]) back into what the
    /// service answers, as a reverse proxy's `proxy_redirect` does. On by default.
    ///
    /// | The service answers (prefix `/prod`) | The client gets |
    /// |---|---|
    /// | `Location: /login?next=/a` | `Location: /prod/login?next=/a` |
    /// | `Location: https://{own host}/docs/` | `Location: https://{own host}/prod/docs/` |
    /// | `Location: /prod/login` (already under it) | as it is |
    /// | `Location: docs/` (relative), `https://other.example/`, `//other.example/` | as it is |
    /// | `Content-Location`: the same rules | |
    /// | `Set-Cookie: a=1; Path=/admin` | `Set-Cookie: a=1; Path=/prod/admin` |
    /// | `Set-Cookie: a=1; Path=/` or no `Path` | as it is |
    ///
    /// A cookie path below the root must carry the prefix, or the browser, which sees
    /// `/prod/admin`, never sends the cookie back; `Path=/` already covers the prefix, and making
    /// it narrower would change what the app set deliberately site-wide. Nothing changes when
    /// nothing was removed ([`PathMode::AsRequested`], a `$default` stage), in either response
    /// mode.
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// // The app builds its own links with the prefix (see `RequestExt::path_prefix`).
    /// let serve = tower_lambda::Serve::new(app).restore_path_prefix(false);
    /// ```
    pub fn restore_path_prefix(mut self, enabled: bool) -> Self {
        self.options().config.restore_prefix = enabled;
        self
    }

    /// Let requests from HTTP sources reach the WebSocket path
    /// ([`Serve::websocket_path`]) instead of answering them `404` (for apps whose handlers
    /// there check [`WebSocketContext`](crate::WebSocketContext) themselves).
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app).websocket_reachable_over_http(true);
    /// ```
    pub fn websocket_reachable_over_http(mut self, reachable: bool) -> Self {
        self.options().config.websocket_over_http = reachable;
        self
    }

    /// Runs `hook` at shutdown: on SIGTERM (or Ctrl-C), `serve` stops taking new requests, lets
    /// the ones in flight finish, runs the hook, and returns `Ok(())`. Use it to flush telemetry
    /// or close connections.
    ///
    /// On Lambda, SIGTERM reaches only functions that have an extension; with the
    /// `graceful-shutdown` cargo feature, setting a hook registers a no-op internal extension for
    /// that (Lambda then allows about 500 ms for the hook).
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app).on_shutdown(|| async {
    ///     println!("flushing metrics");
    /// });
    /// ```
    pub fn on_shutdown<F, Fut>(mut self, hook: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_shutdown = Some(Box::new(move || Box::pin(hook())));
        self
    }

    /// What a failing service leads to; see [`ErrorPolicy`].
    pub fn error_policy(mut self, policy: ErrorPolicy) -> Self {
        self.options().config.error_policy = policy;
        self
    }

    /// The port of the local server (used when `AWS_LAMBDA_RUNTIME_API` is not set). Without it
    /// the `PORT` environment variable is used, else 3000. The server listens on `127.0.0.1`.
    ///
    /// ```
    /// # let app = tower::service_fn(|_req: http::Request<tower_lambda::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let serve = tower_lambda::Serve::new(app).local_port(8080);
    /// ```
    pub fn local_port(mut self, port: u16) -> Self {
        self.options().config.local_port = Some(port);
        self
    }

    /// Runs one raw event through exactly the path production uses (decode → service →
    /// encode) and returns the JSON the event source would receive. No runtime, no network: for
    /// tests.
    ///
    /// ```
    /// use axum::{routing::get, Router};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = Router::new().route("/hello/{name}", get(|| async { "hi" }));
    /// let event = r#"{
    ///     "version": "2.0", "rawPath": "/hello/world", "rawQueryString": "",
    ///     "headers": {"host": "example.com"},
    ///     "requestContext": {"http": {"method": "GET"}, "domainName": "example.com"},
    ///     "isBase64Encoded": false
    /// }"#;
    /// let json = tower_lambda::Serve::new(app).invoke(event).await.unwrap();
    /// let response: serde_json::Value = serde_json::from_str(&json).unwrap();
    /// assert_eq!(response["statusCode"], 200);
    /// assert_eq!(response["body"], "hi");
    /// # }
    /// ```
    ///
    /// # Errors
    /// When the invocation as a whole fails, as it would on Lambda: the event is not an HTTP
    /// event, or the service failed under [`ErrorPolicy::FailInvocation`]; and
    /// (`tower_lambda::Configuration`) when an option was set to a value that cannot be used.
    pub async fn invoke<B>(&self, event: impl AsRef<[u8]>) -> Result<String, InvocationError>
    where
        S: Service<Request<Body>, Response = Response<B>> + Clone,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        self.invoke_bytes(Bytes::copy_from_slice(event.as_ref()))
            .await
    }

    /// [`Serve::invoke`] on an event already in [`Bytes`] (no copy), as the runtime glue has it.
    pub(crate) async fn invoke_bytes<B>(&self, event: Bytes) -> Result<String, InvocationError>
    where
        S: Service<Request<Body>, Response = Response<B>> + Clone,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let resolved = self
            .resolved
            .get_or_init(|| self.options.resolve(Environment::Ignored));
        let config = match resolved {
            Ok(config) => config,
            Err(problem) => {
                return Err(InvocationError::new(
                    ErrorType::Configuration,
                    Error::from(problem.clone()).to_string(),
                ))
            }
        };
        let response = invoke::invoke(self.service.clone(), config, event).await?;
        serde_json::to_string(&response).map_err(|error| {
            InvocationError::new(
                ErrorType::Internal,
                format!("the response could not be written as JSON: {error}"),
            )
        })
    }

    /// Like [`Serve::invoke`], read back as the client would receive it: status, every header
    /// (cookies included) and the body bytes.
    ///
    /// ```
    /// use axum::{routing::get, Router};
    /// use tower_lambda::testing::{EventBuilder, Shape};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = Router::new().route("/", get(|| async { ([("set-cookie", "a=1")], "hi") }));
    /// let event = EventBuilder::new(Shape::FunctionUrl, "GET", "/").build();
    /// let response = tower_lambda::Serve::new(app).invoke_decoded(event).await.unwrap();
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.headers()["set-cookie"], "a=1");
    /// assert_eq!(response.text(), "hi");
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`Serve::invoke`].
    pub async fn invoke_decoded<B>(
        &self,
        event: impl AsRef<[u8]>,
    ) -> Result<TestResponse, InvocationError>
    where
        S: Service<Request<Body>, Response = Response<B>> + Clone,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let json = self.invoke(event).await?;
        TestResponse::from_json(&json).map_err(|message| {
            InvocationError::new(
                ErrorType::Internal,
                format!("the response JSON could not be read back: {message}"),
            )
        })
    }

    /// Runs the service until the process is stopped: on the Lambda runtime when
    /// `AWS_LAMBDA_RUNTIME_API` is set, otherwise as a local HTTP/1.1 server.
    ///
    /// On Lambda the runtime loop runs as a Tokio task of its own (next to the Runtime API
    /// client's connection), which keeps each invocation's exchanges on one thread; dropping
    /// this future stops it.
    ///
    /// # Errors
    /// [`Error::Configuration`] when an option or a `TOWER_LAMBDA_*` environment variable has a
    /// value that cannot be used. On Lambda: when a required Lambda environment variable is
    /// missing (these two are also reported to `/runtime/init/error`, before any event is taken),
    /// a SnapStart hook failed, or the runtime stops with an error (a panic in the runtime loop
    /// itself included). Locally: when the port cannot be bound.
    pub async fn run<B>(self) -> Result<(), Error>
    where
        S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        logging::init();
        let on_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
        let config = self.options.resolve(Environment::Read { on_lambda });
        if on_lambda {
            let run = runtime::run(self.service, config, self.on_shutdown, self.snapstart);
            runtime::in_own_task(run).await
        } else {
            let config = config?;
            let address = config.local_address();
            local::run(self.service, address, config, self.on_shutdown).await
        }
    }
}

impl<S, B> IntoFuture for Serve<S>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<(), Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
