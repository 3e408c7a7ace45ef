//! Erasures: the record that a note was erased from a group, and each device's receipt.
//!
//! An erasure keeps the document id, who erased it, when and why; never the note's content,
//! not even its title. Every device of the group learns the erasures it has not confirmed with
//! each sync (`/changes`), deletes the note and confirms; an admin sees which devices have
//! confirmed and which have not been seen since.

use chrono::{DateTime, Utc};
use quaderno_model::DocumentId;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::devices::group_devices;
use super::time::{from_millis, from_opt_millis, to_millis};
use super::{AccountsError, Result};

/// The longest reason an erasure keeps (the error names the figure).
pub const MAX_REASON_CHARS: usize = 500;

/// An erasure as a device learns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Erasure {
    pub id: i64,
    pub doc: DocumentId,
    pub erased_at: DateTime<Utc>,
    /// Who erased it, as the activity log names them.
    pub erased_by: String,
    pub reason: String,
    /// For a redaction: the document the note goes on as, without the passage.
    pub successor: Option<DocumentId>,
}

/// A device that should confirm an erasure, and whether it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasureDevice {
    pub device_id: i64,
    pub device: String,
    pub participant_id: i64,
    pub participant: String,
    /// When the device confirmed that it deleted the note, if it has.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When the device last used its token (to the minute), if ever.
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// An erasure with its receipts, for the group's admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasureReceipts {
    #[serde(flatten)]
    pub erasure: Erasure,
    pub devices: Vec<ErasureDevice>,
}

/// A reason as kept: trimmed, at most [`MAX_REASON_CHARS`].
pub fn erasure_reason(reason: &str) -> Result<String> {
    let reason = reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AccountsError::InvalidText {
            field: "reason",
            problem: "is longer than 500 characters",
        });
    }
    Ok(reason.to_string())
}

/// Records the erasure of `doc` from `group`; returns its id. Call inside the transaction
/// that deletes the document.
pub fn record_erasure(
    conn: &Connection,
    group: &str,
    doc: &DocumentId,
    erased_by: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let reason = erasure_reason(reason)?;
    conn.prepare_cached(
        "INSERT INTO erasures (grp, doc_id, erased_at, erased_by, reason) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (grp, doc_id) DO UPDATE SET erased_at = excluded.erased_at",
    )?
    .execute(params![
        group,
        doc.to_string(),
        to_millis(now),
        erased_by,
        reason
    ])?;
    Ok(conn
        .prepare_cached("SELECT id FROM erasures WHERE grp = ?1 AND doc_id = ?2")?
        .query_row(params![group, doc.to_string()], |row| row.get(0))?)
}

/// The erasures of `group` that `device` has not confirmed, oldest first.
pub fn pending_erasures(conn: &Connection, group: &str, device: i64) -> Result<Vec<Erasure>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, e.doc_id, e.erased_at, e.erased_by, e.reason, e.successor FROM erasures e
         WHERE e.grp = ?1 AND NOT EXISTS (
             SELECT 1 FROM erasure_receipts r WHERE r.erasure_id = e.id AND r.device_id = ?2)
         ORDER BY e.id",
    )?;
    let rows = stmt.query_map(params![group, device], erasure_row)?;
    rows.map(|row| erasure(row?)).collect()
}

/// Records that `device` deleted the notes of these erasures of `group`; ids of another
/// group's erasures, or of none, are ignored. Returns how many were newly confirmed.
pub fn confirm_erasures(
    conn: &Connection,
    group: &str,
    device: i64,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO erasure_receipts (erasure_id, device_id, confirmed_at)
         SELECT id, ?2, ?3 FROM erasures WHERE id = ?4 AND grp = ?1",
    )?;
    let mut confirmed = 0;
    for id in ids {
        confirmed += insert.execute(params![group, device, to_millis(now), id])?;
    }
    Ok(confirmed)
}

/// Every erasure of `group`, newest first, with the devices that should confirm it: those of
/// the group's members that existed when it was made and are not revoked, and any other that
/// confirmed.
pub fn list_erasures(conn: &Connection, group: &str) -> Result<Vec<ErasureReceipts>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, doc_id, erased_at, erased_by, reason, successor FROM erasures
         WHERE grp = ?1 ORDER BY id DESC",
    )?;
    let erasures = stmt
        .query_map([group], erasure_row)?
        .map(|row| erasure(row?))
        .collect::<Result<Vec<_>>>()?;
    let devices = group_devices(conn, group)?;
    let mut receipts = conn.prepare_cached(
        "SELECT r.device_id, r.confirmed_at, d.name, d.participant_id, p.name, d.last_seen_at
         FROM erasure_receipts r
         JOIN devices d ON d.id = r.device_id JOIN participants p ON p.id = d.participant_id
         WHERE r.erasure_id = ?1 ORDER BY r.device_id",
    )?;
    let mut listed = Vec::with_capacity(erasures.len());
    for erasure in erasures {
        let mut confirmed: Vec<ErasureDevice> = receipts
            .query_map([erasure.id], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<i64>>(5)?,
                ))
            })?
            .map(|row| {
                let (device_id, at, device, participant_id, participant, seen) = row?;
                Ok(ErasureDevice {
                    device_id,
                    device,
                    participant_id,
                    participant,
                    confirmed_at: Some(from_millis(at)?),
                    last_seen_at: from_opt_millis(seen)?,
                })
            })
            .collect::<Result<_>>()?;
        let waiting: Vec<_> = devices
            .iter()
            .filter(|d| {
                d.revoked_at.is_none()
                    && d.created_at <= erasure.erased_at
                    && !confirmed.iter().any(|c| c.device_id == d.id)
            })
            .collect();
        confirmed.extend(waiting.into_iter().map(|d| ErasureDevice {
            device_id: d.id,
            device: d.name.clone(),
            participant_id: d.participant_id,
            participant: d.participant.clone(),
            confirmed_at: None,
            last_seen_at: d.last_seen_at,
        }));
        confirmed.sort_by_key(|d| d.device_id);
        listed.push(ErasureReceipts {
            erasure,
            devices: confirmed,
        });
    }
    Ok(listed)
}

type ErasureRow = (i64, String, i64, String, String, Option<String>);

fn erasure_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ErasureRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn erasure((id, doc, at, erased_by, reason, successor): ErasureRow) -> Result<Erasure> {
    let parse = |doc: &str| {
        doc.parse()
            .map_err(|_| AccountsError::Corrupt(format!("document id {doc}")))
    };
    Ok(Erasure {
        id,
        doc: parse(&doc)?,
        erased_at: from_millis(at)?,
        erased_by,
        reason,
        successor: successor.as_deref().map(parse).transpose()?,
    })
}

/// Records that the erased document goes on as `successor` (a redaction).
pub fn set_successor(conn: &Connection, erasure: i64, successor: &DocumentId) -> Result<()> {
    conn.prepare_cached("UPDATE erasures SET successor = ?2 WHERE id = ?1")?
        .execute(params![erasure, successor.to_string()])?;
    Ok(())
}

/// A backup of the relay's database, as `backup` recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backup {
    pub path: String,
    pub made_at: DateTime<Utc>,
    pub bytes: u64,
}

/// Records a backup just written, so that later erasures can name it.
pub fn record_backup(conn: &Connection, path: &str, bytes: u64, now: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached("INSERT INTO backups (path, made_at, bytes) VALUES (?1, ?2, ?3)")?
        .execute(params![
            path,
            to_millis(now),
            i64::try_from(bytes).unwrap_or(i64::MAX)
        ])?;
    Ok(())
}

/// The backups made before `at`, oldest first: they hold what was erased at `at`.
pub fn backups_before(conn: &Connection, at: DateTime<Utc>) -> Result<Vec<Backup>> {
    let mut stmt = conn.prepare_cached(
        "SELECT path, made_at, bytes FROM backups WHERE made_at <= ?1 ORDER BY made_at",
    )?;
    let rows = stmt.query_map([to_millis(at)], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, i64>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (path, at, bytes) = row?;
        Ok(Backup {
            path,
            made_at: from_millis(at)?,
            bytes: u64::try_from(bytes).unwrap_or(0),
        })
    })
    .collect()
}
