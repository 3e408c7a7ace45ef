//! The names the relay vouches for: who wrote with each Automerge actor of a group, and who
//! each device's peer id belongs to, as the relay knows them (`/v1/groups/{group}/authors`),
//! read again at every connection. History and presence show these names, not the ones a
//! change or a presence message claims, and show the claimed one beside it when they differ.

use std::collections::HashMap;

use quaderno_store::rusqlite::{Connection, params};
use quaderno_store::{StoreError, migrate};

use crate::relays::RelayAuthors;

const COMPONENT: &str = "client-vouched-names";
const MIGRATIONS: &[&str] = &["CREATE TABLE vouched_actors (
        group_slug TEXT NOT NULL,
        actor TEXT NOT NULL,
        name TEXT NOT NULL,
        city TEXT NOT NULL,
        PRIMARY KEY (group_slug, actor)
    ) WITHOUT ROWID;
    CREATE TABLE vouched_peers (
        group_slug TEXT NOT NULL,
        peer_id TEXT NOT NULL,
        name TEXT NOT NULL,
        city TEXT NOT NULL,
        PRIMARY KEY (group_slug, peer_id)
    ) WITHOUT ROWID;"];

/// Creates the tables if this store has none yet.
pub fn ensure_schema(conn: &Connection) -> Result<(), StoreError> {
    migrate(conn, COMPONENT, MIGRATIONS)
}

/// Replaces what is known of `group` with what the relay said.
pub fn store(conn: &Connection, group: &str, said: &RelayAuthors) -> Result<(), StoreError> {
    ensure_schema(conn)?;
    conn.execute("DELETE FROM vouched_actors WHERE group_slug = ?1", [group])?;
    conn.execute("DELETE FROM vouched_peers WHERE group_slug = ?1", [group])?;
    let mut actors = conn.prepare_cached(
        "INSERT OR REPLACE INTO vouched_actors (group_slug, actor, name, city) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for a in &said.authors {
        actors.execute(params![group, a.actor, a.name, a.city])?;
    }
    let mut peers = conn.prepare_cached(
        "INSERT OR REPLACE INTO vouched_peers (group_slug, peer_id, name, city) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for p in &said.peers {
        peers.execute(params![group, p.peer_id, p.name, p.city])?;
    }
    Ok(())
}

/// Each vouched actor of `group` (hex) with its author as history names them, "Name (City)".
/// The tables must exist ([`ensure_schema`]; the notebook makes them when it opens).
pub fn actor_names(conn: &Connection, group: &str) -> Result<HashMap<String, String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT actor, name, city FROM vouched_actors WHERE group_slug = ?1")?;
    let rows = stmt.query_map([group], |row| {
        let (actor, name, city): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        Ok((actor, quaderno_model::Author::new(name, city).to_string()))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Each device of `group` by peer id, with its person's name and city (after [`store`]).
pub fn peer_names(
    conn: &Connection,
    group: &str,
) -> Result<HashMap<String, (String, String)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT peer_id, name, city FROM vouched_peers WHERE group_slug = ?1")?;
    let rows = stmt.query_map([group], |row| {
        Ok((row.get::<_, String>(0)?, (row.get(1)?, row.get(2)?)))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
