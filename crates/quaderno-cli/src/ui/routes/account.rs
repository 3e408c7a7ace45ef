//! Who is here, the groups and their sync status; saying who you are; joining a group.

use axum::Json;
use axum::extract::State;
use quaderno_client::{Identity, NotebookError, Overview, overview as compose};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ui::error::AppError;
use crate::ui::live;
use crate::ui::state::AppState;

pub async fn overview(State(state): State<AppState>) -> Result<Json<Overview>, AppError> {
    let live = state.live().await.map(|l| l.status()).unwrap_or_default();
    let status = quaderno_client::status(state.data_dir(), false).await?;
    let (identity, groups) = state
        .notebook(|nb| {
            let identity = nb.identity().map(|a| Identity {
                name: a.name.clone(),
                city: a.city.clone(),
            });
            Ok::<_, NotebookError>((identity, nb.groups()?))
        })
        .await?;
    Ok(Json(compose(identity, &groups, &status, &live)))
}

#[derive(Debug, Deserialize)]
pub struct Person {
    name: String,
    city: String,
}

/// Sets who signs the changes made here.
pub async fn identity(
    State(state): State<AppState>,
    Json(person): Json<Person>,
) -> Result<Json<Value>, AppError> {
    state
        .notebook(move |nb| nb.init(&person.name, &person.city).map(drop))
        .await?;
    restart_live(&state).await?;
    Ok(Json(json!({ "ok": true })))
}

#[derive(Debug, Deserialize)]
pub struct Invite {
    relay: String,
    code: String,
    /// Needed when this computer does not know who the participant is yet.
    name: Option<String>,
    city: Option<String>,
}

/// Joins a group with an invite code, saying who the participant is first if needed. An
/// operator code joins no group: `group` is null and `operator` true.
pub async fn join(
    State(state): State<AppState>,
    Json(invite): Json<Invite>,
) -> Result<Json<Value>, AppError> {
    let person = invite.name.clone().zip(invite.city.clone());
    state
        .notebook(move |nb| match (nb.identity().is_some(), person) {
            (false, Some((name, city))) => nb.init(&name, &city).map(drop),
            _ => Ok(()),
        })
        .await?;
    let joined = quaderno_client::join(state.data_dir(), &invite.relay, &invite.code, None).await?;
    restart_live(&state).await?;
    let group = joined.group.as_ref();
    Ok(Json(json!({
        "group": group.map(|g| &g.slug),
        "title": group.map(|g| &g.title),
        "role": group.map(|g| &g.role),
        "operator": joined.operator,
    })))
}

pub(super) async fn restart_live(state: &AppState) -> Result<(), AppError> {
    live::restart(state).await.map_err(|e| {
        AppError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "failed",
            e.to_string(),
        )
    })?;
    state.notes_changed();
    Ok(())
}
