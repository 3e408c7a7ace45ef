//! The one error type of the HTTP API, answered as JSON `{ "error", "code" }`.
//!
//! Turning an error into a response has no side effect; [`log_errors`] logs the failures of
//! the relay itself (never the request's secrets) after the fact.

use std::fmt;
use std::time::Duration;

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::accounts::AccountsError;
use crate::db::DbError;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// No token, a malformed one, an unknown one or a revoked device's.
    Unauthorized,
    /// Not a member of the group, or no such group: the same answer, so nothing leaks.
    Forbidden,
    /// The invite code matches no invite.
    InviteUnknown,
    /// The invite code has expired; the message says when.
    InviteExpired(String),
    /// The invite code's uses are all taken.
    InviteUsedUp,
    /// An admin withdrew the invite; the message says when.
    InviteRevoked(String),
    /// The participant was removed from the group after the invite was made.
    RemovedSinceInvite,
    /// The request itself is wrong; the message says how.
    BadRequest(String),
    /// Too many attempts: try again after this long.
    RateLimited(Duration),
    /// The device already holds this many WebSockets, the most it may.
    TooManyConnections(usize),
    /// The database is busy with another process: try again shortly.
    Busy,
    /// The relay failed; the detail is logged, never sent.
    Internal(String),
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    code: &'a str,
}

/// Kept on an error response so [`log_errors`] can log the relay's own failures.
#[derive(Debug, Clone)]
struct InternalDetail(String);

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::InviteUnknown => StatusCode::NOT_FOUND,
            Self::InviteExpired(_) | Self::InviteUsedUp | Self::InviteRevoked(_) => {
                StatusCode::GONE
            }
            Self::RemovedSinceInvite => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::RateLimited(_) | Self::TooManyConnections(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable snake_case code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::InviteUnknown => "invite_unknown",
            Self::InviteExpired(_) => "invite_expired",
            Self::InviteUsedUp => "invite_used_up",
            Self::InviteRevoked(_) => "invite_revoked",
            Self::RemovedSinceInvite => "removed",
            Self::BadRequest(_) => "bad_request",
            Self::RateLimited(_) => "rate_limited",
            Self::TooManyConnections(_) => "too_many_connections",
            Self::Busy => "busy",
            Self::Internal(_) => "internal",
        }
    }

    /// The message for the person using the client: what happened and what to do.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthorized => "this device is not signed in to the relay, or its access was \
                 revoked: join again with an invite code"
                .into(),
            Self::Forbidden => "there is no such group, or you may not do this in it: ask the \
                 group's coordinator"
                .into(),
            Self::InviteUnknown => AccountsError::InviteUnknown.to_string(),
            Self::InviteExpired(message)
            | Self::InviteRevoked(message)
            | Self::BadRequest(message) => message.clone(),
            Self::RemovedSinceInvite => AccountsError::RemovedSinceInvite.to_string(),
            Self::InviteUsedUp => AccountsError::InviteUsedUp.to_string(),
            Self::RateLimited(wait) => format!(
                "too many attempts: wait {} seconds and try again",
                retry_after_secs(*wait)
            ),
            Self::TooManyConnections(max) => format!(
                "this device already holds {max} connections to the relay, the most one device \
                 may: close other copies of Quaderno running on it, or wait for their \
                 connections to end, and try again"
            ),
            Self::Busy => "the relay is busy: try again in a moment".into(),
            Self::Internal(_) => "the relay failed to answer: try again later, and tell the \
                 relay's administrator if it persists"
                .into(),
        }
    }
}

impl fmt::Display for AppError {
    /// The code and, for the relay's own failures, the detail (for logs, not for clients).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Internal(detail) => write!(f, "{}: {detail}", self.code()),
            other => f.write_str(other.code()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let message = self.message();
        let body = Body {
            error: &message,
            code: self.code(),
        };
        let mut response = (self.status(), Json(body)).into_response();
        match &self {
            Self::RateLimited(wait) => {
                let secs = HeaderValue::from(retry_after_secs(*wait));
                response.headers_mut().insert(header::RETRY_AFTER, secs);
            }
            Self::Busy => {
                let secs = HeaderValue::from(1u64);
                response.headers_mut().insert(header::RETRY_AFTER, secs);
            }
            Self::Internal(detail) => {
                response
                    .extensions_mut()
                    .insert(InternalDetail(detail.clone()));
            }
            _ => {}
        }
        response
    }
}

fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl From<AccountsError> for AppError {
    fn from(error: AccountsError) -> Self {
        match error {
            AccountsError::InviteUnknown => Self::InviteUnknown,
            AccountsError::InviteExpired(_) => Self::InviteExpired(error.to_string()),
            AccountsError::InviteUsedUp => Self::InviteUsedUp,
            AccountsError::InviteRevoked(_) => Self::InviteRevoked(error.to_string()),
            AccountsError::RemovedSinceInvite => Self::RemovedSinceInvite,
            // Whether a group, member, invite or device exists is nobody's business but its
            // admins': every miss is the same refusal as a group one may not see.
            AccountsError::UnknownGroup(_)
            | AccountsError::NotAMember { .. }
            | AccountsError::UnknownInvite(_)
            | AccountsError::UnknownDevice(_)
            | AccountsError::UnknownParticipant(_)
            | AccountsError::DeviceNotInGroup { .. } => Self::Forbidden,
            AccountsError::Store(e) if e.is_transient() => Self::Busy,
            e if e.is_user_error() => Self::BadRequest(e.to_string()),
            e => Self::Internal(e.to_string()),
        }
    }
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Accounts(e) => e.into(),
            DbError::Store(e) if e.is_transient() => Self::Busy,
            DbError::Sqlite(e) if is_busy(&e) => Self::Busy,
            e => Self::Internal(e.to_string()),
        }
    }
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Middleware: logs failed requests of the API by method, path and status (never headers or
/// bodies, which hold tokens and invite codes), with the detail of the relay's own failures.
pub async fn log_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let client = request
        .extensions()
        .get::<super::ClientAddr>()
        .map(|client| client.0);
    let response = next.run(request).await;
    let status = response.status();
    if let Some(InternalDetail(detail)) = response.extensions().get::<InternalDetail>() {
        tracing::error!(%method, %path, %status, error = %detail, "request failed");
    } else if status.is_client_error() || status.is_server_error() {
        tracing::debug!(%method, %path, %status, ?client, "request refused");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::from_millis(3_001)), 4);
    }

    #[test]
    fn storage_failures_become_internal_errors_and_typos_bad_requests() {
        let typo = AccountsError::MissingJoinDetails;
        assert!(matches!(AppError::from(typo), AppError::BadRequest(_)));
        let broken = AccountsError::Corrupt("x".into());
        assert!(matches!(AppError::from(broken), AppError::Internal(_)));
    }
}
