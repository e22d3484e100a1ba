//! The crate's error type.

use std::fmt;
use std::net::SocketAddr;

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
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Runtime(error) => Some(error.as_ref()),
            Self::Bind { source, .. } => Some(source),
            Self::Io(error) => Some(error),
            Self::LambdaEnvironment { .. } => None,
        }
    }
}
