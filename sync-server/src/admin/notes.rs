//! `note purge`.

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
             Devices that synced it still hold a copy until they delete it.\n",
            p.doc, p.group
        )
    }
}

pub(super) fn purge(
    db: &Db,
    group: Option<&str>,
    doc: &DocumentId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    let purged = db.with_conn(|conn| {
        conn.pragma_update(None, "secure_delete", true)?;
        let purged = purge_in_transaction(conn, group, doc, actor, now);
        conn.pragma_update(None, "secure_delete", false)?;
        let purged = purged?;
        checkpoint(conn)?;
        Ok(purged)
    })?;
    tracing::info!(group = %purged.group, doc = %purged.doc, "purged a document");
    Ok(Done(purged).report())
}

/// Purges with `secure_delete` on, so SQLite overwrites the freed content with zeros rather
/// than leaving the note's bytes in free pages of the file.
fn purge_in_transaction(
    conn: &mut Connection,
    group: Option<&str>,
    doc: &DocumentId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Purged, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let purged = accounts::purge_document(&tx, group, doc, actor, now)?;
    tx.commit()?;
    Ok(purged)
}

/// Copies the write-ahead log into the file and truncates it, so the pages that held the
/// note do not linger there either; a relay reading at that moment delays it to the next
/// checkpoint.
fn checkpoint(conn: &Connection) -> Result<(), DbError> {
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
    if busy != 0 {
        tracing::warn!("the write-ahead log could not be cleared now: the relay clears it later");
    }
    Ok(())
}
