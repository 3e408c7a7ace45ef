//! `GET /v1/groups/{group}/authors`: who wrote with each actor of the group, as the relay
//! vouches for it, so that a client shows the relay's name for a change rather than the one
//! the change claims.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Serialize;

use super::auth::authorize_group;
use super::{ApiState, AppError};
use crate::accounts;
use crate::authors::{self, Author};

/// The answer: every actor bound to a device of the group, oldest first; and the peer id of
/// every device of the group's members, so that presence shows who is really there.
#[derive(Debug, Serialize)]
pub struct AuthorsResponse {
    pub authors: Vec<Author>,
    pub peers: Vec<PeerName>,
}

/// A device's peer id and the person it belongs to.
#[derive(Debug, Serialize)]
pub struct PeerName {
    pub peer_id: String,
    pub participant_id: i64,
    pub name: String,
    pub city: String,
}

/// Lists the group's bound actors, for members of the group.
#[tracing::instrument(skip_all, err(level = "debug"), fields(group = %group))]
pub async fn authors(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
) -> Result<Json<AuthorsResponse>, AppError> {
    let (_, _, group) = authorize_group(&state, &headers, None, &group).await?;
    let (authors, peers) = state
        .db
        .call(move |conn| {
            let peers = accounts::group_devices(conn, &group.slug)?
                .into_iter()
                .filter(|d| d.revoked_at.is_none())
                .map(|d| {
                    let city = accounts::participant(conn, d.participant_id)?
                        .map(|p| p.city)
                        .unwrap_or_default();
                    Ok(PeerName {
                        peer_id: d.peer_id,
                        participant_id: d.participant_id,
                        name: d.participant,
                        city,
                    })
                })
                .collect::<accounts::Result<Vec<_>>>()?;
            Ok((authors::list(conn, &group.slug)?, peers))
        })
        .await?;
    Ok(Json(AuthorsResponse { authors, peers }))
}
