//! Each group's change sequence: which documents changed since a client last looked.
//!
//! Every change the relay stores for a group's document bumps the group's counter and gives
//! the document that number, so "what changed since N" is the documents numbered above N.

use quaderno_model::DocumentId;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{AccountsError, Result};

/// The answer to "what changed since N".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangesSince {
    /// Documents changed after the position asked for, least recently changed first.
    pub docs: Vec<DocumentId>,
    /// The group's latest position: ask from here next time.
    pub latest: u64,
}

/// Records that `doc_id` changed in `group`; returns the group's new position.
pub fn record_doc_change(conn: &Connection, group: &str, doc_id: &DocumentId) -> Result<u64> {
    let seq: i64 = conn
        .prepare_cached(
            "UPDATE groups SET change_seq = change_seq + 1 WHERE slug = ?1 RETURNING change_seq",
        )?
        .query_row([group], |row| row.get(0))
        .optional()?
        .ok_or_else(|| AccountsError::UnknownGroup(group.to_owned()))?;
    conn.prepare_cached(
        "INSERT INTO group_changes (grp, doc_id, seq) VALUES (?1, ?2, ?3)
         ON CONFLICT (grp, doc_id) DO UPDATE SET seq = excluded.seq",
    )?
    .execute(params![group, doc_id.to_string(), seq])?;
    Ok(to_position(seq))
}

/// The documents of `group` changed after position `since`, and the latest position.
pub fn changes_since(conn: &Connection, group: &str, since: u64) -> Result<ChangesSince> {
    let latest: i64 = conn
        .prepare_cached("SELECT change_seq FROM groups WHERE slug = ?1")?
        .query_row([group], |row| row.get(0))
        .optional()?
        .ok_or_else(|| AccountsError::UnknownGroup(group.to_owned()))?;
    let since = i64::try_from(since).unwrap_or(i64::MAX);
    // Bounded by `latest` read first: a document changed meanwhile shows up next time.
    let mut stmt = conn.prepare_cached(
        "SELECT doc_id FROM group_changes WHERE grp = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq",
    )?;
    let ids = stmt.query_map(params![group, since, latest], |row| row.get::<_, String>(0))?;
    let docs = ids
        .map(|id| {
            let id = id?;
            id.parse()
                .map_err(|_| AccountsError::Corrupt(format!("document id {id}")))
        })
        .collect::<Result<_>>()?;
    Ok(ChangesSince {
        docs,
        latest: to_position(latest),
    })
}

/// Whether `doc` was purged from `group`: the relay must then refuse it on that group.
pub fn is_purged(conn: &Connection, group: &str, doc: &DocumentId) -> Result<bool> {
    let found = conn
        .prepare_cached("SELECT 1 FROM purged_docs WHERE grp = ?1 AND doc_id = ?2")?
        .query_row(params![group, doc.to_string()], |_| Ok(()))
        .optional()?;
    Ok(found.is_some())
}

/// Every document purged from `group`.
pub fn erased_docs(conn: &Connection, group: &str) -> Result<Vec<DocumentId>> {
    let mut stmt = conn.prepare_cached("SELECT doc_id FROM purged_docs WHERE grp = ?1")?;
    let ids = stmt.query_map([group], |row| row.get::<_, String>(0))?;
    ids.map(|id| {
        let id = id?;
        id.parse()
            .map_err(|_| AccountsError::Corrupt(format!("document id {id}")))
    })
    .collect()
}

fn to_position(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or(0)
}
