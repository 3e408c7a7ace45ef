//! Governing a group and a relay over the relay's admin API (`docs/admin-api.md`): a group's
//! members, roles, invites, devices and activity log for its admins; every group and the
//! operators for the relay's operators.
//!
//! Each call takes the device token of the caller; the relay decides who may do what and
//! answers `403 forbidden` to anyone else, for a target that does not exist as well. Codes in
//! clear exist only in the answers that made them, so their `Debug` hides them.

use std::fmt;
use std::path::Path;

use chrono::{DateTime, Utc};
use quaderno_model::DocumentId;
use serde::{Deserialize, Serialize};

use super::http::RelayApi;
use super::{ApiError, RelayAccount, Relays};
use crate::ClientError;
use crate::notebook::STORE_FILE;

/// A member's role in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Reader,
    Editor,
    Admin,
}

/// A group as its admin page names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupName {
    pub slug: String,
    pub title: String,
}

/// `GET /v1/groups/{group}/admin/members`: each person once, with all of their devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Members {
    pub group: GroupName,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub participant_id: i64,
    pub name: String,
    pub city: String,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
    /// The latest of their devices' (to the minute); `None` if none ever connected.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// One of their devices holds a sync connection to the group right now.
    pub online: bool,
    pub devices: Vec<MemberDevice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberDevice {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub online: bool,
}

/// `PUT .../members/{participant_id}/role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChanged {
    pub participant_id: i64,
    pub name: String,
    pub previous_role: Role,
    pub role: Role,
}

/// `DELETE .../members/{participant_id}`: the person left with every device; the invite they
/// joined with is revoked, and their devices too when this was their last group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    pub participant_id: i64,
    pub name: String,
    pub revoked_devices: Vec<i64>,
    pub revoked_invites: Vec<i64>,
}

/// Where an invite stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteState {
    Active,
    Expired,
    UsedUp,
    Revoked,
}

/// An invite as listed: never its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub id: i64,
    pub role: Role,
    pub uses: u32,
    pub uses_left: u32,
    pub expires_at: DateTime<Utc>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub state: InviteState,
}

/// What a new invite allows: `uses` 1 to 1000 (the relay's default 1), `expires_in_days` 1 to
/// 365 (its default 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvite {
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uses: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
}

/// `POST .../invites`: the code, in clear only here, and the address to join it at.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedInvite {
    pub id: i64,
    pub code: String,
    pub role: Role,
    pub uses: u32,
    pub expires_at: DateTime<Utc>,
    /// The relay's public address: what a participant types into `quaderno join`.
    pub relay_url: String,
}

impl fmt::Debug for CreatedInvite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedInvite")
            .field("id", &self.id)
            .field("code", &"<redacted>")
            .field("role", &self.role)
            .field("uses", &self.uses)
            .field("expires_at", &self.expires_at)
            .field("relay_url", &self.relay_url)
            .finish()
    }
}

/// An invite or a device, revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    pub id: i64,
    pub revoked_at: DateTime<Utc>,
}

/// One entry of a group's activity log: who did what to whom, never note content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEvent {
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// The participant who acted, or `cli:USER` for the relay's command line.
    pub actor: String,
    /// `group_created`, `joined`, `role_changed`, ... (kept as text: a newer relay may log
    /// acts this version has no word for).
    pub action: String,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
}

/// Which page of the activity log: newest first, `limit` events older than `before`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub limit: Option<u32>,
    pub before: Option<u64>,
}

/// A group as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayGroup {
    pub slug: String,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub members: u32,
    pub admins: u32,
}

/// A group just created or renamed, as the relay answers it: its name and title, no counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedGroup {
    pub slug: String,
    pub title: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub participant_id: i64,
    pub name: String,
    pub city: String,
    pub since: DateTime<Utc>,
}

/// `POST /v1/admin/operators/invites`: a one-time code that makes an operator of whoever
/// joins with it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
    pub relay_url: String,
}

impl fmt::Debug for OperatorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperatorCode")
            .field("code", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("relay_url", &self.relay_url)
            .finish()
    }
}

#[derive(Deserialize)]
struct InviteList {
    invites: Vec<Invite>,
}

#[derive(Deserialize)]
struct EventList {
    events: Vec<ActivityEvent>,
}

#[derive(Deserialize)]
struct GroupList {
    groups: Vec<RelayGroup>,
}

#[derive(Deserialize)]
struct OperatorList {
    operators: Vec<Operator>,
}

/// Group administration: `/v1/groups/{group}/admin/...`.
impl RelayApi {
    pub async fn members(&self, token: &str, group: &str) -> Result<Members, ApiError> {
        let url = self.url(&group_path(group, &["members"]));
        self.answer(self.http.get(url).bearer_auth(token)).await
    }

    /// Gives a member another role; their live connections follow within a second.
    pub async fn set_role(
        &self,
        token: &str,
        group: &str,
        participant_id: i64,
        role: Role,
    ) -> Result<RoleChanged, ApiError> {
        let id = participant_id.to_string();
        let url = self.url(&group_path(group, &["members", &id, "role"]));
        let body = serde_json::json!({ "role": role });
        self.answer(self.http.put(url).bearer_auth(token).json(&body))
            .await
    }

    /// Takes a person out of the group with every device.
    pub async fn remove_member(
        &self,
        token: &str,
        group: &str,
        participant_id: i64,
    ) -> Result<Removed, ApiError> {
        let id = participant_id.to_string();
        let url = self.url(&group_path(group, &["members", &id]));
        self.answer(self.http.delete(url).bearer_auth(token)).await
    }

    pub async fn invites(&self, token: &str, group: &str) -> Result<Vec<Invite>, ApiError> {
        let url = self.url(&group_path(group, &["invites"]));
        let list: InviteList = self.answer(self.http.get(url).bearer_auth(token)).await?;
        Ok(list.invites)
    }

    pub async fn create_invite(
        &self,
        token: &str,
        group: &str,
        invite: &NewInvite,
    ) -> Result<CreatedInvite, ApiError> {
        let url = self.url(&group_path(group, &["invites"]));
        self.answer(self.http.post(url).bearer_auth(token).json(invite))
            .await
    }

    /// A join with the invite's code is refused from now on (`410 invite_revoked`).
    pub async fn revoke_invite(
        &self,
        token: &str,
        group: &str,
        invite_id: i64,
    ) -> Result<Revoked, ApiError> {
        let id = invite_id.to_string();
        let url = self.url(&group_path(group, &["invites", &id]));
        self.answer(self.http.delete(url).bearer_auth(token)).await
    }

    /// The device's token stops working everywhere; only a member's device can be named.
    pub async fn revoke_device(
        &self,
        token: &str,
        group: &str,
        device_id: i64,
    ) -> Result<Revoked, ApiError> {
        let id = device_id.to_string();
        let url = self.url(&group_path(group, &["devices", &id, "revoke"]));
        self.answer(self.http.post(url).bearer_auth(token)).await
    }

    /// The activity log, newest first.
    pub async fn activity(
        &self,
        token: &str,
        group: &str,
        page: ActivityPage,
    ) -> Result<Vec<ActivityEvent>, ApiError> {
        let mut url = self.url(&group_path(group, &["activity"]));
        let query: Vec<String> = [
            page.limit.map(|n| format!("limit={n}")),
            page.before.map(|n| format!("before={n}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        let list: EventList = self.answer(self.http.get(url).bearer_auth(token)).await?;
        Ok(list.events)
    }

    /// The whole activity log as CSV (`seq,at,actor,action,target,detail`).
    pub async fn activity_csv(&self, token: &str, group: &str) -> Result<String, ApiError> {
        let url = self.url(&group_path(group, &["activity.csv"]));
        self.answer_text(self.http.get(url).bearer_auth(token))
            .await
    }
}

/// What `POST /v1/groups/{group}/admin/notes/{doc}/erase` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erased {
    pub doc: DocumentId,
    pub erasure: i64,
    pub removed_from_index: bool,
}

/// What `POST /v1/groups/{group}/admin/notes/{doc}/redact` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redacted {
    pub doc: DocumentId,
    pub successor: DocumentId,
    pub erasure: i64,
}

/// An erasure with the devices that should confirm it, for the group's admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureReceipts {
    pub id: i64,
    pub doc: DocumentId,
    pub erased_at: DateTime<Utc>,
    pub erased_by: String,
    pub reason: String,
    #[serde(default)]
    pub successor: Option<DocumentId>,
    pub devices: Vec<ErasureDevice>,
}

/// A device of the group, and whether it confirmed deleting the erased note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureDevice {
    pub device_id: i64,
    pub device: String,
    pub participant_id: i64,
    pub participant: String,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct ErasureList {
    erasures: Vec<ErasureReceipts>,
}

/// Erasure, for a group's admins.
impl RelayApi {
    /// Erases a note from the group, on the relay and then on every device of the group.
    pub async fn erase_note(
        &self,
        token: &str,
        group: &str,
        doc: &DocumentId,
        reason: &str,
    ) -> Result<Erased, ApiError> {
        let url = self.url(&group_path(group, &["notes", &doc.to_string(), "erase"]));
        let body = serde_json::json!({ "reason": reason });
        self.answer(self.http.post(url).bearer_auth(token).json(&body))
            .await
    }

    /// Takes `passage` out of a note and its whole history: the note goes on as a successor
    /// document without it, and the old one is erased everywhere.
    pub async fn redact_note(
        &self,
        token: &str,
        group: &str,
        doc: &DocumentId,
        passage: &str,
        reason: &str,
    ) -> Result<Redacted, ApiError> {
        let url = self.url(&group_path(group, &["notes", &doc.to_string(), "redact"]));
        let body = serde_json::json!({ "passage": passage, "reason": reason });
        self.answer(self.http.post(url).bearer_auth(token).json(&body))
            .await
    }

    /// Every erasure of the group, newest first, with its receipts.
    pub async fn erasures(
        &self,
        token: &str,
        group: &str,
    ) -> Result<Vec<ErasureReceipts>, ApiError> {
        let url = self.url(&group_path(group, &["erasures"]));
        let list: ErasureList = self.answer(self.http.get(url).bearer_auth(token)).await?;
        Ok(list.erasures)
    }
}

/// Relay administration, for operators: `/v1/admin/...`.
impl RelayApi {
    pub async fn admin_groups(&self, token: &str) -> Result<Vec<RelayGroup>, ApiError> {
        let url = self.url("/v1/admin/groups");
        let list: GroupList = self.answer(self.http.get(url).bearer_auth(token)).await?;
        Ok(list.groups)
    }

    /// A new group, with no member yet: its first admin joins with an `admin` invite.
    pub async fn create_group(
        &self,
        token: &str,
        slug: &str,
        title: &str,
    ) -> Result<NamedGroup, ApiError> {
        let body = serde_json::json!({ "slug": slug, "title": title });
        let url = self.url("/v1/admin/groups");
        self.answer(self.http.post(url).bearer_auth(token).json(&body))
            .await
    }

    /// A new title; the slug never changes.
    pub async fn rename_group(
        &self,
        token: &str,
        slug: &str,
        title: &str,
    ) -> Result<NamedGroup, ApiError> {
        let body = serde_json::json!({ "title": title });
        let url = self.url(&format!("/v1/admin/groups/{}", segment(slug)));
        self.answer(self.http.patch(url).bearer_auth(token).json(&body))
            .await
    }

    pub async fn operators(&self, token: &str) -> Result<Vec<Operator>, ApiError> {
        let url = self.url("/v1/admin/operators");
        let list: OperatorList = self.answer(self.http.get(url).bearer_auth(token)).await?;
        Ok(list.operators)
    }

    /// A one-time code for one more operator, valid `expires_in_days` (the relay's default 7).
    pub async fn invite_operator(
        &self,
        token: &str,
        expires_in_days: Option<u32>,
    ) -> Result<OperatorCode, ApiError> {
        let body = match expires_in_days {
            Some(days) => serde_json::json!({ "expires_in_days": days }),
            None => serde_json::json!({}),
        };
        let url = self.url("/v1/admin/operators/invites");
        self.answer(self.http.post(url).bearer_auth(token).json(&body))
            .await
    }
}

/// The account this computer governs `group` through: the relay the group was joined on, and
/// this device's token there. `None` when the group is not joined here, or joined on a relay
/// this computer holds no token for (a plain automerge-repo relay has no admin API).
pub fn account_for_group(
    data_dir: &Path,
    group: &str,
) -> Result<Option<RelayAccount>, ClientError> {
    let conn = quaderno_store::open_connection(&data_dir.join(STORE_FILE))?;
    crate::groups::ensure_schema(&conn)?;
    let Some(joined) = crate::groups::get(&conn, group)? else {
        return Ok(None);
    };
    let accounts = Relays::load(data_dir)?;
    Ok(accounts
        .get(&joined.relay_url)
        .filter(|account| !account.plain)
        .cloned())
}

/// `/v1/groups/{group}/admin/a/b`, every part of it escaped.
fn group_path(group: &str, parts: &[&str]) -> String {
    let mut path = format!("/v1/groups/{}/admin", segment(group));
    for part in parts {
        path.push('/');
        path.push_str(&segment(part));
    }
    path
}

/// One path segment, with anything but unreserved characters percent-encoded: a name from
/// the page can never reach another endpoint.
fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The members answer as `docs/admin-api.md` shows it, with full times.
    const MEMBERS: &str = r#"{
      "group": { "slug": "prato", "title": "Care leaver Prato" },
      "members": [
        {
          "participant_id": 3, "name": "Rita Bruni", "city": "Prato", "role": "editor",
          "joined_at": "2026-11-02T09:14:00Z", "last_seen_at": "2026-12-04T08:01:00Z", "online": true,
          "devices": [
            { "id": 7, "name": "portatile", "created_at": "2026-11-02T09:14:00Z",
              "last_seen_at": "2026-12-04T08:01:00Z", "revoked_at": null, "online": true }
          ]
        },
        {
          "participant_id": 4, "name": "Luca Neri", "city": "Firenze", "role": "reader",
          "joined_at": "2026-11-03T10:00:00Z", "last_seen_at": null, "online": false,
          "devices": []
        }
      ]
    }"#;

    #[test]
    fn the_members_answer_reads_each_person_once_with_their_devices() {
        let members: Members = serde_json::from_str(MEMBERS).unwrap();
        assert_eq!(members.group.title, "Care leaver Prato");
        let rita = &members.members[0];
        assert_eq!((rita.role, rita.online), (Role::Editor, true));
        assert_eq!(rita.devices[0].name, "portatile");
        assert_eq!(rita.devices[0].revoked_at, None);
        assert_eq!(members.members[1].last_seen_at, None);
        let again: Members =
            serde_json::from_str(&serde_json::to_string(&members).unwrap()).unwrap();
        assert_eq!(again, members);
    }

    #[test]
    fn invite_states_read_as_the_contract_spells_them() {
        let cases = [
            ("active", InviteState::Active),
            ("expired", InviteState::Expired),
            ("used_up", InviteState::UsedUp),
            ("revoked", InviteState::Revoked),
        ];
        for (text, state) in cases {
            let json = format!(
                r#"{{"invites": [{{"id": 4, "role": "editor", "uses": 10, "uses_left": 7,
                    "expires_at": "2026-12-11T09:00:00Z", "created_by": "Elena Rossi",
                    "created_at": "2026-12-04T09:00:00Z", "revoked_at": null, "state": "{text}"}}]}}"#
            );
            let list: InviteList = serde_json::from_str(&json).unwrap();
            assert_eq!(list.invites[0].state, state, "{text}");
            assert_eq!(serde_json::to_value(state).unwrap(), text);
        }
    }

    #[test]
    fn a_new_invite_sends_only_what_was_chosen() {
        let chosen = NewInvite {
            role: Role::Editor,
            uses: Some(1),
            expires_in_days: Some(7),
        };
        assert_eq!(
            serde_json::to_value(chosen).unwrap(),
            serde_json::json!({ "role": "editor", "uses": 1, "expires_in_days": 7 })
        );
        let defaults = NewInvite {
            role: Role::Admin,
            uses: None,
            expires_in_days: None,
        };
        assert_eq!(
            serde_json::to_value(defaults).unwrap(),
            serde_json::json!({ "role": "admin" })
        );
    }

    #[test]
    fn codes_are_read_and_their_debug_hides_them() {
        let invite: CreatedInvite = serde_json::from_str(
            r#"{ "id": 5, "code": "7K2M-QX9D-4HNP-RT3V", "role": "editor", "uses": 1,
                 "expires_at": "2026-12-11T09:00:00Z", "relay_url": "https://quaderno.example.org" }"#,
        )
        .unwrap();
        assert_eq!(invite.code, "7K2M-QX9D-4HNP-RT3V");
        assert!(!format!("{invite:?}").contains("7K2M"));
        let operator: OperatorCode = serde_json::from_str(
            r#"{ "code": "9Q2W-AB3C", "expires_at": "2026-12-11T09:00:00Z",
                 "relay_url": "https://quaderno.example.org" }"#,
        )
        .unwrap();
        assert!(!format!("{operator:?}").contains("9Q2W"));
    }

    #[test]
    fn activity_reads_acts_this_version_has_no_word_for() {
        let list: EventList = serde_json::from_str(
            r#"{ "events": [
              { "seq": 41, "at": "2026-12-04T09:00:00Z", "actor": "Elena Rossi",
                "action": "role_changed", "target": "Rita Bruni", "detail": "editor → reader" },
              { "seq": 40, "at": "2026-12-04T08:00:00Z", "actor": "cli:marco",
                "action": "something_new", "target": null }
            ] }"#,
        )
        .unwrap();
        assert_eq!(list.events[0].detail.as_deref(), Some("editor → reader"));
        assert_eq!(list.events[1].action, "something_new");
        assert_eq!(list.events[1].detail, None);
    }

    #[test]
    fn operator_lists_read() {
        let groups: GroupList = serde_json::from_str(
            r#"{"groups": [{"slug": "prato", "title": "Care leaver Prato",
                "created_at": "2026-11-01T08:00:00Z", "members": 12, "admins": 1}]}"#,
        )
        .unwrap();
        assert_eq!(groups.groups[0].admins, 1);
        let operators: OperatorList = serde_json::from_str(
            r#"{"operators": [{"participant_id": 1, "name": "Marco Gialli", "city": "Roma",
                "since": "2026-10-01T08:00:00Z"}]}"#,
        )
        .unwrap();
        assert_eq!(operators.operators[0].name, "Marco Gialli");
    }

    #[test]
    fn me_says_who_and_whether_an_operator_and_older_relays_mean_not_one() {
        let me: crate::relays::Me = serde_json::from_str(
            r#"{"participant": {"id": 3, "name": "Elena Rossi", "city": "Prato"},
                "device": {"id": 7, "name": "portatile", "peer_id": "device-7"},
                "peer_id": "device-7", "relay_peer_id": "relay", "groups": [],
                "operator": true}"#,
        )
        .unwrap();
        assert!(me.operator);
        assert_eq!(me.participant.map(|p| p.id), Some(3));
        assert_eq!(me.device.map(|d| d.id), Some(7));
        let older: crate::relays::Me =
            serde_json::from_str(r#"{"peer_id": null, "relay_peer_id": "relay", "groups": []}"#)
                .unwrap();
        assert!(!older.operator);
        assert!(older.participant.is_none());
    }

    #[test]
    fn names_from_the_page_stay_inside_their_path_segment() {
        assert_eq!(
            group_path("prato", &["members", "3", "role"]),
            "/v1/groups/prato/admin/members/3/role"
        );
        assert_eq!(
            group_path("../admin", &["activity.csv"]),
            "/v1/groups/..%2Fadmin/admin/activity.csv"
        );
        assert_eq!(segment("a b?c#d"), "a%20b%3Fc%23d");
    }

    #[test]
    fn a_group_is_governed_through_the_relay_it_was_joined_on() {
        let dir = tempfile::tempdir().unwrap();
        let conn = quaderno_store::open_connection(&dir.path().join(STORE_FILE)).unwrap();
        crate::groups::ensure_schema(&conn).unwrap();
        let joined = crate::relays::JoinedGroup {
            slug: "prato".into(),
            title: "Care leaver Prato".into(),
            role: "admin".into(),
            index_doc: quaderno_model::DocumentId::random(),
        };
        crate::groups::record(&conn, "http://127.0.0.1:7878", &joined).unwrap();
        assert!(account_for_group(dir.path(), "prato").unwrap().is_none());
        let mut relays = Relays::default();
        relays.upsert(RelayAccount {
            url: "http://127.0.0.1:7878".into(),
            token: "qdt_x".into(),
            peer_id: "device-a".into(),
            relay_peer_id: "relay".into(),
            device: "portatile".into(),
            plain: false,
        });
        relays.save(dir.path()).unwrap();

        let account = account_for_group(dir.path(), "prato").unwrap().unwrap();

        assert_eq!(account.url, "http://127.0.0.1:7878");
        assert!(account_for_group(dir.path(), "roma").unwrap().is_none());
    }
}
