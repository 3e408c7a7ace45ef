//! The one error type of the store.

use std::path::PathBuf;

/// Everything that can go wrong in the store. Each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file holds a schema this build does not know: writing to it could corrupt it.
    #[error(
        "this data was written by a newer version of Quaderno ({component} schema {found}, this build knows up to {known}): upgrade quaderno"
    )]
    NewerVersion {
        component: String,
        found: i64,
        known: i64,
    },

    /// SQLite could not open or prepare the file.
    #[error("cannot open the Quaderno data file {}: {source}; check that its folder exists and is writable", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },

    /// One document's stored bytes do not load. Other documents are unaffected and the
    /// damaged rows are left in place, untouched, for a later rescue.
    #[error(
        "document {ns}/{doc_id} cannot be read: {} is damaged ({source}); the other documents are unaffected, restore this one from a backup or a peer",
        chunk_id.map_or("its stored data".to_owned(), |id| format!("chunk {id}"))
    )]
    CorruptDocument {
        ns: String,
        doc_id: String,
        /// The first chunk (in write order) whose bytes cannot be loaded, when it could be found.
        chunk_id: Option<i64>,
        source: Box<automerge::AutomergeError>,
    },

    /// A note id this computer holds for one group came with another group's copy: ids belong
    /// to one group here, and the other copy is not indexed.
    #[error(
        "note {id} belongs to {group} on this computer: the copy {other} holds under the same id is set aside, not shown; tell the coordinators of {other}"
    )]
    NoteInAnotherGroup {
        id: String,
        /// The group the note belongs to here.
        group: String,
        /// The group whose copy was refused.
        other: String,
    },

    /// Any other SQLite failure (disk full, a file locked for too long, ...).
    #[error(
        "the Quaderno data file failed: {0}; if it persists, check free disk space and permissions"
    )]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// Whether trying the same operation again later may succeed (the file was busy),
    /// as opposed to a condition that needs a person to act.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}
