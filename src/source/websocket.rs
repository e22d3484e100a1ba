//! API Gateway WebSocket APIs (Lambda proxy integration).
//!
//! Request: `requestContext.eventType` (`CONNECT`, `MESSAGE`, `DISCONNECT`) with a
//! `connectionId` is what only WebSocket events have (API Gateway's Lambda authorizer events for
//! `$connect` have them too, and a `methodArn`: those are not requests to serve).
//!
//! Identified by: `requestContext.eventType` (`CONNECT`, `MESSAGE` or `DISCONNECT`) with
//! `requestContext.connectionId`, and no `methodArn`. Each event
//! becomes one request that ordinary routing dispatches on the route key: `GET {path}/$connect`
//! (with the handshake's headers, `Sec-WebSocket-*` included, and its query string), `POST
//! {path}/{routeKey}` for a message (`$default` for one that is not JSON or matches no route;
//! the frame is the body, decoded only when `isBase64Encoded` says so), and `POST
//! {path}/$disconnect`. `{path}` is [`Serve::websocket_path`](crate::Serve::websocket_path),
//! `/ws` by default; the route key is one percent-encoded path segment. A message without a
//! `Content-Type` (API Gateway sends none) gets `application/json` when its body is JSON, else
//! `text/plain; charset=utf-8` (frames are text).
//!
//! Response: `statusCode` (on `$connect`, a non-2xx refuses the connection), `headers` (one
//! string per name: a `Sec-WebSocket-Protocol` on `$connect` selects the subprotocol), `body`
//! (sent to the client only on routes with a route response) and `isBase64Encoded`.

use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, Request};
use serde::Serializer;
use std::borrow::Cow;

use super::codec::{Rejected, Source, SourceCodec};
use super::payload_1_0;
use super::request::{assemble, body, header_map_1_0, Routed};
use crate::body::Body;
use crate::config::Config;
use crate::event::{Event, EventError, Str, WebSocketEvent};
use crate::response::LambdaResponse;
use crate::uri::{self, Encoding, Query};

pub(crate) struct WebSocket;

impl SourceCodec for WebSocket {
    fn detect(event: &Event<'_>) -> Option<Source> {
        let context = event.request_context.as_ref()?;
        let websocket = context
            .event_type
            .is_some_and(|kind| kind != WebSocketEvent::Other)
            && context.connection_id.is_some();
        websocket.then_some(Source::WebSocket)
    }

    fn decode(event: &mut Event<'_>, config: &Config) -> Result<Request<Body>, Rejected> {
        let context = event.request_context.as_ref();
        let route_key = context
            .and_then(|c| c.route_key.as_ref())
            .map(Str::as_str)
            .ok_or(Rejected::Event(EventError::Missing {
                source: Source::WebSocket.name(),
                field: "requestContext.routeKey",
            }))?;
        let event_type = context.and_then(|c| c.event_type);
        let is_message = event_type == Some(WebSocketEvent::Message);
        let method = match event_type {
            Some(WebSocketEvent::Connect) => Method::GET,
            _ => Method::POST,
        };
        let mut path = String::with_capacity(config.websocket_path.len() + route_key.len() + 1);
        path.push_str(&config.websocket_path);
        path.push('/');
        uri::push_segment(&mut path, route_key);

        let base64 = event.is_base64_encoded == Some(true);
        let body = body(event)?;
        let mut headers = header_map_1_0(event)?;
        if is_message && !body.is_empty() && !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, frame_type(&body, base64));
        }
        let mut query = Query::default();
        for (key, value) in event.query_pairs().iter().flat_map(|pairs| pairs.iter()) {
            query.param(key, value, Encoding::Decoded);
        }
        let routed = Routed {
            route: &path,
            prefix: String::new(),
            requested: Cow::Borrowed(&path),
        };
        assemble(
            method,
            routed,
            Encoding::Encoded,
            &query,
            headers,
            event.domain_name(),
            body,
            config,
        )
    }

    fn serialize<S: Serializer>(
        &self,
        response: &LambdaResponse,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        payload_1_0::serialize_single_value(response, serializer)
    }
}

/// The media type of a message frame: JSON when it parses as JSON, else text (API Gateway
/// refuses binary frames; a body the event flagged as base64 is left as bytes).
fn frame_type(body: &[u8], base64: bool) -> HeaderValue {
    if base64 {
        HeaderValue::from_static("application/octet-stream")
    } else if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
        HeaderValue::from_static("application/json")
    } else {
        HeaderValue::from_static("text/plain; charset=utf-8")
    }
}
