//! Storing what a page changed, and remembering which chunks that wrote.

use automerge::Automerge;
use quaderno_model::DocumentId;
use quaderno_store::docs;
use quaderno_store::index;
use quaderno_store::rusqlite::{Connection, TransactionBehavior};

use crate::NotebookError;
use crate::notebook::reindex;
use crate::ui::UiError;

/// Why a page's change was not stored.
pub(super) enum Refusal {
    /// It would leave the note unreadable (wrong shape, wrong kind).
    Invalid(String),
    Failed(Box<UiError>),
}

impl From<quaderno_store::StoreError> for Refusal {
    fn from(error: quaderno_store::StoreError) -> Self {
        Refusal::Failed(Box::new(error.into()))
    }
}

impl From<quaderno_store::rusqlite::Error> for Refusal {
    fn from(error: quaderno_store::rusqlite::Error) -> Self {
        Refusal::Failed(Box::new(error.into()))
    }
}

impl From<NotebookError> for Refusal {
    fn from(error: NotebookError) -> Self {
        Refusal::Failed(Box::new(error.into()))
    }
}

/// Where a page's changes were stored.
#[derive(Debug)]
pub(super) struct Stored {
    /// The group the note is in now (it may have moved since the page opened it).
    pub group: String,
    /// The chunk ids written, `(after, up to]`: nobody else can write in between, the
    /// transaction holds the write lock.
    pub chunks: (i64, i64),
}

/// Stores `changes` (already applied to `automerge`) and the note's new index row in one
/// transaction, in the group the index says the note is in at that moment. The note is not
/// compacted here: the engine does that once it goes quiet ([`super::CoEditing::refresh`]).
pub(super) fn store_page_changes(
    conn: &mut Connection,
    doc: &DocumentId,
    automerge: &Automerge,
    changes: &[u8],
) -> Result<Stored, Refusal> {
    let id = doc.to_string();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some(listed) = index::by_id(&tx, &id)? else {
        return Err(Refusal::Failed(Box::new(UiError::UnknownNote { id })));
    };
    let read_only = crate::groups::get(&tx, &listed.group)
        .map_err(|e| Refusal::Failed(Box::new(UiError::from(NotebookError::from_client(e)))))?
        .is_some_and(|group| !group.can_write());
    if read_only {
        return Err(Refusal::Invalid(format!(
            "group `{}` is read-only for this participant",
            listed.group
        )));
    }
    let before = docs::latest_chunk_id(&tx)?;
    docs::append_changes_without_compacting(&tx, &listed.group, &id, changes)?;
    match reindex(&tx, &listed.group, &id, automerge) {
        Ok(_) => {}
        Err(NotebookError::Model(error)) => return Err(Refusal::Invalid(error.to_string())),
        Err(error) => return Err(error.into()),
    }
    let after = docs::latest_chunk_id(&tx)?;
    tx.commit()?;
    Ok(Stored {
        group: listed.group,
        chunks: (before, after),
    })
}
