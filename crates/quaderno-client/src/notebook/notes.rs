//! Creating, reading and changing notes.

use std::path::Path;

use automerge::ChangeHash;
use chrono::{DateTime, Utc};
use quaderno_model::markdown::{from_markdown, to_markdown};
use quaderno_model::{DocumentId, NewNote, Note, NoteEdit, create_note, edit_note, read_note};
use quaderno_store::index::ListedNote;

use super::documents::{load_existing_doc, reindex, save_doc_changes, save_new_doc};
use super::{Notebook, NotebookError, PERSONAL_GROUP};

/// A note handed out for editing as Markdown, remembering the version it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub id: String,
    /// The heads of the document when the draft was made.
    pub base: Vec<ChangeHash>,
    pub text: String,
}

/// A note as shown: its content and where it lives.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownNote {
    pub id: String,
    pub group: String,
    pub note: Note,
    pub updated_at: DateTime<Utc>,
}

impl Notebook {
    /// Creates a note in `group` (the personal notebook when `None`) and returns it. A note
    /// without a title takes the first line of its body.
    pub fn create(
        &mut self,
        new: &NewNote,
        group: Option<&str>,
    ) -> Result<ShownNote, NotebookError> {
        self.create_with_id(new, group, DocumentId::random())
    }

    /// The Markdown a new note starts from in an editor: its fields so far in the front matter
    /// and its body. Give the edited text to [`Notebook::create_from_markdown`].
    pub fn new_note_markdown(&self, new: &NewNote) -> Result<String, NotebookError> {
        let author = self.author()?;
        let note = Note {
            title: new.title.clone(),
            body: new.body.clone(),
            tags: new.tags.clone(),
            meeting: new.meeting.clone(),
            created_at: Utc::now(),
            created_by: author.to_string(),
            deleted: false,
            schema: quaderno_model::NOTE_SCHEMA_VERSION,
        };
        Ok(to_markdown(&DocumentId::random(), &note, None))
    }

    /// Creates a note from Markdown (front matter and body), keeping the id it names, if any.
    /// `origin` names the file the text came from, for error messages.
    pub fn create_from_markdown(
        &mut self,
        text: &str,
        origin: &Path,
        group: Option<&str>,
    ) -> Result<ShownNote, NotebookError> {
        let file = from_markdown(text).map_err(|e| NotebookError::Markdown {
            path: origin.to_owned(),
            line: e.line,
            message: e.message,
        })?;
        self.create_with_id(
            &file.note,
            group,
            file.id.unwrap_or_else(DocumentId::random),
        )
    }

    fn create_with_id(
        &mut self,
        new: &NewNote,
        group: Option<&str>,
        id: DocumentId,
    ) -> Result<ShownNote, NotebookError> {
        let author = self.author()?;
        let group = self.known_group(group)?;
        let new = with_title(new)?;
        let now = Utc::now();
        let mut doc = create_note(&new, &author, now)?;
        doc.set_actor(self.actor.clone());
        let id = id.to_string();
        let note = self.store.write(|tx| {
            if quaderno_store::index::by_id(tx, &id)?.is_some() {
                return Err(NotebookError::DuplicateId { id: id.clone() });
            }
            save_new_doc(tx, &group, &id, &doc)?;
            reindex(tx, &group, &id, &doc)
        })?;
        Ok(ShownNote {
            id,
            group,
            note,
            updated_at: now,
        })
    }

    /// The note `reference` names, read from its document.
    pub fn show(&self, reference: &str) -> Result<ShownNote, NotebookError> {
        let listed = self.resolve(reference)?;
        let doc = load_existing_doc(self.store.conn(), &self.actor, &listed.group, &listed.id)?;
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

    /// The note as a Markdown file to hand to an editor, with the version it was made from.
    pub fn draft(&self, reference: &str) -> Result<Draft, NotebookError> {
        let listed = self.resolve(reference)?;
        let doc = load_existing_doc(self.store.conn(), &self.actor, &listed.group, &listed.id)?;
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
        self.store.write(|tx| {
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

    pub(super) fn apply(
        &mut self,
        listed: &ListedNote,
        edit: &NoteEdit,
    ) -> Result<Option<ChangeHash>, NotebookError> {
        let author = self.author()?;
        let actor = self.actor.clone();
        self.store.write(|tx| {
            let mut doc = load_existing_doc(tx, &actor, &listed.group, &listed.id)?;
            let before = doc.get_heads();
            let Some(change) = edit_note(&mut doc, edit, &author, Utc::now())? else {
                return Ok(None);
            };
            save_doc_changes(tx, &listed.group, &listed.id, &doc, &before)?;
            reindex(tx, &listed.group, &listed.id, &doc)?;
            Ok(Some(change))
        })
    }

    fn known_group(&self, group: Option<&str>) -> Result<String, NotebookError> {
        let group = group.map_or(PERSONAL_GROUP, str::trim);
        if self.groups()?.iter().any(|g| g == group) {
            Ok(group.to_owned())
        } else {
            Err(NotebookError::UnknownGroup {
                group: group.to_owned(),
            })
        }
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

/// The note with a title: its own, else the first line of its body (without `#`s), cut to
/// [`DERIVED_TITLE_CHARS`] characters.
fn with_title(new: &NewNote) -> Result<NewNote, NotebookError> {
    let mut new = new.clone();
    new.title = new.title.trim().to_owned();
    if new.title.is_empty() {
        let first = new
            .body
            .lines()
            .map(|l| l.trim().trim_start_matches('#').trim())
            .find(|l| !l.is_empty());
        new.title = first
            .ok_or(NotebookError::Untitled)?
            .chars()
            .take(DERIVED_TITLE_CHARS)
            .collect();
    }
    Ok(new)
}

/// The longest title taken from a body's first line.
pub const DERIVED_TITLE_CHARS: usize = 80;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_without_title_takes_its_first_line() {
        let new = NewNote {
            body: "\n## Riunione di marzo\nTesto".into(),
            ..NewNote::default()
        };
        assert_eq!(with_title(&new).unwrap().title, "Riunione di marzo");
    }

    #[test]
    fn a_given_title_is_kept_trimmed() {
        let new = NewNote {
            title: " Verbale ".into(),
            body: "# Altro".into(),
            ..NewNote::default()
        };
        assert_eq!(with_title(&new).unwrap().title, "Verbale");
    }

    #[test]
    fn a_note_with_neither_title_nor_body_is_refused() {
        assert!(matches!(
            with_title(&NewNote::default()),
            Err(NotebookError::Untitled)
        ));
    }
}
