//! `note purge` (`note erase`) and `note erasures`.

use chrono::{DateTime, Utc};
use quaderno_model::DocumentId;
use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;

use super::{AdminError, Output, Report};
use crate::accounts::{self, Actor, Backup, ErasureReceipts, Purged, UnreadableNote};
use crate::db::{Db, DbError};

#[derive(Serialize)]
struct Done {
    #[serde(flatten)]
    purged: Purged,
    /// Backups made before the erasure: they still hold the note.
    backups: Vec<Backup>,
}

impl Output for Done {
    fn human(&self) -> String {
        let p = &self.purged;
        let index = if p.removed_from_index {
            "taken off the group's index"
        } else {
            "it was not on the group's index"
        };
        format!(
            "Purged {} from {}: its stored changes, sync states and change records are deleted, \
             {index}, and the relay will refuse it from now on.\n\
             Every device of the group deletes it at its next sync and confirms (erasure {}; \
             see `note erasures`).\n{}",
            p.doc,
            p.group,
            p.erasure,
            backups_note(&self.backups)
        )
    }
}

/// What the operator must still destroy: the backups made before an erasure.
fn backups_note(backups: &[Backup]) -> String {
    if backups.is_empty() {
        return String::new();
    }
    let mut text = String::from(
        "These backups were made before the erasure and still hold the note: destroy them, or \
         keep them where the erasure is on record.\n",
    );
    for b in backups {
        text.push_str(&format!(
            "  {}  {}  ({} bytes)\n",
            b.made_at.format("%Y-%m-%d %H:%M"),
            b.path,
            b.bytes
        ));
    }
    text
}

#[derive(Serialize)]
struct Erasures(Vec<ListedErasure>);

#[derive(Serialize)]
struct ListedErasure {
    group: String,
    #[serde(flatten)]
    receipts: ErasureReceipts,
    backups: Vec<Backup>,
}

impl Output for Erasures {
    fn human(&self) -> String {
        if self.0.is_empty() {
            return "No note has been erased.\n".into();
        }
        let mut text = String::new();
        for e in &self.0 {
            let r = &e.receipts;
            let confirmed = r
                .devices
                .iter()
                .filter(|d| d.confirmed_at.is_some())
                .count();
            text.push_str(&format!(
                "{}  {}  {}  by {}: {} ({} of {} devices confirmed)\n",
                r.erasure.erased_at.format("%Y-%m-%d %H:%M"),
                e.group,
                r.erasure.doc,
                r.erasure.erased_by,
                if r.erasure.reason.is_empty() {
                    "no reason given"
                } else {
                    &r.erasure.reason
                },
                confirmed,
                r.devices.len()
            ));
            for d in r.devices.iter().filter(|d| d.confirmed_at.is_none()) {
                let seen = d.last_seen_at.map_or("never".to_string(), |at| {
                    at.format("%Y-%m-%d %H:%M").to_string()
                });
                text.push_str(&format!(
                    "    not confirmed: {} ({}, device {}), last seen {seen}\n",
                    d.participant, d.device, d.device_id
                ));
            }
            for b in &e.backups {
                text.push_str(&format!(
                    "    backup made before, still holds it: {} ({})\n",
                    b.path,
                    b.made_at.format("%Y-%m-%d %H:%M")
                ));
            }
        }
        text
    }
}

/// `note erasures [--group G]`: every erasure with its receipts and the backups made before.
pub(super) fn erasures(db: &Db, group: Option<&str>) -> Result<Report, AdminError> {
    let listed = db.with_conn(|conn| {
        let slugs = match group {
            Some(slug) => vec![slug.to_string()],
            None => accounts::list_groups(conn)?
                .into_iter()
                .map(|g| g.group.slug)
                .collect(),
        };
        let mut listed = Vec::new();
        for slug in slugs {
            if accounts::group(conn, &slug)?.is_none() {
                return Err(accounts::AccountsError::UnknownGroup(slug).into());
            }
            for receipts in accounts::list_erasures(conn, &slug)? {
                let backups = accounts::backups_before(conn, receipts.erasure.erased_at)?;
                listed.push(ListedErasure {
                    group: slug.clone(),
                    receipts,
                    backups,
                });
            }
        }
        listed.sort_by(|a, b| {
            b.receipts
                .erasure
                .erased_at
                .cmp(&a.receipts.erasure.erased_at)
        });
        Ok(listed)
    })?;
    Ok(Erasures(listed).report())
}

#[derive(Serialize)]
struct Unreadable {
    group: String,
    notes: Vec<UnreadableNote>,
}

impl Output for Unreadable {
    fn human(&self) -> String {
        if self.notes.is_empty() {
            return format!(
                "No device of {} reported a note it cannot read.\n",
                self.group
            );
        }
        let mut text = String::new();
        for n in &self.notes {
            let uploaders = if n.uploaders.is_empty() {
                "unknown (written before the relay vouched for authors)".to_string()
            } else {
                n.uploaders
                    .iter()
                    .map(|a| format!("{} ({}, device {})", a.name, a.city, a.device_id))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            text.push_str(&format!(
                "{}  {}  {} bytes, reported by {} device(s) since {}: {}\n    uploaded by {uploaders}\n",
                self.group,
                n.doc,
                n.bytes,
                n.reports,
                n.first_reported_at.format("%Y-%m-%d %H:%M"),
                n.reason,
            ));
        }
        text.push_str("Fix each note from a client that can, or erase it with `note purge`.\n");
        text
    }
}

/// `note unreadable --group G`: the notes the group's devices reported they cannot read.
pub(super) fn unreadable(db: &Db, group: &str) -> Result<Report, AdminError> {
    let notes = db.with_conn(|conn| {
        if accounts::group(conn, group)?.is_none() {
            return Err(accounts::AccountsError::UnknownGroup(group.to_string()).into());
        }
        Ok(accounts::list_unreadable(conn, group)?)
    })?;
    Ok(Unreadable {
        group: group.to_string(),
        notes,
    }
    .report())
}

pub(super) fn purge(
    db: &Db,
    group: Option<&str>,
    doc: &DocumentId,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    let (purged, backups) = db.with_conn(|conn| {
        let purged = erase(conn, group, doc, actor, reason, now)?;
        Ok((purged, accounts::backups_before(conn, now)?))
    })?;
    tracing::info!(group = %purged.group, doc = %purged.doc, "erased a document");
    Ok(Done { purged, backups }.report())
}

/// Erases `doc` (see [`accounts::purge_document`]) with `secure_delete` on, so SQLite
/// overwrites the freed content with zeros rather than leaving the note's bytes in free pages
/// of the file, then clears the write-ahead log. The API's erasure calls it too.
pub(crate) fn erase(
    conn: &mut Connection,
    group: Option<&str>,
    doc: &DocumentId,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Purged, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let purged = accounts::purge_document(&tx, group, doc, actor, reason, now)?;
    tx.commit()?;
    checkpoint(conn)?;
    Ok(purged)
}

/// Redacts `passage` out of `doc` (see [`accounts::redact_document`]) the way [`erase`] erases:
/// the old document's bytes overwritten, the write-ahead log cleared. The API calls it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn redact(
    conn: &mut Connection,
    group: &str,
    doc: &DocumentId,
    passage: &str,
    by: &quaderno_model::Author,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<accounts::Redacted, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let redacted = accounts::redact_document(&tx, group, doc, passage, by, actor, reason, now)?;
    tx.commit()?;
    checkpoint(conn)?;
    Ok(redacted)
}

/// Copies the write-ahead log into the file and truncates it, so the pages that held the
/// note do not linger there either. A reader of the file (the relay's storage thread) can hold
/// it up for a moment: it is tried again for up to two seconds.
fn checkpoint(conn: &Connection) -> Result<(), DbError> {
    for _ in 0..40 {
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
        if busy == 0 {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    tracing::warn!("the write-ahead log could not be cleared now: the next erasure clears it");
    Ok(())
}
