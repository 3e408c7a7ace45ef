//! Reading and changing notes.

use automerge::ChangeHash;
use chrono::{DateTime, Utc};
use quaderno_model::{Note, NoteEdit, edit_note, read_note};
use quaderno_store::index::ListedNote;

use super::documents::{load_existing_doc, reindex, save_doc_changes};
use super::{Notebook, NotebookError};

/// A note as shown: its content and where it lives.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownNote {
    pub id: String,
    pub group: String,
    pub note: Note,
    pub updated_at: DateTime<Utc>,
}

impl Notebook {
    /// The note `reference` names, read from its document.
    pub fn show(&self, reference: &str) -> Result<ShownNote, NotebookError> {
        let listed = self.resolve(reference)?;
        let doc = load_existing_doc(self.store.conn(), &self.actor, &listed.group, &listed.id)
            .map_err(|e| self.set_damage_aside(e))?;
        Ok(shown(listed, read_note(&doc)?))
    }

    /// Applies `edit` to the note as one change. Returns the change, or `None` when the edit
    /// changes nothing (and nothing is written).
    pub fn edit(
        &mut self,
        reference: &str,
        edit: &NoteEdit,
    ) -> Result<Option<ChangeHash>, NotebookError> {
        let listed = self.resolve(reference)?;
        self.apply(&listed, edit)
    }

    /// Adds and removes tags; returns the note's tags afterwards.
    pub fn tag(
        &mut self,
        reference: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<Vec<String>, NotebookError> {
        let edit = NoteEdit {
            add_tags: add.to_vec(),
            remove_tags: remove.to_vec(),
            ..NoteEdit::default()
        };
        let listed = self.resolve(reference)?;
        self.apply(&listed, &edit)?;
        Ok(self.show(&listed.id)?.note.tags)
    }

    /// Moves the note to the bin (`true`) or back (`false`); returns whether anything changed.
    pub fn set_deleted(
        &mut self,
        reference: &str,
        deleted: bool,
    ) -> Result<(ListedNote, bool), NotebookError> {
        let listed = self.resolve(reference)?;
        let edit = NoteEdit {
            deleted: Some(deleted),
            ..NoteEdit::default()
        };
        let changed = self.apply(&listed, &edit)?.is_some();
        Ok((listed, changed))
    }

    fn apply(
        &mut self,
        listed: &ListedNote,
        edit: &NoteEdit,
    ) -> Result<Option<ChangeHash>, NotebookError> {
        let author = self.author()?;
        let actor = self.actor.clone();
        self.store
            .write(|tx| {
                let mut doc = load_existing_doc(tx, &actor, &listed.group, &listed.id)?;
                let before = doc.get_heads();
                let Some(change) = edit_note(&mut doc, edit, &author, Utc::now())? else {
                    return Ok(None);
                };
                save_doc_changes(tx, &listed.group, &listed.id, &doc, &before)?;
                reindex(tx, &listed.group, &listed.id, &doc)?;
                Ok(Some(change))
            })
            .map_err(|e| self.set_damage_aside(e))
    }
}

/// A note shown in another group than its index row says (just moved there).
pub(super) fn shown_in(listed: ListedNote, group: &str, note: Note) -> ShownNote {
    ShownNote {
        group: group.to_owned(),
        ..shown(listed, note)
    }
}

pub(super) fn shown(listed: ListedNote, note: Note) -> ShownNote {
    ShownNote {
        id: listed.id,
        group: listed.group,
        note,
        updated_at: listed.updated_at,
    }
}
