//! Writes that a live sync hands on at once: creating a note, binning it, moving it into a
//! group. Each change is made through the notebook (one transaction with the index) and, for a
//! note of a group, returned as [`Pushed`] so the caller gives it to the live sync without
//! waiting for a poll. A note is named by its full document id, never by title or prefix.

use automerge::{ChangeHash, ReadDoc};
use quaderno_model::{DocumentId, NewNote, NoteEdit};
use quaderno_store::index::ListedNote;

use super::notes::ShownNote;
use super::reference::{unknown, unknown_id};
use super::{Notebook, NotebookError, PERSONAL_GROUP};

/// Changes stored for a note of a group, to push to its relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub group: String,
    pub doc: DocumentId,
    pub changes: Vec<u8>,
}

impl Notebook {
    /// A new note in `group` (the personal notebook when `None`) titled `title`.
    pub fn create_note(
        &mut self,
        group: Option<&str>,
        title: &str,
    ) -> Result<(ShownNote, Option<Pushed>), NotebookError> {
        let new = NewNote {
            title: title.to_owned(),
            ..NewNote::default()
        };
        let shown = self.create(&new, group)?;
        let doc = parse_id(&shown.id)?;
        let pushed = match self.load_doc(&shown.group, &shown.id)? {
            Some(automerge) if shown.group != PERSONAL_GROUP => Some(Pushed {
                group: shown.group.clone(),
                doc,
                changes: automerge.save(),
            }),
            _ => None,
        };
        Ok((shown, pushed))
    }

    /// Moves the note to the bin (`deleted`), or back.
    pub fn bin_note(
        &mut self,
        doc: &DocumentId,
        deleted: bool,
    ) -> Result<Option<Pushed>, NotebookError> {
        let (listed, _) = self.by_id(doc)?;
        let edit = NoteEdit {
            deleted: Some(deleted),
            ..NoteEdit::default()
        };
        let change = self.edit(&listed.id, &edit)?;
        self.pushed(&listed, change)
    }

    /// Moves a personal note into a joined group, which shares it from now on.
    pub fn move_note(&mut self, doc: &DocumentId, group: &str) -> Result<Pushed, NotebookError> {
        let shown = self.move_to_group(&doc.to_string(), group)?;
        let automerge = self
            .load_doc(&shown.group, &shown.id)?
            .ok_or_else(|| unknown(doc))?;
        Ok(Pushed {
            group: shown.group,
            doc: *doc,
            changes: automerge.save(),
        })
    }

    /// The stored `change` of the note, to push; `None` for no change or a personal note.
    pub(super) fn pushed(
        &self,
        listed: &ListedNote,
        change: Option<ChangeHash>,
    ) -> Result<Option<Pushed>, NotebookError> {
        let Some(change) = change else {
            return Ok(None);
        };
        if listed.group == PERSONAL_GROUP {
            return Ok(None);
        }
        let automerge = self
            .load_doc(&listed.group, &listed.id)?
            .ok_or_else(|| unknown_id(&listed.id))?;
        let doc = parse_id(&listed.id)?;
        Ok(automerge.get_change_by_hash(&change).map(|c| Pushed {
            group: listed.group.clone(),
            doc,
            changes: c.raw_bytes().to_vec(),
        }))
    }
}

fn parse_id(id: &str) -> Result<DocumentId, NotebookError> {
    id.parse().map_err(|_| unknown_id(id))
}
