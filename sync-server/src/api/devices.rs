//! One person, several devices: `POST /v1/devices/link` makes a one-time code on a device that
//! is signed in, and `POST /v1/devices/join` redeems it on a new computer for a new device of
//! the same participant, in all of their groups.

use std::fmt;
use std::time::Instant;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use rusqlite::TransactionBehavior;
use serde::{Deserialize, Serialize};

use super::auth::Authenticated;
use super::views::{DeviceView, GroupView, ParticipantView};
use super::{ApiState, AppError, ClientAddr};
use crate::accounts::{self, Actor};

/// A fresh link code.
#[derive(Serialize)]
pub struct LinkCode {
    /// The code, shown once.
    pub code: String,
    /// When it stops working (ten minutes from now).
    pub expires_at: DateTime<Utc>,
}

/// Makes a one-time code for another computer of the caller.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn link(
    State(state): State<ApiState>,
    Authenticated(auth): Authenticated,
) -> Result<(StatusCode, Json<LinkCode>), AppError> {
    let actor = Actor::device(&auth);
    let participant = auth.participant_id;
    let issued = state
        .db
        .call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let issued = accounts::create_link_code(&tx, participant, &actor, Utc::now())?;
            tx.commit()?;
            Ok(issued)
        })
        .await?;
    tracing::info!(participant, "made a code to link a device");
    let code = LinkCode {
        code: issued.code.display(),
        expires_at: issued.expires_at,
    };
    Ok((StatusCode::CREATED, Json(code)))
}

/// The body of `POST /v1/devices/join`.
#[derive(Deserialize)]
pub struct LinkJoinRequest {
    /// The link code, as typed.
    pub code: String,
    /// A name for the new device.
    pub device: String,
}

impl fmt::Debug for LinkJoinRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkJoinRequest")
            .field("code", &"<redacted>")
            .field("device", &self.device)
            .finish()
    }
}

/// The answer: the new device's token appears here and nowhere else.
#[derive(Serialize)]
pub struct LinkJoinResponse {
    pub token: String,
    pub peer_id: String,
    pub relay_peer_id: String,
    pub participant: ParticipantView,
    pub device: DeviceView,
    pub groups: Vec<GroupView>,
    pub operator: bool,
}

impl fmt::Debug for LinkJoinResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkJoinResponse")
            .field("token", &"<redacted>")
            .field("peer_id", &self.peer_id)
            .field("groups", &self.groups.len())
            .finish_non_exhaustive()
    }
}

/// Redeems a link code; limited like `/v1/join`, against guessing.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn join(
    State(state): State<ApiState>,
    client: Option<Extension<ClientAddr>>,
    body: Result<Json<LinkJoinRequest>, JsonRejection>,
) -> Result<Json<LinkJoinResponse>, AppError> {
    let client_ip = client.map(|Extension(ClientAddr(addr))| addr);
    state
        .join_limiter
        .check(client_ip, Instant::now())
        .map_err(AppError::RateLimited)?;
    let Json(request) = body.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let linked = state
        .db
        .call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let linked = accounts::join_with_link(&tx, &request.code, &request.device, Utc::now())?;
            tx.commit()?;
            Ok(linked)
        })
        .await?;
    tracing::info!(
        participant = linked.participant.id,
        device = linked.device.device_id,
        groups = linked.memberships.len(),
        "linked a new device"
    );
    Ok(Json(LinkJoinResponse {
        token: linked.token.expose().to_owned(),
        peer_id: linked.device.peer_id.clone(),
        relay_peer_id: state.relay_peer_id.clone(),
        participant: ParticipantView::from(&linked.participant),
        device: DeviceView::from(&linked.device),
        groups: linked.memberships.iter().map(GroupView::from).collect(),
        operator: linked.operator,
    }))
}
