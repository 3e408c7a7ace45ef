//! One person on several computers: a code from this computer for another one, and joining
//! with a code made on another one.

use axum::Json;
use axum::extract::State;
use quaderno_client::{join_with_link, link_device};
use serde::Deserialize;
use serde_json::{Value, json};

use super::account::restart_live;
use crate::ui::error::AppError;
use crate::ui::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct LinkRequest {
    /// The relay to link on, when this computer is registered on several.
    relay: Option<String>,
}

/// A one-time code (10 minutes, one use) for another computer of this person:
/// `{code, expires_at, relay_url}`. The body, `{relay}`, is optional.
pub async fn link(
    State(state): State<AppState>,
    request: Option<Json<LinkRequest>>,
) -> Result<Json<Value>, AppError> {
    let Json(request) = request.unwrap_or_default();
    let link = link_device(state.data_dir(), request.relay.as_deref()).await?;
    Ok(Json(json!({
        "code": link.code,
        "expires_at": link.expires_at,
        "relay_url": link.relay_url,
    })))
}

#[derive(Deserialize)]
pub struct JoinLink {
    relay: String,
    code: String,
    /// A name for this computer in the person's device list [default: its host name].
    device: Option<String>,
}

impl std::fmt::Debug for JoinLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinLink")
            .field("relay", &self.relay)
            .field("code", &"<redacted>")
            .field("device", &self.device)
            .finish()
    }
}

/// Makes this computer one more device of the person who made the code elsewhere, in all of
/// their groups: `{groups: [{group, title, role}], operator, identity: {name, city}}`. A
/// computer that did not know who it is now signs as that person.
pub async fn join(
    State(state): State<AppState>,
    Json(request): Json<JoinLink>,
) -> Result<Json<Value>, AppError> {
    let outcome = join_with_link(
        state.data_dir(),
        &request.relay,
        &request.code,
        request.device.as_deref(),
    )
    .await?;
    // The page's notebook read the identity when it opened; the join may just have set it.
    let identity = outcome.identity.clone();
    state
        .notebook(move |nb| match nb.identity() {
            Some(_) => Ok(()),
            None => nb.init(&identity.name, &identity.city).map(drop),
        })
        .await?;
    restart_live(&state).await?;
    let groups: Vec<Value> = outcome
        .groups
        .iter()
        .map(|g| json!({ "group": g.slug, "title": g.title, "role": g.role }))
        .collect();
    Ok(Json(json!({
        "groups": groups,
        "operator": outcome.operator,
        "identity": { "name": outcome.identity.name, "city": outcome.identity.city },
    })))
}
