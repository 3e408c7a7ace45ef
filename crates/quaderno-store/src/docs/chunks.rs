//! Reading and writing a document's chunks.

use automerge::{Automerge, AutomergeError, LoadOptions, OnPartialLoad};
use rusqlite::{Connection, OptionalExtension, params};

use super::compact;
use crate::StoreError;

/// What a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    /// A whole document, as `Automerge::save` writes it.
    Snapshot = 0,
    /// Changes, as `Automerge::save_after` writes them.
    Incremental = 1,
}

impl ChunkKind {
    fn from_column(value: i64) -> ChunkKind {
        if value == 0 {
            ChunkKind::Snapshot
        } else {
            ChunkKind::Incremental
        }
    }
}

/// One stored row of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub id: i64,
    pub kind: ChunkKind,
    pub bytes: Vec<u8>,
}

/// A document that has chunks written after some point, with the newest chunk id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedDoc {
    pub ns: String,
    pub doc_id: String,
    pub last_chunk_id: i64,
}

/// The document `id` in `ns`, or `None` when nothing is stored for it.
pub fn load(conn: &Connection, ns: &str, id: &str) -> Result<Option<Automerge>, StoreError> {
    let chunks = load_chunks(conn, ns, id)?;
    if chunks.is_empty() {
        return Ok(None);
    }
    assemble(ns, id, &chunks).map(Some)
}

/// The raw chunks of a document, in write order.
pub fn load_chunks(conn: &Connection, ns: &str, id: &str) -> Result<Vec<Chunk>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, bytes FROM chunks WHERE ns = ?1 AND doc_id = ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![ns, id], |row| {
        Ok(Chunk {
            id: row.get(0)?,
            kind: ChunkKind::from_column(row.get(1)?),
            bytes: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether anything is stored for the document.
pub fn exists(conn: &Connection, ns: &str, id: &str) -> Result<bool, StoreError> {
    let found = conn
        .prepare_cached("SELECT 1 FROM chunks WHERE ns = ?1 AND doc_id = ?2 LIMIT 1")?
        .query_row(params![ns, id], |_| Ok(()))
        .optional()?;
    Ok(found.is_some())
}

/// Appends changes (the output of `save_after` or `save_incremental`) and returns the new chunk
/// id. Then compacts the document when its incremental chunks have outgrown its snapshots,
/// see [`compact`](super::compact).
pub fn append_changes(
    conn: &Connection,
    ns: &str,
    id: &str,
    bytes: &[u8],
) -> Result<i64, StoreError> {
    let chunk_id = append_changes_without_compacting(conn, ns, id, bytes)?;
    compact::compact_if_needed(conn, ns, id)?;
    Ok(chunk_id)
}

/// Appends changes like [`append_changes`] but leaves compaction to the caller
/// ([`compact_if_needed`](super::compact_if_needed)), for one that has something more urgent
/// to do first (send the change on), that waits for the document to go quiet
/// ([`QuietDocs`](super::QuietDocs)), or that must not compact yet (a live sync that has not
/// read an edit another process appended: compacting would fold it into a snapshot of its own
/// and the edit would look like its own write).
pub fn append_changes_without_compacting(
    conn: &Connection,
    ns: &str,
    id: &str,
    bytes: &[u8],
) -> Result<i64, StoreError> {
    insert(conn, ns, id, ChunkKind::Incremental, bytes)
}

/// Adds a whole-document snapshot (the output of `save`). Existing chunks are kept: loading
/// merges them all, and the next compaction folds them together. Meant for a new document.
pub fn put_snapshot(
    conn: &Connection,
    ns: &str,
    id: &str,
    bytes: &[u8],
) -> Result<i64, StoreError> {
    insert(conn, ns, id, ChunkKind::Snapshot, bytes)
}

/// Removes every trace of the document: its chunks, the damaged ones set aside, and its sync
/// states.
pub fn delete(conn: &Connection, ns: &str, id: &str) -> Result<(), StoreError> {
    for table in ["chunks", "damaged_chunks", "sync_states"] {
        conn.execute(
            &format!("DELETE FROM {table} WHERE ns = ?1 AND doc_id = ?2"),
            params![ns, id],
        )?;
    }
    Ok(())
}

/// The ids of every document stored in `ns`, sorted.
pub fn list_ids(conn: &Connection, ns: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT doc_id FROM chunks WHERE ns = ?1 ORDER BY doc_id")?;
    let rows = stmt.query_map([ns], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Documents with chunks newer than `chunk_id`, in every namespace. A long-running process
/// remembers the largest `last_chunk_id` it has seen and polls this to notice writes made by
/// other processes (compactions show up too: they write a new chunk).
pub fn changed_since(conn: &Connection, chunk_id: i64) -> Result<Vec<ChangedDoc>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT ns, doc_id, MAX(id) FROM chunks WHERE id > ?1 GROUP BY ns, doc_id ORDER BY MAX(id)",
    )?;
    let rows = stmt.query_map([chunk_id], |row| {
        Ok(ChangedDoc {
            ns: row.get(0)?,
            doc_id: row.get(1)?,
            last_chunk_id: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The ids of the document's chunks written after `chunk_id`, oldest first.
pub fn doc_chunks_since(
    conn: &Connection,
    ns: &str,
    id: &str,
    chunk_id: i64,
) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM chunks WHERE ns = ?1 AND doc_id = ?2 AND id > ?3 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![ns, id, chunk_id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every chunk of namespace `ns` written after `chunk_id`, as (document id, chunk id), oldest
/// first. A process that remembers which chunk ids it wrote itself can tell from this what
/// other processes wrote.
pub fn chunks_since(
    conn: &Connection,
    ns: &str,
    chunk_id: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    // `+ns` keeps SQLite off the (ns, doc_id, id) index, which would read and sort every chunk
    // of the namespace: this is a poll, run every few milliseconds, and usually finds nothing
    // past the last id, which the primary key reaches at once.
    let mut stmt = conn
        .prepare_cached("SELECT doc_id, id FROM chunks WHERE id > ?2 AND +ns = ?1 ORDER BY id")?;
    let rows = stmt.query_map(params![ns, chunk_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Moves a document (its chunks, damaged chunks set aside and sync states) to another
/// namespace, as when a note leaves the personal notebook for a group. The chunks get new ids,
/// so pollers see the move.
pub fn move_to(conn: &Connection, id: &str, from: &str, to: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO chunks (ns, doc_id, kind, bytes)
         SELECT ?3, doc_id, kind, bytes FROM chunks WHERE ns = ?2 AND doc_id = ?1 ORDER BY id",
        params![id, from, to],
    )?;
    conn.execute(
        "DELETE FROM chunks WHERE ns = ?2 AND doc_id = ?1",
        params![id, from],
    )?;
    for table in ["damaged_chunks", "sync_states"] {
        conn.execute(
            &format!("UPDATE {table} SET ns = ?3 WHERE ns = ?2 AND doc_id = ?1"),
            params![id, from, to],
        )?;
    }
    Ok(())
}

/// The largest chunk id ever handed out (0 on a fresh file): where a poller starts.
pub fn latest_chunk_id(conn: &Connection) -> Result<i64, StoreError> {
    let seq = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'chunks'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    Ok(seq.unwrap_or(0))
}

fn insert(
    conn: &Connection,
    ns: &str,
    id: &str,
    kind: ChunkKind,
    bytes: &[u8],
) -> Result<i64, StoreError> {
    conn.prepare_cached("INSERT INTO chunks (ns, doc_id, kind, bytes) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![ns, id, kind as i64, bytes])?;
    Ok(conn.last_insert_rowid())
}

/// Loads chunks into one document. All the bytes are loaded in one go, so automerge applies
/// every change as one batch. On failure, finds the first chunk that breaks the load.
pub(super) fn assemble(ns: &str, id: &str, chunks: &[Chunk]) -> Result<Automerge, StoreError> {
    let all: Vec<u8> = chunks
        .iter()
        .flat_map(|c| c.bytes.iter().copied())
        .collect();
    load_bytes(&all).map_err(|source| StoreError::CorruptDocument {
        ns: ns.to_owned(),
        doc_id: id.to_owned(),
        chunk_id: first_bad_chunk(chunks),
        source: Box::new(source),
    })
}

/// Loads stored bytes. Changes whose dependencies are missing (they were in a chunk set aside
/// as damaged) are kept waiting inside the document, as automerge does when the first chunk is
/// a snapshot, whatever the first chunk: the bytes are intact, and syncing asks a peer for what
/// they need. Damaged bytes still fail.
fn load_bytes(bytes: &[u8]) -> Result<Automerge, automerge::AutomergeError> {
    match Automerge::load(bytes) {
        Err(AutomergeError::MissingDeps) => Automerge::load_with_options(
            bytes,
            LoadOptions::new().on_partial_load(OnPartialLoad::Ignore),
        ),
        loaded => loaded,
    }
}

/// The first chunk whose prefix (it and everything before it) fails to load: a binary search
/// over prefixes, run only after a load has failed.
pub(super) fn first_bad_chunk(chunks: &[Chunk]) -> Option<i64> {
    let loads = |n: usize| {
        let prefix: Vec<u8> = chunks[..n]
            .iter()
            .flat_map(|c| c.bytes.iter().copied())
            .collect();
        load_bytes(&prefix).is_ok()
    };
    let good = (1..=chunks.len())
        .collect::<Vec<_>>()
        .partition_point(|&n| loads(n));
    chunks.get(good).map(|c| c.id)
}

#[cfg(test)]
mod move_tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    use super::*;

    #[test]
    fn a_moved_document_loads_from_its_new_namespace_only_and_gets_new_chunk_ids() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::open_connection(&dir.path().join("s.sqlite3")).unwrap();
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "title", "verbale").unwrap();
        put_snapshot(&conn, "personal", "d1", &doc.save()).unwrap();
        let before = latest_chunk_id(&conn).unwrap();

        move_to(&conn, "d1", "personal", "palermo").unwrap();

        assert!(load(&conn, "personal", "d1").unwrap().is_none());
        assert!(load(&conn, "palermo", "d1").unwrap().is_some());
        let moved = chunks_since(&conn, "palermo", before).unwrap();
        assert_eq!(moved, vec![("d1".to_string(), before + 1)]);
        assert!(chunks_since(&conn, "personal", 0).unwrap().is_empty());
    }
}
