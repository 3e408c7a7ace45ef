//! Damaged documents: setting their unreadable chunks aside, and knowing which still wait for a
//! peer to send them back.
//!
//! A chunk is damaged when its bytes no longer load on their own (a flipped bit fails the
//! checksum, a cut one fails to parse). A chunk whose bytes are intact but whose changes build on
//! changes in a damaged chunk is not damaged: it stays, and the document loads without those
//! changes until a peer sends the missing ones (automerge asks for them when syncing).
//!
//! Nothing is ever deleted here: damaged chunks move, bytes and all, to `damaged_chunks`, so a
//! rescue can still read what is left in them. The rows stay after the document is recovered,
//! marked as such.

use automerge::{Automerge, AutomergeError};
use chrono::Utc;
use rusqlite::{Connection, params};

use super::chunks::{Chunk, assemble, first_bad_chunk, load, load_chunks};
use crate::StoreError;

/// What was set aside from one damaged document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    pub ns: String,
    pub doc_id: String,
    /// The damaged chunks, by the id they had among the document's chunks.
    pub chunk_ids: Vec<i64>,
    /// Chunks still in place (intact, possibly waiting for changes a peer must send back).
    pub kept: usize,
}

/// A document as far as it can be loaded, after setting its damaged chunks aside.
#[derive(Debug)]
pub struct Salvaged {
    /// What loads of the document; `None` when nothing of it is left (or nothing was stored).
    pub doc: Option<Automerge>,
    /// What this load set aside, when the document was found damaged.
    pub set_aside: Option<SetAside>,
}

/// Loads the document like [`load`]; when it is damaged, first sets its damaged chunks aside
/// (see [`set_aside`]) and loads what remains. For callers that can get the rest back from a
/// peer: the relay and the client's sync.
pub fn load_salvaging(conn: &Connection, ns: &str, id: &str) -> Result<Salvaged, StoreError> {
    match load(conn, ns, id) {
        Ok(doc) => Ok(Salvaged {
            doc,
            set_aside: None,
        }),
        Err(StoreError::CorruptDocument { .. }) => {
            let set_aside = set_aside(conn, ns, id)?;
            Ok(Salvaged {
                doc: load(conn, ns, id)?,
                set_aside,
            })
        }
        Err(other) => Err(other),
    }
}

/// Moves the chunks of the document that cannot be read into `damaged_chunks`, until what
/// remains loads, and forgets its sync states (they claim changes that are gone, and would keep
/// peers from sending them again). Returns `None` when the document was not damaged.
///
/// Runs in a savepoint: on failure nothing moved.
pub fn set_aside(conn: &Connection, ns: &str, id: &str) -> Result<Option<SetAside>, StoreError> {
    conn.execute_batch("SAVEPOINT set_aside")?;
    let result = set_aside_rows(conn, ns, id);
    let end = if result.is_ok() {
        "RELEASE set_aside"
    } else {
        "ROLLBACK TO set_aside; RELEASE set_aside"
    };
    conn.execute_batch(end)?;
    result
}

fn set_aside_rows(conn: &Connection, ns: &str, id: &str) -> Result<Option<SetAside>, StoreError> {
    let mut moved = Vec::new();
    loop {
        let chunks = load_chunks(conn, ns, id)?;
        let Err(error) = assemble(ns, id, &chunks) else {
            break;
        };
        let damaged = damaged_chunks(&chunks);
        if damaged.is_empty() {
            // Every chunk reads alone, yet not together: nothing can be pinned on one chunk.
            return Err(error);
        }
        let now = Utc::now().to_rfc3339();
        for (chunk, reason) in damaged {
            move_aside(conn, ns, id, chunk, &reason, &now)?;
            moved.push(chunk.id);
        }
    }
    if moved.is_empty() {
        return Ok(None);
    }
    conn.execute(
        "DELETE FROM sync_states WHERE ns = ?1 AND doc_id = ?2",
        params![ns, id],
    )?;
    let kept = load_chunks(conn, ns, id)?.len();
    Ok(Some(SetAside {
        ns: ns.to_owned(),
        doc_id: id.to_owned(),
        chunk_ids: moved,
        kept,
    }))
}

/// The chunks that do not load on their own, with why; if each does, the first chunk that
/// breaks the load of those before it.
fn damaged_chunks(chunks: &[Chunk]) -> Vec<(&Chunk, String)> {
    let alone: Vec<(&Chunk, String)> = chunks
        .iter()
        .filter_map(|chunk| unreadable(chunk).map(|reason| (chunk, reason)))
        .collect();
    if !alone.is_empty() {
        return alone;
    }
    first_bad_chunk(chunks)
        .and_then(|bad| chunks.iter().find(|c| c.id == bad))
        .map(|chunk| (chunk, "does not load with the chunks before it".to_owned()))
        .into_iter()
        .collect()
}

/// Why a chunk's bytes cannot be read, or `None` when they can (changes whose dependencies are
/// elsewhere load fine once those arrive).
fn unreadable(chunk: &Chunk) -> Option<String> {
    match Automerge::load(&chunk.bytes) {
        Ok(_) | Err(AutomergeError::MissingDeps) => None,
        Err(error) => Some(error.to_string()),
    }
}

fn move_aside(
    conn: &Connection,
    ns: &str,
    id: &str,
    chunk: &Chunk,
    reason: &str,
    now: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO damaged_chunks (chunk_id, ns, doc_id, kind, bytes, reason, set_aside_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        chunk.id,
        ns,
        id,
        chunk.kind as i64,
        chunk.bytes,
        reason,
        now
    ])?;
    conn.prepare_cached("DELETE FROM chunks WHERE id = ?1")?
        .execute([chunk.id])?;
    Ok(())
}

/// Documents of `ns` with chunks set aside that no peer has sent back yet, sorted.
pub fn awaiting_recovery(conn: &Connection, ns: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT doc_id FROM damaged_chunks
         WHERE ns = ?1 AND recovered_at IS NULL ORDER BY doc_id",
    )?;
    let rows = stmt.query_map([ns], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether the document has chunks set aside that no peer has sent back yet.
pub fn is_awaiting_recovery(conn: &Connection, ns: &str, id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM damaged_chunks
             WHERE ns = ?1 AND doc_id = ?2 AND recovered_at IS NULL)",
        )?
        .query_row(params![ns, id], |row| row.get(0))?)
}

/// A peer sent the document back: its set-aside chunks stay, marked recovered. Returns how many
/// chunks were waiting.
pub fn mark_recovered(conn: &Connection, ns: &str, id: &str) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "UPDATE damaged_chunks SET recovered_at = ?3
             WHERE ns = ?1 AND doc_id = ?2 AND recovered_at IS NULL",
        )?
        .execute(params![ns, id, Utc::now().to_rfc3339()])?)
}
