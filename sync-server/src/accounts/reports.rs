//! Notes members' devices cannot read, as the devices report them: which document and why
//! (never its content), once per device and document. The group's coordinators see each one
//! with its size and whoever wrote it, and fix or erase it.

use std::collections::BTreeSet;

use automerge::{ActorId, Automerge, LoadOptions, OnPartialLoad};
use chrono::{DateTime, Utc};
use quaderno_model::DocumentId;
use quaderno_store::docs;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::time::{from_millis, to_millis};
use super::{AccountsError, Result};
use crate::authors::{self, Author};

/// The longest reason a report keeps; longer ones are cut.
pub const MAX_REPORT_REASON_CHARS: usize = 300;

/// A document of the group that some member's device could not read.
#[derive(Debug, Clone, Serialize)]
pub struct UnreadableNote {
    pub doc: String,
    /// Why, as the first device to report it said.
    pub reason: String,
    /// How many devices reported it.
    pub reports: usize,
    pub first_reported_at: DateTime<Utc>,
    pub last_reported_at: DateTime<Utc>,
    /// What the relay stores of it, in bytes (0 once it is erased).
    pub bytes: i64,
    /// Who wrote its changes, as the relay vouches (see `authors`), oldest first.
    pub uploaders: Vec<Author>,
}

/// Records that `device` cannot read `doc` of `group`, for `reason`. A device that already
/// reported the document is not recorded again; returns whether this report was new.
pub fn record_unreadable(
    conn: &Connection,
    group: &str,
    doc: &DocumentId,
    device: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let reason: String = reason
        .trim()
        .chars()
        .take(MAX_REPORT_REASON_CHARS)
        .collect();
    let added = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO unreadable_reports (grp, doc_id, device_id, reason, reported_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            group,
            doc.to_string(),
            device,
            reason,
            to_millis(now)
        ])?;
    Ok(added > 0)
}

/// The reported documents of `group`, most recently reported first.
pub fn list_unreadable(conn: &Connection, group: &str) -> Result<Vec<UnreadableNote>> {
    let mut stmt = conn.prepare_cached(
        "SELECT doc_id, count(*), min(reported_at), max(reported_at),
             (SELECT reason FROM unreadable_reports f WHERE f.grp = r.grp AND f.doc_id = r.doc_id
              ORDER BY reported_at LIMIT 1)
         FROM unreadable_reports r WHERE grp = ?1 GROUP BY doc_id ORDER BY max(reported_at) DESC",
    )?;
    let rows = stmt.query_map([group], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, i64>(3)?,
            row.get::<_, String>(4)?,
        ))
    })?;
    let mut listed = Vec::new();
    for row in rows {
        let (doc, reports, first, last, reason) = row?;
        let chunks = docs::load_chunks(conn, group, &doc)?;
        let bytes: i64 = chunks.iter().map(|c| c.bytes.len() as i64).sum();
        let actors = actors(&chunks);
        listed.push(UnreadableNote {
            uploaders: authors::owners_of(conn, group, &actors)?,
            doc,
            reason,
            reports: usize::try_from(reports).unwrap_or_default(),
            first_reported_at: from_millis(first)?,
            last_reported_at: from_millis(last)?,
            bytes,
        });
    }
    Ok(listed)
}

/// The actors of the document's changes, as far as its stored bytes load.
fn actors(chunks: &[docs::Chunk]) -> BTreeSet<ActorId> {
    let bytes: Vec<u8> = chunks
        .iter()
        .flat_map(|c| c.bytes.iter().copied())
        .collect();
    let options = LoadOptions::new().on_partial_load(OnPartialLoad::Ignore);
    Automerge::load_with_options(&bytes, options)
        .map(|doc| {
            doc.get_changes_meta(&[])
                .into_iter()
                .map(|meta| meta.actor.into_owned())
                .collect()
        })
        .unwrap_or_default()
}

impl From<authors::AuthorsError> for AccountsError {
    fn from(error: authors::AuthorsError) -> Self {
        match error {
            authors::AuthorsError::Store(e) => AccountsError::Store(e),
            authors::AuthorsError::Sqlite(e) => AccountsError::Sqlite(e),
        }
    }
}
