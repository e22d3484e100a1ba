//! Testing helpers: build the event each source would send for an ordinary HTTP request, run it
//! through exactly the production path with [`Serve::invoke`](crate::Serve::invoke) or
//! [`Serve::invoke_decoded`](crate::Serve::invoke_decoded), and read the answer back as HTTP.
//!
//! One test, every source:
//!
//! ```
//! use axum::{routing::get, Router};
//! use tower_lambda::testing::EventBuilder;
//! use tower_lambda::Serve;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = Router::new().route("/hello/{name}", get(|| async { "hi" }));
//! for source in EventBuilder::SOURCES {
//!     let event = EventBuilder::new(source, "GET", "/hello/you?x=1").header("accept", "text/plain").build();
//!     let response = Serve::new(app.clone()).invoke_decoded(event).await.unwrap();
//!     assert_eq!(response.status(), 200);
//!     assert_eq!(response.text(), "hi");
//! }
//! # }
//! ```

pub use crate::emulate::{EventBuilder, Shape, TestResponse};
