//! What can go wrong: the process-level [`Error`], the per-invocation [`InvocationError`], and
//! how a service fails ([`Failure`]).

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;

use crate::event::EventError;

/// A boxed error, the currency of tower and hyper.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What can stop [`serve`](crate::serve) from serving.
///
/// Errors about a single event or a single request never end up here: a malformed event is
/// reported to Lambda as a failed invocation, a bad request gets a `400` response, and a failing
/// service gets a `500`. This type is for what ends the whole process.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// `AWS_LAMBDA_RUNTIME_API` is set, so we run on Lambda, but another variable the Lambda
    /// runtime needs is missing or invalid.
    LambdaEnvironment {
        /// The environment variable.
        variable: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The Lambda runtime stopped with an error (for example, the Runtime API was unreachable).
    Runtime(BoxError),
    /// Local mode could not listen on its address.
    Bind {
        /// The address it tried.
        address: SocketAddr,
        /// Why it failed.
        source: std::io::Error,
    },
    /// Local mode failed to accept connections.
    Io(std::io::Error),
    /// An option or an environment variable has a value that cannot be used (found at start,
    /// before any event is taken; on Lambda it is also reported to `/runtime/init/error`).
    Configuration {
        /// The environment variable (`TOWER_LAMBDA_RESPONSE_MODE`) or the `Serve` method.
        setting: &'static str,
        /// The value it has.
        value: String,
        /// What it takes.
        expected: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LambdaEnvironment { variable, problem } => write!(
                f,
                "AWS_LAMBDA_RUNTIME_API is set, so tower-lambda runs on the Lambda runtime, but {variable} {problem}"
            ),
            Self::Runtime(error) => write!(f, "the Lambda runtime stopped: {error}"),
            Self::Bind { address, source } => {
                write!(f, "could not listen on http://{address} (set PORT to use another port): {source}")
            }
            Self::Io(error) => write!(f, "the local server failed: {error}"),
            Self::Configuration {
                setting,
                value,
                expected,
            } => write!(f, "{setting} is {value:?}, but it takes {expected}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Runtime(error) => Some(error.as_ref()),
            Self::Bind { source, .. } => Some(source),
            Self::Io(error) => Some(error),
            Self::LambdaEnvironment { .. } | Self::Configuration { .. } => None,
        }
    }
}

/// An invocation that fails as a whole: on Lambda it is reported to the Runtime API's `/error`
/// endpoint (and the gateway answers `502`). Returned by [`Serve::invoke`](crate::Serve::invoke).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationError {
    pub(crate) error_type: Cow<'static, str>,
    pub(crate) message: String,
}

impl InvocationError {
    /// The error type reported to Lambda, such as `tower_lambda::UnsupportedEvent`.
    pub fn error_type(&self) -> &str {
        &self.error_type
    }

    /// What went wrong, for a person.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Every error type tower-lambda reports to Lambda (`errorType`), in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorType {
    /// The event is not one tower-lambda serves, or not readable.
    UnsupportedEvent,
    /// An option or variable cannot be used.
    Configuration,
    /// A required Lambda environment variable is missing or wrong (at start).
    LambdaEnvironment,
    /// Serving could not start for another reason.
    InitError,
    /// The service failed (under the error policy that fails invocations, or for an event).
    ServiceError,
    /// The service did not answer an event before the deadline margin.
    Timeout,
    /// An event's result is over the buffered limit.
    ResultTooLarge,
    /// An authorizer denied the request (API Gateway answers `401` for this message).
    Unauthorized,
    /// A streamed body failed part-way.
    StreamError,
    /// The Runtime API stopped taking a streamed body.
    StreamAborted,
    /// The response's status fails the invocation (`tower_lambda::Status503`).
    Status(http::StatusCode),
    /// A bug in tower-lambda.
    Internal,
}

impl ErrorType {
    /// The name Lambda reports, such as `tower_lambda::UnsupportedEvent`.
    pub(crate) fn name(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::UnsupportedEvent => "tower_lambda::UnsupportedEvent",
            Self::Configuration => "tower_lambda::Configuration",
            Self::LambdaEnvironment => "tower_lambda::LambdaEnvironment",
            Self::InitError => "tower_lambda::InitError",
            Self::ServiceError => "tower_lambda::ServiceError",
            Self::Timeout => "tower_lambda::Timeout",
            Self::ResultTooLarge => "tower_lambda::ResultTooLarge",
            Self::Unauthorized => "tower_lambda::Unauthorized",
            Self::StreamError => "tower_lambda::StreamError",
            Self::StreamAborted => "tower_lambda::StreamAborted",
            Self::Internal => "tower_lambda::Internal",
            Self::Status(status) => {
                return Cow::Owned(format!("tower_lambda::Status{}", status.as_u16()))
            }
        })
    }

    /// [`ErrorType::name`] of the types that have a fixed one.
    pub(crate) fn static_name(self) -> &'static str {
        match self.name() {
            Cow::Borrowed(name) => name,
            Cow::Owned(_) => "tower_lambda::Status",
        }
    }
}

impl InvocationError {
    /// A failed invocation of this type.
    pub(crate) fn new(error_type: ErrorType, message: impl Into<String>) -> Self {
        Self {
            error_type: error_type.name(),
            message: message.into(),
        }
    }
}

impl fmt::Display for InvocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for InvocationError {}

impl From<EventError> for InvocationError {
    fn from(error: EventError) -> Self {
        Self::new(ErrorType::UnsupportedEvent, error.to_string())
    }
}

impl From<InvocationError> for lambda_runtime::Diagnostic {
    fn from(error: InvocationError) -> Self {
        Self {
            error_type: error.error_type.into_owned(),
            error_message: error.message,
        }
    }
}

/// How a service failed to produce a response.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The service returned `Err` (or was not ready).
    Service(BoxError),
    /// The response body failed while it was read.
    Body(BoxError),
    /// The service or its body panicked.
    Panic(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Service(error) => write!(f, "the service returned an error: {error}"),
            Self::Body(error) => write!(f, "the response body failed: {error}"),
            Self::Panic(message) => write!(f, "the service panicked: {message}"),
        }
    }
}

/// A panic's message, for logs and error reports.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_owned())
}
