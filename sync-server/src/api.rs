//! The HTTP API for clients: joining with an invite, who am I, what changed in a group, and
//! the administration of groups and of the relay (see `docs/admin-api.md`).
//!
//! [`routes`] is merged into the relay's app beside the WebSocket endpoint, which uses
//! [`authorize_group`] before upgrading. Serve the app with a [`ClientAddr`] in each request's
//! extensions (as `relay::http` does) so joins are rate-limited per client address (without
//! it, all clients share one limit).

mod admin;
mod auth;
mod authors;
mod changes;
mod devices;
mod error;
mod join;
pub mod limit;
mod me;
mod operators;
mod reports;
mod views;

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};

use crate::db::Db;

pub use auth::{Authenticated, authorize_group};
pub use error::{AppError, log_errors};
pub use join::{JoinRequest, JoinResponse};
pub use limit::{JoinLimiter, JoinLimits, Rate};
pub use me::MeResponse;
pub use views::{DeviceView, GroupView, ParticipantView};

/// Whom a request came from: the TCP peer, or behind a trusted proxy the client it names
/// (`serve --trusted-proxy`). Joins are rate-limited by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Request bodies of the API are small; anything bigger is refused unread.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// Who is connected right now, as the admin view shows it.
pub trait Presence: Send + Sync {
    /// The devices holding a sync connection to the group.
    fn online_devices(&self, group: &str) -> HashSet<i64>;
}

/// Nobody is online: the API without a relay around it (tests, fuzzing).
struct NoPresence;

impl Presence for NoPresence {
    fn online_devices(&self, _group: &str) -> HashSet<i64> {
        HashSet::new()
    }
}

/// What the API's handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// The relay's database.
    pub db: Db,
    /// The relay's own peer id, told to clients so they know whom they sync with.
    pub relay_peer_id: String,
    /// Limits on join attempts, against guessing invite codes.
    pub join_limiter: Arc<JoinLimiter>,
    /// The live connections, for "online now".
    pub presence: Arc<dyn Presence>,
    /// The address participants reach the relay at (`serve --public-url`), printed in
    /// invites; without it, the address a request came to.
    pub public_url: Option<String>,
    /// Woken when a request recorded an admin event (a role change, a removal, a revoked
    /// device), so the relay acts on it at once rather than at its next poll.
    pub admin_events: Arc<tokio::sync::Notify>,
    /// The relay's epoch (its storage id), told with every change feed: a client that sees
    /// it change knows the relay was restored from a backup and sends back what it lacks.
    pub epoch: Option<String>,
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
            presence: Arc::new(NoPresence),
            public_url: None,
            admin_events: Arc::new(tokio::sync::Notify::new()),
            epoch: None,
        }
    }

    /// The same state, telling who is online from `presence`.
    pub fn with_presence(self, presence: Arc<dyn Presence>) -> Self {
        Self { presence, ..self }
    }

    /// The same state, telling clients the relay's `epoch`.
    pub fn with_epoch(self, epoch: impl Into<String>) -> Self {
        Self {
            epoch: Some(epoch.into()),
            ..self
        }
    }

    /// The same state, printing `url` in invites.
    pub fn with_public_url(self, url: Option<String>) -> Self {
        Self {
            public_url: url.map(|u| u.trim_end_matches('/').to_owned()),
            ..self
        }
    }
}

impl fmt::Debug for ApiState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiState")
            .field("db", &self.db)
            .field("relay_peer_id", &self.relay_peer_id)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// The API's routes: joining, who am I, a group's changes, and administration.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/v1/join", post(join::join))
        .route("/v1/me", get(me::me))
        .route("/v1/devices/link", post(devices::link))
        .route("/v1/devices/join", post(devices::join))
        .route("/v1/groups/{group}/changes", get(changes::changes))
        .route(
            "/v1/groups/{group}/erasures/receipts",
            post(changes::confirm_erasures),
        )
        .route(
            "/v1/groups/{group}/admin/notes/{doc}/erase",
            post(admin::erase),
        )
        .route(
            "/v1/groups/{group}/admin/notes/{doc}/redact",
            post(admin::redact),
        )
        .route("/v1/groups/{group}/admin/erasures", get(admin::erasures))
        .route("/v1/groups/{group}/authors", get(authors::authors))
        .route("/v1/groups/{group}/reports", post(reports::report))
        .route(
            "/v1/groups/{group}/admin/unreadable",
            get(reports::unreadable),
        )
        .route("/v1/groups/{group}/admin/members", get(admin::members))
        .route(
            "/v1/groups/{group}/admin/members/{participant}/role",
            put(admin::set_role),
        )
        .route(
            "/v1/groups/{group}/admin/members/{participant}",
            delete(admin::remove),
        )
        .route(
            "/v1/groups/{group}/admin/invites",
            get(admin::invites).post(admin::create_invite),
        )
        .route(
            "/v1/groups/{group}/admin/invites/{invite}",
            delete(admin::revoke_invite),
        )
        .route(
            "/v1/groups/{group}/admin/devices/{device}/revoke",
            post(admin::revoke_device),
        )
        .route("/v1/groups/{group}/admin/activity", get(admin::activity))
        .route(
            "/v1/groups/{group}/admin/activity.csv",
            get(admin::activity_csv),
        )
        .route(
            "/v1/admin/groups",
            get(operators::groups).post(operators::create_group),
        )
        .route(
            "/v1/admin/groups/{group}",
            axum::routing::patch(operators::rename_group),
        )
        .route("/v1/admin/operators", get(operators::operators))
        .route(
            "/v1/admin/operators/invites",
            post(operators::create_operator_code),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(log_errors))
}
