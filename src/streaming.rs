//! Response streaming: the status and headers first, then the body as the service produces it.
//!
//! Function URLs (invoke mode `RESPONSE_STREAM`) and REST APIs (response transfer mode
//! `STREAM`) read a streamed response as Lambda's *HTTP integration* stream: a JSON prelude
//! (`statusCode`, `headers`, `cookies`), eight NUL bytes, then the raw body. It is posted to the
//! Runtime API with `Lambda-Runtime-Function-Response-Mode: streaming`; a body that fails
//! part-way ends with the error trailers `Lambda-Runtime-Function-Error-Type` and
//! `Lambda-Runtime-Function-Error-Body`, so the invocation is marked failed and the client sees
//! a truncated response.

use base64::Engine;
use bytes::Bytes;
use futures_util::FutureExt;
use http::header::{CONTENT_TYPE, TRAILER};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use lambda_runtime_api_client::body::Body as ApiBody;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tower::Service;

use crate::body::Body;
use crate::config::Config;
use crate::error::{panic_message, BoxError, Error, ErrorType, InvocationError};
use crate::headers::{Cookies, SingleValue};
use crate::invoke::{
    call_service, deadline_response, on_failure, response_head, restore_for, status_failure,
    time_budget,
};
use crate::logging::Outcome;
use crate::source::Source;

/// The header that carries the Runtime API's invocation id, echoed on every answer.
pub(crate) const INVOCATION_ID: &str = "lambda-runtime-invocation-id";
const ERROR_TYPE: HeaderName = HeaderName::from_static("lambda-runtime-function-error-type");
const ERROR_BODY: HeaderName = HeaderName::from_static("lambda-runtime-function-error-body");

/// Whether a source's gateway can read a streamed response.
pub(crate) fn can_stream(source: Source) -> bool {
    matches!(source, Source::FunctionUrl | Source::RestApi)
}

/// The Runtime API's address, from `AWS_LAMBDA_RUNTIME_API`.
pub(crate) fn endpoint() -> Result<http::Uri, Error> {
    let endpoint = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_default();
    http::Uri::try_from(endpoint.as_str()).map_err(|_| Error::LambdaEnvironment {
        variable: "AWS_LAMBDA_RUNTIME_API",
        problem: "is not a valid address",
    })
}

/// The Runtime API client the streamed answers are posted with; its connections are rebuilt
/// after a SnapStart restore ([`Client::reset_pool`]).
pub(crate) struct Client(lambda_runtime_api_client::PooledClient);

impl Client {
    pub(crate) fn from_env() -> Result<Self, Error> {
        Ok(Self(
            lambda_runtime_api_client::PooledClient::builder()
                .with_endpoint(endpoint()?)
                .build(),
        ))
    }

    /// Drops every connection: after a restore they are all dead.
    pub(crate) fn reset_pool(&self) {
        self.0.reset_pool();
    }
}

/// One invocation to answer by streaming.
pub(crate) struct Answer {
    pub(crate) client: Arc<Client>,
    pub(crate) request_id: String,
    pub(crate) invocation_id: Option<HeaderValue>,
    /// Where the invocation log line learns how it ended.
    pub(crate) outcome: Option<Arc<Outcome>>,
}

impl Answer {
    /// Calls the service and streams its response. A service that fails before it has a
    /// response is answered as the [`ErrorPolicy`](crate::ErrorPolicy) says: a streamed 500, or a
    /// failed invocation.
    pub(crate) async fn respond<S, B>(
        self,
        service: S,
        config: Arc<Config>,
        request: Request<Body>,
    ) -> Result<(), BoxError>
    where
        S: Service<Request<Body>, Response = Response<B>>,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let budget = time_budget(&request, &config);
        let restore = restore_for(&request, &config);
        let called = call_service(service, request);
        let called = match budget {
            None => called.await,
            Some(budget) => match tokio::time::timeout(budget, called).await {
                Ok(result) => result,
                Err(_) => {
                    let response = deadline_response(&config);
                    let body = http_body_util::Full::new(Bytes::from(response.body.text));
                    return self
                        .stream(&config, response.status, &response.headers, body)
                        .await;
                }
            },
        };
        match called {
            Ok(response) => {
                let (mut parts, body) = response.into_parts();
                response_head(&mut parts.headers, restore.as_deref());
                self.stream(&config, parts.status, &parts.headers, body)
                    .await
            }
            Err(failure) => match on_failure(&config, &failure) {
                Ok(response) => {
                    let body = http_body_util::Full::new(Bytes::from(response.body.text));
                    self.stream(&config, response.status, &response.headers, body)
                        .await
                }
                Err(error) => self.fail(error).await,
            },
        }
    }

    async fn stream<B>(
        self,
        config: &Config,
        status: StatusCode,
        headers: &HeaderMap,
        body: B,
    ) -> Result<(), BoxError>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        if config.fail_on_status.contains(status.as_u16()) {
            return self.fail_on_status(config, status, body).await;
        }
        let prelude = serde_json::to_vec(&Prelude { status, headers })?;
        let (mut sender, api_body) = ApiBody::channel();
        let mut request = self.request("response", api_body)?;
        let request_headers = request.headers_mut();
        request_headers.insert(
            HeaderName::from_static("lambda-runtime-function-response-mode"),
            HeaderValue::from_static("streaming"),
        );
        request_headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.awslambda.http-integration-response"),
        );
        request_headers.append(
            TRAILER,
            HeaderValue::from_static("Lambda-Runtime-Function-Error-Type"),
        );
        request_headers.append(
            TRAILER,
            HeaderValue::from_static("Lambda-Runtime-Function-Error-Body"),
        );

        let request_id = self.request_id.clone();
        let pump = async move {
            if sender.send_data(Bytes::from(prelude)).await.is_err()
                || sender.send_data(Bytes::from_static(&[0; 8])).await.is_err()
            {
                return Err(ErrorType::StreamAborted.static_name());
            }
            let mut body = std::pin::pin!(body);
            let mut sent = 0;
            loop {
                let next = AssertUnwindSafe(body.frame()).catch_unwind().await;
                // Errors become `BoxError` at once: the body's own error type need not be `Send`.
                let next =
                    next.map(|frame| frame.map(|frame| frame.map_err(Into::<BoxError>::into)));
                let failure = match next {
                    Ok(None) => return Ok(sent),
                    Ok(Some(Ok(frame))) => {
                        let Ok(data) = frame.into_data() else {
                            continue;
                        };
                        sent += data.len();
                        if sender.send_data(data).await.is_err() {
                            tracing::warn!(
                                request_id,
                                "the Runtime API stopped reading the streamed response"
                            );
                            return Err(ErrorType::StreamAborted.static_name());
                        }
                        continue;
                    }
                    Ok(Some(Err(error))) => format!("the response body failed: {error}"),
                    Err(panic) => format!("the response body panicked: {}", panic_message(&*panic)),
                };
                tracing::error!(
                    request_id,
                    error = failure,
                    "the streamed response failed part-way"
                );
                let mut trailers = HeaderMap::with_capacity(2);
                trailers.insert(
                    ERROR_TYPE,
                    HeaderValue::from_static(ErrorType::StreamError.static_name()),
                );
                let encoded = base64::engine::general_purpose::STANDARD.encode(failure);
                if let Ok(value) = HeaderValue::try_from(encoded) {
                    trailers.insert(ERROR_BODY, value);
                }
                let _ = sender.send_trailers(trailers).await;
                return Err(ErrorType::StreamError.static_name());
            }
        };
        let (posted, pumped) = futures_util::future::join(self.client.0.call(request), pump).await;
        if let Some(outcome) = &self.outcome {
            match pumped {
                Ok(sent) => outcome.answered(Some(status.as_u16()), sent),
                Err(error_type) => outcome.failed(error_type),
            }
        }
        check(posted?.status(), &self.request_id);
        Ok(())
    }

    /// Fails the invocation for a status [`Serve::fail_on_status`](crate::Serve::fail_on_status)
    /// lists, with the body (up to the buffered limit) as the message.
    async fn fail_on_status<B>(
        self,
        config: &Config,
        status: StatusCode,
        body: B,
    ) -> Result<(), BoxError>
    where
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let limited = http_body_util::Limited::new(body, config.buffered_limit);
        let text = match AssertUnwindSafe(limited.collect()).catch_unwind().await {
            Ok(Ok(collected)) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
            Ok(Err(error)) => format!("(the response body could not be read: {error})"),
            Err(panic) => format!("(the response body panicked: {})", panic_message(&*panic)),
        };
        let error = status_failure(status, &text, "http");
        self.fail(error).await
    }

    /// Fails the invocation (`/error`).
    async fn fail(self, error: InvocationError) -> Result<(), BoxError> {
        if let Some(outcome) = &self.outcome {
            outcome.failed(error.error_type.clone());
        }
        let diagnostic = lambda_runtime::Diagnostic::from(error);
        let body = serde_json::to_vec(&serde_json::json!({
            "errorType": diagnostic.error_type,
            "errorMessage": diagnostic.error_message,
        }))?;
        let mut request = self.request("error", ApiBody::from(body))?;
        request
            .headers_mut()
            .insert(ERROR_TYPE, HeaderValue::from_static("unhandled"));
        let posted = self.client.0.call(request).await?;
        check(posted.status(), &self.request_id);
        Ok(())
    }

    fn request(&self, endpoint: &str, body: ApiBody) -> Result<Request<ApiBody>, BoxError> {
        let mut builder = lambda_runtime_api_client::build_request()
            .method(Method::POST)
            .uri(format!(
                "/2018-06-01/runtime/invocation/{}/{endpoint}",
                self.request_id
            ));
        if let Some(id) = &self.invocation_id {
            builder = builder.header(INVOCATION_ID, id);
        }
        Ok(builder.body(body)?)
    }
}

fn check(status: StatusCode, request_id: &str) {
    if !status.is_success() {
        tracing::error!(request_id, %status, "the Runtime API refused the answer");
    }
}

/// `{"statusCode": 200, "headers": {...}, "cookies": [...]}`: the HTTP integration prelude.
struct Prelude<'a> {
    status: StatusCode,
    headers: &'a HeaderMap,
}

impl Serialize for Prelude<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Prelude", 3)?;
        out.serialize_field("statusCode", &self.status.as_u16())?;
        out.serialize_field("headers", &SingleValue::cookies_apart(self.headers))?;
        out.serialize_field("cookies", &Cookies(self.headers))?;
        out.end()
    }
}
