//! `note purge` (`note erase`).

use chrono::{DateTime, Utc};
use quaderno_model::DocumentId;
use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;

use super::{AdminError, Output, Report};
use crate::accounts::{self, Actor, Purged};
use crate::db::{Db, DbError};

#[derive(Serialize)]
struct Done(Purged);

impl Output for Done {
    fn human(&self) -> String {
        let p = &self.0;
        let index = if p.removed_from_index {
            "taken off the group's index"
        } else {
            "it was not on the group's index"
        };
        format!(
            "Purged {} from {}: its stored changes, sync states and change records are deleted, \
             {index}, and the relay will refuse it from now on.\n\
             Every device of the group deletes it at its next sync and confirms (erasure {}).\n",
            p.doc, p.group, p.erasure
        )
    }
}

pub(super) fn purge(
    db: &Db,
    group: Option<&str>,
    doc: &DocumentId,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    let purged = db.with_conn(|conn| erase(conn, group, doc, actor, reason, now))?;
    tracing::info!(group = %purged.group, doc = %purged.doc, "erased a document");
    Ok(Done(purged).report())
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
