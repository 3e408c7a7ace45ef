//! Admin events: what an admin command changed that live connections must react to.
//!
//! Admin commands run in their own process; the running relay polls
//! [`admin_events_after`] to close or downgrade the connections they concern.

use chrono::{DateTime, Utc};
use quaderno_model::DocumentId;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::time::{from_millis, to_millis};
use super::{AccountsError, Result, Role};

/// The most events one poll returns; the next poll continues after the last one.
const EVENTS_PER_POLL: i64 = 1_000;

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AdminEventKind {
    /// The device's token no longer works: close its connections.
    DeviceRevoked {
        /// The revoked device.
        device_id: i64,
    },
    /// The participant left the group: close their connections to it.
    MemberRemoved {
        /// Who was removed.
        participant_id: i64,
        /// From which group.
        group: String,
    },
    /// The participant's role in the group changed (e.g. to reader).
    RoleChanged {
        /// Whose role.
        participant_id: i64,
        /// In which group.
        group: String,
        /// The new role.
        role: Role,
    },
    /// The document was deleted from the group's storage: drop it from memory too.
    NotePurged {
        /// The group it was in.
        group: String,
        /// The purged document.
        doc: DocumentId,
    },
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminEvent {
    /// Increasing position in the event log.
    pub seq: i64,
    /// What happened.
    pub kind: AdminEventKind,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Events recorded after `seq`, oldest first (at most a thousand per call).
pub fn admin_events_after(conn: &Connection, seq: i64) -> Result<Vec<AdminEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, kind, device_id, participant_id, grp, doc_id, role, created_at
         FROM admin_events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![seq, EVENTS_PER_POLL], |row| {
        Ok(EventRow {
            seq: row.get(0)?,
            kind: row.get(1)?,
            device_id: row.get(2)?,
            participant_id: row.get(3)?,
            group: row.get(4)?,
            doc: row.get(5)?,
            role: row.get(6)?,
            created_at: row.get(7)?,
        })
    })?;
    rows.map(|row| row?.into_event()).collect()
}

/// The position of the latest event, 0 when there is none: where a relay starts polling.
pub fn latest_admin_event(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM admin_events",
        [],
        |row| row.get(0),
    )?)
}

/// Appends an event; returns its position.
pub(crate) fn record_event(
    conn: &Connection,
    kind: &AdminEventKind,
    now: DateTime<Utc>,
) -> Result<i64> {
    let row = EventRow::from_kind(kind, now);
    conn.prepare_cached(
        "INSERT INTO admin_events (kind, device_id, participant_id, grp, doc_id, role, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        row.kind,
        row.device_id,
        row.participant_id,
        row.group,
        row.doc,
        row.role,
        row.created_at
    ])?;
    Ok(conn.last_insert_rowid())
}

/// An event as its table row.
#[derive(Debug, Default)]
struct EventRow {
    seq: i64,
    kind: String,
    device_id: Option<i64>,
    participant_id: Option<i64>,
    group: Option<String>,
    doc: Option<String>,
    role: Option<String>,
    created_at: i64,
}

impl EventRow {
    fn from_kind(kind: &AdminEventKind, now: DateTime<Utc>) -> Self {
        let base = EventRow {
            created_at: to_millis(now),
            ..EventRow::default()
        };
        match kind {
            AdminEventKind::DeviceRevoked { device_id } => EventRow {
                kind: "device_revoked".into(),
                device_id: Some(*device_id),
                ..base
            },
            AdminEventKind::MemberRemoved {
                participant_id,
                group,
            } => EventRow {
                kind: "member_removed".into(),
                participant_id: Some(*participant_id),
                group: Some(group.clone()),
                ..base
            },
            AdminEventKind::RoleChanged {
                participant_id,
                group,
                role,
            } => EventRow {
                kind: "role_changed".into(),
                participant_id: Some(*participant_id),
                group: Some(group.clone()),
                role: Some(role.as_str().into()),
                ..base
            },
            AdminEventKind::NotePurged { group, doc } => EventRow {
                kind: "note_purged".into(),
                group: Some(group.clone()),
                doc: Some(doc.to_string()),
                ..base
            },
        }
    }

    fn into_event(self) -> Result<AdminEvent> {
        let corrupt = || AccountsError::Corrupt(format!("admin event {}", self.seq));
        let kind = match self.kind.as_str() {
            "device_revoked" => AdminEventKind::DeviceRevoked {
                device_id: self.device_id.ok_or_else(corrupt)?,
            },
            "member_removed" => AdminEventKind::MemberRemoved {
                participant_id: self.participant_id.ok_or_else(corrupt)?,
                group: self.group.clone().ok_or_else(corrupt)?,
            },
            "role_changed" => AdminEventKind::RoleChanged {
                participant_id: self.participant_id.ok_or_else(corrupt)?,
                group: self.group.clone().ok_or_else(corrupt)?,
                role: self
                    .role
                    .as_deref()
                    .and_then(|r| r.parse().ok())
                    .ok_or_else(corrupt)?,
            },
            "note_purged" => AdminEventKind::NotePurged {
                group: self.group.clone().ok_or_else(corrupt)?,
                doc: self
                    .doc
                    .as_deref()
                    .and_then(|d| d.parse().ok())
                    .ok_or_else(corrupt)?,
            },
            _ => return Err(corrupt()),
        };
        Ok(AdminEvent {
            seq: self.seq,
            kind,
            created_at: from_millis(self.created_at)?,
        })
    }
}
