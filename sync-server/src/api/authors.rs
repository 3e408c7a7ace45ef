//! `GET /v1/groups/{group}/authors`: who wrote with each actor of the group, as the relay
//! vouches for it, so that a client shows the relay's name for a change rather than the one
//! the change claims.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Serialize;

use super::auth::authorize_group;
use super::{ApiState, AppError};
use crate::authors::{self, Author};

/// The answer: every actor bound to a device of the group, oldest first.
#[derive(Debug, Serialize)]
pub struct AuthorsResponse {
    pub authors: Vec<Author>,
}

/// Lists the group's bound actors, for members of the group.
#[tracing::instrument(skip_all, err(level = "debug"), fields(group = %group))]
pub async fn authors(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
) -> Result<Json<AuthorsResponse>, AppError> {
    let (_, _, group) = authorize_group(&state, &headers, None, &group).await?;
    let authors = state
        .db
        .call(move |conn| Ok(authors::list(conn, &group.slug)?))
        .await?;
    Ok(Json(AuthorsResponse { authors }))
}
