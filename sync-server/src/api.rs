//! The HTTP API for clients: joining with an invite, who am I, and what changed in a group.
//!
//! [`routes`] is merged into the relay's app beside the WebSocket endpoint, which uses
//! [`authorize_group`] before upgrading. Serve the app with
//! `into_make_service_with_connect_info::<SocketAddr>()` so joins are rate-limited per client
//! address (without it, all clients share one limit).

mod auth;
mod changes;
mod error;
mod join;
pub mod limit;
mod me;
mod views;

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::db::Db;

pub use auth::{Authenticated, authorize_group};
pub use error::{AppError, log_errors};
pub use join::{JoinRequest, JoinResponse};
pub use limit::{JoinLimiter, JoinLimits, Rate};
pub use me::MeResponse;
pub use views::{DeviceView, GroupView, ParticipantView};

/// Request bodies of the API are small; anything bigger is refused unread.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// What the API's handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// The relay's database.
    pub db: Db,
    /// The relay's own peer id, told to clients so they know whom they sync with.
    pub relay_peer_id: String,
    /// Limits on join attempts, against guessing invite codes.
    pub join_limiter: Arc<JoinLimiter>,
}

impl ApiState {
    /// State with the default join limits.
    pub fn new(db: Db, relay_peer_id: impl Into<String>) -> Self {
        Self::with_limits(db, relay_peer_id, JoinLimits::default())
    }

    /// State with chosen join limits (tests use tight ones).
    pub fn with_limits(db: Db, relay_peer_id: impl Into<String>, limits: JoinLimits) -> Self {
        Self {
            db,
            relay_peer_id: relay_peer_id.into(),
            join_limiter: Arc::new(JoinLimiter::new(limits)),
        }
    }
}

impl fmt::Debug for ApiState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiState")
            .field("db", &self.db)
            .field("relay_peer_id", &self.relay_peer_id)
            .finish_non_exhaustive()
    }
}

/// The API's routes: `POST /v1/join`, `GET /v1/me`, `GET /v1/groups/{group}/changes`.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/v1/join", post(join::join))
        .route("/v1/me", get(me::me))
        .route("/v1/groups/{group}/changes", get(changes::changes))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(log_errors))
}
