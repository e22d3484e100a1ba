//! What API Gateway knows about a WebSocket connection and the event on it.

use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// The kind of a WebSocket event: the connection opening, a message on it, or its closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebSocketEventType {
    /// `$connect`: a client asks to open a connection. A non-2xx response refuses it.
    Connect,
    /// A message (a text frame) from the client, on a custom route or `$default`.
    Message,
    /// `$disconnect`: the connection has closed (best effort; nothing is sent back).
    Disconnect,
}

/// The `requestContext` of an API Gateway WebSocket API event: the connection id, the route, the
/// event type and what a handler needs to send messages back. Read from the event only.
///
/// Every field is optional, so hand-written test events read too; API Gateway always sends the
/// connection id, route key, event type, stage, domain name and API id.
///
/// With the `axum` feature it is an extractor that refuses (with `404 Not Found`) any request
/// that did not come from a WebSocket event, so a client of an HTTP API in front of the same
/// function cannot reach a WebSocket route.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebSocketContext {
    #[serde(default)]
    route_key: Option<String>,
    #[serde(default)]
    event_type: Option<String>,
    #[serde(default)]
    connection_id: Option<String>,
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    connected_at: Option<i64>,
    #[serde(default)]
    request_time_epoch: Option<i64>,
    #[serde(default)]
    stage: Option<String>,
    #[serde(default)]
    domain_name: Option<String>,
    #[serde(default)]
    api_id: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    disconnect_status_code: Option<i64>,
    #[serde(default)]
    disconnect_reason: Option<String>,
    #[serde(default)]
    identity: Identity,
    #[serde(default)]
    authorizer: Option<HashMap<String, Value>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identity {
    #[serde(default)]
    user_agent: Option<String>,
    #[serde(default)]
    user_arn: Option<String>,
}

impl WebSocketContext {
    /// The connection's id: what the API Gateway Management API (`@connections`) takes to send
    /// to, query or close this connection.
    pub fn connection_id(&self) -> Option<&str> {
        self.connection_id.as_deref()
    }

    /// The route API Gateway selected: `$connect`, `$disconnect`, `$default` or a custom route
    /// key such as `sendmessage`.
    pub fn route_key(&self) -> Option<&str> {
        self.route_key.as_deref()
    }

    /// Whether the connection opens, carries a message or closes.
    pub fn event_type(&self) -> Option<WebSocketEventType> {
        match self.event_type.as_deref()? {
            "CONNECT" => Some(WebSocketEventType::Connect),
            "MESSAGE" => Some(WebSocketEventType::Message),
            "DISCONNECT" => Some(WebSocketEventType::Disconnect),
            _ => None,
        }
    }

    /// The message's id (`MESSAGE` events only).
    pub fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }

    /// When the connection was opened, in milliseconds since the Unix epoch.
    pub fn connected_at(&self) -> Option<i64> {
        self.connected_at
    }

    /// When API Gateway received this event, in milliseconds since the Unix epoch.
    pub fn request_time_epoch(&self) -> Option<i64> {
        self.request_time_epoch
    }

    /// The API's stage (`production`, ...).
    pub fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    /// The domain the client connected to: the API's `execute-api` domain or a custom domain.
    pub fn domain_name(&self) -> Option<&str> {
        self.domain_name.as_deref()
    }

    /// The API's id.
    pub fn api_id(&self) -> Option<&str> {
        self.api_id.as_deref()
    }

    /// API Gateway's id of this request.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// `$disconnect` only: the WebSocket close code (`1000` for a normal close, `1001` going
    /// away, `1005` when the client sent none, `1006` when the connection was lost).
    pub fn disconnect_status_code(&self) -> Option<i64> {
        self.disconnect_status_code
    }

    /// `$disconnect` only: why the connection closed, as API Gateway words it.
    pub fn disconnect_reason(&self) -> Option<&str> {
        self.disconnect_reason.as_deref()
    }

    /// The client's user agent (`$connect`).
    pub fn user_agent(&self) -> Option<&str> {
        self.identity.user_agent.as_deref()
    }

    /// The caller's IAM user or role ARN, when the `$connect` route uses IAM authorization.
    pub fn iam_user_arn(&self) -> Option<&str> {
        self.identity.user_arn.as_deref()
    }

    /// What a Lambda authorizer of the `$connect` route returned (`principalId` and its
    /// `context`); API Gateway repeats it on every event of the connection.
    pub fn authorizer_context(&self) -> Option<&HashMap<String, Value>> {
        self.authorizer.as_ref().filter(|fields| !fields.is_empty())
    }

    /// The endpoint of the API Gateway Management API for this connection's API: the base URL
    /// an SDK client (`aws_sdk_apigatewaymanagement`'s `endpoint_url`) posts messages to.
    ///
    /// On the API's own domain (`{api-id}.execute-api.{region}.amazonaws.com`) it is
    /// `https://{domain}/{stage}`. On a custom domain the event does not say which base path maps
    /// to the API, so the API's `execute-api` endpoint is used instead, built from its id, the
    /// stage and the function's region (`AWS_REGION`, which Lambda sets); that endpoint must be
    /// enabled (`disableExecuteApiEndpoint` false). To go through the custom domain, use
    /// `https://{custom domain}/{base path}` yourself.
    ///
    /// ```
    /// # fn send(context: &tower_lambda::WebSocketContext) {
    /// let endpoint = context.callback_url(); // Some("https://abc123.execute-api.eu-west-1.amazonaws.com/prod")
    /// # }
    /// ```
    pub fn callback_url(&self) -> Option<String> {
        self.callback_url_in(std::env::var("AWS_REGION").ok().as_deref())
    }

    /// [`Self::callback_url`] with the region given.
    pub fn callback_url_in(&self, region: Option<&str>) -> Option<String> {
        let stage = self.stage.as_deref()?;
        let domain = self.domain_name.as_deref()?;
        if domain.contains(".execute-api.") && domain.ends_with(".amazonaws.com") {
            return Some(format!("https://{domain}/{stage}"));
        }
        let api_id = self.api_id.as_deref()?;
        let region = region.filter(|r| !r.is_empty())?;
        Some(format!(
            "https://{api_id}.execute-api.{region}.amazonaws.com/{stage}"
        ))
    }

    /// The Management API URL of this very connection (`{callback_url}/@connections/{id}`, the
    /// id percent-encoded): `POST` sends it a message, `GET` describes it, `DELETE` closes it
    /// (requests signed with SigV4).
    pub fn connection_url(&self) -> Option<String> {
        self.connection_url_for(self.connection_id.as_deref()?)
    }

    /// The Management API URL of another connection of the same API (`{callback_url}/@connections/{id}`),
    /// to send it what this one said.
    pub fn connection_url_for(&self, connection_id: &str) -> Option<String> {
        Some(connection_url(&self.callback_url()?, connection_id))
    }
}

/// `{base}/@connections/{id}`, the id percent-encoded as a path segment.
fn connection_url(base: &str, id: &str) -> String {
    let id = percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC);
    format!("{base}/@connections/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(json: &str) -> WebSocketContext {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn callback_url_on_the_execute_api_domain_and_on_a_custom_domain() {
        let own = context(
            r#"{"domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "stage": "prod", "apiId": "abc123"}"#,
        );
        assert_eq!(
            own.callback_url_in(None).as_deref(),
            Some("https://abc123.execute-api.eu-west-1.amazonaws.com/prod")
        );
        let custom = context(
            r#"{"domainName": "api.example.com", "stage": "production", "apiId": "abc123"}"#,
        );
        assert_eq!(
            custom.callback_url_in(Some("us-east-1")).as_deref(),
            Some("https://abc123.execute-api.us-east-1.amazonaws.com/production")
        );
        assert_eq!(custom.callback_url_in(None), None, "no region, no guess");
        assert_eq!(
            connection_url("https://x/prod", "R0oXAdfD0kwCH6w="),
            "https://x/prod/@connections/R0oXAdfD0kwCH6w%3D"
        );
    }
}
