//! A static site served by tower-http's `ServeDir`: HTML and CSS travel as text, the PNG as base64.
//!
//! - `cargo run -p static_site`, then open http://127.0.0.1:3000/
//! - `cargo lambda build --release --compiler cargo -p static_site`, then
//!   `cargo lambda deploy --enable-function-url --include examples/static_site/assets static_site`
//!   (behind a REST API, add `*/*` to the API's Binary Media Types so images arrive as bytes)

use axum::Router;
use std::path::PathBuf;
use tower_http::services::ServeDir;

/// `ASSETS_DIR` if set; else `assets/` beside the working directory (as deployed with
/// `--include`), else the example's own `assets/` (for `cargo run`).
fn assets() -> PathBuf {
    if let Some(dir) = std::env::var_os("ASSETS_DIR") {
        return dir.into();
    }
    let deployed = PathBuf::from("examples/static_site/assets");
    if deployed.is_dir() {
        return deployed;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets")
}

#[tokio::main]
async fn main() -> Result<(), tower_lambda::Error> {
    let app = Router::new()
        .fallback_service(ServeDir::new(assets()).append_index_html_on_directories(true));
    tower_lambda::serve(app).await
}
