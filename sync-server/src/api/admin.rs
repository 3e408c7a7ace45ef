//! Group administration over HTTP, for the group's admins and the relay's operators:
//! members and their devices, roles, removal, invites, device revocation and the activity log.
//!
//! Every handler authorizes first ([`authorize_admin`]) and only then reads its path and body,
//! so a caller who may not administer the group learns nothing, not even whether the group,
//! member, invite or device exists: every miss is the same 403.

use std::collections::HashSet;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use quaderno_model::DocumentId;
use rusqlite::TransactionBehavior;
use serde::{Deserialize, Serialize};

use super::auth::{authenticate, bearer_token};
use super::{ApiState, AppError};
use crate::accounts::{
    self, Activity, Actor, Device, ErasureReceipts, Group, ListedInvite, MAX_INVITE_USES,
    NewInvite, Role,
};

/// The longest an invite made through the API stays valid.
const MAX_INVITE_DAYS: u32 = 365;

/// A caller allowed to administer a group.
pub(super) struct GroupAdmin {
    pub actor: Actor,
    pub group: Group,
}

/// The caller behind the bearer token, if they are an admin of `group` or an operator;
/// otherwise 401 (no valid token) or 403 (anything else, the group's existence included).
pub(super) async fn authorize_admin(
    state: &ApiState,
    headers: &HeaderMap,
    group: &str,
) -> Result<GroupAdmin, AppError> {
    let token = bearer_token(headers)?.ok_or(AppError::Unauthorized)?;
    let auth = authenticate(state, token).await?;
    let (participant, slug) = (auth.participant_id, group.to_owned());
    let group = state
        .db
        .call(move |conn| {
            let Some(group) = accounts::group(conn, &slug)? else {
                return Ok(None);
            };
            let admin = accounts::role_in_group(conn, participant, &slug)? == Some(Role::Admin);
            let allowed = admin || accounts::is_operator(conn, participant)?;
            Ok(allowed.then_some(group))
        })
        .await?
        .ok_or(AppError::Forbidden)?;
    Ok(GroupAdmin {
        actor: Actor::device(&auth),
        group,
    })
}

/// Runs `f` in one immediate transaction on the database's blocking threads.
pub(super) async fn write<T: Send + 'static>(
    state: &ApiState,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> accounts::Result<T> + Send + 'static,
) -> Result<T, AppError> {
    Ok(state
        .db
        .call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await?)
}

/// An id from the path; one that is not a number names nothing, so it is refused like one
/// that names nothing.
fn id(text: &str) -> Result<i64, AppError> {
    text.parse().map_err(|_| AppError::Forbidden)
}

/// A body that could not be read, worded for the caller.
fn bad_body(rejection: JsonRejection) -> AppError {
    AppError::BadRequest(rejection.body_text())
}

/// The address participants type into `quaderno join`.
pub(super) fn relay_url(state: &ApiState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

#[derive(Debug, Serialize)]
pub struct GroupRef {
    slug: String,
    title: String,
}

impl From<&Group> for GroupRef {
    fn from(g: &Group) -> Self {
        Self {
            slug: g.slug.clone(),
            title: g.title.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MemberDevice {
    id: i64,
    name: String,
    created_at: DateTime<Utc>,
    last_seen_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    online: bool,
}

#[derive(Debug, Serialize)]
pub struct MemberView {
    participant_id: i64,
    name: String,
    city: String,
    role: Role,
    joined_at: DateTime<Utc>,
    last_seen_at: Option<DateTime<Utc>>,
    online: bool,
    devices: Vec<MemberDevice>,
}

#[derive(Debug, Serialize)]
pub struct MembersResponse {
    group: GroupRef,
    members: Vec<MemberView>,
}

/// `GET /v1/groups/{group}/admin/members`: each person once, with their devices.
pub async fn members(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
) -> Result<Json<MembersResponse>, AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let slug = admin.group.slug.clone();
    let (members, devices) = state
        .db
        .call(move |conn| {
            Ok((
                accounts::list_members(conn, &slug)?,
                accounts::group_devices(conn, &slug)?,
            ))
        })
        .await?;
    let online = state.presence.online_devices(&admin.group.slug);
    let members = members
        .into_iter()
        .map(|m| {
            let devices: Vec<MemberDevice> = devices
                .iter()
                .filter(|d| d.participant_id == m.participant_id)
                .map(|d| member_device(d, &online))
                .collect();
            MemberView {
                online: devices.iter().any(|d| d.online),
                participant_id: m.participant_id,
                name: m.name,
                city: m.city,
                role: m.role,
                joined_at: m.joined_at,
                last_seen_at: m.last_seen_at,
                devices,
            }
        })
        .collect();
    Ok(Json(MembersResponse {
        group: GroupRef::from(&admin.group),
        members,
    }))
}

fn member_device(d: &Device, online: &HashSet<i64>) -> MemberDevice {
    MemberDevice {
        id: d.id,
        name: d.name.clone(),
        created_at: d.created_at,
        last_seen_at: d.last_seen_at,
        revoked_at: d.revoked_at,
        online: d.revoked_at.is_none() && online.contains(&d.id),
    }
}

#[derive(Debug, Deserialize)]
pub struct RoleRequest {
    role: Role,
}

#[derive(Debug, Serialize)]
pub struct RoleChanged {
    participant_id: i64,
    name: String,
    previous_role: Role,
    role: Role,
}

/// `PUT /v1/groups/{group}/admin/members/{participant}/role`.
pub async fn set_role(
    State(state): State<ApiState>,
    Path((group, participant)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Json<RoleRequest>, JsonRejection>,
) -> Result<Json<RoleChanged>, AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let participant = id(&participant)?;
    let Json(RoleRequest { role }) = body.map_err(bad_body)?;
    let (slug, actor) = (admin.group.slug.clone(), admin.actor);
    let (previous_role, name) = write(&state, move |tx| {
        let previous = accounts::set_role(tx, &slug, participant, role, &actor, Utc::now())?;
        let name = accounts::participant(tx, participant)?
            .map(|p| p.name)
            .unwrap_or_default();
        Ok((previous, name))
    })
    .await?;
    state.admin_events.notify_one();
    tracing::info!(group = %admin.group.slug, participant, %role, "changed a member's role");
    Ok(Json(RoleChanged {
        participant_id: participant,
        name,
        previous_role,
        role,
    }))
}

#[derive(Debug, Serialize)]
pub struct RemovedResponse {
    participant_id: i64,
    name: String,
    revoked_devices: Vec<i64>,
    revoked_invites: Vec<i64>,
}

/// `DELETE /v1/groups/{group}/admin/members/{participant}`.
pub async fn remove(
    State(state): State<ApiState>,
    Path((group, participant)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<RemovedResponse>, AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let participant = id(&participant)?;
    let (slug, actor) = (admin.group.slug.clone(), admin.actor);
    let removal = write(&state, move |tx| {
        accounts::remove_member(tx, &slug, participant, &actor, Utc::now())
    })
    .await?;
    state.admin_events.notify_one();
    tracing::info!(group = %admin.group.slug, participant, "removed a member");
    Ok(Json(RemovedResponse {
        participant_id: removal.participant_id,
        name: removal.name,
        revoked_devices: removal.revoked_devices,
        revoked_invites: removal.revoked_invites,
    }))
}

#[derive(Debug, Serialize)]
pub struct InvitesResponse {
    invites: Vec<ListedInvite>,
}

/// `GET /v1/groups/{group}/admin/invites`: never the codes.
pub async fn invites(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
) -> Result<Json<InvitesResponse>, AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let slug = admin.group.slug;
    let invites = state
        .db
        .call(move |conn| Ok(accounts::list_invites(conn, &slug, Utc::now())?))
        .await?;
    Ok(Json(InvitesResponse { invites }))
}

#[derive(Debug, Deserialize)]
pub struct InviteRequest {
    role: Role,
    #[serde(default = "one")]
    uses: u32,
    #[serde(default = "a_week")]
    expires_in_days: u32,
}

fn one() -> u32 {
    1
}

fn a_week() -> u32 {
    7
}

#[derive(Serialize)]
pub struct InviteCreated {
    id: i64,
    code: String,
    role: Role,
    uses: u32,
    expires_at: DateTime<Utc>,
    relay_url: String,
}

/// `POST /v1/groups/{group}/admin/invites`: the code is in this answer and nowhere else.
pub async fn create_invite(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
    body: Result<Json<InviteRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<InviteCreated>), AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let Json(request) = body.map_err(bad_body)?;
    if !(1..=MAX_INVITE_USES).contains(&request.uses) {
        return Err(AppError::BadRequest(format!(
            "`uses` must be between 1 and {MAX_INVITE_USES}"
        )));
    }
    if !(1..=MAX_INVITE_DAYS).contains(&request.expires_in_days) {
        return Err(AppError::BadRequest(format!(
            "`expires_in_days` must be between 1 and {MAX_INVITE_DAYS}"
        )));
    }
    let now = Utc::now();
    let new = NewInvite {
        group: admin.group.slug.clone(),
        role: request.role,
        uses: request.uses,
        expires_at: now + TimeDelta::days(i64::from(request.expires_in_days)),
        created_by: admin.actor.label.clone(),
    };
    let (actor, expires_at) = (admin.actor, new.expires_at);
    let (id, code) = write(&state, move |tx| {
        accounts::create_invite(tx, &new, &actor, now)
    })
    .await?;
    tracing::info!(group = %admin.group.slug, role = %request.role, uses = request.uses, "created an invite");
    let created = InviteCreated {
        id,
        code: code.display(),
        role: request.role,
        uses: request.uses,
        expires_at,
        relay_url: relay_url(&state, &headers),
    };
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Debug, Serialize)]
pub struct Revoked {
    id: i64,
    revoked_at: DateTime<Utc>,
}

/// `DELETE /v1/groups/{group}/admin/invites/{invite}`.
pub async fn revoke_invite(
    State(state): State<ApiState>,
    Path((group, invite)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Revoked>, AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let invite = id(&invite)?;
    let (slug, actor) = (admin.group.slug.clone(), admin.actor);
    let revoked = write(&state, move |tx| {
        accounts::revoke_invite(tx, &slug, invite, &actor, Utc::now())
    })
    .await?;
    tracing::info!(group = %admin.group.slug, invite, "revoked an invite");
    Ok(Json(Revoked {
        id: invite,
        revoked_at: revoked.revoked_at.unwrap_or_else(Utc::now),
    }))
}

/// `POST /v1/groups/{group}/admin/devices/{device}/revoke`.
pub async fn revoke_device(
    State(state): State<ApiState>,
    Path((group, device)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Revoked>, AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let device = id(&device)?;
    let (slug, actor) = (admin.group.slug.clone(), admin.actor);
    let revoked = write(&state, move |tx| {
        accounts::revoke_member_device(tx, &slug, device, &actor, Utc::now())
    })
    .await?;
    state.admin_events.notify_one();
    tracing::info!(group = %admin.group.slug, device, "revoked a device");
    Ok(Json(Revoked {
        id: device,
        revoked_at: revoked.revoked_at.unwrap_or_else(Utc::now),
    }))
}

#[derive(Debug, Deserialize)]
pub struct EraseRequest {
    reason: String,
}

#[derive(Debug, Serialize)]
pub struct Erased {
    doc: DocumentId,
    erasure: i64,
    removed_from_index: bool,
}

/// `POST /v1/groups/{group}/admin/notes/{doc}/erase` with `{"reason": "..."}`: the note leaves
/// the relay for good, and every device of the group deletes it at its next contact (the
/// connections to the group are closed so that live ones do at once).
pub async fn erase(
    State(state): State<ApiState>,
    Path((group, doc)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Json<EraseRequest>, JsonRejection>,
) -> Result<Json<Erased>, AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let doc: DocumentId = doc.parse().map_err(|_| AppError::Forbidden)?;
    let Json(EraseRequest { reason }) = body.map_err(bad_body)?;
    if reason.trim().is_empty() {
        return Err(AppError::BadRequest(
            "say why the note is erased: `reason` must not be empty".into(),
        ));
    }
    if doc == admin.group.index_doc {
        return Err(AppError::Forbidden);
    }
    let (slug, actor) = (admin.group.slug.clone(), admin.actor);
    let purged = state
        .db
        .call(move |conn| {
            if !accounts::holds_document(conn, &slug, &doc)? {
                return Ok(None);
            }
            let purged = crate::admin::erase(conn, Some(&slug), &doc, &actor, &reason, Utc::now())?;
            Ok(Some(purged))
        })
        .await?
        .ok_or(AppError::Forbidden)?;
    state.admin_events.notify_one();
    tracing::info!(group = %admin.group.slug, %doc, erasure = purged.erasure, "erased a note");
    Ok(Json(Erased {
        doc,
        erasure: purged.erasure,
        removed_from_index: purged.removed_from_index,
    }))
}

#[derive(Debug, Deserialize)]
pub struct RedactRequest {
    passage: String,
    reason: String,
}

/// `POST /v1/groups/{group}/admin/notes/{doc}/redact` with `{"passage": "...", "reason": "..."}`:
/// the passage leaves the note and its whole history. The note goes on as a successor document
/// (listed in its place, its history starting now), and the old one is erased as by
/// [`erase`], the erasure naming the successor. The passage is stored nowhere.
pub async fn redact(
    State(state): State<ApiState>,
    Path((group, doc)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Json<RedactRequest>, JsonRejection>,
) -> Result<Json<accounts::Redacted>, AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let doc: DocumentId = doc.parse().map_err(|_| AppError::Forbidden)?;
    let Json(RedactRequest { passage, reason }) = body.map_err(bad_body)?;
    if passage.trim().chars().count() < 2 {
        return Err(AppError::BadRequest(
            "`passage` must hold the text to erase (at least 2 characters)".into(),
        ));
    }
    if reason.trim().is_empty() {
        return Err(AppError::BadRequest(
            "say why the passage is erased: `reason` must not be empty".into(),
        ));
    }
    if doc == admin.group.index_doc {
        return Err(AppError::Forbidden);
    }
    let (slug, actor) = (admin.group.slug.clone(), admin.actor);
    let redacted = state
        .db
        .call(move |conn| {
            if !accounts::holds_document(conn, &slug, &doc)? {
                return Ok(None);
            }
            let by = match actor.participant_id {
                Some(id) => accounts::participant(conn, id)?
                    .map(|p| quaderno_model::Author::new(p.name, p.city)),
                None => None,
            }
            .unwrap_or_else(|| quaderno_model::Author::new(actor.label.clone(), ""));
            let passage = passage.trim();
            let done =
                crate::admin::redact(conn, &slug, &doc, passage, &by, &actor, &reason, Utc::now())?;
            Ok(Some(done))
        })
        .await?
        .ok_or(AppError::Forbidden)?;
    state.admin_events.notify_one();
    tracing::info!(group = %admin.group.slug, %doc, successor = %redacted.successor, "redacted a note");
    Ok(Json(redacted))
}

#[derive(Debug, Serialize)]
pub struct ErasuresResponse {
    erasures: Vec<ErasureReceipts>,
}

/// `GET /v1/groups/{group}/admin/erasures`: every erasure, newest first, with which devices
/// confirmed it.
pub async fn erasures(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
) -> Result<Json<ErasuresResponse>, AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let slug = admin.group.slug;
    let erasures = state
        .db
        .call(move |conn| Ok(accounts::list_erasures(conn, &slug)?))
        .await?;
    Ok(Json(ErasuresResponse { erasures }))
}

#[derive(Debug, Deserialize)]
pub struct ActivityQuery {
    #[serde(default = "a_page")]
    limit: u32,
    before: Option<i64>,
}

fn a_page() -> u32 {
    200
}

#[derive(Debug, Serialize)]
pub struct ActivityResponse {
    events: Vec<Activity>,
}

/// `GET /v1/groups/{group}/admin/activity?limit=N&before=SEQ`, newest first.
pub async fn activity(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
    query: Result<Query<ActivityQuery>, QueryRejection>,
) -> Result<Json<ActivityResponse>, AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let Query(query) = query
        .map_err(|_| AppError::BadRequest("`limit` and `before` must be whole numbers".into()))?;
    let slug = admin.group.slug;
    let events = state
        .db
        .call(move |conn| {
            Ok(accounts::group_activity(
                conn,
                &slug,
                query.before,
                query.limit,
            )?)
        })
        .await?;
    Ok(Json(ActivityResponse { events }))
}

/// `GET /v1/groups/{group}/admin/activity.csv`: the whole log, oldest first.
pub async fn activity_csv(
    State(state): State<ApiState>,
    Path(group): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let admin = authorize_admin(&state, &headers, &group).await?;
    let slug = admin.group.slug.clone();
    let csv = state
        .db
        .call(move |conn| Ok(accounts::group_activity_csv(conn, &slug)?))
        .await?;
    let disposition = format!("attachment; filename=\"attivita-{}.csv\"", admin.group.slug);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}
