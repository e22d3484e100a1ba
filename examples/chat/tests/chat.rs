//! The chat through emulated WebSocket events, in process: each event runs through exactly the
//! path production uses (decode → router → encode), and the broadcast step records what it would
//! have sent through the API Gateway Management API.

use chat::{app, Chat, Member, Post, HELP};
use serde_json::{json, Value};
use tower_lambda::testing::{EventBuilder, Shape};
use tower_lambda::{Serve, WebSocketContext};

const TOKEN: &str = "s3cret";

/// The Management API endpoint of the builder's events: their domain and stage.
const ENDPOINT: &str = "https://abc123.execute-api.us-east-1.amazonaws.com/production";

fn serve(chat: &Chat) -> Serve<axum::Router> {
    Serve::new(app(chat.clone()))
}

/// `event` as it arrives on the connection `id` (the builder's events all share one id).
fn on(id: &str, event: &EventBuilder) -> String {
    let mut json: Value = serde_json::from_str(&event.build()).unwrap();
    json["requestContext"]["connectionId"] = json!(id);
    json.to_string()
}

fn connect(query: &str) -> EventBuilder {
    EventBuilder::new(Shape::WebSocket, "GET", &format!("/$connect?{query}"))
}

fn message(route: &str, frame: &str) -> EventBuilder {
    EventBuilder::new(Shape::WebSocket, "POST", &format!("/{route}")).body(frame)
}

fn disconnect() -> EventBuilder {
    EventBuilder::new(Shape::WebSocket, "POST", "/$disconnect")
}

/// Opens a connection, asserting that it is accepted.
async fn join(chat: &Chat, id: &str, query: &str) {
    let event = on(id, &connect(&format!("token={TOKEN}&{query}")));
    let response = serve(chat).invoke_decoded(event).await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text());
}

/// What the broadcast step records for a message to the connection `id`.
fn post(endpoint: &str, id: &str, data: Value) -> Post {
    Post {
        connection_id: id.to_owned(),
        url: format!("{endpoint}/@connections/{}", id.replace('=', "%3D")),
        data: data.to_string(),
    }
}

#[tokio::test]
async fn connect_accepts_the_token_and_selects_the_chat_subprotocol() {
    let chat = Chat::new(TOKEN);
    let offered = connect(&format!("token={TOKEN}&room=kitchen&name=ada"))
        .header("Sec-WebSocket-Protocol", "json, chat")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    let json = serve(&chat).invoke(on("Aaaa=", &offered)).await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&json).unwrap(),
        json!({
            "statusCode": 200,
            "headers": {"sec-websocket-protocol": "chat", "content-length": "0"},
            "body": "",
            "isBase64Encoded": false
        })
    );
    assert_eq!(
        chat.connections.get("Aaaa="),
        Some(Member {
            room: "kitchen".into(),
            name: "ada".into()
        })
    );

    // Not offered (or offered under another name): accepted, no subprotocol selected.
    for offer in [None, Some("json")] {
        let mut event = connect(&format!("token={TOKEN}"));
        if let Some(offer) = offer {
            event = event.header("sec-websocket-protocol", offer);
        }
        let response = serve(&chat)
            .invoke_decoded(on("Bbbb=", &event))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers().get("sec-websocket-protocol"), None);
    }
    assert_eq!(
        chat.connections.get("Bbbb="),
        Some(Member {
            room: "lobby".into(),
            name: "anonymous".into()
        })
    );
}

#[tokio::test]
async fn connect_refuses_a_wrong_or_missing_token() {
    let chat = Chat::new(TOKEN);
    for query in ["room=lobby", "token=guess&room=lobby", "token=&room=lobby"] {
        let event = connect(query).header("sec-websocket-protocol", "chat");
        let json = serve(&chat).invoke(on("Aaaa=", &event)).await.unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&json).unwrap(),
            json!({
                "statusCode": 403,
                "headers": {"content-type": "text/plain; charset=utf-8", "content-length": "25"},
                "body": "a valid token is required",
                "isBase64Encoded": false
            }),
            "{query}"
        );
    }
    assert_eq!(chat.connections.get("Aaaa="), None);
}

#[tokio::test]
async fn a_message_is_fanned_out_to_the_other_connections_in_the_room() {
    let chat = Chat::new(TOKEN);
    join(&chat, "Aaaa=", "room=lobby&name=ada").await;
    join(&chat, "Bbbb=", "room=lobby&name=bob").await;
    join(&chat, "Cccc=", "room=lobby&name=cy").await;
    join(&chat, "Kkkk=", "room=kitchen&name=kim").await;

    let frame = r#"{"action":"sendmessage","message":"hello, lobby"}"#;
    let response = serve(&chat)
        .invoke_decoded(on("Aaaa=", &message("sendmessage", frame)))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), r#"{"delivered":2}"#);

    // Everyone else in the lobby, not the sender, not the kitchen.
    let data = json!({"room": "lobby", "from": "ada", "message": "hello, lobby"});
    let sent = chat.broadcast.sent();
    assert_eq!(
        sent,
        [
            post(ENDPOINT, "Bbbb=", data.clone()),
            post(ENDPOINT, "Cccc=", data)
        ]
    );

    // The URL is the one the library gives for that connection itself.
    let mut event: Value = serde_json::from_str(&on("Bbbb=", &disconnect())).unwrap();
    let context: WebSocketContext = serde_json::from_value(event["requestContext"].take()).unwrap();
    assert_eq!(
        context.connection_url().as_deref(),
        Some(sent[0].url.as_str())
    );

    // A frame without a message is refused, and nothing is sent.
    let response = serve(&chat)
        .invoke_decoded(on(
            "Aaaa=",
            &message("sendmessage", r#"{"action":"sendmessage"}"#),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(chat.broadcast.sent().len(), 2);
}

#[tokio::test]
async fn default_answers_with_help() {
    let chat = Chat::new(TOKEN);
    for frame in ["hello?", r#"{"action":"dance"}"#] {
        let json = serve(&chat)
            .invoke(on("Aaaa=", &message("$default", frame)))
            .await
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&json).unwrap(),
            json!({
                "statusCode": 200,
                "headers": {
                    "content-type": "text/plain; charset=utf-8",
                    "content-length": HELP.len().to_string()
                },
                "body": HELP,
                "isBase64Encoded": false
            }),
            "{frame}"
        );
    }
    assert!(chat.broadcast.sent().is_empty());
}

#[tokio::test]
async fn disconnect_forgets_the_connection() {
    let chat = Chat::new(TOKEN);
    join(&chat, "Aaaa=", "name=ada").await;
    join(&chat, "Bbbb=", "name=bob").await;

    let response = serve(&chat)
        .invoke_decoded(on("Bbbb=", &disconnect()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(chat.connections.get("Bbbb="), None);
    assert!(chat.connections.get("Aaaa=").is_some());

    let frame = r#"{"action":"sendmessage","message":"anyone?"}"#;
    let response = serve(&chat)
        .invoke_decoded(on("Aaaa=", &message("sendmessage", frame)))
        .await
        .unwrap();
    assert_eq!(response.text(), r#"{"delivered":0}"#);
    assert!(chat.broadcast.sent().is_empty());
}

#[tokio::test]
async fn an_http_api_request_cannot_reach_the_websocket_routes() {
    let chat = Chat::new(TOKEN);
    join(&chat, "Bbbb=", "room=lobby").await;
    let send = EventBuilder::new(Shape::HttpApiV2, "POST", "/ws/sendmessage")
        .header("content-type", "application/json")
        .body(r#"{"action":"sendmessage","message":"spoofed"}"#)
        .build();
    let connect = EventBuilder::new(
        Shape::HttpApiV2,
        "GET",
        &format!("/ws/$connect?token={TOKEN}&name=mallory"),
    )
    .build();
    // tower-lambda refuses the WebSocket path to HTTP sources before the router runs; where an
    // app lets them through, the routes' `WebSocketContext` extractor refuses them itself.
    for (lets_http_in, body) in [
        (false, "Not Found"),
        (
            true,
            "not found: this route serves API Gateway WebSocket API events only",
        ),
    ] {
        for event in [&send, &connect] {
            let response = serve(&chat)
                .websocket_reachable_over_http(lets_http_in)
                .invoke_decoded(event)
                .await
                .unwrap();
            assert_eq!(
                (response.status().as_u16(), response.text().as_ref()),
                (404, body)
            );
        }
    }

    assert!(chat.broadcast.sent().is_empty());
    assert_eq!(chat.connections.in_room("lobby"), ["Bbbb="]);
}

/// Events in the shapes API Gateway sends (the library's fixtures): a handshake with a
/// repeated query key and two subprotocols offered, a message on a custom route, a
/// disconnection without a close code.
#[tokio::test]
async fn recorded_events() {
    let fixture = |name: &str| {
        let path = format!(
            "{}/../../tests/fixtures/websocket/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let chat = Chat::new("abc123");

    // No token in the query: refused.
    let response = serve(&chat)
        .invoke_decoded(fixture("recorded_connect"))
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    // `?token=abc123&room=general&room=developers`, `Sec-WebSocket-Protocol: chat, myprotocol`.
    let response = serve(&chat)
        .invoke_decoded(fixture("connect_handshake_query"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    assert_eq!(
        chat.connections.get("R0oXAdfD0kwCH6w="),
        Some(Member {
            room: "developers".into(),
            name: "anonymous".into()
        })
    );

    // The connection of the recorded disconnect, in the same room.
    chat.connections.insert(
        "AAAA1234=",
        Member {
            room: "developers".into(),
            name: "eve".into(),
        },
    );
    let response = serve(&chat)
        .invoke_decoded(fixture("message_custom_route"))
        .await
        .unwrap();
    assert_eq!(response.text(), r#"{"delivered":1}"#);
    assert_eq!(
        chat.broadcast.sent(),
        [post(
            "https://aabbccddee.execute-api.us-east-1.amazonaws.com/prod",
            "AAAA1234=",
            json!({"room": "developers", "from": "anonymous", "message": "Hello everyone"})
        )]
    );

    let response = serve(&chat)
        .invoke_decoded(fixture("recorded_disconnect"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(chat.connections.get("AAAA1234="), None);
}
