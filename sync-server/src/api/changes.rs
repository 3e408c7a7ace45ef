//! `GET /v1/groups/{group}/changes?since=N`: which of the group's documents changed since N,
//! and which were erased that this device has not confirmed deleting; and
//! `POST /v1/groups/{group}/erasures/receipts`, where the device confirms.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::auth::authorize_group;
use super::{ApiState, AppError};
use crate::accounts::{self, ChangesSince, Erasure, Role};

/// The query string.
#[derive(Debug, Deserialize)]
pub struct ChangesQuery {
    /// The position the client last saw; 0 or absent for everything.
    #[serde(default)]
    pub since: u64,
}

/// The answer: what changed, and the caller's role in the group and the group's title as they
/// are now, so that every sync keeps the client's idea of what it may do (and of what the group
/// is called) current.
#[derive(Debug, Serialize)]
pub struct ChangesResponse {
    #[serde(flatten)]
    pub changes: ChangesSince,
    pub role: Role,
    pub title: String,
    /// Notes erased from the group that this device has not confirmed deleting: it deletes
    /// them, then confirms.
    pub erasures: Vec<Erasure>,
    /// The relay's epoch, new at every restore from a backup: a client that knew another
    /// forgets what it believed the relay held, and syncs everything from `since=0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
}

/// Lists the documents changed since `since`, for members of the group.
#[tracing::instrument(skip_all, err(level = "debug"), fields(group = %group))]
pub async fn changes(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
    query: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Json<ChangesResponse>, AppError> {
    let (auth, role, group) = authorize_group(&state, &headers, None, &group).await?;
    let Query(ChangesQuery { since }) = query.map_err(|_| {
        AppError::BadRequest("`since` must be a whole number, e.g. ?since=0".into())
    })?;
    let slug = group.slug.clone();
    let device = auth.device_id;
    let (changes, erasures) = state
        .db
        .call(move |conn| {
            Ok((
                accounts::changes_since(conn, &slug, since)?,
                accounts::pending_erasures(conn, &slug, device)?,
            ))
        })
        .await?;
    Ok(Json(ChangesResponse {
        changes,
        role,
        title: group.title,
        erasures,
        epoch: state.epoch.clone(),
    }))
}

/// The body of a receipt: the erasures whose notes this device deleted.
#[derive(Debug, Deserialize)]
pub struct Receipts {
    pub erasures: Vec<i64>,
}

/// The answer to a receipt.
#[derive(Debug, Serialize)]
pub struct Confirmed {
    pub confirmed: usize,
}

/// Records that the caller's device deleted the notes of these erasures; any member may, a
/// reader too (every device confirms).
#[tracing::instrument(skip_all, err(level = "debug"), fields(group = %group))]
pub async fn confirm_erasures(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
    body: Result<Json<Receipts>, JsonRejection>,
) -> Result<Json<Confirmed>, AppError> {
    let (auth, _, group) = authorize_group(&state, &headers, None, &group).await?;
    let Json(Receipts { erasures }) = body.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let device = auth.device_id;
    let confirmed = state
        .db
        .call(move |conn| {
            Ok(accounts::confirm_erasures(
                conn,
                &group.slug,
                device,
                &erasures,
                chrono::Utc::now(),
            )?)
        })
        .await?;
    Ok(Json(Confirmed { confirmed }))
}
