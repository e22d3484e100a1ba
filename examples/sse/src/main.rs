//! Server-sent events on Lambda: a clock that sends one event per second for ten seconds.
//!
//! Streams only through a Function URL with invoke mode `RESPONSE_STREAM` (or a REST API with
//! response transfer mode `STREAM`); this app turns tower-lambda's streaming mode on itself.
//!
//! - `cargo run -p sse`, then `curl -N http://127.0.0.1:3000/clock`
//! - `cargo lambda deploy --enable-function-url sse`, then
//!   `aws lambda update-function-url-config --function-name sse --invoke-mode RESPONSE_STREAM`

use axum::{
    response::sse::{Event, Sse},
    routing::get,
    Router,
};
use futures_util::stream::{self, Stream};
use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tower_lambda::{ResponseMode, Serve};

const TICKS: u32 = 10;

async fn clock() -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let ticks = stream::unfold(0, |tick| async move {
        if tick == TICKS {
            return None;
        }
        if tick > 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let event = Event::default()
            .event("tick")
            .id(tick.to_string())
            .data(now.to_string());
        Some((Ok(event), tick + 1))
    });
    Sse::new(ticks)
}

fn app() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { "GET /clock for ten server-sent events, one per second" }),
        )
        .route("/clock", get(clock))
}

#[tokio::main]
async fn main() -> Result<(), tower_lambda::Error> {
    Serve::new(app())
        .response_mode(ResponseMode::Streaming)
        .await
}
