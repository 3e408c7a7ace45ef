//! The activity log: who did what, when, to whom, in which group. Never note content.
//!
//! Rows are only ever appended: the table's triggers refuse updates and deletes, and nothing
//! in this module or the API offers either.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::Result;
use super::devices::DeviceAuth;
use super::time::{from_millis, to_millis};

/// The most entries one page of the log returns.
pub const MAX_ACTIVITY_PAGE: u32 = 1_000;

/// Who acts: a participant through the API, or someone at the relay's command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The participant, when the act came through the API.
    pub participant_id: Option<i64>,
    /// How the log names them: the participant's name, or `cli:USER`.
    pub label: String,
}

impl Actor {
    /// The relay's command line, run by the operating-system user `label` names.
    pub fn command_line(label: impl Into<String>) -> Self {
        Self {
            participant_id: None,
            label: label.into(),
        }
    }

    /// The participant a device belongs to.
    pub fn device(auth: &DeviceAuth) -> Self {
        Self {
            participant_id: Some(auth.participant_id),
            label: auth.participant.clone(),
        }
    }
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    GroupCreated,
    GroupRenamed,
    Joined,
    DeviceLinked,
    RoleChanged,
    MemberRemoved,
    InviteCreated,
    InviteRevoked,
    DeviceRevoked,
    NotePurged,
    OperatorAdded,
}

impl Action {
    /// The action as stored and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::GroupCreated => "group_created",
            Action::GroupRenamed => "group_renamed",
            Action::Joined => "joined",
            Action::DeviceLinked => "device_linked",
            Action::RoleChanged => "role_changed",
            Action::MemberRemoved => "member_removed",
            Action::InviteCreated => "invite_created",
            Action::InviteRevoked => "invite_revoked",
            Action::DeviceRevoked => "device_revoked",
            Action::NotePurged => "note_purged",
            Action::OperatorAdded => "operator_added",
        }
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// Increasing position in the log.
    pub seq: i64,
    /// The group it concerns; `None` for acts on the relay as a whole.
    pub group: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: a participant's name or `cli:USER`.
    pub actor: String,
    /// What, e.g. `role_changed`.
    pub action: String,
    /// On whom or what, e.g. a participant's name or `invite 4`.
    pub target: String,
    /// More, e.g. `editor → reader`.
    pub detail: String,
}

/// One entry to append.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    pub group: Option<&'a str>,
    pub action: Action,
    pub target: String,
    pub detail: String,
}

/// Appends an entry.
pub(crate) fn record(
    conn: &Connection,
    actor: &Actor,
    entry: Entry<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO activity (grp, at, actor, action, target, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        entry.group,
        to_millis(now),
        actor.label,
        entry.action.as_str(),
        entry.target,
        entry.detail
    ])?;
    Ok(())
}

/// A group's log, newest first: at most `limit` entries before `before` (all when `None`).
pub fn group_activity(
    conn: &Connection,
    group: &str,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<Activity>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, grp, at, actor, action, target, detail FROM activity
         WHERE grp = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(
        params![
            group,
            before.unwrap_or(i64::MAX),
            limit.min(MAX_ACTIVITY_PAGE)
        ],
        read_row,
    )?;
    rows.map(|row| into_activity(row?)).collect()
}

/// The relay-wide acts (groups created, operators added), newest first.
pub fn relay_activity(conn: &Connection, limit: u32) -> Result<Vec<Activity>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, grp, at, actor, action, target, detail FROM activity
         WHERE grp IS NULL OR action IN ('group_created', 'group_renamed')
         ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit.min(MAX_ACTIVITY_PAGE)], read_row)?;
    rows.map(|row| into_activity(row?)).collect()
}

/// A group's whole log, oldest first, as CSV with a header line.
pub fn group_activity_csv(conn: &Connection, group: &str) -> Result<String> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, grp, at, actor, action, target, detail FROM activity
         WHERE grp = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([group], read_row)?;
    let mut csv = String::from("seq,at,actor,action,target,detail\r\n");
    for row in rows {
        let a = into_activity(row?)?;
        let at = a.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let fields = [a.seq.to_string(), at, a.actor, a.action, a.target, a.detail];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    Ok(csv)
}

/// A CSV field (RFC 4180), defused against formula injection in spreadsheets: a field that
/// a spreadsheet would read as a formula gets a leading apostrophe.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

type Row = (i64, Option<String>, i64, String, String, String, String);

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn into_activity((seq, group, at, actor, action, target, detail): Row) -> Result<Activity> {
    Ok(Activity {
        seq,
        group,
        at: from_millis(at)?,
        actor,
        action,
        target,
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("Rita Bruni"), "Rita Bruni");
        assert_eq!(csv_field("editor, then reader"), "\"editor, then reader\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
    }
}
