//! What the page asks of a note beyond typing: create, fields, bin, move, history, export.
//! Each change is made through the notebook (one transaction with the index) and, for a note
//! of a group, returned as [`Pushed`] so the caller hands it to the live sync at once.

use automerge::ChangeHash;
use automerge::ReadDoc;
use quaderno_model::markdown::to_markdown;
use quaderno_model::{DocumentId, NewNote, Note, NoteEdit, history};
use quaderno_store::index::ListedNote;

use super::history::{HistoryStep, history_steps, version_at};
use super::{FieldsEdit, UiError};
use crate::Notebook;
use crate::notebook::{PERSONAL_GROUP, ShownNote, export_file_name};

/// Changes stored for a note of a group, to push to its relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub group: String,
    pub doc: DocumentId,
    pub changes: Vec<u8>,
}

/// A new note in `group` (the personal notebook when `None`) titled `title`.
pub fn create_note(
    notebook: &mut Notebook,
    group: Option<&str>,
    title: &str,
) -> Result<(ShownNote, Option<Pushed>), UiError> {
    let new = NewNote {
        title: title.to_owned(),
        ..NewNote::default()
    };
    let shown = notebook.create(&new, group)?;
    let doc = parse_id(&shown.id)?;
    let pushed = match notebook.load_doc(&shown.group, &shown.id)? {
        Some(automerge) if shown.group != PERSONAL_GROUP => Some(Pushed {
            group: shown.group.clone(),
            doc,
            changes: automerge.save(),
        }),
        _ => None,
    };
    Ok((shown, pushed))
}

/// Sets the note's tags and meeting data as the form gives them.
pub fn edit_fields(
    notebook: &mut Notebook,
    doc: &DocumentId,
    form: &FieldsEdit,
) -> Result<Option<Pushed>, UiError> {
    let (listed, note) = current(notebook, doc)?;
    let edit = form.to_edit(&note)?;
    let change = notebook.edit(&listed.id, &edit)?;
    pushed(notebook, &listed, change)
}

/// Moves the note to the bin, or back.
pub fn set_deleted(
    notebook: &mut Notebook,
    doc: &DocumentId,
    deleted: bool,
) -> Result<Option<Pushed>, UiError> {
    let (listed, _) = current(notebook, doc)?;
    let edit = NoteEdit {
        deleted: Some(deleted),
        ..NoteEdit::default()
    };
    let change = notebook.edit(&listed.id, &edit)?;
    pushed(notebook, &listed, change)
}

/// Gives the note back the title and text it had at a step of its history. Only what differs
/// changes, so whatever others write meanwhile merges with it.
pub fn restore_text(
    notebook: &mut Notebook,
    doc: &DocumentId,
    change: &str,
) -> Result<Option<Pushed>, UiError> {
    let then = version(notebook, doc, change)?;
    let (listed, _) = current(notebook, doc)?;
    let edit = NoteEdit {
        title: Some(then.title),
        body: Some(then.body),
        ..NoteEdit::default()
    };
    let change = notebook.edit(&listed.id, &edit)?;
    pushed(notebook, &listed, change)
}

/// Moves a personal note into a joined group, which shares it from now on.
pub fn move_note(
    notebook: &mut Notebook,
    doc: &DocumentId,
    group: &str,
) -> Result<Pushed, UiError> {
    let shown = notebook.move_to_group(&doc.to_string(), group)?;
    let automerge = notebook
        .load_doc(&shown.group, &shown.id)?
        .ok_or_else(|| unknown(doc))?;
    Ok(Pushed {
        group: shown.group,
        doc: *doc,
        changes: automerge.save(),
    })
}

/// The history of the note, newest step first.
pub fn steps(notebook: &Notebook, doc: &DocumentId) -> Result<Vec<HistoryStep>, UiError> {
    let (listed, _) = current(notebook, doc)?;
    let automerge = notebook
        .load_doc(&listed.group, &listed.id)?
        .ok_or_else(|| unknown(doc))?;
    Ok(history_steps(&history(&automerge)))
}

/// The note as it was at a step of its history.
pub fn version(notebook: &Notebook, doc: &DocumentId, change: &str) -> Result<Note, UiError> {
    let (listed, _) = current(notebook, doc)?;
    let automerge = notebook
        .load_doc(&listed.group, &listed.id)?
        .ok_or_else(|| unknown(doc))?;
    version_at(&automerge, change)
}

/// The note as a Markdown file: its file name and text.
pub fn markdown(notebook: &Notebook, doc: &DocumentId) -> Result<(String, String), UiError> {
    let (listed, note) = current(notebook, doc)?;
    let name = export_file_name(&note.title, &listed.id);
    Ok((name, to_markdown(doc, &note, Some(&listed.group))))
}

fn current(notebook: &Notebook, doc: &DocumentId) -> Result<(ListedNote, Note), UiError> {
    let id = doc.to_string();
    // By its full id only: a page never names a note by title or prefix.
    let listed = match notebook.resolve(&id) {
        Ok(listed) if listed.id == id => listed,
        Ok(_) | Err(crate::NotebookError::UnknownNote { .. }) => return Err(unknown(doc)),
        Err(error) => return Err(error.into()),
    };
    let shown = notebook.show(&listed.id)?;
    Ok((listed, shown.note))
}

fn pushed(
    notebook: &Notebook,
    listed: &ListedNote,
    change: Option<ChangeHash>,
) -> Result<Option<Pushed>, UiError> {
    let Some(change) = change else {
        return Ok(None);
    };
    if listed.group == PERSONAL_GROUP {
        return Ok(None);
    }
    let automerge = notebook
        .load_doc(&listed.group, &listed.id)?
        .ok_or_else(|| UiError::UnknownNote {
            id: listed.id.clone(),
        })?;
    let doc = parse_id(&listed.id)?;
    Ok(automerge.get_change_by_hash(&change).map(|c| Pushed {
        group: listed.group.clone(),
        doc,
        changes: c.raw_bytes().to_vec(),
    }))
}

fn parse_id(id: &str) -> Result<DocumentId, UiError> {
    id.parse()
        .map_err(|_| UiError::UnknownNote { id: id.to_owned() })
}

fn unknown(doc: &DocumentId) -> UiError {
    UiError::UnknownNote {
        id: doc.to_string(),
    }
}
