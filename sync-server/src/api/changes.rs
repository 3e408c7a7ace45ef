//! `GET /v1/groups/{group}/changes?since=N`: which of the group's documents changed since N.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::auth::authorize_group;
use super::{ApiState, AppError};
use crate::accounts::{self, ChangesSince, Role};

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
}

/// Lists the documents changed since `since`, for members of the group.
#[tracing::instrument(skip_all, err(level = "debug"), fields(group = %group))]
pub async fn changes(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
    query: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Json<ChangesResponse>, AppError> {
    let (_, role, group) = authorize_group(&state, &headers, None, &group).await?;
    let Query(ChangesQuery { since }) = query.map_err(|_| {
        AppError::BadRequest("`since` must be a whole number, e.g. ?since=0".into())
    })?;
    let slug = group.slug.clone();
    let changes = state
        .db
        .call(move |conn| Ok(accounts::changes_since(conn, &slug, since)?))
        .await?;
    Ok(Json(ChangesResponse {
        changes,
        role,
        title: group.title,
    }))
}
