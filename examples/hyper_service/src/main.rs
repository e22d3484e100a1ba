//! A plain hyper 1.x service, no axum: `tower_lambda::from_hyper` is the one line it needs.
//!
//! - `cargo run -p hyper_service`, then `curl -d 'hello' localhost:3000/anything`
//! - `cargo lambda deploy --enable-function-url hyper_service`

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use tower_lambda::{Body, BoxError};

/// Answers with the method, path and body size it received.
async fn echo(request: Request<Body>) -> Result<Response<Full<Bytes>>, BoxError> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let text = format!(
        "{} {} ({} bytes)\n",
        parts.method,
        parts.uri.path(),
        body.len()
    );
    Ok(Response::new(Full::new(Bytes::from(text))))
}

#[tokio::main]
async fn main() -> Result<(), tower_lambda::Error> {
    tower_lambda::serve(tower_lambda::from_hyper(hyper::service::service_fn(echo))).await
}
