//! Stand-ins for the two AWS services a deployed chat needs, so that the example compiles and
//! tests without the AWS SDK:
//!
//! - [`Connections`], who is connected and to which room. Kept in this process's memory, which
//!   on Lambda lasts only as long as one warm instance and is not shared between instances: a
//!   real deployment keeps it in a DynamoDB table keyed by connection id (`PutItem` on
//!   `$connect`, `DeleteItem` on `$disconnect`, a `Query` on a room index to fan out).
//! - [`Broadcast`], which sends a message to one connection. A real deployment calls the API
//!   Gateway Management API (`PostToConnection`) with `aws_sdk_apigatewaymanagement`, on the
//!   endpoint that [`tower_lambda::WebSocketContext::callback_url`] gives; here it logs the
//!   request it would make and records it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// One connected client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The room it joined (`?room=` on `$connect`).
    pub room: String,
    /// The name it gave (`?name=` on `$connect`).
    pub name: String,
}

/// Who is connected: connection id → member. A stand-in for a DynamoDB table.
#[derive(Debug, Clone, Default)]
pub struct Connections(Arc<Mutex<BTreeMap<String, Member>>>);

impl Connections {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Member>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a connection (`PutItem`).
    pub fn insert(&self, connection_id: &str, member: Member) {
        self.lock().insert(connection_id.to_owned(), member);
    }

    /// Forgets a connection (`DeleteItem`); what it was, if it was known.
    pub fn remove(&self, connection_id: &str) -> Option<Member> {
        self.lock().remove(connection_id)
    }

    /// One connection (`GetItem`).
    pub fn get(&self, connection_id: &str) -> Option<Member> {
        self.lock().get(connection_id).cloned()
    }

    /// The ids of the connections in `room` (a `Query` on a room index).
    pub fn in_room(&self, room: &str) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|(_, member)| member.room == room)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// One message sent to one connection: what `PostToConnection` would be given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// The connection it goes to.
    pub connection_id: String,
    /// The request that sends it: `POST {callback_url}/@connections/{connection id}`.
    pub url: String,
    /// The frame the client receives.
    pub data: String,
}

/// Why a message could not be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostError {
    /// The connection is closed (`GoneException`, HTTP 410): forget it.
    Gone,
    /// Anything else (throttling, permissions): log it.
    Failed(String),
}

/// Sends messages to connections. A stand-in for the Management API client: it records and
/// logs each request instead of sending it.
#[derive(Debug, Clone, Default)]
pub struct Broadcast(Arc<Mutex<Vec<Post>>>);

impl Broadcast {
    /// Sends `data` to the connection `connection_id` of the API whose Management API endpoint
    /// is `endpoint` ([`tower_lambda::WebSocketContext::callback_url`]).
    ///
    /// With the AWS SDK, this is where the call goes (the client built once, at start-up, with
    /// `endpoint_url(endpoint)`):
    ///
    /// ```text
    /// client.post_to_connection().connection_id(connection_id).data(Blob::new(data)).send().await
    /// ```
    ///
    /// and a `GoneException` becomes [`PostError::Gone`].
    pub async fn post_to_connection(
        &self,
        endpoint: &str,
        connection_id: &str,
        data: &str,
    ) -> Result<(), PostError> {
        let url = connection_url(endpoint, connection_id);
        tracing::info!(%url, data, "would POST to the API Gateway Management API");
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(Post {
                connection_id: connection_id.to_owned(),
                url,
                data: data.to_owned(),
            });
        Ok(())
    }

    /// Every message sent so far, in order.
    pub fn sent(&self) -> Vec<Post> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// `{endpoint}/@connections/{id}`, the id percent-encoded as one path segment (connection ids
/// are base64-like and may hold `=`, `+` or `/`).
pub fn connection_url(endpoint: &str, connection_id: &str) -> String {
    let mut url = format!("{}/@connections/", endpoint.trim_end_matches('/'));
    for byte in connection_id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}
