//! Relay administration over HTTP, for operators: groups (list, create, rename) and further
//! operators. Anyone else gets the same 403 from every endpoint.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::admin::{relay_url, write};
use super::auth::{authenticate, bearer_token};
use super::{ApiState, AppError};
use crate::accounts::{self, Actor, Group, GroupSlug, GroupSummary, Operator};

/// The caller, if they are an operator of the relay.
async fn authorize_operator(state: &ApiState, headers: &HeaderMap) -> Result<Actor, AppError> {
    let token = bearer_token(headers)?.ok_or(AppError::Unauthorized)?;
    let auth = authenticate(state, token).await?;
    let participant = auth.participant_id;
    let operator = state
        .db
        .call(move |conn| Ok(accounts::is_operator(conn, participant)?))
        .await?;
    if !operator {
        return Err(AppError::Forbidden);
    }
    Ok(Actor::device(&auth))
}

#[derive(Debug, Serialize)]
pub struct GroupsResponse {
    groups: Vec<GroupSummary>,
}

/// `GET /v1/admin/groups`.
pub async fn groups(
    State(state): State<ApiState>,
    headers: HeaderMap,
) -> Result<Json<GroupsResponse>, AppError> {
    authorize_operator(&state, &headers).await?;
    let groups = state
        .db
        .call(|conn| Ok(accounts::list_groups(conn)?))
        .await?;
    Ok(Json(GroupsResponse { groups }))
}

#[derive(Debug, Deserialize)]
pub struct NewGroup {
    slug: String,
    title: Option<String>,
}

/// `POST /v1/admin/groups`.
pub async fn create_group(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Result<Json<NewGroup>, JsonRejection>,
) -> Result<(StatusCode, Json<Group>), AppError> {
    let actor = authorize_operator(&state, &headers).await?;
    let Json(new) = body.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let slug = GroupSlug::parse(&new.slug).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let group = write(&state, move |tx| {
        accounts::create_group(tx, &slug, new.title.as_deref(), &actor, Utc::now())
    })
    .await?;
    tracing::info!(group = %group.slug, "created a group");
    Ok((StatusCode::CREATED, Json(group)))
}

#[derive(Debug, Deserialize)]
pub struct Rename {
    title: String,
}

/// `PATCH /v1/admin/groups/{group}`.
pub async fn rename_group(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
    body: Result<Json<Rename>, JsonRejection>,
) -> Result<Json<Group>, AppError> {
    let actor = authorize_operator(&state, &headers).await?;
    let Json(Rename { title }) = body.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let group = write(&state, move |tx| {
        accounts::rename_group(tx, &group, &title, &actor, Utc::now())
    })
    .await?;
    tracing::info!(group = %group.slug, "renamed a group");
    Ok(Json(group))
}

#[derive(Debug, Serialize)]
pub struct OperatorsResponse {
    operators: Vec<Operator>,
}

/// `GET /v1/admin/operators`.
pub async fn operators(
    State(state): State<ApiState>,
    headers: HeaderMap,
) -> Result<Json<OperatorsResponse>, AppError> {
    authorize_operator(&state, &headers).await?;
    let operators = state
        .db
        .call(|conn| Ok(accounts::list_operators(conn)?))
        .await?;
    Ok(Json(OperatorsResponse { operators }))
}

#[derive(Debug, Deserialize)]
pub struct OperatorCodeRequest {
    #[serde(default = "a_week")]
    expires_in_days: u32,
}

fn a_week() -> u32 {
    7
}

#[derive(Serialize)]
pub struct OperatorCode {
    code: String,
    expires_at: DateTime<Utc>,
    relay_url: String,
}

/// `POST /v1/admin/operators/invites`: a one-time code that makes an operator.
pub async fn create_operator_code(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Result<Json<OperatorCodeRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<OperatorCode>), AppError> {
    let actor = authorize_operator(&state, &headers).await?;
    let Json(request) = body.map_err(|e| AppError::BadRequest(e.body_text()))?;
    if !(1..=30).contains(&request.expires_in_days) {
        return Err(AppError::BadRequest(
            "`expires_in_days` must be between 1 and 30".into(),
        ));
    }
    let now = Utc::now();
    let expires_at = now + TimeDelta::days(i64::from(request.expires_in_days));
    let issued = write(&state, move |tx| {
        accounts::create_operator_code(tx, expires_at, &actor, now)
    })
    .await?;
    tracing::info!("created an operator code");
    Ok((
        StatusCode::CREATED,
        Json(OperatorCode {
            code: issued.code.display(),
            expires_at: issued.expires_at,
            relay_url: relay_url(&state, &headers),
        }),
    ))
}
