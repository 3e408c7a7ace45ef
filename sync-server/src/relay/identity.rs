//! The relay's own identity: a storage id made once and kept in its database, and the peer id
//! derived from it, so clients see the same relay across restarts.

use quaderno_store::rusqlite::OptionalExtension;
use quaderno_sync::PeerId;

use crate::db::{Db, DbError};

const COMPONENT: &str = "relay-runtime";
const MIGRATIONS: &[&str] = &["CREATE TABLE relay_identity (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        storage_id TEXT NOT NULL
    );"];

#[derive(Debug, Clone)]
pub struct Identity {
    pub storage_id: String,
    pub peer_id: PeerId,
}

pub fn load_or_create(db: &Db) -> Result<Identity, DbError> {
    db.with_conn(|conn| {
        quaderno_store::migrate(conn, COMPONENT, MIGRATIONS)?;
        let existing: Option<String> = conn
            .query_row(
                "SELECT storage_id FROM relay_identity WHERE id = 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        let storage_id = match existing {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                conn.execute(
                    "INSERT INTO relay_identity (id, storage_id) VALUES (1, ?1)",
                    [&id],
                )?;
                id
            }
        };
        let peer_id = PeerId::new(format!("quaderno-relay-{}", &storage_id[..8]));
        Ok(Identity {
            storage_id,
            peer_id,
        })
    })
}
