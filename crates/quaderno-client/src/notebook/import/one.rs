//! Importing one parsed file inside the batch's transaction.

use std::path::Path;

use automerge::ActorId;
use chrono::{DateTime, Utc};
use quaderno_model::markdown::MarkdownNote;
use quaderno_model::{Author, DocumentId, NoteEdit, create_note, edit_note, read_note};
use quaderno_store::index::{self, ListedNote};
use quaderno_store::rusqlite::Connection;

use super::{ImportOutcome, ImportedNote};
use crate::notebook::documents::{load_existing_doc, reindex, save_doc_changes, save_new_doc};
use crate::notebook::{NotebookError, PERSONAL_GROUP};

/// What every note of a batch shares.
pub(super) struct Context<'a> {
    pub actor: &'a ActorId,
    pub author: &'a Author,
    /// Where new notes go.
    pub group: &'a str,
    pub now: DateTime<Utc>,
    /// Whether a file may change a note of a group that exists here.
    pub update: bool,
}

pub(super) fn import_one(
    conn: &Connection,
    context: &Context<'_>,
    path: &Path,
    file: &MarkdownNote,
) -> Result<ImportedNote, NotebookError> {
    let existing = match file.id {
        Some(id) => index::by_id(conn, &id.to_string())?,
        None => None,
    };
    let (id, outcome) = match existing {
        Some(listed) if listed.group != PERSONAL_GROUP && !context.update => {
            (listed.id, ImportOutcome::Skipped)
        }
        Some(listed) => update(conn, context, &listed, file)?,
        None => create(conn, context, file)?,
    };
    Ok(ImportedNote {
        path: path.to_owned(),
        id,
        title: file.note.title.clone(),
        outcome,
    })
}

fn update(
    conn: &Connection,
    context: &Context<'_>,
    listed: &ListedNote,
    file: &MarkdownNote,
) -> Result<(String, ImportOutcome), NotebookError> {
    let mut doc = load_existing_doc(conn, context.actor, &listed.group, &listed.id)?;
    let current = read_note(&doc)?;
    // A file never moves a note to the bin, nor out of it.
    let edit = NoteEdit::between(&current, &file.note);
    let before = doc.get_heads();
    if edit_note(&mut doc, &edit, context.author, context.now)?.is_none() {
        return Ok((listed.id.clone(), ImportOutcome::Unchanged));
    }
    save_doc_changes(conn, &listed.group, &listed.id, &doc, &before)?;
    reindex(conn, &listed.group, &listed.id, &doc)?;
    Ok((listed.id.clone(), ImportOutcome::Updated))
}

fn create(
    conn: &Connection,
    context: &Context<'_>,
    file: &MarkdownNote,
) -> Result<(String, ImportOutcome), NotebookError> {
    let id = file.id.unwrap_or_else(DocumentId::random).to_string();
    let created_at = file.created_at.unwrap_or(context.now);
    let mut doc = create_note(&file.note, context.author, created_at)?;
    doc.set_actor(context.actor.clone());
    save_new_doc(conn, context.group, &id, &doc)?;
    reindex(conn, context.group, &id, &doc)?;
    Ok((id, ImportOutcome::Created))
}
