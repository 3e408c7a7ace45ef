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
/// transaction, in the group the index says the note is in at that moment.
///
/// `folded` says which chunks this engine has in memory: those up to the note's `seen`, and its
/// own. While the note has another chunk (a change the live sync just stored) it is not
/// compacted: the snapshot would be counted as this engine's own write, and the change in it
/// would never reach the pages.
pub(super) fn store_page_changes(
    conn: &mut Connection,
    doc: &DocumentId,
    automerge: &Automerge,
    changes: &[u8],
    (seen, own): (i64, &OwnChunks),
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
    let unread = docs::doc_chunks_since(&tx, &listed.group, &id, seen)?;
    if unread.iter().all(|chunk| own.contains(*chunk)) {
        docs::append_changes(&tx, &listed.group, &id, changes)?;
    } else {
        docs::append_changes_without_compacting(&tx, &listed.group, &id, changes)?;
    }
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

/// Chunk ids written by this engine, as `(after, up to]` ranges.
#[derive(Debug, Default)]
pub(super) struct OwnChunks(Vec<(i64, i64)>);

impl OwnChunks {
    pub fn add(&mut self, (after, upto): (i64, i64)) {
        if upto > after {
            self.0.push((after, upto));
        }
    }

    pub fn contains(&self, chunk: i64) -> bool {
        self.0
            .iter()
            .any(|(after, upto)| chunk > *after && chunk <= *upto)
    }

    /// Forgets ranges nobody will ask about again (every open note has read past them).
    pub fn forget_upto(&mut self, chunk: i64) {
        self.0.retain(|(_, upto)| *upto > chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::OwnChunks;

    #[test]
    fn own_chunks_are_ranges_open_below_and_closed_above() {
        let mut own = OwnChunks::default();
        own.add((3, 5));
        own.add((9, 9));
        assert!(!own.contains(3));
        assert!(own.contains(4) && own.contains(5));
        assert!(!own.contains(9), "an empty range holds nothing");
        own.forget_upto(5);
        assert!(!own.contains(5));
    }
}
