//! The page's HTTP API: JSON in and out, every route behind the guard.

mod account;
mod admin;
mod devices;
mod history;
mod notes;
mod print;

use axum::Router;
use axum::middleware;
use axum::routing::{get, patch, post};
use quaderno_model::DocumentId;

use super::error::AppError;
use super::state::AppState;
use super::{SOCKET_PATH, assets, guard, socket};

/// The whole application: the page, its assets, its API and its socket.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/api/overview", get(account::overview))
        .route("/api/identity", post(account::identity))
        .route("/api/join", post(account::join))
        .route("/api/devices/link", post(devices::link))
        .route("/api/join-link", post(devices::join))
        .route("/api/notes", get(notes::list).post(notes::create))
        .route("/api/notes/{id}", patch(notes::fields))
        .route("/api/notes/{id}/bin", post(notes::bin))
        .route("/api/notes/{id}/move", post(notes::move_to))
        .route("/api/notes/{id}/markdown", get(notes::markdown))
        .route("/api/notes/{id}/history", get(history::steps))
        .route("/api/notes/{id}/versions/{change}", get(history::version))
        .route("/api/notes/{id}/restore", post(history::restore))
        .route("/api/render", post(notes::render))
        .route("/notes/{id}/print", get(print::note))
        .route(SOCKET_PATH, get(socket::socket))
        .merge(admin::routes())
        .route("/{*path}", get(assets::file))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::middleware,
        ))
        .layer(middleware::from_fn(assets::security_headers))
        .with_state(state)
}

/// A note id from the path.
fn note_id(id: &str) -> Result<DocumentId, AppError> {
    id.parse().map_err(|_| {
        AppError::new(
            axum::http::StatusCode::NOT_FOUND,
            "unknown_note",
            format!("`{id}` is not a note id"),
        )
    })
}
