//! `GET /v1/me`: who this device is and which groups it may sync.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::auth::Authenticated;
use super::views::{DeviceView, GroupView, ParticipantView};
use super::{ApiState, AppError};
use crate::accounts;

/// The answer.
#[derive(Debug, Serialize)]
pub struct MeResponse {
    /// The participant.
    pub participant: ParticipantView,
    /// The calling device, with the peer id it must use.
    pub device: DeviceView,
    /// The participant's groups, by slug.
    pub groups: Vec<GroupView>,
    /// The relay's own peer id.
    pub relay_peer_id: String,
    /// Whether the participant is an operator of the relay.
    pub operator: bool,
}

/// Describes the calling device.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn me(
    State(state): State<ApiState>,
    Authenticated(auth): Authenticated,
) -> Result<Json<MeResponse>, AppError> {
    let participant = auth.participant_id;
    let (memberships, operator) = state
        .db
        .call(move |conn| {
            Ok((
                accounts::memberships(conn, participant)?,
                accounts::is_operator(conn, participant)?,
            ))
        })
        .await?;
    Ok(Json(MeResponse {
        participant: ParticipantView::from(&auth),
        device: DeviceView::from(&auth),
        groups: memberships.iter().map(GroupView::from).collect(),
        relay_peer_id: state.relay_peer_id.clone(),
        operator,
    }))
}
