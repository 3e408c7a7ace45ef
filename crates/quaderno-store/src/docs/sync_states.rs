//! Per-peer sync states (`automerge::sync::State`), so a reconnecting peer does not start over.
//!
//! A stored state that no longer decodes is treated as absent (and logged): syncing from
//! scratch is always correct, only slower.

use automerge::sync;
use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;

/// The saved state of `peer` for the document, if any.
pub fn sync_state(
    conn: &Connection,
    ns: &str,
    id: &str,
    peer: &str,
) -> Result<Option<sync::State>, StoreError> {
    let bytes: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT state FROM sync_states WHERE ns = ?1 AND doc_id = ?2 AND peer = ?3",
        )?
        .query_row(params![ns, id, peer], |row| row.get(0))
        .optional()?;
    Ok(bytes.and_then(|bytes| decode(peer, &bytes)))
}

/// Every saved state of the document, by peer.
pub fn sync_states(
    conn: &Connection,
    ns: &str,
    id: &str,
) -> Result<Vec<(String, sync::State)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT peer, state FROM sync_states WHERE ns = ?1 AND doc_id = ?2 ORDER BY peer",
    )?;
    let rows = stmt.query_map(params![ns, id], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
    })?;
    let mut states = Vec::new();
    for row in rows {
        let (peer, bytes) = row?;
        if let Some(state) = decode(&peer, &bytes) {
            states.push((peer, state));
        }
    }
    Ok(states)
}

/// Saves (or replaces) the state of `peer` for the document.
pub fn put_sync_state(
    conn: &Connection,
    ns: &str,
    id: &str,
    peer: &str,
    state: &sync::State,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sync_states (ns, doc_id, peer, state) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (ns, doc_id, peer) DO UPDATE SET state = excluded.state",
    )?
    .execute(params![ns, id, peer, state.encode()])?;
    Ok(())
}

/// Drops every saved state in the namespace: the peers they describe are to be synced from
/// scratch (a relay restored from a backup no longer holds what they say). Returns how many.
pub fn forget_sync_states(conn: &Connection, ns: &str) -> Result<usize, StoreError> {
    Ok(conn.execute("DELETE FROM sync_states WHERE ns = ?1", [ns])?)
}

fn decode(peer: &str, bytes: &[u8]) -> Option<sync::State> {
    sync::State::decode(bytes)
        .inspect_err(|error| tracing::warn!(peer, %error, "ignoring a damaged sync state"))
        .ok()
}
