//! A chat on an API Gateway WebSocket API: the routes.
//!
//! tower-lambda turns each WebSocket event into an HTTP request for its route key, so the chat
//! is four ordinary axum routes:
//!
//! | Event | The request | What the route does |
//! |---|---|---|
//! | `$connect` | `GET /ws/$connect?token=…&room=…&name=…`, with the handshake's headers | checks the token (else `403`: the connection is refused), registers the connection, selects the `chat` subprotocol when the client offers it |
//! | `sendmessage` | `POST /ws/sendmessage`, body `{"action":"sendmessage","message":"…"}` | sends the message to every other connection in the room |
//! | `$default` | `POST /ws/$default`, any other frame | answers with how to use the chat |
//! | `$disconnect` | `POST /ws/$disconnect` | logs the close code and reason, forgets the connection |
//!
//! Every handler takes a [`WebSocketContext`] (connection id, route key, the Management API
//! endpoint, ...), which also refuses with `404` a request that did not come from a WebSocket
//! event, so an HTTP API in front of the same function cannot reach these routes.
//!
//! Sending to the other connections is the API Gateway Management API's `PostToConnection`;
//! [`Broadcast`] stands in for the SDK client that calls it and [`Connections`] for the
//! DynamoDB table that remembers who is connected (see [`connections`]).

pub mod connections;

use axum::{
    extract::{Query, State},
    http::{header::SEC_WEBSOCKET_PROTOCOL, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use tower_lambda::WebSocketContext;

pub use connections::{Broadcast, Connections, Member, Post, PostError};

/// The subprotocol this chat speaks, selected when a client offers it.
pub const SUBPROTOCOL: &str = "chat";

/// What `$default` answers: the route response a client gets for a frame no route takes.
pub const HELP: &str =
    r#"Send {"action":"sendmessage","message":"..."} to talk to everyone in your room."#;

/// The app's state: the token `$connect` requires, who is connected, and where messages go.
#[derive(Clone)]
pub struct Chat {
    token: Arc<str>,
    /// Who is connected, to which room.
    pub connections: Connections,
    /// Sends messages to connections.
    pub broadcast: Broadcast,
}

impl Chat {
    /// A chat that admits clients whose `$connect` carries `?token={token}`.
    ///
    /// A shared token keeps the example short; a real chat verifies a signed token here, or
    /// puts a Lambda authorizer on the `$connect` route and reads
    /// [`WebSocketContext::authorizer_context`].
    pub fn new(token: impl Into<Arc<str>>) -> Self {
        Self {
            token: token.into(),
            connections: Connections::default(),
            broadcast: Broadcast::default(),
        }
    }
}

/// The router: one route per WebSocket route key, under tower-lambda's default `/ws`.
pub fn app(chat: Chat) -> Router {
    Router::new()
        .route("/ws/$connect", get(connect))
        .route("/ws/sendmessage", post(send_message))
        .route("/ws/$default", post(default))
        .route("/ws/$disconnect", post(disconnect))
        .with_state(chat)
}

/// `$connect`: admit the client, or refuse it with a non-2xx status.
///
/// The query is read as a map rather than a struct: a client may repeat a key
/// (`?room=a&room=b`), which a struct would refuse with `400`; the last value wins, as in API
/// Gateway's own `queryStringParameters`.
async fn connect(
    ws: WebSocketContext,
    State(chat): State<Chat>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let id = ws.connection_id().unwrap_or_default();
    if query.get("token").map(String::as_str) != Some(&*chat.token) {
        tracing::warn!(connection = id, "refused: wrong or missing token");
        return (StatusCode::FORBIDDEN, "a valid token is required").into_response();
    }
    let member = Member {
        room: query.get("room").cloned().unwrap_or_else(|| "lobby".into()),
        name: query
            .get("name")
            .cloned()
            .unwrap_or_else(|| "anonymous".into()),
    };
    tracing::info!(
        connection = id,
        room = member.room,
        name = member.name,
        "connected"
    );
    chat.connections.insert(id, member);
    // `Sec-WebSocket-Protocol: json, chat` offers two; answering with one selects it.
    let offered = headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .any(|protocol| protocol.trim() == SUBPROTOCOL);
    if offered {
        [(SEC_WEBSOCKET_PROTOCOL, SUBPROTOCOL)].into_response()
    } else {
        StatusCode::OK.into_response()
    }
}

/// The `sendmessage` frame. (`action` is what the route selection expression
/// `$request.body.action` read to pick this route.)
#[derive(Deserialize)]
struct SendMessage {
    message: String,
}

/// `sendmessage`: send the message to every other connection in the sender's room.
///
/// The answer (how many it reached) goes back to the sender only if the route has a route
/// response; API Gateway drops it otherwise.
async fn send_message(
    ws: WebSocketContext,
    State(chat): State<Chat>,
    Json(frame): Json<SendMessage>,
) -> Result<Json<serde_json::Value>, StatusCode> {
    let sender = ws.connection_id().unwrap_or_default();
    // A sender this instance does not know connected through another instance (the reason a
    // real chat keeps connections in DynamoDB).
    let member = chat.connections.get(sender).unwrap_or(Member {
        room: "lobby".into(),
        name: "anonymous".into(),
    });
    let Some(endpoint) = ws.callback_url() else {
        // Only off Lambda: on a domain other than `execute-api`, the endpoint needs AWS_REGION.
        tracing::error!("no Management API endpoint: AWS_REGION is not set");
        return Err(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let data = serde_json::json!({
        "room": member.room,
        "from": member.name,
        "message": frame.message,
    })
    .to_string();
    let mut delivered = 0;
    for id in chat.connections.in_room(&member.room) {
        if id == sender {
            continue;
        }
        match chat
            .broadcast
            .post_to_connection(&endpoint, &id, &data)
            .await
        {
            Ok(()) => delivered += 1,
            Err(PostError::Gone) => {
                chat.connections.remove(&id);
            }
            Err(PostError::Failed(error)) => {
                tracing::warn!(connection = id, error, "could not send");
            }
        }
    }
    Ok(Json(serde_json::json!({ "delivered": delivered })))
}

/// `$default`: a frame that is not JSON, or whose `action` names no route.
async fn default(ws: WebSocketContext, body: String) -> &'static str {
    tracing::info!(
        connection = ws.connection_id(),
        body,
        "no route for this frame"
    );
    HELP
}

/// `$disconnect`: the connection has closed; nothing reaches the client any more.
async fn disconnect(ws: WebSocketContext, State(chat): State<Chat>) -> StatusCode {
    let id = ws.connection_id().unwrap_or_default();
    let member = chat.connections.remove(id);
    tracing::info!(
        connection = id,
        code = ws.disconnect_status_code(),
        reason = ws.disconnect_reason(),
        name = member.map(|m| m.name),
        "disconnected"
    );
    StatusCode::OK
}
