//! The notes open in pages. Each page is an Automerge peer of the note it shows: it edits its
//! own copy and exchanges plain Automerge sync messages with this engine, one sync state per
//! page and note. The engine holds one copy of each open note, in line with the store:
//!
//! - what a page sends is applied, stored (the change and the note's index row in one
//!   transaction), handed on for the relay and synced to the other pages of the note;
//! - what others write to the store (the live sync with the relay, an edit made through the
//!   notebook, another `quaderno` process) is picked up by [`CoEditing::refresh`] and synced to
//!   the pages.
//!
//! No I/O beyond the store: what to send where comes back as [`Effects`].

mod note;
mod stored;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use automerge::sync;
use quaderno_model::DocumentId;
use quaderno_store::docs::{self, OwnChunks, QuietDocs};
use quaderno_store::index;
use quaderno_store::rusqlite::{Connection, TransactionBehavior};

use super::UiError;
use crate::notebook::STORE_FILE;
use note::OpenNote;
use stored::{Refusal, store_page_changes};

/// One page (a browser tab), as the server numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageId(pub u64);

/// Something to send to a page about a note it has open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToPage {
    /// The whole note (`Automerge::save`): the page merges it into what it holds.
    Snapshot {
        doc: DocumentId,
        group: String,
        bytes: Vec<u8>,
    },
    /// The page's last change was refused: it replaces its copy with this one.
    Reset {
        doc: DocumentId,
        group: String,
        bytes: Vec<u8>,
        reason: String,
    },
    /// An Automerge sync message.
    Sync { doc: DocumentId, message: Vec<u8> },
    /// Both sides start their sync over (what the page sent could not be stored).
    Resync { doc: DocumentId },
    /// The note now belongs to another group.
    Moved { doc: DocumentId, group: String },
    /// The note is no longer on this computer (purged on the relay).
    Gone { doc: DocumentId },
}

/// This participant is now in a note, or no longer (for presence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceChange {
    Enter { group: String, doc: DocumentId },
    Leave { group: String, doc: DocumentId },
}

/// What a call decided: messages for pages, changes for the relay, presence.
#[derive(Debug, Default)]
pub struct Effects {
    pub to_pages: Vec<(PageId, ToPage)>,
    /// Changes stored here, to push to the group's relay: (group, note, change bytes).
    pub to_relay: Vec<(String, DocumentId, Vec<u8>)>,
    pub presence: Vec<PresenceChange>,
    /// Some note's index row changed: lists shown in pages may be out of date.
    pub notes_changed: bool,
}

/// The notes open in pages, over the participant's store.
#[derive(Debug)]
pub struct CoEditing {
    conn: Connection,
    notes: BTreeMap<DocumentId, OpenNote>,
    /// Chunks this engine wrote: their changes are already in the open notes.
    own: OwnChunks,
    /// Every chunk up to this id has been looked at by [`CoEditing::refresh`].
    seen: i64,
    /// Notes pages wrote to: compacted once quiet, not between one keystroke and the next.
    to_compact: QuietDocs<DocumentId>,
}

impl CoEditing {
    /// The engine over the store in `data_dir`, with no note open.
    pub fn open_store(data_dir: &Path) -> Result<CoEditing, UiError> {
        let conn = quaderno_store::open_connection(&data_dir.join(STORE_FILE))?;
        let seen = docs::latest_chunk_id(&conn)?;
        Ok(CoEditing {
            conn,
            notes: BTreeMap::new(),
            own: OwnChunks::default(),
            seen,
            to_compact: QuietDocs::default(),
        })
    }

    /// Compacts a note once it went `quiet` without a page writing to it (tests use a short
    /// wait; the default is [`docs::QUIET`]).
    #[cfg(test)]
    fn compacting_after(mut self, quiet: std::time::Duration) -> CoEditing {
        self.to_compact = QuietDocs::new(quiet);
        self
    }

    /// A page opens a note: it gets the whole note, then syncs. Opening again (after the page
    /// reconnected) starts a fresh sync state; the page merges what it gets.
    pub fn open(&mut self, page: PageId, doc: DocumentId) -> Result<Effects, UiError> {
        let mut effects = Effects::default();
        if !self.notes.contains_key(&doc) {
            let id = doc.to_string();
            let listed = index::by_id(&self.conn, &id)?.ok_or(UiError::UnknownNote { id })?;
            let note = OpenNote::load(&self.conn, listed.group, doc)?;
            effects.presence.push(PresenceChange::Enter {
                group: note.group.clone(),
                doc,
            });
            self.notes.insert(doc, note);
        }
        let note = self.notes.get_mut(&doc).expect("opened above");
        note.peers.insert(page, sync::State::new());
        effects.to_pages.push((
            page,
            ToPage::Snapshot {
                doc,
                group: note.group.clone(),
                bytes: note.doc.save(),
            },
        ));
        Ok(effects)
    }

    /// A page closes a note.
    pub fn close(&mut self, page: PageId, doc: DocumentId) -> Effects {
        let mut effects = Effects::default();
        self.detach(page, doc, &mut effects);
        effects
    }

    /// A page went away: every note it had open is closed for it.
    pub fn page_gone(&mut self, page: PageId) -> Effects {
        let mut effects = Effects::default();
        let open: Vec<DocumentId> = self
            .notes
            .iter()
            .filter(|(_, note)| note.peers.contains_key(&page))
            .map(|(doc, _)| *doc)
            .collect();
        for doc in open {
            self.detach(page, doc, &mut effects);
        }
        effects
    }

    /// The notes open in some page, with their groups.
    pub fn open_notes(&self) -> Vec<(String, DocumentId)> {
        self.notes
            .iter()
            .map(|(doc, note)| (note.group.clone(), *doc))
            .collect()
    }

    /// The pages showing a note.
    pub fn pages_of(&self, doc: &DocumentId) -> Vec<PageId> {
        self.notes
            .get(doc)
            .map(|note| note.peers.keys().copied().collect())
            .unwrap_or_default()
    }

    /// A sync message from a page. New changes are stored with the note's index row, handed
    /// on for the relay and synced to the note's other pages; a change that would leave the
    /// note unreadable is refused and the page's copy reset.
    pub fn receive(
        &mut self,
        page: PageId,
        doc: DocumentId,
        message: &[u8],
    ) -> Result<Effects, UiError> {
        let message = sync::Message::decode(message).map_err(|e| UiError::BadMessage {
            reason: e.to_string(),
        })?;
        let not_open = || UiError::NotOpen {
            id: doc.to_string(),
        };
        let note = self.notes.get_mut(&doc).ok_or_else(not_open)?;
        let before = note.doc.get_heads();
        note.receive(page, message)?.ok_or_else(not_open)?;
        let mut effects = Effects::default();
        if note.doc.get_heads() != before {
            let changes = note.doc.save_after(&before);
            match store_page_changes(&mut self.conn, &doc, &note.doc, &changes) {
                Ok(stored) => {
                    self.own.add(stored.chunks);
                    self.to_compact.wrote(doc, Instant::now());
                    if stored.group != note.group {
                        // Moved meanwhile: the chunks read so far are under the old group.
                        note.moved(stored.group, &mut effects);
                    }
                }
                Err(Refusal::Invalid(reason)) => {
                    note.reload(&self.conn)?;
                    note.reset_pages(&reason, &mut effects);
                    return Ok(effects);
                }
                Err(Refusal::Failed(error)) => {
                    // Not stored: forget it here, and let every page offer it again.
                    note.reload(&self.conn)?;
                    note.resync_pages(&mut effects);
                    tracing::warn!(%error, "could not store a page's changes");
                    return Ok(effects);
                }
            }
            effects.to_relay.push((note.group.clone(), doc, changes));
            effects.notes_changed = true;
            note.sync_pages(Some(page), &mut effects);
        }
        note.sync_page(page, &mut effects);
        Ok(effects)
    }

    /// Picks up what others wrote to the store since the last call (the relay's changes, an
    /// edit made through the notebook, another process) and syncs it to the pages; then
    /// compacts the notes pages wrote to that went quiet.
    pub fn refresh(&mut self) -> Result<Effects, UiError> {
        let changed = docs::changed_since(&self.conn, self.seen)?;
        let mut effects = Effects::default();
        let mut touched = BTreeSet::new();
        for chunk in &changed {
            self.seen = self.seen.max(chunk.last_chunk_id);
            effects.notes_changed |= !self.own.contains(chunk.last_chunk_id);
            if let Ok(doc) = chunk.doc_id.parse::<DocumentId>()
                && self.notes.contains_key(&doc)
            {
                touched.insert(doc);
            }
        }
        for doc in touched {
            self.catch_up(doc, &mut effects)?;
        }
        let low = self
            .notes
            .values()
            .map(|n| n.seen)
            .min()
            .unwrap_or(self.seen);
        self.own.forget_upto(low);
        self.compact_quiet()?;
        Ok(effects)
    }

    /// Compacts the notes that pages wrote to and that went quiet. An open note with a chunk
    /// this engine has not read yet (a change the live sync just stored) waits (see
    /// [`docs::compact_if_all_read`]).
    fn compact_quiet(&mut self) -> Result<(), UiError> {
        let due = self.to_compact.take_due(Instant::now());
        if due.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = docs::latest_chunk_id(&tx)?;
        let mut waiting = Vec::new();
        for doc in due {
            let id = doc.to_string();
            match self.notes.get(&doc) {
                Some(note) => {
                    if !docs::compact_if_all_read(&tx, &note.group, &id, note.seen, &self.own)? {
                        waiting.push(doc);
                    }
                }
                // Closed since: no copy here to keep in line; compacted where it is now.
                None => {
                    if let Some(listed) = index::by_id(&tx, &id)? {
                        docs::compact_if_needed(&tx, &listed.group, &id)?;
                    }
                }
            }
        }
        let after = docs::latest_chunk_id(&tx)?;
        tx.commit()?;
        self.own.add((before, after));
        let now = Instant::now();
        for doc in waiting {
            self.to_compact.wrote(doc, now);
        }
        Ok(())
    }

    /// Brings one open note in line with the store: moved, removed, or changed.
    fn catch_up(&mut self, doc: DocumentId, effects: &mut Effects) -> Result<(), UiError> {
        let group = index::by_id(&self.conn, &doc.to_string())?.map(|listed| listed.group);
        let Some(group) = group else {
            if let Some(note) = self.notes.remove(&doc) {
                note.gone(effects);
            }
            return Ok(());
        };
        let note = self
            .notes
            .get_mut(&doc)
            .expect("only open notes are caught up");
        if note.group != group {
            note.moved(group, effects);
        }
        let before = note.doc.get_heads();
        note.fold_new_chunks(&self.conn, &self.own)?;
        if note.doc.get_heads() != before {
            note.sync_pages(None, effects);
        }
        Ok(())
    }

    fn detach(&mut self, page: PageId, doc: DocumentId, effects: &mut Effects) {
        let Some(note) = self.notes.get_mut(&doc) else {
            return;
        };
        note.peers.remove(&page);
        if note.peers.is_empty() {
            let group = note.group.clone();
            self.notes.remove(&doc);
            effects.presence.push(PresenceChange::Leave { group, doc });
        }
    }
}

#[cfg(test)]
mod tests;
