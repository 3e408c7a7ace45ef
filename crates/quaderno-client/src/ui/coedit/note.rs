//! One open note: its document, how far into the store it is, and the pages showing it.

use std::collections::BTreeMap;

use automerge::Automerge;
use automerge::sync::{self, SyncDoc};
use quaderno_model::{DocumentId, ModelError};
use quaderno_store::docs::{self, OwnChunks};
use quaderno_store::rusqlite::Connection;

use super::{Effects, PageId, PresenceChange, ToPage};
use crate::ui::UiError;

#[derive(Debug)]
pub(super) struct OpenNote {
    pub id: DocumentId,
    /// The store namespace (group) the note lives in.
    pub group: String,
    pub doc: Automerge,
    /// The newest of the note's chunks folded into `doc`.
    pub seen: i64,
    /// The sync state of each page showing the note.
    pub peers: BTreeMap<PageId, sync::State>,
}

impl OpenNote {
    /// The note as stored.
    pub fn load(conn: &Connection, group: String, id: DocumentId) -> Result<OpenNote, UiError> {
        let mut note = OpenNote {
            id,
            group,
            doc: Automerge::new(),
            seen: 0,
            peers: BTreeMap::new(),
        };
        note.fold_new_chunks(conn, &OwnChunks::default())?;
        if note.doc.get_heads().is_empty() {
            return Err(UiError::UnknownNote { id: id.to_string() });
        }
        Ok(note)
    }

    /// Folds in the chunks written since the last call, but those this engine wrote itself
    /// (their changes came from a page and are already here).
    pub fn fold_new_chunks(&mut self, conn: &Connection, own: &OwnChunks) -> Result<(), UiError> {
        for chunk in docs::load_chunks(conn, &self.group, &self.id.to_string())? {
            if chunk.id <= self.seen {
                continue;
            }
            self.seen = chunk.id;
            if !own.contains(chunk.id) {
                self.doc
                    .load_incremental(&chunk.bytes)
                    .map_err(ModelError::from)?;
            }
        }
        Ok(())
    }

    /// Reads the note again from the store (every chunk, this engine's own too), dropping
    /// whatever a page sent that was not stored.
    pub fn reload(&mut self, conn: &Connection) -> Result<(), UiError> {
        self.doc = Automerge::new();
        self.seen = 0;
        self.fold_new_chunks(conn, &OwnChunks::default())
    }

    /// Applies a page's sync message; `None` when the page does not have the note open.
    pub fn receive(&mut self, page: PageId, message: sync::Message) -> Result<Option<()>, UiError> {
        let Some(state) = self.peers.get_mut(&page) else {
            return Ok(None);
        };
        self.doc
            .receive_sync_message(state, message)
            .map_err(|e| UiError::BadMessage {
                reason: e.to_string(),
            })?;
        Ok(Some(()))
    }

    /// What one page still needs to hear, if anything.
    pub fn sync_page(&mut self, page: PageId, effects: &mut Effects) {
        let Some(state) = self.peers.get_mut(&page) else {
            return;
        };
        if let Some(message) = self.doc.generate_sync_message(state) {
            effects.to_pages.push((
                page,
                ToPage::Sync {
                    doc: self.id,
                    message: message.encode(),
                },
            ));
        }
    }

    /// Syncs every page of the note, but `except`.
    pub fn sync_pages(&mut self, except: Option<PageId>, effects: &mut Effects) {
        let pages: Vec<PageId> = self.peers.keys().copied().collect();
        for page in pages.into_iter().filter(|p| Some(*p) != except) {
            self.sync_page(page, effects);
        }
    }

    /// Every page replaces its copy with the stored note.
    pub fn reset_pages(&mut self, reason: &str, effects: &mut Effects) {
        let bytes = self.doc.save();
        for (page, state) in self.peers.iter_mut() {
            *state = sync::State::new();
            effects.to_pages.push((
                *page,
                ToPage::Reset {
                    doc: self.id,
                    group: self.group.clone(),
                    bytes: bytes.clone(),
                    reason: reason.to_owned(),
                },
            ));
        }
    }

    /// Every page and this engine start their sync over: each page offers again what it has.
    pub fn resync_pages(&mut self, effects: &mut Effects) {
        for (page, state) in self.peers.iter_mut() {
            *state = sync::State::new();
            effects
                .to_pages
                .push((*page, ToPage::Resync { doc: self.id }));
        }
    }

    /// The note moved to another group: its chunks have new ids there.
    pub fn moved(&mut self, group: String, effects: &mut Effects) {
        effects.presence.push(PresenceChange::Leave {
            group: self.group.clone(),
            doc: self.id,
        });
        effects.presence.push(PresenceChange::Enter {
            group: group.clone(),
            doc: self.id,
        });
        for page in self.peers.keys() {
            effects.to_pages.push((
                *page,
                ToPage::Moved {
                    doc: self.id,
                    group: group.clone(),
                },
            ));
        }
        self.group = group;
        self.seen = 0;
    }

    /// The note was removed from this computer.
    pub fn gone(self, effects: &mut Effects) {
        for page in self.peers.keys() {
            effects
                .to_pages
                .push((*page, ToPage::Gone { doc: self.id }));
        }
        effects.presence.push(PresenceChange::Leave {
            group: self.group,
            doc: self.id,
        });
    }
}
