//! Creating notes: from fields, or from Markdown written in an editor.

use std::path::Path;

use chrono::Utc;
use quaderno_model::markdown::{from_markdown, to_markdown};
use quaderno_model::{DocumentId, NewNote, Note, create_note};

use super::documents::{ensure_writable, reindex, save_new_doc};
use super::notes::ShownNote;
use super::{Notebook, NotebookError, PERSONAL_GROUP};

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

    /// Whether notes may be written in `group` (the personal notebook when `None`): asked
    /// before an editor opens, so that nobody writes a note that cannot be saved.
    pub fn check_writable(&self, group: Option<&str>) -> Result<(), NotebookError> {
        let group = self.known_group(group)?;
        ensure_writable(self.store.conn(), &group)
    }

    pub(super) fn known_group(&self, group: Option<&str>) -> Result<String, NotebookError> {
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
