//! A JSON CRUD API with shared state and tower-http layers (tracing, CORS, compression), and the
//! request context where handlers need it.
//!
//! - `cargo run -p todo_api`, then
//!   `curl -H 'content-type: application/json' -d '{"title":"try tower-lambda"}' localhost:3000/todos`
//! - `TOWER_LAMBDA_LOCAL_SOURCE=rest cargo run -p todo_api` runs every request through a REST API
//!   event and back, as on Lambda
//! - `cargo lambda deploy --enable-function-url todo_api`

use axum::{
    extract::{Path, Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tower_http::{compression::CompressionLayer, cors::CorsLayer, trace::TraceLayer};
use tower_lambda::{PathPrefix, RequestExt};

#[derive(Debug, Clone, Serialize)]
struct Todo {
    id: u64,
    title: String,
    done: bool,
}

#[derive(Debug, Deserialize)]
struct NewTodo {
    title: String,
}

#[derive(Debug, Deserialize)]
struct Update {
    title: Option<String>,
    done: Option<bool>,
}

#[derive(Default)]
struct Store {
    next: u64,
    todos: BTreeMap<u64, Todo>,
}

type Shared = Arc<Mutex<Store>>;

/// Errors as JSON, with the status that says what went wrong.
enum ApiError {
    NotFound(u64),
    Invalid(&'static str),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Self::NotFound(id) => (StatusCode::NOT_FOUND, format!("no todo {id}")),
            Self::Invalid(why) => (StatusCode::UNPROCESSABLE_ENTITY, why.to_owned()),
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}

fn lock(state: &Shared) -> std::sync::MutexGuard<'_, Store> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn list(State(state): State<Shared>) -> Json<Vec<Todo>> {
    Json(lock(&state).todos.values().cloned().collect())
}

async fn create(
    State(state): State<Shared>,
    PathPrefix(prefix): PathPrefix,
    Json(new): Json<NewTodo>,
) -> Result<impl IntoResponse, ApiError> {
    if new.title.trim().is_empty() {
        return Err(ApiError::Invalid("a todo needs a title"));
    }
    let mut store = lock(&state);
    store.next += 1;
    let todo = Todo {
        id: store.next,
        title: new.title,
        done: false,
    };
    store.todos.insert(todo.id, todo.clone());
    // The stage or base path the gateway added, so the link works from the client's side.
    let location = format!("{prefix}/todos/{}", todo.id);
    Ok((StatusCode::CREATED, [("location", location)], Json(todo)))
}

async fn read(State(state): State<Shared>, Path(id): Path<u64>) -> Result<Json<Todo>, ApiError> {
    lock(&state)
        .todos
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(ApiError::NotFound(id))
}

async fn update(
    State(state): State<Shared>,
    Path(id): Path<u64>,
    Json(update): Json<Update>,
) -> Result<Json<Todo>, ApiError> {
    let mut store = lock(&state);
    let todo = store.todos.get_mut(&id).ok_or(ApiError::NotFound(id))?;
    if let Some(title) = update.title {
        todo.title = title;
    }
    if let Some(done) = update.done {
        todo.done = done;
    }
    Ok(Json(todo.clone()))
}

async fn delete(State(state): State<Shared>, Path(id): Path<u64>) -> Result<StatusCode, ApiError> {
    lock(&state)
        .todos
        .remove(&id)
        .map(|_| StatusCode::NO_CONTENT)
        .ok_or(ApiError::NotFound(id))
}

/// Who is calling, from the event source's request context (absent locally).
async fn whoami(request: Request) -> Json<serde_json::Value> {
    let context = request.request_context();
    Json(serde_json::json!({
        "source": context.map(|c| format!("{:?}", c.source())),
        "request_id": context.and_then(|c| c.request_id()),
        "source_ip": context.and_then(|c| c.source_ip()).map(|ip| ip.to_string()),
        "user": context.and_then(|c| c.claim("sub")),
    }))
}

fn app() -> Router {
    Router::new()
        .route("/todos", get(list).post(create))
        .route("/todos/{id}", get(read).patch(update).delete(delete))
        .route("/whoami", get(whoami))
        .with_state(Shared::default())
        .layer(CompressionLayer::new())
        .layer(CorsLayer::permissive())
        .layer(TraceLayer::new_for_http())
}

#[tokio::main]
async fn main() -> Result<(), tower_lambda::Error> {
    tower_lambda::serve(app()).await
}
