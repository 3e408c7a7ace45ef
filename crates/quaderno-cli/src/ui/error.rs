//! Errors as the page gets them: a status, a code the page words in its language, and the
//! library's message. Building the response has no side effects; what is worth logging is
//! logged where the error is turned into a response, without note content.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quaderno_client::{ClientError, NotebookError};
use quaderno_model::ModelError;
use serde_json::json;

use super::guard::Refusal;

#[derive(Debug, thiserror::Error)]
#[error("{message} ({code})")]
pub struct AppError {
    status: StatusCode,
    /// Stable, for the page: `unknown_note`, `invalid_tag`, ...
    code: &'static str,
    message: String,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn forbidden(refusal: Refusal) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, "forbidden", refusal.explain())
    }

    /// The code and message, for a page told over its socket.
    pub fn parts(self) -> (&'static str, String) {
        (self.code, self.message)
    }

    /// For the guard, which answers before any handler.
    pub fn into_response_now(self) -> Response {
        self.into_response()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(code = self.code, "a request failed");
        }
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

impl From<NotebookError> for AppError {
    fn from(error: NotebookError) -> Self {
        let message = error.to_string();
        notebook(&error, message)
    }
}

impl From<ClientError> for AppError {
    fn from(error: ClientError) -> Self {
        let message = error.to_string();
        match &error {
            ClientError::Notebook(e) => notebook(e, message),
            other => {
                let (status, code) = client(other);
                AppError::new(status, code, message)
            }
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(_: tokio::task::JoinError) -> Self {
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "failed",
            "the request stopped half-way; try again",
        )
    }
}

fn notebook(error: &NotebookError, message: String) -> AppError {
    let (status, code) = match error {
        NotebookError::NoIdentity => (StatusCode::CONFLICT, "no_identity"),
        NotebookError::InvalidIdentity { .. } => (StatusCode::BAD_REQUEST, "invalid_identity"),
        NotebookError::UnknownNote { .. } | NotebookError::AmbiguousNote { .. } => {
            (StatusCode::NOT_FOUND, "unknown_note")
        }
        NotebookError::Untitled => (StatusCode::BAD_REQUEST, "untitled"),
        NotebookError::InvalidDate { .. } => (StatusCode::BAD_REQUEST, "invalid_date"),
        NotebookError::UnknownGroup { .. } => (StatusCode::BAD_REQUEST, "unknown_group"),
        NotebookError::NotPersonal { .. } => (StatusCode::CONFLICT, "not_personal"),
        NotebookError::AlreadyInGroup { .. } => (StatusCode::CONFLICT, "already_in_group"),
        NotebookError::ReadOnly { .. } => (StatusCode::FORBIDDEN, "read_only"),
        NotebookError::Model(e) => model(e),
        NotebookError::Client(e) => client(e),
        e if e.is_user_error() => (StatusCode::BAD_REQUEST, "invalid"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "failed"),
    };
    AppError::new(status, code, message)
}

fn model(error: &ModelError) -> (StatusCode, &'static str) {
    match error {
        ModelError::InvalidTag { .. } => (StatusCode::BAD_REQUEST, "invalid_tag"),
        ModelError::UnknownChange { .. } => (StatusCode::NOT_FOUND, "unknown_change"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "unreadable_note"),
    }
}

fn client(error: &ClientError) -> (StatusCode, &'static str) {
    match error {
        ClientError::BadRelayUrl(_) => (StatusCode::BAD_REQUEST, "bad_relay_url"),
        ClientError::Unreachable { .. } | ClientError::Stalled { .. } => {
            (StatusCode::BAD_GATEWAY, "relay_unreachable")
        }
        ClientError::Join(_) | ClientError::Refused { .. } => {
            (StatusCode::BAD_REQUEST, "invite_refused")
        }
        ClientError::GroupOnAnotherRelay { .. } => (StatusCode::CONFLICT, "group_elsewhere"),
        ClientError::NotJoined => (StatusCode::CONFLICT, "not_joined"),
        ClientError::SeveralRelays { .. } => (StatusCode::BAD_REQUEST, "relay_needed"),
        ClientError::NotRegisteredOn { .. } => (StatusCode::BAD_REQUEST, "unknown_relay"),
        ClientError::AlreadyRegistered { .. } => (StatusCode::CONFLICT, "already_registered"),
        ClientError::LinkCodeUsed => (StatusCode::BAD_REQUEST, "link_code_used"),
        ClientError::LinkCodeExpired => (StatusCode::BAD_REQUEST, "link_code_expired"),
        ClientError::LinkCodeUnknown { .. } => (StatusCode::BAD_REQUEST, "link_code_unknown"),
        ClientError::Linking(_) => (StatusCode::BAD_REQUEST, "link_refused"),
        ClientError::NoDeviceLinks { .. } => (StatusCode::BAD_GATEWAY, "relay_failed"),
        ClientError::UnknownGroup { .. } => (StatusCode::BAD_REQUEST, "unknown_group"),
        ClientError::Protocol { .. } => (StatusCode::BAD_GATEWAY, "relay_failed"),
        ClientError::RelayRefused { .. } => (StatusCode::BAD_GATEWAY, "relay_refused"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "failed"),
    }
}
