//! `POST /v1/groups/{group}/reports`: a member's device says it cannot read a document of the
//! group (its id and why, never its content); `GET /v1/groups/{group}/admin/unreadable`: the
//! group's admins (and operators) see each reported document with its size and uploaders.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use quaderno_model::DocumentId;
use serde::{Deserialize, Serialize};

use super::admin::authorize_admin;
use super::auth::authorize_group;
use super::{ApiState, AppError};
use crate::accounts::{self, UnreadableNote};

/// The body of a report.
#[derive(Debug, Deserialize)]
pub struct Report {
    pub doc: DocumentId,
    pub reason: String,
}

/// The answer to a report: whether this device had not reported the document before.
#[derive(Debug, Serialize)]
pub struct Recorded {
    pub recorded: bool,
}

/// Records a member's report; any member may send one, a reader too.
#[tracing::instrument(skip_all, err(level = "debug"), fields(group = %group))]
pub async fn report(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
    body: Result<Json<Report>, JsonRejection>,
) -> Result<Json<Recorded>, AppError> {
    let (auth, _, group) = authorize_group(&state, &headers, None, &group).await?;
    let Json(Report { doc, reason }) = body.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let device = auth.device_id;
    let recorded = state
        .db
        .call(move |conn| {
            let now = chrono::Utc::now();
            Ok(accounts::record_unreadable(
                conn,
                &group.slug,
                &doc,
                device,
                &reason,
                now,
            )?)
        })
        .await?;
    if recorded {
        tracing::info!(%doc, device, "a member's device reported a note it cannot read");
    }
    Ok(Json(Recorded { recorded }))
}

/// The reported documents of a group, most recently reported first.
#[derive(Debug, Serialize)]
pub struct UnreadableResponse {
    pub notes: Vec<UnreadableNote>,
}

/// Lists the group's unreadable notes, for its admins and the relay's operators.
pub async fn unreadable(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
) -> Result<Json<UnreadableResponse>, AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let slug = admin.group.slug;
    let notes = state
        .db
        .call(move |conn| Ok(accounts::list_unreadable(conn, &slug)?))
        .await?;
    Ok(Json(UnreadableResponse { notes }))
}
