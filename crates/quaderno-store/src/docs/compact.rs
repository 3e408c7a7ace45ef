//! Folding a document's chunks into one snapshot.

use rusqlite::{Connection, params};

use super::OwnChunks;
use super::chunks::{assemble, doc_chunks_since, load_chunks, put_snapshot};
use crate::StoreError;

/// Bytes stored for one document, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChunkSizes {
    pub snapshot_bytes: i64,
    pub incremental_bytes: i64,
}

/// Compaction pays off once the incremental chunks weigh more than the snapshots: loading then
/// spends more time on changes than on the document itself.
pub fn should_compact(sizes: ChunkSizes) -> bool {
    sizes.incremental_bytes > sizes.snapshot_bytes
}

/// Compacts the document if [`should_compact`] says so; returns whether it did.
pub fn compact_if_needed(conn: &Connection, ns: &str, id: &str) -> Result<bool, StoreError> {
    if !should_compact(sizes(conn, ns, id)?) {
        return Ok(false);
    }
    compact(conn, ns, id)?;
    Ok(true)
}

/// [`compact_if_needed`] for a writer that holds the document in memory and also reads what
/// others append to it (the live sync, whose hubs serve the pages), unless the document has a
/// chunk after `read_upto` that is not one of `own`: a change the writer has not read yet.
/// Folded into a snapshot the writer counts as its own write, that change would never reach
/// it. Returns false when the document has to wait until the writer has read it.
pub fn compact_if_all_read(
    conn: &Connection,
    ns: &str,
    id: &str,
    read_upto: i64,
    own: &OwnChunks,
) -> Result<bool, StoreError> {
    let newer = doc_chunks_since(conn, ns, id, read_upto)?;
    if !newer.iter().all(|chunk| own.contains(*chunk)) {
        return Ok(false);
    }
    compact_if_needed(conn, ns, id)?;
    Ok(true)
}

/// Replaces the document's chunks by one snapshot.
///
/// Reads every row of the document from the database (never a caller's in-memory copy, which may
/// miss a row another process appended since), saves them as one snapshot and deletes exactly
/// the rows it read, all inside one savepoint. A document that does not load is left as it is
/// (logged): its rows stay for a rescue and the write that triggered compaction still succeeds.
pub fn compact(conn: &Connection, ns: &str, id: &str) -> Result<(), StoreError> {
    conn.execute_batch("SAVEPOINT compact")?;
    let result = compact_rows(conn, ns, id);
    let end = if result.is_ok() {
        "RELEASE compact"
    } else {
        "ROLLBACK TO compact; RELEASE compact"
    };
    conn.execute_batch(end)?;
    result
}

fn compact_rows(conn: &Connection, ns: &str, id: &str) -> Result<(), StoreError> {
    let chunks = load_chunks(conn, ns, id)?;
    let doc = match assemble(ns, id, &chunks) {
        Ok(doc) => doc,
        Err(error) => {
            tracing::warn!(%error, "not compacting a document that does not load");
            return Ok(());
        }
    };
    put_snapshot(conn, ns, id, &doc.save())?;
    let mut delete = conn.prepare_cached("DELETE FROM chunks WHERE id = ?1")?;
    for chunk in &chunks {
        delete.execute([chunk.id])?;
    }
    tracing::debug!(ns, doc_id = id, folded = chunks.len(), "compacted");
    Ok(())
}

fn sizes(conn: &Connection, ns: &str, id: &str) -> Result<ChunkSizes, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, SUM(length(bytes)) FROM chunks WHERE ns = ?1 AND doc_id = ?2 GROUP BY kind",
    )?;
    let mut sizes = ChunkSizes::default();
    for row in stmt.query_map(params![ns, id], |row| {
        Ok((row.get::<_, i64>(0)?, row.get(1)?))
    })? {
        match row? {
            (0, bytes) => sizes.snapshot_bytes = bytes,
            (_, bytes) => sizes.incremental_bytes += bytes,
        }
    }
    Ok(sizes)
}
