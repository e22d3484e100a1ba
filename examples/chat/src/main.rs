//! A chat on an API Gateway WebSocket API (the routes are in `lib.rs`).
//!
//! ## Run it locally
//!
//! `AWS_REGION=us-east-1 TOWER_LAMBDA_LOCAL_SOURCE=websocket cargo run -p chat` runs each local
//! request through a WebSocket event and back, the route key taken from the path. There is no
//! real WebSocket locally, and every request comes from the same connection, so a message
//! reaches no one else; `AWS_REGION` (which Lambda sets) builds the Management API endpoint when
//! the domain, as here, is not the API's own.
//!
//! ```sh
//! curl -i 'localhost:3000/ws/$connect?token=demo-token&room=lobby' -H 'sec-websocket-protocol: chat'
//! curl -i 'localhost:3000/ws/$default' -d 'hello?'
//! curl -i 'localhost:3000/ws/sendmessage' -d '{"action":"sendmessage","message":"hi"}'
//! ```
//!
//! ## Deploy it
//!
//! `deploy/chat-websocket/template.yaml` (SAM) creates all of this; by hand:
//!
//! 1. Build and create the function: `cargo lambda build --release -p chat`, then
//!    `cargo lambda deploy chat --env-var CHAT_TOKEN=<a secret>`.
//! 2. Create a **WebSocket API** with the route selection expression `$request.body.action`
//!    (a frame `{"action":"sendmessage",...}` then takes the `sendmessage` route).
//! 3. Add the routes `$connect`, `$disconnect`, `$default` and `sendmessage`, each with a
//!    **Lambda proxy integration** (`AWS_PROXY`) to the function. For `$default` (and
//!    `sendmessage`) to answer the sender, give the route a `$default` route response.
//! 4. Allow API Gateway to invoke the function (`lambda:InvokeFunction` for
//!    `arn:aws:execute-api:{region}:{account}:{api-id}/*`), and allow the function to send to
//!    connections (`execute-api:ManageConnections` on `arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/POST/@connections/*`).
//! 5. Deploy a stage, e.g. `production`, and connect:
//!    `wscat -s chat -c 'wss://{api-id}.execute-api.{region}.amazonaws.com/production?token=<the secret>&room=lobby&name=ada'`,
//!    then send `{"action":"sendmessage","message":"hi"}`.
//!
//! tower-lambda routes the events under `/ws` (`Serve::websocket_path` changes it). Sending to
//! other connections goes through `Broadcast`, the stand-in for the
//! `aws_sdk_apigatewaymanagement` client, and `Connections` lives in memory, which a deployed
//! function must replace with a DynamoDB table: warm instances do not share memory.

use chat::{app, Chat};

/// The token that `$connect` requires in local runs when `CHAT_TOKEN` is not set.
const DEMO_TOKEN: &str = "demo-token";

#[tokio::main]
async fn main() -> Result<(), tower_lambda::BoxError> {
    let token = match std::env::var("CHAT_TOKEN") {
        Ok(token) if !token.is_empty() => token,
        // No default on Lambda: a token everyone knows would let everyone in.
        _ if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() => {
            return Err("set CHAT_TOKEN to the token clients must send on $connect".into())
        }
        _ => DEMO_TOKEN.to_owned(),
    };
    tower_lambda::serve(app(Chat::new(token))).await?;
    Ok(())
}
