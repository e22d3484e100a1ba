//! What the Lambda drivers log: `lambda_runtime`'s default subscriber (cargo feature
//! `default-subscriber`), and the one line per invocation ([`Line`]) written once the answer is
//! sent.

use http::Method;
use pin_project_lite::pin_project;
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};
use std::time::Instant;
use tracing::Level;

use crate::error::InvocationError;
use crate::invoke::{Prepared, Reply};

/// Installs `lambda_runtime`'s default `tracing` subscriber (CloudWatch-friendly, honouring
/// `AWS_LAMBDA_LOG_LEVEL`/`RUST_LOG` and `AWS_LAMBDA_LOG_FORMAT`) unless the application has
/// installed its own, or the `default-subscriber` cargo feature is off.
pub(crate) fn init() {
    #[cfg(feature = "default-subscriber")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            if !tracing::dispatcher::has_been_set() {
                lambda_runtime::tracing::init_default_subscriber();
            }
        });
    }
}

/// The target of the invocation line: `RUST_LOG=tower_lambda::invocation=off` silences it.
pub(crate) const TARGET: &str = "tower_lambda::invocation";

/// Whether no invocation has started in this process yet (`faas.coldstart`).
static COLD: AtomicBool = AtomicBool::new(true);

/// How an invocation ended, as the log line reports it.
#[derive(Debug)]
pub(crate) enum Ended {
    /// Answered with this status (none for a non-HTTP event's result) and this many body bytes.
    Answered { status: Option<u16>, size: usize },
    /// Failed with this error type.
    Failed(Cow<'static, str>),
}

/// Filled by whoever answers the invocation; read when the line is written.
#[derive(Debug, Default)]
pub(crate) struct Outcome(OnceLock<Ended>);

impl Outcome {
    /// The invocation was answered (only the first report counts).
    pub(crate) fn answered(&self, status: Option<u16>, size: usize) {
        let _ = self.0.set(Ended::Answered { status, size });
    }

    /// The invocation failed (only the first report counts).
    pub(crate) fn failed(&self, error_type: impl Into<Cow<'static, str>>) {
        let _ = self.0.set(Ended::Failed(error_type.into()));
    }
}

/// One invocation's log line, started when the event arrives and written by [`Line::write`]
/// once the answer is sent.
pub(crate) struct Line {
    level: Level,
    started: Instant,
    coldstart: bool,
    request_id: String,
    trace_id: Option<String>,
    /// `faas.trigger`: `http`, `pubsub`, `datasource`, `timer` or `other`.
    pub(crate) trigger: &'static str,
    /// The event source (`rest_api`, `function_url`, `sqs`, ...); `unknown` when the event
    /// could not be read.
    pub(crate) source: &'static str,
    pub(crate) method: Option<Method>,
    pub(crate) path: Option<String>,
    pub(crate) outcome: Arc<Outcome>,
}

impl Line {
    /// A line for the invocation `context` describes; `None` when the line is off.
    pub(crate) fn start(level: Option<Level>, context: &lambda_runtime::Context) -> Option<Self> {
        let coldstart = COLD.swap(false, Ordering::Relaxed);
        Some(Self {
            level: level?,
            started: Instant::now(),
            coldstart,
            request_id: context.request_id.clone(),
            trace_id: context.xray_trace_id.clone(),
            trigger: "other",
            source: "unknown",
            method: None,
            path: None,
            outcome: Arc::default(),
        })
    }

    /// What the line says about the event: its trigger and source, the request's method and
    /// path; a failure to read it ends the invocation already.
    pub(crate) fn describe(&mut self, prepared: &Result<Prepared, InvocationError>) {
        match prepared {
            Ok(Prepared::Request { source, request }) => {
                self.trigger = "http";
                self.source = source.slug();
                self.method = Some(request.method().clone());
                self.path = Some(request.uri().path().to_owned());
            }
            Ok(Prepared::Event { kind, request }) => {
                self.trigger = kind.trigger();
                self.source = kind.path_segment();
                self.method = Some(request.method().clone());
                self.path = Some(request.uri().path().to_owned());
            }
            Ok(Prepared::Answer(Reply::Http { source, .. })) => {
                self.trigger = "http";
                self.source = source.slug();
            }
            Ok(Prepared::Answer(Reply::Event(_))) => {}
            Err(error) => self.outcome.failed(error.error_type.clone()),
        }
    }

    /// Writes the line.
    pub(crate) fn write(self) {
        let duration_ms = millis(self.started.elapsed());
        let method = self.method.as_ref().map(Method::as_str);
        let path = self.path.as_deref();
        let trace_id = self.trace_id.as_deref();
        let (status, size, error_type) = match self.outcome.0.get() {
            Some(Ended::Answered { status, size }) => (*status, Some(*size), None),
            Some(Ended::Failed(error_type)) => (None, None, Some(error_type.as_ref())),
            None => (None, None, Some("unanswered")),
        };
        macro_rules! line {
            ($level:expr) => {
                tracing::event!(
                    target: TARGET,
                    $level,
                    faas.invocation_id = %self.request_id,
                    faas.coldstart = self.coldstart,
                    faas.trigger = self.trigger,
                    aws.lambda.event_source = self.source,
                    http.request.method = method,
                    url.path = path,
                    http.response.status_code = status,
                    http.response.body.size = size,
                    error.type = error_type,
                    duration_ms,
                    aws.xray.trace_id = trace_id,
                    "invocation"
                )
            };
        }
        match self.level {
            Level::ERROR => line!(Level::ERROR),
            Level::WARN => line!(Level::WARN),
            Level::INFO => line!(Level::INFO),
            Level::DEBUG => line!(Level::DEBUG),
            Level::TRACE => line!(Level::TRACE),
        }
    }
}

pin_project! {
    /// A future that writes the invocation's line when it completes (after the answer is sent).
    pub(crate) struct Logged<F> {
        #[pin]
        inner: F,
        line: Option<Line>,
    }
}

impl<F> Logged<F> {
    pub(crate) fn new(inner: F, line: Option<Line>) -> Self {
        Self { inner, line }
    }
}

impl<F: Future> Future for Logged<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let output = ready!(this.inner.poll(cx));
        if let Some(line) = this.line.take() {
            line.write();
        }
        Poll::Ready(output)
    }
}

/// A duration in milliseconds, to the microsecond: `0.22`, not `0.21978699999999998`.
pub(crate) fn millis(duration: std::time::Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::{millis, Ended, Line};
    use crate::config::Config;
    use crate::error::ErrorType;
    use crate::invoke::prepare;
    use std::time::Duration;

    fn described(config: &Config, event: &'static str) -> Line {
        let mut context = lambda_runtime::Context::default();
        context.request_id = "r-1".to_owned();
        let mut line = Line::start(Some(tracing::Level::INFO), &context).unwrap();
        line.describe(&prepare(
            config,
            bytes::Bytes::from_static(event.as_bytes()),
        ));
        line
    }

    #[test]
    fn the_line_names_each_kind_of_event_by_its_trigger_and_source() {
        let events = Config {
            events_path: Some("/events".to_owned()),
            ..Config::default()
        };
        let sqs = described(
            &events,
            r#"{"Records": [{"eventSource": "aws:sqs", "body": "x"}]}"#,
        );
        assert_eq!((sqs.trigger, sqs.source), ("pubsub", "sqs"));
        assert_eq!(sqs.path.as_deref(), Some("/events/sqs"));
        let schedule = described(
            &events,
            r#"{"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}"#,
        );
        assert_eq!((schedule.trigger, schedule.source), ("timer", "schedule"));
        let s3 = described(&events, r#"{"Records": [{"eventSource": "aws:s3"}]}"#);
        assert_eq!((s3.trigger, s3.source), ("datasource", "s3"));
        let http = described(
            &events,
            r#"{"version": "2.0", "rawPath": "/a", "rawQueryString": "", "requestContext": {"http": {"method": "PUT"}, "domainName": "x.lambda-url.us-east-1.on.aws"}}"#,
        );
        assert_eq!((http.trigger, http.source), ("http", "function_url"));
        assert_eq!(
            (
                http.method.as_ref().map(http::Method::as_str),
                http.path.as_deref()
            ),
            (Some("PUT"), Some("/a"))
        );
        // Without the events path, an SQS event fails at once, and the line says how.
        let refused = described(
            &Config::default(),
            r#"{"Records": [{"eventSource": "aws:sqs"}]}"#,
        );
        assert!(matches!(
            refused.outcome.0.get(),
            Some(Ended::Failed(error_type)) if error_type == ErrorType::UnsupportedEvent.static_name()
        ));
    }

    #[test]
    fn durations_read_as_milliseconds_to_the_microsecond() {
        assert_eq!(millis(Duration::from_nanos(219_786)).to_string(), "0.219");
        assert_eq!(
            millis(Duration::from_micros(1_500_250)).to_string(),
            "1500.25"
        );
        assert_eq!(millis(Duration::ZERO).to_string(), "0");
    }
}
