//! What API Gateway, the Function URL service, ALB or VPC Lattice know about a request, and
//! where the path came from — as request extensions, read only from the event and the runtime,
//! never from headers a client could send.

mod lattice;
mod websocket;

pub use lattice::{LatticeContext, LatticeIdentity};
pub use websocket::{WebSocketContext, WebSocketEventType};

use aws_lambda_events::alb::AlbTargetGroupRequestContext;
use aws_lambda_events::apigw::{ApiGatewayProxyRequestContext, ApiGatewayV2httpRequestContext};
use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequestContext;
use bytes::Bytes;
use http::Uri;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

/// The event source an invocation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventSource {
    /// API Gateway REST API (payload 1.0).
    RestApi,
    /// API Gateway HTTP API with payload format 1.0.
    HttpApiV1,
    /// API Gateway HTTP API with payload format 2.0.
    HttpApiV2,
    /// Lambda Function URL.
    FunctionUrl,
    /// Application Load Balancer.
    Alb,
    /// VPC Lattice, target group event structure version V1.
    VpcLatticeV1,
    /// VPC Lattice, target group event structure version V2.
    VpcLatticeV2,
    /// API Gateway WebSocket API.
    WebSocket,
}

/// The typed `requestContext` of each source: as `aws_lambda_events` defines it for the sources
/// it reads fully, and tower-lambda's own all-optional types for VPC Lattice and WebSocket APIs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SourceContext {
    /// API Gateway REST API.
    RestApi(Box<ApiGatewayProxyRequestContext>),
    /// HTTP API, payload format 1.0.
    HttpApiV1(Box<ApiGatewayProxyRequestContext>),
    /// HTTP API, payload format 2.0.
    HttpApiV2(Box<ApiGatewayV2httpRequestContext>),
    /// Lambda Function URL.
    FunctionUrl(Box<LambdaFunctionUrlRequestContext>),
    /// Application Load Balancer.
    Alb(Box<AlbTargetGroupRequestContext>),
    /// VPC Lattice payload V1, which has no request context.
    VpcLatticeV1,
    /// VPC Lattice payload V2.
    VpcLatticeV2(Box<LatticeContext>),
    /// API Gateway WebSocket API.
    WebSocket(Box<WebSocketContext>),
}

/// The event's `requestContext` could not be read as its source's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextError(String);

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the event's requestContext could not be read: {}",
            self.0
        )
    }
}

impl std::error::Error for ContextError {}

/// What the event source knows about the request: request id, stage, stage variables, path
/// parameters, domain name, source IP, user agent and authorizer data.
///
/// A request extension on every request that came from a Lambda event (absent in local mode).
/// It is cheap: the event is kept as received and `requestContext` is only parsed the first time
/// a method needs it. Everything here comes from the event, never from request headers, so a
/// client cannot forge it.
///
/// ```
/// use tower_lambda::{RequestContext, RequestExt};
///
/// fn who(request: &http::Request<tower_lambda::Body>) -> String {
///     match request.request_context() {
///         Some(context) => format!(
///             "request {} from {:?}",
///             context.request_id().unwrap_or("?"),
///             context.source_ip()
///         ),
///         None => "not on Lambda".to_owned(),
///     }
/// }
/// ```
#[derive(Clone)]
pub struct RequestContext(Arc<Inner>);

struct Inner {
    source: EventSource,
    raw: Bytes,
    source_ip: Option<IpAddr>,
    parsed: OnceLock<Result<Parsed, ContextError>>,
}

#[derive(Debug)]
struct Parsed {
    context: SourceContext,
    stage_variables: HashMap<String, String>,
    path_parameters: HashMap<String, String>,
}

/// The parts of the event the context needs; everything else is skipped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extras<T> {
    request_context: Option<T>,
    #[serde(default)]
    stage_variables: Option<HashMap<String, String>>,
    #[serde(default)]
    path_parameters: Option<HashMap<String, String>>,
}

fn parse<T: DeserializeOwned>(
    raw: &[u8],
    wrap: impl FnOnce(Box<T>) -> SourceContext,
) -> Result<Parsed, ContextError> {
    let extras: Extras<T> = serde_json::from_slice(raw).map_err(|e| ContextError(e.to_string()))?;
    let context = extras
        .request_context
        .ok_or_else(|| ContextError("the event has no requestContext".to_owned()))?;
    Ok(Parsed {
        context: wrap(Box::new(context)),
        stage_variables: extras.stage_variables.unwrap_or_default(),
        path_parameters: extras.path_parameters.unwrap_or_default(),
    })
}

impl RequestContext {
    pub(crate) fn new(source: EventSource, raw: Bytes, source_ip: Option<IpAddr>) -> Self {
        Self(Arc::new(Inner {
            source,
            raw,
            source_ip,
            parsed: OnceLock::new(),
        }))
    }

    fn parsed(&self) -> Result<&Parsed, &ContextError> {
        self.0
            .parsed
            .get_or_init(|| {
                let raw = &self.0.raw;
                match self.0.source {
                    EventSource::RestApi => parse(raw, SourceContext::RestApi),
                    EventSource::HttpApiV1 => parse(raw, SourceContext::HttpApiV1),
                    EventSource::HttpApiV2 => parse(raw, SourceContext::HttpApiV2),
                    EventSource::FunctionUrl => parse(raw, SourceContext::FunctionUrl),
                    EventSource::Alb => parse(raw, SourceContext::Alb),
                    EventSource::VpcLatticeV1 => Ok(Parsed {
                        context: SourceContext::VpcLatticeV1,
                        stage_variables: HashMap::new(),
                        path_parameters: HashMap::new(),
                    }),
                    EventSource::VpcLatticeV2 => parse(raw, SourceContext::VpcLatticeV2),
                    EventSource::WebSocket => parse(raw, SourceContext::WebSocket),
                }
            })
            .as_ref()
    }

    /// The event source the request came from.
    pub fn source(&self) -> EventSource {
        self.0.source
    }

    /// The event's JSON exactly as Lambda delivered it.
    pub fn raw_event(&self) -> &[u8] {
        &self.0.raw
    }

    /// The typed `requestContext` of the event's source.
    ///
    /// # Errors
    /// When the event's `requestContext` is missing or does not have the shape `aws_lambda_events`
    /// expects for its source (hand-written test events sometimes lack required fields).
    pub fn typed(&self) -> Result<&SourceContext, ContextError> {
        self.parsed().map(|p| &p.context).map_err(Clone::clone)
    }

    /// The client's IP address as the event source saw it: `requestContext.identity.sourceIp`
    /// (REST, HTTP API 1.0, WebSocket APIs), `requestContext.http.sourceIp` (HTTP API 2.0,
    /// Function URLs), or for ALB and VPC Lattice the address the load balancer itself appended
    /// to `X-Forwarded-For` (its last entry; earlier entries come from the client and are not
    /// trusted).
    pub fn source_ip(&self) -> Option<IpAddr> {
        self.0.source_ip
    }

    /// The request id API Gateway or the Function URL service assigned (not the Lambda request
    /// id; that is [`Context::request_id`](lambda_runtime::Context)). `None` for ALB and VPC
    /// Lattice.
    pub fn request_id(&self) -> Option<&str> {
        match self.typed().ok()? {
            SourceContext::RestApi(c) | SourceContext::HttpApiV1(c) => c.request_id.as_deref(),
            SourceContext::HttpApiV2(c) => c.request_id.as_deref(),
            SourceContext::FunctionUrl(c) => c.request_id.as_deref(),
            SourceContext::WebSocket(c) => c.request_id(),
            _ => None,
        }
    }

    /// The API Gateway stage (`prod`, `$default`, ...). `None` for Function URLs, ALB and VPC
    /// Lattice.
    pub fn stage(&self) -> Option<&str> {
        match self.typed().ok()? {
            SourceContext::RestApi(c) | SourceContext::HttpApiV1(c) => c.stage.as_deref(),
            SourceContext::HttpApiV2(c) => c.stage.as_deref(),
            SourceContext::WebSocket(c) => c.stage(),
            _ => None,
        }
    }

    /// The domain name the client called. `None` for ALB and VPC Lattice (whose requests carry
    /// only a `Host` header).
    pub fn domain_name(&self) -> Option<&str> {
        match self.typed().ok()? {
            SourceContext::RestApi(c) | SourceContext::HttpApiV1(c) => c.domain_name.as_deref(),
            SourceContext::HttpApiV2(c) => c.domain_name.as_deref(),
            SourceContext::FunctionUrl(c) => c.domain_name.as_deref(),
            SourceContext::WebSocket(c) => c.domain_name(),
            _ => None,
        }
    }

    /// The user agent as the event source recorded it. `None` for ALB and VPC Lattice.
    pub fn user_agent(&self) -> Option<&str> {
        match self.typed().ok()? {
            SourceContext::RestApi(c) | SourceContext::HttpApiV1(c) => {
                c.identity.user_agent.as_deref()
            }
            SourceContext::HttpApiV2(c) => c.http.user_agent.as_deref(),
            SourceContext::FunctionUrl(c) => c.http.user_agent.as_deref(),
            SourceContext::WebSocket(c) => c.user_agent(),
            _ => None,
        }
    }

    /// The WebSocket connection and event, for events from an API Gateway WebSocket API.
    pub fn websocket(&self) -> Option<&WebSocketContext> {
        match self.typed().ok()? {
            SourceContext::WebSocket(c) => Some(c),
            _ => None,
        }
    }

    /// The service network, service, target group and caller, for VPC Lattice V2 events.
    pub fn vpc_lattice(&self) -> Option<&LatticeContext> {
        match self.typed().ok()? {
            SourceContext::VpcLatticeV2(c) => Some(c),
            _ => None,
        }
    }

    /// The stage variables (API Gateway); empty when there are none.
    pub fn stage_variables(&self) -> &HashMap<String, String> {
        self.parsed()
            .map(|p| &p.stage_variables)
            .unwrap_or_else(|_| empty())
    }

    /// The path parameters API Gateway matched (`{id}`, `{proxy+}`); empty when there are none.
    pub fn path_parameters(&self) -> &HashMap<String, String> {
        self.parsed()
            .map(|p| &p.path_parameters)
            .unwrap_or_else(|_| empty())
    }

    /// One claim of the caller's token: from a JWT authorizer (HTTP API,
    /// `requestContext.authorizer.jwt.claims`) or a Cognito user-pool authorizer (REST API,
    /// `requestContext.authorizer.claims`).
    pub fn claim(&self, name: &str) -> Option<&str> {
        match self.typed().ok()? {
            SourceContext::HttpApiV2(c) => c
                .authorizer
                .as_ref()?
                .jwt
                .as_ref()?
                .claims
                .get(name)
                .map(String::as_str),
            // Payload 1.0 keeps the whole authorizer as plain fields (Cognito and JWT alike).
            SourceContext::RestApi(c) | SourceContext::HttpApiV1(c) => {
                c.authorizer.fields.get("claims")?.get(name)?.as_str()
            }
            _ => None,
        }
    }

    /// The scopes of the caller's JWT (HTTP API JWT authorizer, payload 2.0
    /// `authorizer.jwt.scopes` or 1.0 `authorizer.scopes`).
    pub fn scopes(&self) -> Option<Vec<&str>> {
        match self.typed().ok()? {
            SourceContext::HttpApiV2(c) => {
                let scopes = c.authorizer.as_ref()?.jwt.as_ref()?.scopes.as_ref()?;
                Some(scopes.iter().map(String::as_str).collect())
            }
            SourceContext::RestApi(c) | SourceContext::HttpApiV1(c) => {
                let scopes = c.authorizer.fields.get("scopes")?.as_array()?;
                Some(scopes.iter().filter_map(Value::as_str).collect())
            }
            _ => None,
        }
    }

    /// The context a Lambda authorizer returned: `requestContext.authorizer.lambda` (HTTP API)
    /// or the fields of `requestContext.authorizer` (REST API, WebSocket API).
    pub fn authorizer_context(&self) -> Option<&HashMap<String, Value>> {
        let fields = match self.typed().ok()? {
            SourceContext::HttpApiV2(c) => &c.authorizer.as_ref()?.fields,
            SourceContext::RestApi(c) | SourceContext::HttpApiV1(c) => &c.authorizer.fields,
            SourceContext::WebSocket(c) => return c.authorizer_context(),
            _ => return None,
        };
        (!fields.is_empty()).then_some(fields)
    }

    /// The caller's IAM user or role ARN, for IAM-authorized requests (for VPC Lattice, the
    /// principal an auth policy authenticated).
    pub fn iam_user_arn(&self) -> Option<&str> {
        match self.typed().ok()? {
            SourceContext::RestApi(c) | SourceContext::HttpApiV1(c) => {
                c.identity.user_arn.as_deref()
            }
            SourceContext::HttpApiV2(c) => c.authorizer.as_ref()?.iam.as_ref()?.user_arn.as_deref(),
            SourceContext::FunctionUrl(c) => {
                c.authorizer.as_ref()?.iam.as_ref()?.user_arn.as_deref()
            }
            SourceContext::WebSocket(c) => c.iam_user_arn(),
            SourceContext::VpcLatticeV2(c) => c.identity()?.principal(),
            SourceContext::Alb(_) | SourceContext::VpcLatticeV1 => None,
        }
    }
}

fn empty() -> &'static HashMap<String, String> {
    static EMPTY: OnceLock<HashMap<String, String>> = OnceLock::new();
    EMPTY.get_or_init(HashMap::new)
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("source", &self.0.source)
            .field("source_ip", &self.0.source_ip)
            .field("typed", &self.parsed().map(|p| &p.context))
            .finish()
    }
}

/// The part of the client's path removed before routing: the API Gateway stage and/or a custom
/// domain's base path (for example `/prod` or `/v1`); empty when nothing was removed. Use it to
/// build absolute links. A request extension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PathPrefix(pub String);

impl PathPrefix {
    /// The prefix, such as `/prod`, or `""`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The full URL the client requested — scheme, host, the path with any stage or base path, and
/// the query — whatever the path mode. A request extension.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientUrl(pub Uri);

/// Access to tower-lambda's request extensions without axum.
///
/// ```
/// use tower_lambda::RequestExt;
///
/// fn link(request: &http::Request<tower_lambda::Body>, to: &str) -> String {
///     format!("{}{to}", request.path_prefix())
/// }
/// ```
pub trait RequestExt {
    /// The event source's context; `None` outside Lambda (local mode).
    fn request_context(&self) -> Option<&RequestContext>;
    /// The Lambda invocation context (request id, deadline, function ARN, X-Ray trace id);
    /// `None` outside Lambda.
    fn lambda_context(&self) -> Option<&lambda_runtime::Context>;
    /// The prefix removed from the path before routing (see [`PathPrefix`]), or `""`.
    fn path_prefix(&self) -> &str;
    /// The full URL the client requested (see [`ClientUrl`]).
    fn client_url(&self) -> Option<&Uri>;
}

impl RequestExt for http::Extensions {
    fn request_context(&self) -> Option<&RequestContext> {
        self.get()
    }
    fn lambda_context(&self) -> Option<&lambda_runtime::Context> {
        self.get()
    }
    fn path_prefix(&self) -> &str {
        self.get::<PathPrefix>().map_or("", PathPrefix::as_str)
    }
    fn client_url(&self) -> Option<&Uri> {
        self.get::<ClientUrl>().map(|url| &url.0)
    }
}

impl<B> RequestExt for http::Request<B> {
    fn request_context(&self) -> Option<&RequestContext> {
        self.extensions().request_context()
    }
    fn lambda_context(&self) -> Option<&lambda_runtime::Context> {
        self.extensions().lambda_context()
    }
    fn path_prefix(&self) -> &str {
        self.extensions().path_prefix()
    }
    fn client_url(&self) -> Option<&Uri> {
        self.extensions().client_url()
    }
}

impl RequestExt for http::request::Parts {
    fn request_context(&self) -> Option<&RequestContext> {
        self.extensions.request_context()
    }
    fn lambda_context(&self) -> Option<&lambda_runtime::Context> {
        self.extensions.lambda_context()
    }
    fn path_prefix(&self) -> &str {
        self.extensions.path_prefix()
    }
    fn client_url(&self) -> Option<&Uri> {
        self.extensions.client_url()
    }
}

/// The `X-Amzn-Trace-Id` values the event carried, when the invocation's own trace header (the
/// [`Context`](lambda_runtime::Context)'s `xray_trace_id`) took their place. A request extension;
/// a client of a Function URL can send any value, so they are kept for reference only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTraceHeader(pub Vec<http::HeaderValue>);
