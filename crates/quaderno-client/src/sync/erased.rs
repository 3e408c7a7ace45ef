//! Erasures reaching this computer: a note an admin or the coordinating body erased from a
//! group is deleted here too, with its chunks, sync states, index and full-text rows and the
//! personal copies made of it, edits not yet sent included, and the relay is told.
//!
//! The store overwrites what it deletes (`secure_delete`), the write-ahead log is cleared
//! afterwards and the file is compacted, so the note's bytes do not stay in the file.

use std::path::Path;

use chrono::{DateTime, Utc};
use quaderno_model::{DocumentId, Note, carry_over, read_note};
use quaderno_store::rusqlite::{Connection, params};
use quaderno_store::{begin_write, docs, index, migrate};
use serde::Serialize;

use super::owner::{self, Claim, OwnerKind};
use crate::ClientError;
use crate::groups::{self, Group};
use crate::notebook::{Notebook, PERSONAL_GROUP, STORE_FILE};
use crate::relays::{ApiError, RelayApi, RemoteErasure, account_for_group};

const COMPONENT: &str = "client-erasures";
const MIGRATIONS: &[&str] = &["CREATE TABLE erased_notes (
        -- The relay's erasure, and the note it erased; never its content, not even its title.
        erasure_id INTEGER NOT NULL,
        group_slug TEXT NOT NULL,
        note_id TEXT NOT NULL,
        erased_at INTEGER NOT NULL,
        erased_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        -- Whether edits made here that the relay never had were deleted with it (carried over,
        -- for a redaction).
        lost_edits INTEGER NOT NULL,
        -- For a redaction: the document the note goes on as.
        successor TEXT,
        deleted_here_at INTEGER NOT NULL,
        PRIMARY KEY (group_slug, erasure_id)
    );"];

/// A note this computer deleted because it was erased from its group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasedNote {
    pub group: String,
    pub doc: DocumentId,
    /// The note's title as it was here, for the message shown once; it is not kept.
    pub title: Option<String>,
    pub erased_at: DateTime<Utc>,
    pub erased_by: String,
    pub reason: String,
    /// Edits made here that the relay never had were deleted with the note (or, for a
    /// redaction, are carried over into its successor).
    pub lost_edits: bool,
    /// For a redaction: the document the note goes on as, without the passage.
    pub successor: Option<DocumentId>,
}

/// Edits made here to a redacted note that the relay never had, waiting for the note's
/// successor to arrive so that they are carried over into it (see
/// [`quaderno_model::carry_over`]). Held in memory only: it holds the passage.
pub(super) struct Carry {
    pub successor: DocumentId,
    base: (String, String),
    local: (String, String),
}

impl std::fmt::Debug for Carry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Carry")
            .field("successor", &self.successor)
            .finish_non_exhaustive()
    }
}

impl Carry {
    /// The successor's title and body with the edits carried over, if that changes them.
    pub fn onto(&self, successor: &Note) -> Option<(String, String)> {
        let title = carry_over(&self.base.0, &self.local.0, &successor.title);
        let body = carry_over(&self.base.1, &self.local.1, &successor.body);
        (title != successor.title || body != successor.body).then_some((title, body))
    }
}

impl ErasedNote {
    /// What the participant is told, in the CLI's English.
    pub fn message(&self) -> String {
        let title = self.title.as_deref().unwrap_or("(a note)");
        let day = self.erased_at.format("%Y-%m-%d");
        let mut text = match self.successor {
            Some(_) => format!(
                "a passage was erased from the note «{title}» and from its whole history by {} on {day}",
                self.erased_by
            ),
            None => format!(
                "the note «{title}» was erased by {} on {day}",
                self.erased_by
            ),
        };
        if !self.reason.is_empty() {
            text.push_str(&format!(" ({})", self.reason));
        }
        match (self.successor, self.lost_edits) {
            (Some(_), true) => text.push_str(
                "; the note goes on without it, and the changes not yet sent are carried over into it",
            ),
            (Some(_), false) => text.push_str("; the note goes on without it"),
            (None, true) => text.push_str(": the changes not yet sent were deleted with it"),
            (None, false) => {}
        }
        text
    }
}

/// A note deleted here because it was erased from its group, as `status` shows it: the record
/// keeps no title (nor anything else the note said).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasedHere {
    pub note: String,
    pub erased_at: DateTime<Utc>,
    pub erased_by: String,
    pub reason: String,
    /// Edits made here that the relay never had went with it (or, for a redaction, were
    /// carried over).
    pub lost_edits: bool,
    pub deleted_here_at: DateTime<Utc>,
    /// For a redaction: the document the note goes on as.
    pub successor: Option<String>,
}

/// The notes of `group` deleted here because they were erased, newest first, at most `limit`.
pub fn erased_here(
    conn: &Connection,
    group: &str,
    limit: usize,
) -> Result<Vec<ErasedHere>, ClientError> {
    migrate(conn, COMPONENT, MIGRATIONS)?;
    let mut stmt = conn.prepare_cached(
        "SELECT note_id, erased_at, erased_by, reason, lost_edits, deleted_here_at, successor
         FROM erased_notes WHERE group_slug = ?1 ORDER BY deleted_here_at DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![group, limit as i64], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, bool>(4)?,
            row.get::<_, i64>(5)?,
            row.get::<_, Option<String>>(6)?,
        ))
    })?;
    let time = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
    rows.map(|row| {
        let (note, at, erased_by, reason, lost_edits, here, successor) = row?;
        Ok(ErasedHere {
            note,
            erased_at: time(at),
            erased_by,
            reason,
            lost_edits,
            deleted_here_at: time(here),
            successor,
        })
    })
    .collect()
}

/// Erases a note of a group (`reference`: an id, its prefix or a title) for everyone: the
/// relay records the erasure and drops the note, every device of the group deletes it at its
/// next contact, and this one at once. Only the group's admins (and the relay's operators)
/// may.
pub async fn erase_note(
    data_dir: &Path,
    reference: &str,
    reason: &str,
) -> Result<ErasedNote, ClientError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ClientError::CannotErase(
            "say why with --reason (it is kept with the erasure and shown to the group)".into(),
        ));
    }
    let (listed, doc, account) = shared_note(data_dir, reference)?;
    let api = RelayApi::new(&account.url);
    match api
        .erase_note(&account.token, &listed.group, &doc, reason)
        .await
    {
        Ok(_) => {}
        Err(ApiError::Refused { status: 403, .. }) => {
            return Err(ClientError::CannotErase(format!(
                "only an admin of group `{}` can erase its notes; ask one of them",
                listed.group
            )));
        }
        Err(error) => return Err(ClientError::from_api(error, &listed.group)),
    }
    let mut note = ErasedNote {
        group: listed.group.clone(),
        doc,
        title: Some(listed.title.clone()),
        erased_at: Utc::now(),
        erased_by: String::new(),
        reason: reason.to_string(),
        lost_edits: false,
        successor: None,
    };
    // A process keeping this folder in sync (the page, a watch) learns the erasure from the
    // relay within a second and deletes the note from its memory and the pages too.
    let Claim::Owned(_ownership) = owner::claim(data_dir, OwnerKind::Sync)? else {
        return Ok(note);
    };
    // What the relay now tells every device of the group, this one included.
    let mut conn = quaderno_store::open_connection(&data_dir.join(STORE_FILE))?;
    groups::ensure_schema(&conn)?;
    let group = groups::get(&conn, &listed.group)?.ok_or_else(|| ClientError::UnknownGroup {
        group: listed.group.clone(),
    })?;
    let changes = api
        .changes(&account.token, &group.slug, group.last_seq)
        .await
        .map_err(|e| ClientError::from_api(e, &group.slug))?;
    let mine: Vec<RemoteErasure> = changes
        .erasures
        .into_iter()
        .filter(|e| e.doc == doc)
        .collect();
    let (mut erased, _) = erase_here(&mut conn, &group, &mine)?;
    let ids: Vec<i64> = mine.iter().map(|e| e.id).collect();
    if let Err(error) = api
        .confirm_erasures(&account.token, &group.slug, &ids)
        .await
    {
        tracing::warn!(group = %group.slug, %error, "could not confirm the erasure to the relay; the next sync does");
    }
    if let Some(here) = erased.pop() {
        note = ErasedNote {
            title: note.title,
            ..here
        };
    }
    Ok(note)
}

/// Takes `passage` (matched whatever its case) out of a note of a group and out of its whole
/// history, for everyone: the relay makes the note go on as a successor document without it
/// and erases the old one; every device of the group follows at its next contact, and this
/// one at once. Only the group's admins (and the relay's operators) may. Returns the
/// successor's id.
pub async fn redact_note(
    data_dir: &Path,
    reference: &str,
    passage: &str,
    reason: &str,
) -> Result<(ListedTitle, DocumentId), ClientError> {
    let (passage, reason) = (passage.trim(), reason.trim());
    if passage.chars().count() < 2 {
        return Err(ClientError::CannotErase(
            "give the passage to erase with --passage (at least 2 characters)".into(),
        ));
    }
    if reason.is_empty() {
        return Err(ClientError::CannotErase(
            "say why with --reason (it is kept with the erasure and shown to the group)".into(),
        ));
    }
    let (listed, doc, account) = shared_note(data_dir, reference)?;
    let api = RelayApi::new(&account.url);
    let redacted = match api
        .redact_note(&account.token, &listed.group, &doc, passage, reason)
        .await
    {
        Ok(redacted) => redacted,
        Err(ApiError::Refused { status: 403, .. }) => {
            return Err(ClientError::CannotErase(format!(
                "only an admin of group `{}` can erase passages from its notes; ask one of them",
                listed.group
            )));
        }
        Err(ApiError::Refused {
            status: 400,
            message,
            ..
        }) => {
            return Err(ClientError::CannotErase(message));
        }
        Err(error) => return Err(ClientError::from_api(error, &listed.group)),
    };
    Ok((
        ListedTitle {
            group: listed.group,
            title: listed.title,
        },
        redacted.successor,
    ))
}

/// A note's group and title as they were listed here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTitle {
    pub group: String,
    pub title: String,
}

/// The note `reference` names, which must be a group's, with this device's account there.
fn shared_note(
    data_dir: &Path,
    reference: &str,
) -> Result<(index::ListedNote, DocumentId, crate::relays::RelayAccount), ClientError> {
    let listed = Notebook::open(data_dir)?.resolve(reference)?;
    if listed.group == PERSONAL_GROUP {
        return Err(ClientError::CannotErase(format!(
            "«{}» is in your personal notebook, which nobody else has: change it with `quaderno edit`, or move it to the bin with `quaderno rm`",
            listed.title
        )));
    }
    let doc: DocumentId = listed
        .id
        .parse()
        .map_err(|_| ClientError::CannotErase(format!("`{}` is not a note id", listed.id)))?;
    let account = account_for_group(data_dir, &listed.group)?.ok_or_else(|| {
        ClientError::CannotErase(format!(
            "group `{}` is on a relay that does not record erasures",
            listed.group
        ))
    })?;
    Ok((listed, doc, account))
}

/// Deletes the notes of these erasures from the group on this computer, in one transaction,
/// and records that it did; then clears the write-ahead log and compacts the file. Returns
/// what was deleted (a note this computer never had is recorded as deleted too).
pub(super) fn erase_here(
    conn: &mut Connection,
    group: &Group,
    erasures: &[RemoteErasure],
) -> Result<(Vec<ErasedNote>, Vec<Carry>), ClientError> {
    if erasures.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    migrate(conn, COMPONENT, MIGRATIONS)?;
    let now = Utc::now();
    let tx = begin_write(conn)?;
    let mut erased = Vec::with_capacity(erasures.len());
    let mut carries = Vec::new();
    for erasure in erasures {
        let id = erasure.doc.to_string();
        let listed = index::by_id(&tx, &id)?.filter(|note| note.group == group.slug);
        let lost_edits = has_unsent_edits(&tx, group, &id)?;
        if lost_edits && let Some(successor) = erasure.successor {
            carries.extend(carry(&tx, group, &id, successor)?);
        }
        let copies = kept_copies_of(&tx, &group.slug, &id)?;
        docs::delete(&tx, &group.slug, &id)?;
        if listed.is_some() {
            index::remove(&tx, &group.slug, &id)?;
        }
        for copy in &copies {
            docs::delete(&tx, PERSONAL_GROUP, copy)?;
            index::remove(&tx, PERSONAL_GROUP, copy)?;
        }
        forget_kept_copies(&tx, &group.slug, &id)?;
        tx.execute(
            "INSERT OR REPLACE INTO erased_notes (erasure_id, group_slug, note_id, erased_at,
                 erased_by, reason, lost_edits, deleted_here_at, successor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                erasure.id,
                group.slug,
                id,
                erasure.erased_at.timestamp_millis(),
                erasure.erased_by,
                erasure.reason,
                lost_edits || !copies.is_empty(),
                now.timestamp_millis(),
                erasure.successor.map(|d| d.to_string()),
            ],
        )?;
        erased.push(ErasedNote {
            group: group.slug.clone(),
            doc: erasure.doc,
            title: listed.map(|note| note.title),
            erased_at: erasure.erased_at,
            erased_by: erasure.erased_by.clone(),
            reason: erasure.reason.clone(),
            lost_edits: lost_edits || !copies.is_empty(),
            successor: erasure.successor,
        });
    }
    tx.commit()?;
    scrub(conn);
    Ok((erased, carries))
}

/// The edits to carry over from the redacted note `id`: its text as the relay last
/// acknowledged it, and as it is here.
fn carry(
    conn: &Connection,
    group: &Group,
    id: &str,
    successor: DocumentId,
) -> Result<Option<Carry>, ClientError> {
    let Ok(Some(doc)) = docs::load(conn, &group.slug, id) else {
        return Ok(None);
    };
    let Ok(local) = read_note(&doc) else {
        return Ok(None);
    };
    let states = docs::sync_states(conn, &group.slug, id)?;
    let base = states
        .iter()
        .filter(|(_, state)| !state.shared_heads.is_empty())
        .find_map(|(_, state)| doc.fork_at(&state.shared_heads).ok())
        .and_then(|then| read_note(&then).ok());
    Ok(base.map(|base| Carry {
        successor,
        base: (base.title, base.body),
        local: (local.title, local.body),
    }))
}

/// Whether the note holds changes written here that the relay has not acknowledged.
fn has_unsent_edits(conn: &Connection, group: &Group, id: &str) -> Result<bool, ClientError> {
    if docs::doc_chunks_since(conn, &group.slug, id, group.synced_chunk)?.is_empty() {
        return Ok(false);
    }
    let Ok(Some(doc)) = docs::load(conn, &group.slug, id) else {
        return Ok(false);
    };
    let heads = doc.get_heads();
    let acknowledged = docs::sync_states(conn, &group.slug, id)?
        .iter()
        .any(|(_, state)| state.shared_heads == heads);
    Ok(!acknowledged)
}

/// The personal copies kept of the note's refused edits (see `notebook::kept`).
fn kept_copies_of(conn: &Connection, group: &str, id: &str) -> Result<Vec<String>, ClientError> {
    if !table_exists(conn, "kept_copies")? {
        return Ok(Vec::new());
    }
    let mut stmt =
        conn.prepare("SELECT copy_id FROM kept_copies WHERE group_slug = ?1 AND note_id = ?2")?;
    let rows = stmt.query_map(params![group, id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn forget_kept_copies(conn: &Connection, group: &str, id: &str) -> Result<(), ClientError> {
    if table_exists(conn, "kept_copies")? {
        conn.execute(
            "DELETE FROM kept_copies WHERE group_slug = ?1 AND note_id = ?2",
            params![group, id],
        )?;
    }
    Ok(())
}

fn table_exists(conn: &Connection, name: &str) -> Result<bool, ClientError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = ?1)")?
        .query_row([name], |row| row.get(0))?)
}

/// Clears the write-ahead log into the file and compacts the file, so that no page that held
/// the note stays in either. Another process reading at that moment delays it: the pages are
/// zeroed already, and the next erasure or checkpoint finishes the job.
fn scrub(conn: &Connection) {
    for step in [
        "PRAGMA wal_checkpoint(TRUNCATE)",
        "VACUUM",
        "PRAGMA wal_checkpoint(TRUNCATE)",
    ] {
        if let Err(error) = conn.execute_batch(step) {
            tracing::warn!(%error, step, "could not compact the data file after an erasure");
        }
    }
}
