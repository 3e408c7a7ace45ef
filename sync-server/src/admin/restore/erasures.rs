//! Erasures made after the backup, made again on the restored database.
//!
//! An erasure must hold for ever (DESIGN.md, "Erasure"): a backup made before it still holds
//! the note, and devices that have not yet deleted their copy would send it back to a relay
//! that forgot the erasure. So every erasure the replaced database records and the backup does
//! not is purged again on the restored copy before it goes in place, with its original reason,
//! and the devices confirm it anew. A note the backup never had is refused all the same.

use std::path::Path;

use chrono::{DateTime, Utc};
use quaderno_model::DocumentId;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use crate::accounts::{self, Actor};
use crate::db::DbError;

/// An erasure carried over into the restored database.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Carried {
    pub group: String,
    pub doc: String,
}

/// One erasure as the replaced database records it.
struct Recorded {
    group: String,
    doc: String,
    erased_by: String,
    reason: String,
    successor: Option<String>,
}

/// The erasures of the database at `replaced` that `restored` lacks, made again on `restored`
/// in one transaction. `Err` with a reason when the replaced database cannot be read.
pub(super) fn carry_over(
    replaced: &Path,
    restored: &mut Connection,
    now: DateTime<Utc>,
) -> Result<Result<Vec<Carried>, String>, DbError> {
    let recorded = match read(replaced) {
        Ok(recorded) => recorded,
        Err(error) => return Ok(Err(error.to_string())),
    };
    let tx = restored.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut carried = Vec::new();
    for erasure in recorded {
        if known(&tx, &erasure)? || accounts::group(&tx, &erasure.group)?.is_none() {
            continue;
        }
        let Ok(doc) = erasure.doc.parse::<DocumentId>() else {
            continue;
        };
        let actor = Actor::command_line(erasure.erased_by.clone());
        let purged = accounts::purge_document(
            &tx,
            Some(&erasure.group),
            &doc,
            &actor,
            &erasure.reason,
            now,
        )?;
        if let Some(successor) = erasure.successor.as_deref().and_then(|s| s.parse().ok()) {
            accounts::set_successor(&tx, purged.erasure, &successor)?;
        }
        carried.push(Carried {
            group: erasure.group,
            doc: erasure.doc,
        });
    }
    tx.commit()?;
    Ok(Ok(carried))
}

/// The erasures the replaced database records; none when there is no such database.
fn read(replaced: &Path) -> rusqlite::Result<Vec<Recorded>> {
    if !replaced.exists() {
        return Ok(Vec::new());
    }
    let conn = Connection::open_with_flags(replaced, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'erasures')",
        [],
        |row| row.get(0),
    )?;
    if !has_table {
        return Ok(Vec::new());
    }
    let mut stmt =
        conn.prepare("SELECT grp, doc_id, erased_by, reason, successor FROM erasures ORDER BY id")?;
    let rows = stmt.query_map([], |row| {
        Ok(Recorded {
            group: row.get(0)?,
            doc: row.get(1)?,
            erased_by: row.get(2)?,
            reason: row.get(3)?,
            successor: row.get(4)?,
        })
    })?;
    rows.collect()
}

fn known(conn: &Connection, erasure: &Recorded) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM erasures WHERE grp = ?1 AND doc_id = ?2",
            params![erasure.group, erasure.doc],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}
