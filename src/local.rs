//! Local mode: the same service as a plain HTTP/1.1 server, for `cargo run` on a laptop.

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::Service;

use crate::body::Body;
use crate::config::Config;
use crate::context::{ClientUrl, PathPrefix};
use crate::emulate::{EventBuilder, Shape, TestResponse};
use crate::error::{BoxError, Error};
use crate::invoke::{call_service, invoke};
use crate::response::{plain_headers, INTERNAL_SERVER_ERROR};
use crate::shutdown::{self, Hook};
use crate::uri;
use std::sync::Arc;
use std::time::Instant;

/// How long in-flight requests may take to finish after Ctrl-C.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub(crate) async fn run<S, B>(
    service: S,
    address: SocketAddr,
    config: Config,
    on_shutdown: Option<Hook>,
) -> Result<(), Error>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let listener = TcpListener::bind(address)
        .await
        .map_err(|source| Error::Bind { address, source })?;
    let shutdown = shutdown::signal();
    serve_listener(listener, service, Arc::new(config), shutdown).await?;
    if let Some(hook) = on_shutdown {
        hook().await;
    }
    Ok(())
}

/// Serves connections from `listener` until `shutdown` completes, then lets in-flight requests
/// finish.
pub(crate) async fn serve_listener<S, B>(
    listener: TcpListener,
    service: S,
    config: Arc<Config>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let address = listener.local_addr().map_err(Error::Io)?;
    let mode = match config.local_source {
        None => "plain HTTP".to_owned(),
        Some(shape) => {
            format!("each request goes through a {shape:?} event and back, as on Lambda")
        }
    };
    tracing::info!(
        "tower-lambda is serving locally on http://{address} ({mode}; AWS_LAMBDA_RUNTIME_API is not set); press Ctrl-C to stop"
    );
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "failed to accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), LocalService { service: service.clone(), peer, local: address, config: Arc::clone(&config) });
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    tracing::info!("shutting down: waiting for in-flight requests");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("in-flight requests did not finish within {SHUTDOWN_GRACE:?}");
    }
    Ok(())
}

type LocalBody = UnsyncBoxBody<Bytes, BoxError>;

/// Adapts the tower service to hyper, with the same failure handling as on Lambda: an error or a
/// panic becomes a 500.
struct LocalService<S> {
    service: S,
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    peer: SocketAddr,
    /// The address the server listens on, for the client URL of requests without `Host`.
    local: SocketAddr,
    config: Arc<Config>,
}

impl<S, B> hyper::service::Service<Request<Incoming>> for LocalService<S>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<LocalBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<LocalBody>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let service = self.service.clone();
        let (method, path) = (request.method().clone(), request.uri().path().to_owned());
        let started = Instant::now();
        let is_event = self
            .config
            .events_path
            .as_deref()
            .is_some_and(|events| uri::is_under(&path, events));
        let answer: Self::Future = match self.config.local_source {
            _ if is_event => Box::pin(event(service, Arc::clone(&self.config), request)),
            Some(shape) => Box::pin(emulate(service, Arc::clone(&self.config), shape, request)),
            None => {
                let mut request = request.map(Body::incoming);
                let client_url = client_url(&request, self.local);
                let extensions = request.extensions_mut();
                // The same extensions as on Lambda, where they make sense locally.
                extensions.insert(PathPrefix::default());
                extensions.insert(client_url);
                #[cfg(feature = "axum")]
                extensions.insert(axum::extract::ConnectInfo(self.peer));
                Box::pin(async move {
                    Ok(match call_service(service, request).await {
                        Ok(response) => {
                            response.map(|body| body.map_err(Into::into).boxed_unsync())
                        }
                        Err(failure) => {
                            tracing::error!(error = %failure, "answered 500 Internal Server Error");
                            plain(
                                StatusCode::INTERNAL_SERVER_ERROR,
                                INTERNAL_SERVER_ERROR.to_owned(),
                            )
                        }
                    })
                })
            }
        };
        Box::pin(async move {
            let response = answer.await;
            if let Ok(response) = &response {
                // The access log: one line per request.
                tracing::info!(
                    method = %method,
                    path,
                    status = response.status().as_u16(),
                    latency_ms = crate::logging::millis(started.elapsed()),
                    "request"
                );
            }
            response
        })
    }
}

fn plain(status: StatusCode, text: String) -> Response<LocalBody> {
    let mut response = Response::new(
        Full::new(Bytes::from(text))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    *response.headers_mut() = plain_headers();
    response
}

/// A local request's whole body, or the `400` that says why it could not be read.
async fn read_body(body: Incoming) -> Result<Bytes, Response<LocalBody>> {
    body.collect()
        .await
        .map(|body| body.to_bytes())
        .map_err(|error| {
            plain(
                StatusCode::BAD_REQUEST,
                format!("could not read the request body: {error}"),
            )
        })
}

/// Runs one local request the way Lambda would: as the event `shape`'s source would send it,
/// through the production decode → service → encode path, and the response JSON back into HTTP.
/// Shape bugs (binary bodies, cookies, headers, stage prefixes) then show on a laptop.
async fn emulate<S, B>(
    service: S,
    config: Arc<Config>,
    shape: Shape,
    request: Request<Incoming>,
) -> Result<Response<LocalBody>, Infallible>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let (parts, body) = request.into_parts();
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(refused) => return Ok(refused),
    };
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    // A WebSocket event names a route key, which local clients put after the WebSocket path.
    let target = match shape {
        Shape::WebSocket => target
            .strip_prefix(config.websocket_path.as_str())
            .filter(|rest| rest.starts_with('/'))
            .unwrap_or(target),
        _ => target,
    };
    let mut event = EventBuilder::new(shape, parts.method.as_str(), target).body(body.to_vec());
    for (name, value) in &parts.headers {
        event = event.header(name.as_str(), &String::from_utf8_lossy(value.as_bytes()));
    }
    let json = match invoke(service, &config, Bytes::from(event.build())).await {
        Ok(response) => serde_json::to_string(&response).map_err(|e| e.to_string()),
        Err(error) => Err(format!(
            "the invocation failed (Lambda would answer 502): {error}"
        )),
    };
    let response = json.and_then(|json| TestResponse::from_json(&json));
    Ok(match response {
        Ok(response) => {
            let mut http = Response::new(
                Full::new(response.body().clone())
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            );
            *http.status_mut() = response.status();
            *http.headers_mut() = response.headers().clone();
            http
        }
        Err(message) => {
            tracing::error!(message, "answered 502 Bad Gateway, as Lambda would");
            plain(StatusCode::BAD_GATEWAY, message)
        }
    })
}

/// Runs a local request to the events path as the event its body holds, the way Lambda would
/// (`curl -X POST localhost:3000/events/sqs -d @event.json`): the kind is detected from the
/// body, the result comes back as JSON (`200`), a failed invocation as `502` with Lambda's
/// `errorType` and `errorMessage`.
async fn event<S, B>(
    service: S,
    config: Arc<Config>,
    request: Request<Incoming>,
) -> Result<Response<LocalBody>, Infallible>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let body = match read_body(request.into_body()).await {
        Ok(body) => body,
        Err(refused) => return Ok(refused),
    };
    let (status, json) = match invoke(service, &config, body).await {
        Ok(reply) => match serde_json::to_string(&reply) {
            Ok(json) => (StatusCode::OK, json),
            Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
        },
        Err(error) => {
            tracing::error!(%error, "the invocation failed (Lambda would report it as an error)");
            let json = serde_json::json!({
                "errorType": error.error_type(),
                "errorMessage": error.message(),
            });
            (StatusCode::BAD_GATEWAY, json.to_string())
        }
    };
    let mut response = plain(status, json);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// The URL a local client requested: `http://` + its `Host` (else the listening address) + the
/// request target.
fn client_url(request: &Request<Body>, local: SocketAddr) -> ClientUrl {
    let authority = request
        .headers()
        .get(http::header::HOST)
        .and_then(|host| Authority::try_from(host.as_bytes()).ok())
        .or_else(|| Authority::try_from(local.to_string()).ok());
    let path_and_query = request.uri().path_and_query().cloned();
    let url = authority.and_then(|authority| {
        Uri::builder()
            .scheme(Scheme::HTTP)
            .authority(authority)
            .path_and_query(path_and_query.unwrap_or_else(|| PathAndQuery::from_static("/")))
            .build()
            .ok()
    });
    ClientUrl(url.unwrap_or_else(|| request.uri().clone()))
}
