//! Document operations shared by every way a note changes: written here, or (later) received
//! from a relay. Each takes a connection so that the caller runs the document write and the
//! index update in one transaction.

use automerge::{ActorId, Automerge, ChangeHash};
use chrono::{DateTime, Utc};
use quaderno_model::{Note, read_note};
use quaderno_store::StoreError;
use quaderno_store::docs;
use quaderno_store::index::{self, IndexEntry};
use quaderno_store::rusqlite::Connection;

use super::NotebookError;
use crate::groups;

/// The document `id` of namespace `ns`, with `actor` set for the changes this process makes.
pub fn load_doc(
    conn: &Connection,
    actor: &ActorId,
    ns: &str,
    id: &str,
) -> Result<Option<Automerge>, NotebookError> {
    let mut doc = docs::load(conn, ns, id)?;
    if let Some(doc) = doc.as_mut() {
        doc.set_actor(actor.clone());
    }
    Ok(doc)
}

/// Like [`load_doc`], for a document the index says exists. A note whose stored data is
/// damaged, or was damaged and has not been sent back by a peer yet, is
/// [`NotebookError::Damaged`].
pub fn load_existing_doc(
    conn: &Connection,
    actor: &ActorId,
    ns: &str,
    id: &str,
) -> Result<Automerge, NotebookError> {
    if docs::is_awaiting_recovery(conn, ns, id)? {
        return Err(damaged(conn, ns, id)?);
    }
    match load_doc(conn, actor, ns, id) {
        Ok(Some(doc)) => Ok(doc),
        Ok(None) => Err(NotebookError::MissingDocument { id: id.to_owned() }),
        Err(NotebookError::Store(StoreError::CorruptDocument { .. })) => {
            Err(damaged(conn, ns, id)?)
        }
        Err(other) => Err(other),
    }
}

fn damaged(conn: &Connection, ns: &str, id: &str) -> Result<NotebookError, NotebookError> {
    let title = index::by_id(conn, id)?.map(|n| n.title).unwrap_or_default();
    Ok(NotebookError::Damaged {
        id: id.to_owned(),
        title,
        group: ns.to_owned(),
    })
}

/// Refuses writes into a group where this participant is a reader: the relay would never
/// take them, and a write the group never sees must not look saved.
pub fn ensure_writable(conn: &Connection, ns: &str) -> Result<(), NotebookError> {
    let group = groups::get(conn, ns).map_err(NotebookError::from_client)?;
    match group {
        Some(group) if !group.can_write() => Err(NotebookError::ReadOnly {
            group: group.slug,
            title: group.title,
        }),
        _ => Ok(()),
    }
}

/// Stores a document that is new to this store, whole.
pub fn save_new_doc(
    conn: &Connection,
    ns: &str,
    id: &str,
    doc: &Automerge,
) -> Result<(), NotebookError> {
    ensure_writable(conn, ns)?;
    if !docs::held_elsewhere(conn, ns, id)?.is_empty() {
        // An id belongs to one group here: a second document under it would be set aside.
        return Err(NotebookError::DuplicateId { id: id.to_owned() });
    }
    docs::put_snapshot(conn, ns, id, &doc.save())?;
    Ok(())
}

/// Stores the changes `doc` has gained since `before_heads`; returns whether there were any.
pub fn save_doc_changes(
    conn: &Connection,
    ns: &str,
    id: &str,
    doc: &Automerge,
    before_heads: &[ChangeHash],
) -> Result<bool, NotebookError> {
    let changes = doc.save_after(before_heads);
    if changes.is_empty() {
        return Ok(false);
    }
    ensure_writable(conn, ns)?;
    docs::append_changes(conn, ns, id, &changes)?;
    Ok(true)
}

/// Brings the index row of note `id` (in group `ns`) in line with its document.
pub fn reindex(
    conn: &Connection,
    ns: &str,
    id: &str,
    doc: &Automerge,
) -> Result<Note, NotebookError> {
    let note = read_note(doc)?;
    index::upsert(conn, &index_entry(ns, id, &note, last_change_time(doc)))?;
    Ok(note)
}

/// The index row of a note: a pure mapping.
pub fn index_entry(group: &str, id: &str, note: &Note, updated_at: DateTime<Utc>) -> IndexEntry {
    IndexEntry {
        id: id.to_owned(),
        group: group.to_owned(),
        title: note.title.clone(),
        body: note.body.clone(),
        tags: note.tags.clone(),
        created_at: note.created_at,
        updated_at: updated_at.max(note.created_at),
        meeting_date: note.meeting.date,
        place: note.meeting.place.clone(),
        deleted: note.deleted,
    }
}

/// The time of the latest of the document's newest changes (by their authors' clocks).
fn last_change_time(doc: &Automerge) -> DateTime<Utc> {
    let seconds = doc
        .get_heads()
        .iter()
        .filter_map(|head| doc.get_change_meta_by_hash(head))
        .map(|meta| meta.timestamp)
        .max()
        .unwrap_or(0);
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

impl super::Notebook {
    /// Passes `error` on; when it says a note is damaged, first sets the note's unreadable
    /// chunks aside (kept in the store), so that the next `quaderno sync` asks the group's relay
    /// for the note. Done here, after the failed operation's transaction rolled back.
    pub(super) fn set_damage_aside(&self, error: NotebookError) -> NotebookError {
        if let NotebookError::Damaged { id, group, .. } = &error {
            match docs::set_aside(self.store.conn(), group, id) {
                Ok(Some(set_aside)) => tracing::debug!(
                    group,
                    doc = %id,
                    damaged_chunks = ?set_aside.chunk_ids,
                    "set a damaged note's chunks aside"
                ),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, doc = %id, "could not set a damaged note aside")
                }
            }
        }
        error
    }

    /// The Automerge actor this process signs its changes with.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// The document `id` of namespace `ns`, with this process's actor set.
    pub fn load_doc(&self, ns: &str, id: &str) -> Result<Option<Automerge>, NotebookError> {
        load_doc(self.store.conn(), &self.actor, ns, id)
    }

    /// Stores what `doc` gained since `before_heads` (the whole document when the store has
    /// none of it yet) and re-indexes the note, in one transaction. Returns whether anything
    /// was written.
    pub fn save_doc_changes(
        &mut self,
        ns: &str,
        id: &str,
        doc: &Automerge,
        before_heads: &[ChangeHash],
    ) -> Result<bool, NotebookError> {
        self.store.write(|tx| {
            let written = if docs::exists(tx, ns, id)? {
                save_doc_changes(tx, ns, id, doc, before_heads)?
            } else {
                save_new_doc(tx, ns, id, doc)?;
                true
            };
            if written {
                reindex(tx, ns, id, doc)?;
            }
            Ok(written)
        })
    }

    /// Re-reads the stored document of note `id` in `ns` and brings its index row up to date.
    pub fn reindex(&mut self, ns: &str, id: &str) -> Result<(), NotebookError> {
        let actor = self.actor.clone();
        self.store
            .write(|tx| {
                let doc = load_existing_doc(tx, &actor, ns, id)?;
                reindex(tx, ns, id, &doc).map(drop)
            })
            .map_err(|e| self.set_damage_aside(e))
    }
}
