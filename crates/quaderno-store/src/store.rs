//! The participant's store: one SQLite file with the documents, settings and the note index.

use std::path::Path;

use rusqlite::{Connection, Transaction};

use crate::index::{self, IndexEntry, ListFilter, ListedNote, SearchHit};
use crate::{StoreError, begin_write, migrate, open_connection, settings};

/// The component name of the notebook tables in `schema_versions`.
pub const COMPONENT: &str = "notebook";

const MIGRATIONS: &[&str] = &[
    include_str!("index/schema_1.sql"),
    // 2: a note removed from the full-text index leaves no term behind in its segments.
    "INSERT INTO notes_fts (notes_fts, rank) VALUES ('secure-delete', 1);",
];

/// One SQLite file: documents (see [`docs`](crate::docs)), settings and the note index.
///
/// Reads go through [`Store::conn`] or the helpers; every write goes through [`Store::write`],
/// which runs it in one transaction.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the store file, refusing one written by a newer Quaderno.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = open_connection(path)?;
        migrate(&conn, COMPONENT, MIGRATIONS)?;
        Ok(Store { conn })
    }

    /// The connection, for reads (e.g. [`docs::load`](crate::docs::load)).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one write transaction (taken at once, so concurrent writers queue up
    /// instead of failing half-way), committed when `f` returns `Ok`, rolled back otherwise.
    pub fn write<T, E>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = begin_write(&mut self.conn).map_err(StoreError::from)?;
        let value = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// A setting (identity and the like), if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        settings::get(&self.conn, key)
    }

    /// Indexes one note, in its own transaction. Use [`index::upsert`] inside [`Store::write`] to
    /// index together with the document write.
    pub fn upsert_index(&mut self, entry: &IndexEntry) -> Result<(), StoreError> {
        self.write(|tx| index::upsert(tx, entry))
    }

    /// Notes matching `filter`, from the index only.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<ListedNote>, StoreError> {
        index::list(&self.conn, filter)
    }

    /// Full-text search over title, body and tags, best first.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        index::search(&self.conn, query, limit)
    }

    /// The indexed note with exactly this id.
    pub fn note(&self, id: &str) -> Result<Option<ListedNote>, StoreError> {
        index::by_id(&self.conn, id)
    }

    /// Indexed notes whose id starts with `prefix`.
    pub fn notes_with_id_prefix(&self, prefix: &str) -> Result<Vec<ListedNote>, StoreError> {
        index::by_id_prefix(&self.conn, prefix)
    }

    /// Indexed notes with exactly this title.
    pub fn notes_titled(&self, title: &str) -> Result<Vec<ListedNote>, StoreError> {
        index::by_title(&self.conn, title)
    }
}
