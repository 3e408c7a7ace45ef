//! `POST /v1/join`: an invite code becomes a membership, and for a new device, a token.

use std::fmt;
use std::time::Instant;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::HeaderMap;
use axum::{Extension, Json};
use chrono::Utc;
use rusqlite::TransactionBehavior;
use serde::{Deserialize, Serialize};

use super::auth::{authenticate, bearer_token};
use super::views::{DeviceView, GroupView, ParticipantView};
use super::{ApiState, AppError, ClientAddr};
use crate::accounts::{self, AccountsError, DeviceAuth, Joined, Joiner};

/// The request body.
#[derive(Deserialize)]
pub struct JoinRequest {
    /// The invite code, as typed.
    pub code: String,
    /// The participant's name (new participants only).
    pub name: Option<String>,
    /// The participant's city (new participants only).
    pub city: Option<String>,
    /// A name for the device (new devices only).
    pub device: Option<String>,
}

impl fmt::Debug for JoinRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinRequest")
            .field("code", &"<redacted>")
            .field("name", &self.name)
            .field("city", &self.city)
            .field("device", &self.device)
            .finish()
    }
}

/// The answer: the token appears here and nowhere else, ever.
#[derive(Serialize)]
pub struct JoinResponse {
    /// The new device's token; absent when an existing device joined another group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The peer id the device must use in the sync protocol.
    pub peer_id: String,
    /// The participant.
    pub participant: ParticipantView,
    /// The device.
    pub device: DeviceView,
    /// The group joined, with the participant's role; `null` for an operator code.
    pub group: Option<GroupView>,
    /// Whether the participant is an operator of the relay.
    pub operator: bool,
    /// The relay's own peer id.
    pub relay_peer_id: String,
}

impl fmt::Debug for JoinResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinResponse")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("peer_id", &self.peer_id)
            .field("group", &self.group.as_ref().map(|g| &g.slug))
            .field("operator", &self.operator)
            .finish_non_exhaustive()
    }
}

/// Joins a group (or, with an operator code, the relay's operators); see the module docs.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn join(
    State(state): State<ApiState>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Result<Json<JoinRequest>, JsonRejection>,
) -> Result<Json<JoinResponse>, AppError> {
    let client_ip = client.map(|Extension(ClientAddr(addr))| addr);
    state
        .join_limiter
        .check(client_ip, Instant::now())
        .map_err(AppError::RateLimited)?;
    let Json(request) = body.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let existing = match bearer_token(&headers)? {
        Some(token) => Some(authenticate(&state, token).await?),
        None => None,
    };
    let joined = state
        .db
        .call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let joined = redeem(&tx, &request, existing.as_ref())?;
            tx.commit()?;
            Ok(joined)
        })
        .await?;
    match &joined.group {
        Some((group, _)) => tracing::info!(
            group = %group.slug,
            participant = joined.participant.id,
            device = joined.device.device_id,
            new_device = joined.token.is_some(),
            "joined a group"
        ),
        None => tracing::info!(
            participant = joined.participant.id,
            device = joined.device.device_id,
            new_device = joined.token.is_some(),
            "became an operator"
        ),
    }
    Ok(Json(respond(joined, &state.relay_peer_id)))
}

fn redeem(
    conn: &rusqlite::Connection,
    request: &JoinRequest,
    existing: Option<&DeviceAuth>,
) -> Result<Joined, AccountsError> {
    let joiner = match existing {
        Some(auth) => Joiner::Device(auth),
        None => Joiner::Newcomer {
            name: request
                .name
                .as_deref()
                .ok_or(AccountsError::MissingJoinDetails)?,
            city: request
                .city
                .as_deref()
                .ok_or(AccountsError::MissingJoinDetails)?,
            device: request
                .device
                .as_deref()
                .ok_or(AccountsError::MissingJoinDetails)?,
        },
    };
    accounts::join(conn, &request.code, joiner, Utc::now())
}

fn respond(joined: Joined, relay_peer_id: &str) -> JoinResponse {
    JoinResponse {
        token: joined.token.map(|t| t.expose().to_owned()),
        peer_id: joined.device.peer_id.clone(),
        participant: ParticipantView::from(&joined.participant),
        device: DeviceView::from(&joined.device),
        group: joined
            .group
            .as_ref()
            .map(|(g, role)| GroupView::new(g, *role)),
        operator: joined.operator,
        relay_peer_id: relay_peer_id.to_owned(),
    }
}
