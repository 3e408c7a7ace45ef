//! "Gestione del gruppo": the page governs a group (and an operator the relay) through the
//! relay's admin API, with this device's token, which never reaches the page.
//!
//! Every route names its group or relay; the token is looked up here, the relay decides who
//! may do what, and its refusals come back as the page's error codes ([`relay_error`]).
//! `GET /api/admin/access` tells the page what to show: for each relay and group, whether this
//! device is an admin of the group or an operator of the relay.

mod access;
mod erasures;
mod relay;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use quaderno_client::relays::{
    ActivityEvent, ActivityPage, ApiError, CreatedInvite, Invite, Members, NewInvite, RelayApi,
    Relays, Removed, Revoked, Role, RoleChanged, account_for_group, normalize_url,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ui::error::AppError;
use crate::ui::qr;
use crate::ui::state::AppState;

/// The routes under `/api/admin`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/access", get(access::access))
        .route("/api/admin/groups/{group}/members", get(members))
        .route(
            "/api/admin/groups/{group}/members/{participant}/role",
            put(set_role),
        )
        .route(
            "/api/admin/groups/{group}/members/{participant}",
            delete(remove),
        )
        .route(
            "/api/admin/groups/{group}/invites",
            get(invites).post(create_invite),
        )
        .route(
            "/api/admin/groups/{group}/invites/{invite}",
            delete(revoke_invite),
        )
        .route(
            "/api/admin/groups/{group}/devices/{device}/revoke",
            post(revoke_device),
        )
        .route(
            "/api/admin/groups/{group}/notes/{doc}/erase",
            post(erasures::erase),
        )
        .route(
            "/api/admin/groups/{group}/notes/{doc}/redact",
            post(erasures::redact),
        )
        .route(
            "/api/admin/groups/{group}/erasures",
            get(erasures::erasures),
        )
        .route("/api/admin/groups/{group}/activity", get(activity))
        .route("/api/admin/groups/{group}/activity.csv", get(activity_csv))
        .route(
            "/api/admin/relay/groups",
            get(relay::groups).post(relay::create_group),
        )
        .route(
            "/api/admin/relay/groups/{group}",
            patch(relay::rename_group),
        )
        .route("/api/admin/relay/operators", get(relay::operators))
        .route(
            "/api/admin/relay/operators/invites",
            post(relay::invite_operator),
        )
}

/// Which relay: `?relay=URL`. Needed for the relay's own routes; for a group's, only when the
/// group is not joined here (an operator governing any group of the relay).
#[derive(Debug, Default, Deserialize)]
pub struct On {
    relay: Option<String>,
}

/// The relay's API and this device's token on it.
struct Caller {
    api: RelayApi,
    token: String,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("api", &self.api)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Who governs `group` from here: the relay named, else the one the group was joined on.
async fn for_group(state: &AppState, group: &str, on: &On) -> Result<Caller, AppError> {
    if let Some(relay) = &on.relay {
        return on_relay(state, relay).await;
    }
    let data_dir = state.data_dir().to_owned();
    let slug = group.to_owned();
    let account = tokio::task::spawn_blocking(move || account_for_group(&data_dir, &slug))
        .await??
        .ok_or_else(|| {
            AppError::new(
                StatusCode::NOT_FOUND,
                "unknown_group",
                format!("group `{group}` is not joined on this computer with a relay account"),
            )
        })?;
    Ok(Caller {
        api: RelayApi::new(&account.url),
        token: account.token,
    })
}

/// This device's account on the relay at `relay` (as the page names it).
async fn on_relay(state: &AppState, relay: &str) -> Result<Caller, AppError> {
    let url = normalize_url(relay).map_err(|_| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "bad_relay_url",
            format!("`{relay}` is not a relay address"),
        )
    })?;
    let data_dir = state.data_dir().to_owned();
    let accounts = tokio::task::spawn_blocking(move || Relays::load(&data_dir)).await??;
    let account = accounts.get(&url).filter(|a| !a.plain).ok_or_else(|| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "unknown_relay",
            format!("this computer has no account on {url}: join one of its groups first"),
        )
    })?;
    Ok(Caller {
        api: RelayApi::new(&account.url),
        token: account.token.clone(),
    })
}

/// A relay's refusal, as the page words it.
fn relay_error(error: ApiError) -> AppError {
    let (status, code, message) = match &error {
        ApiError::Unreachable { url, reason } => (
            StatusCode::BAD_GATEWAY,
            "relay_unreachable",
            format!(
                "cannot reach the relay at {url} ({reason}): administration needs the connection, try again when online"
            ),
        ),
        ApiError::Unexpected { .. } | ApiError::CaFile(_) => {
            (StatusCode::BAD_GATEWAY, "relay_failed", error.to_string())
        }
        ApiError::Refused {
            status,
            code,
            message,
        } => {
            let (status, page_code) = refusal(*status, code);
            (status, page_code, message.clone())
        }
    };
    AppError::new(status, code, message)
}

/// The page's code for a refusal, by the relay's status and code.
fn refusal(status: u16, code: &str) -> (StatusCode, &'static str) {
    match (status, code) {
        (401, _) => (StatusCode::FORBIDDEN, "device_refused"),
        (403, _) => (StatusCode::FORBIDDEN, "forbidden"),
        (404, _) => (StatusCode::BAD_GATEWAY, "admin_unsupported"),
        (409, _) => (StatusCode::CONFLICT, "already_exists"),
        (410, "invite_revoked") => (StatusCode::GONE, "invite_revoked"),
        (410, "invite_expired") => (StatusCode::GONE, "invite_expired"),
        (410, "invite_used_up") => (StatusCode::GONE, "invite_used_up"),
        (410, _) => (StatusCode::GONE, "gone"),
        (429, _) => (StatusCode::TOO_MANY_REQUESTS, "too_many"),
        (400..=499, _) => (StatusCode::BAD_REQUEST, "bad_request"),
        _ => (StatusCode::BAD_GATEWAY, "relay_failed"),
    }
}

/// `quaderno join RELAY CODE`: what a participant types, and what the QR code holds.
fn join_command(relay_url: &str, code: &str) -> String {
    format!("quaderno join {relay_url} {code}")
}

/// The join command and its QR code, beside what the relay answered.
fn with_qr(answer: Value, relay_url: &str, code: &str) -> Result<Json<Value>, AppError> {
    let join = join_command(relay_url, code);
    let svg = qr::svg(&join).map_err(|e| {
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "failed",
            format!("cannot draw the QR code: {e}"),
        )
    })?;
    Ok(Json(
        json!({ "answer": answer, "join": join, "qr_svg": svg }),
    ))
}

pub async fn members(
    State(state): State<AppState>,
    Path(group): Path<String>,
    Query(on): Query<On>,
) -> Result<Json<Members>, AppError> {
    let caller = for_group(&state, &group, &on).await?;
    let members = caller.api.members(&caller.token, &group).await;
    Ok(Json(members.map_err(relay_error)?))
}

#[derive(Debug, Deserialize)]
pub struct NewRole {
    role: Role,
}

pub async fn set_role(
    State(state): State<AppState>,
    Path((group, participant)): Path<(String, i64)>,
    Query(on): Query<On>,
    Json(new): Json<NewRole>,
) -> Result<Json<RoleChanged>, AppError> {
    let caller = for_group(&state, &group, &on).await?;
    let changed = caller
        .api
        .set_role(&caller.token, &group, participant, new.role)
        .await;
    Ok(Json(changed.map_err(relay_error)?))
}

pub async fn remove(
    State(state): State<AppState>,
    Path((group, participant)): Path<(String, i64)>,
    Query(on): Query<On>,
) -> Result<Json<Removed>, AppError> {
    let caller = for_group(&state, &group, &on).await?;
    let removed = caller
        .api
        .remove_member(&caller.token, &group, participant)
        .await;
    Ok(Json(removed.map_err(relay_error)?))
}

pub async fn invites(
    State(state): State<AppState>,
    Path(group): Path<String>,
    Query(on): Query<On>,
) -> Result<Json<Value>, AppError> {
    let caller = for_group(&state, &group, &on).await?;
    let invites: Vec<Invite> = caller
        .api
        .invites(&caller.token, &group)
        .await
        .map_err(relay_error)?;
    Ok(Json(json!({ "invites": invites })))
}

/// A new invite: `{answer: {id, code, role, uses, expires_at, relay_url}, join, qr_svg}`.
pub async fn create_invite(
    State(state): State<AppState>,
    Path(group): Path<String>,
    Query(on): Query<On>,
    Json(new): Json<NewInvite>,
) -> Result<Json<Value>, AppError> {
    let caller = for_group(&state, &group, &on).await?;
    let created: CreatedInvite = caller
        .api
        .create_invite(&caller.token, &group, &new)
        .await
        .map_err(relay_error)?;
    let answer = serde_json::to_value(&created).expect("an invite serialises");
    with_qr(answer, &created.relay_url, &created.code)
}

pub async fn revoke_invite(
    State(state): State<AppState>,
    Path((group, invite)): Path<(String, i64)>,
    Query(on): Query<On>,
) -> Result<Json<Revoked>, AppError> {
    let caller = for_group(&state, &group, &on).await?;
    let revoked = caller
        .api
        .revoke_invite(&caller.token, &group, invite)
        .await;
    Ok(Json(revoked.map_err(relay_error)?))
}

pub async fn revoke_device(
    State(state): State<AppState>,
    Path((group, device)): Path<(String, i64)>,
    Query(on): Query<On>,
) -> Result<Json<Revoked>, AppError> {
    let caller = for_group(&state, &group, &on).await?;
    let revoked = caller
        .api
        .revoke_device(&caller.token, &group, device)
        .await;
    Ok(Json(revoked.map_err(relay_error)?))
}

#[derive(Debug, Default, Deserialize)]
pub struct ActivityQuery {
    relay: Option<String>,
    limit: Option<u32>,
    before: Option<u64>,
}

pub async fn activity(
    State(state): State<AppState>,
    Path(group): Path<String>,
    Query(query): Query<ActivityQuery>,
) -> Result<Json<Value>, AppError> {
    let on = On { relay: query.relay };
    let caller = for_group(&state, &group, &on).await?;
    let page = ActivityPage {
        limit: query.limit,
        before: query.before,
    };
    let events: Vec<ActivityEvent> = caller
        .api
        .activity(&caller.token, &group, page)
        .await
        .map_err(relay_error)?;
    Ok(Json(json!({ "events": events })))
}

/// The whole log as a CSV file to download.
pub async fn activity_csv(
    State(state): State<AppState>,
    Path(group): Path<String>,
    Query(on): Query<On>,
) -> Result<Response, AppError> {
    let caller = for_group(&state, &group, &on).await?;
    let csv = caller
        .api
        .activity_csv(&caller.token, &group)
        .await
        .map_err(relay_error)?;
    let disposition = format!("attachment; filename=\"{}\"", csv_name(&group));
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

/// `registro-attivita-prato.csv`: only letters, digits and hyphens of the slug.
fn csv_name(group: &str) -> String {
    let slug: String = group
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("registro-attivita-{slug}.csv")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_refusals_become_the_pages_codes() {
        let cases = [
            (403, "forbidden", StatusCode::FORBIDDEN, "forbidden"),
            (401, "unauthorized", StatusCode::FORBIDDEN, "device_refused"),
            (410, "invite_revoked", StatusCode::GONE, "invite_revoked"),
            (410, "invite_expired", StatusCode::GONE, "invite_expired"),
            (410, "invite_used_up", StatusCode::GONE, "invite_used_up"),
            (400, "bad_request", StatusCode::BAD_REQUEST, "bad_request"),
            (409, "conflict", StatusCode::CONFLICT, "already_exists"),
            (404, "http", StatusCode::BAD_GATEWAY, "admin_unsupported"),
            (
                429,
                "rate_limited",
                StatusCode::TOO_MANY_REQUESTS,
                "too_many",
            ),
            (500, "internal", StatusCode::BAD_GATEWAY, "relay_failed"),
        ];
        for (status, code, expected_status, expected_code) in cases {
            assert_eq!(
                refusal(status, code),
                (expected_status, expected_code),
                "{status} {code}"
            );
        }
    }

    #[test]
    fn an_unreachable_relay_is_an_offline_error_that_says_what_to_do() {
        let error = relay_error(ApiError::Unreachable {
            url: "https://quaderno.example.org".into(),
            reason: "Connection refused".into(),
        });
        let (code, message) = error.parts();
        assert_eq!(code, "relay_unreachable");
        assert!(message.contains("try again when online"), "{message}");
    }

    #[test]
    fn the_join_command_is_what_a_participant_types() {
        assert_eq!(
            join_command("https://quaderno.example.org", "7K2M-QX9D"),
            "quaderno join https://quaderno.example.org 7K2M-QX9D"
        );
    }

    #[test]
    fn the_csv_file_name_holds_only_the_slug() {
        assert_eq!(csv_name("prato"), "registro-attivita-prato.csv");
        assert_eq!(csv_name("a\"b/../c"), "registro-attivita-abc.csv");
    }
}
