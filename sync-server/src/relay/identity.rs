//! The relay's own identity: a storage id and a peer id made once and kept in its database, so
//! clients see the same relay across restarts.
//!
//! The storage id is also the relay's *epoch*. automerge-repo peers key the sync states they
//! keep by the storage id their peer announces, and Quaderno's clients key by it what they
//! believe the relay holds. A restore from a backup puts back a database that lacks whatever
//! came after the backup, so [`new_epoch`] gives it a new storage id: every peer then starts
//! from what the relay really holds and sends back what it lacks. The peer id stays, as the
//! name clients know the relay by.

use quaderno_store::rusqlite::{Connection, OptionalExtension, params};
use quaderno_sync::PeerId;

use crate::db::{Db, DbError};

/// The component of these tables in `schema_versions`.
pub const COMPONENT: &str = "relay-runtime";
/// Their migrations, in order.
pub const MIGRATIONS: &[&str] = &[
    "CREATE TABLE relay_identity (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        storage_id TEXT NOT NULL
    );",
    // 2: the peer id kept on its own, so that a new storage id (a restore) leaves it as it was.
    "ALTER TABLE relay_identity ADD COLUMN peer_id TEXT;
     UPDATE relay_identity SET peer_id = 'quaderno-relay-' || substr(storage_id, 1, 8);",
];

#[derive(Debug, Clone)]
pub struct Identity {
    /// The epoch: new at every restore.
    pub storage_id: String,
    pub peer_id: PeerId,
}

pub fn load_or_create(db: &Db) -> Result<Identity, DbError> {
    db.with_conn(|conn| {
        quaderno_store::migrate(conn, COMPONENT, MIGRATIONS)?;
        let existing: Option<(String, String)> = conn
            .query_row(
                "SELECT storage_id, peer_id FROM relay_identity WHERE id = 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (storage_id, peer_id) = match existing {
            Some(found) => found,
            None => {
                let storage_id = uuid::Uuid::new_v4().to_string();
                let peer_id = format!("quaderno-relay-{}", &storage_id[..8]);
                conn.execute(
                    "INSERT INTO relay_identity (id, storage_id, peer_id) VALUES (1, ?1, ?2)",
                    params![storage_id, peer_id],
                )?;
                (storage_id, peer_id)
            }
        };
        Ok(Identity {
            storage_id,
            peer_id: PeerId::new(peer_id),
        })
    })
}

/// Gives the database on `conn` a new epoch (a new random storage id) and returns it. A
/// database that never served has no identity yet: its first `serve` makes one, new as well.
pub fn new_epoch(conn: &Connection) -> Result<Option<String>, DbError> {
    quaderno_store::migrate(conn, COMPONENT, MIGRATIONS)?;
    let epoch = uuid::Uuid::new_v4().to_string();
    let changed = conn.execute(
        "UPDATE relay_identity SET storage_id = ?1 WHERE id = 1",
        [&epoch],
    )?;
    Ok((changed == 1).then_some(epoch))
}
