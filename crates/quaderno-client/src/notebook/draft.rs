//! Editing a note as Markdown in an editor: a draft remembers the version it was made from.

use std::path::Path;

use automerge::ChangeHash;
use chrono::Utc;
use quaderno_model::markdown::{from_markdown, to_markdown};
use quaderno_model::{DocumentId, NoteEdit, edit_note, read_note};

use super::documents::{ensure_writable, load_existing_doc, reindex, save_doc_changes};
use super::{Notebook, NotebookError};

/// A note handed out for editing as Markdown, remembering the version it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub id: String,
    /// The heads of the document when the draft was made.
    pub base: Vec<ChangeHash>,
    pub text: String,
}

impl Notebook {
    /// The note as a Markdown file to hand to an editor, with the version it was made from.
    pub fn draft(&self, reference: &str) -> Result<Draft, NotebookError> {
        let listed = self.resolve(reference)?;
        ensure_writable(self.store.conn(), &listed.group)?;
        let doc = load_existing_doc(self.store.conn(), &self.actor, &listed.group, &listed.id)
            .map_err(|e| self.set_damage_aside(e))?;
        let note = read_note(&doc)?;
        let id: DocumentId = listed
            .id
            .parse()
            .map_err(|_| NotebookError::MissingDocument {
                id: listed.id.clone(),
            })?;
        let text = to_markdown(&id, &note, Some(&listed.group));
        Ok(Draft {
            id: listed.id,
            base: doc.get_heads(),
            text,
        })
    }

    /// Saves the Markdown that came back from an editor as the smallest change that turns the
    /// draft's version into it. The change is made on top of that version, so whatever
    /// happened to the note meanwhile (another window, a sync) merges with it instead of being
    /// undone. The id and group in the text are ignored: the note stays where it is. `origin`
    /// names the file the text came from, for error messages.
    pub fn save_draft(
        &mut self,
        draft: &Draft,
        text: &str,
        origin: &Path,
    ) -> Result<Option<ChangeHash>, NotebookError> {
        let listed = self.resolve(&draft.id)?;
        let wanted = from_markdown(text).map_err(|e| NotebookError::Markdown {
            path: origin.to_owned(),
            line: e.line,
            message: e.message,
        })?;
        let author = self.author()?;
        let actor = self.actor.clone();
        self.store
            .write(|tx| {
                let mut doc = load_existing_doc(tx, &actor, &listed.group, &listed.id)?;
                let before = doc.get_heads();
                // A fork has its own random actor: its change is concurrent with any later change
                // made under this process's actor, which must not share sequence numbers with it.
                let mut base = doc
                    .fork_at(&draft.base)
                    .map_err(quaderno_model::ModelError::from)?;
                let current = read_note(&base)?;
                let mut edit = NoteEdit::between(&current, &wanted.note);
                edit.deleted = (wanted.deleted != current.deleted).then_some(wanted.deleted);
                let Some(change) = edit_note(&mut base, &edit, &author, Utc::now())? else {
                    return Ok(None);
                };
                doc.merge(&mut base)
                    .map_err(quaderno_model::ModelError::from)?;
                save_doc_changes(tx, &listed.group, &listed.id, &doc, &before)?;
                reindex(tx, &listed.group, &listed.id, &doc)?;
                Ok(Some(change))
            })
            .map_err(|e| self.set_damage_aside(e))
    }
}
