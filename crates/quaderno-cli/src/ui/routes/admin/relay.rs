//! "Gestione dei gruppi", for a relay's operators: every group of the relay, a new group, a
//! new title, the operators, and a code for one more operator. The first admin of a group is
//! appointed with an `admin` invite, through the group's own routes.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use quaderno_client::relays::{NamedGroup, Operator, OperatorCode, RelayGroup};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{On, on_relay, relay_error, with_qr};
use crate::ui::error::AppError;
use crate::ui::state::AppState;

/// The relay the page names, which these routes cannot do without.
fn named(on: &On) -> Result<&str, AppError> {
    on.relay.as_deref().ok_or_else(|| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "unknown_relay",
            "say which relay: ?relay=URL",
        )
    })
}

pub async fn groups(
    State(state): State<AppState>,
    Query(on): Query<On>,
) -> Result<Json<Value>, AppError> {
    let caller = on_relay(&state, named(&on)?).await?;
    let groups: Vec<RelayGroup> = caller
        .api
        .admin_groups(&caller.token)
        .await
        .map_err(relay_error)?;
    Ok(Json(json!({ "groups": groups })))
}

#[derive(Debug, Deserialize)]
pub struct NewGroup {
    slug: String,
    title: String,
}

pub async fn create_group(
    State(state): State<AppState>,
    Query(on): Query<On>,
    Json(new): Json<NewGroup>,
) -> Result<Json<NamedGroup>, AppError> {
    let caller = on_relay(&state, named(&on)?).await?;
    let created = caller
        .api
        .create_group(&caller.token, new.slug.trim(), new.title.trim())
        .await;
    Ok(Json(created.map_err(relay_error)?))
}

#[derive(Debug, Deserialize)]
pub struct Title {
    title: String,
}

pub async fn rename_group(
    State(state): State<AppState>,
    Path(group): Path<String>,
    Query(on): Query<On>,
    Json(title): Json<Title>,
) -> Result<Json<NamedGroup>, AppError> {
    let caller = on_relay(&state, named(&on)?).await?;
    let renamed = caller
        .api
        .rename_group(&caller.token, &group, title.title.trim())
        .await;
    Ok(Json(renamed.map_err(relay_error)?))
}

pub async fn operators(
    State(state): State<AppState>,
    Query(on): Query<On>,
) -> Result<Json<Value>, AppError> {
    let caller = on_relay(&state, named(&on)?).await?;
    let operators: Vec<Operator> = caller
        .api
        .operators(&caller.token)
        .await
        .map_err(relay_error)?;
    Ok(Json(json!({ "operators": operators })))
}

#[derive(Debug, Default, Deserialize)]
pub struct OperatorInvite {
    expires_in_days: Option<u32>,
}

/// A code for one more operator: `{answer: {code, expires_at, relay_url}, join, qr_svg}`.
pub async fn invite_operator(
    State(state): State<AppState>,
    Query(on): Query<On>,
    Json(invite): Json<OperatorInvite>,
) -> Result<Json<Value>, AppError> {
    let caller = on_relay(&state, named(&on)?).await?;
    let code: OperatorCode = caller
        .api
        .invite_operator(&caller.token, invite.expires_in_days)
        .await
        .map_err(relay_error)?;
    let answer = serde_json::to_value(&code).expect("a code serialises");
    with_qr(answer, &code.relay_url, &code.code)
}
