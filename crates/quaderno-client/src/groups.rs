//! The groups this machine joined, kept in the store: which relay, the role, the group's index
//! document, and how far the last complete sync got.

use chrono::{DateTime, Utc};
use quaderno_model::DocumentId;
use quaderno_store::rusqlite::{Connection, OptionalExtension, Row, params};

use crate::ClientError;
use crate::relays::JoinedGroup;

const COMPONENT: &str = "client-sync";
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE sync_groups (
        slug TEXT PRIMARY KEY,
        relay_url TEXT NOT NULL,
        title TEXT NOT NULL,
        role TEXT NOT NULL,
        index_doc TEXT NOT NULL,
        -- The relay's change sequence at the start of the last complete sync.
        last_seq INTEGER NOT NULL DEFAULT 0,
        -- Chunks up to this id are known to the relay (or were written by a sync).
        synced_chunk INTEGER NOT NULL DEFAULT 0,
        last_complete_sync INTEGER,
        -- Why the relay refused this device here; syncing stops until the next join.
        refused TEXT
    );",
    // 2: the relay's epoch as last seen: a new one means the relay was restored from a backup.
    "ALTER TABLE sync_groups ADD COLUMN relay_epoch TEXT;",
];

/// A joined group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub slug: String,
    pub relay_url: String,
    pub title: String,
    pub role: String,
    pub index_doc: DocumentId,
    pub last_seq: u64,
    pub synced_chunk: i64,
    pub last_complete_sync: Option<DateTime<Utc>>,
    pub refused: Option<String>,
    /// The relay's epoch when this machine last heard from it (`None` before it first said).
    pub relay_epoch: Option<String>,
}

impl Group {
    pub fn can_write(&self) -> bool {
        self.role != "reader"
    }
}

/// Creates the table if needed (every process that reads groups calls this once).
pub fn ensure_schema(conn: &Connection) -> Result<(), ClientError> {
    quaderno_store::migrate(conn, COMPONENT, MIGRATIONS)?;
    Ok(())
}

pub fn all(conn: &Connection) -> Result<Vec<Group>, ClientError> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY slug"))?;
    let rows = stmt.query_map([], row_to_group)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(conn: &Connection, slug: &str) -> Result<Option<Group>, ClientError> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE slug = ?1"))?;
    Ok(stmt.query_row([slug], row_to_group).optional()?)
}

/// Records a group joined on a relay (or refreshes its title and role). A group of the same
/// name on another relay is refused: notes are addressed by group name on this machine.
pub fn record(conn: &Connection, relay_url: &str, joined: &JoinedGroup) -> Result<(), ClientError> {
    if let Some(existing) = get(conn, &joined.slug)?
        && existing.relay_url != relay_url
    {
        return Err(ClientError::GroupOnAnotherRelay {
            group: joined.slug.clone(),
            relay: existing.relay_url,
        });
    }
    conn.execute(
        "INSERT INTO sync_groups (slug, relay_url, title, role, index_doc) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (slug) DO UPDATE SET title = excluded.title, role = excluded.role,
             index_doc = excluded.index_doc, refused = NULL",
        params![
            joined.slug,
            relay_url,
            joined.title,
            joined.role,
            joined.index_doc.to_string()
        ],
    )?;
    Ok(())
}

/// A complete sync of the group finished.
pub fn set_synced(
    conn: &Connection,
    slug: &str,
    last_seq: u64,
    synced_chunk: i64,
    at: DateTime<Utc>,
) -> Result<(), ClientError> {
    conn.execute(
        "UPDATE sync_groups SET last_seq = ?2, synced_chunk = MAX(synced_chunk, ?3),
             last_complete_sync = ?4 WHERE slug = ?1",
        params![slug, last_seq as i64, synced_chunk, at.timestamp_millis()],
    )?;
    Ok(())
}

/// The relay says its epoch is `epoch`, the first time it says.
pub fn set_epoch(conn: &Connection, slug: &str, epoch: &str) -> Result<(), ClientError> {
    conn.execute(
        "UPDATE sync_groups SET relay_epoch = ?2 WHERE slug = ?1",
        params![slug, epoch],
    )?;
    Ok(())
}

/// The relay was restored from a backup (its epoch is now `epoch`): what this machine believed
/// it held no longer holds. Its change feed starts over, every chunk here counts as not yet
/// sent, the next sync is a first one, and the sync states kept for it are dropped; all in one
/// transaction with the new epoch, so an interrupted sync starts over the same way.
pub fn forget_relay(conn: &mut Connection, slug: &str, epoch: &str) -> Result<(), ClientError> {
    let tx = quaderno_store::begin_write(conn)?;
    tx.execute(
        "UPDATE sync_groups SET last_seq = 0, synced_chunk = 0, last_complete_sync = NULL,
             relay_epoch = ?2 WHERE slug = ?1",
        params![slug, epoch],
    )?;
    quaderno_store::docs::forget_sync_states(&tx, slug)?;
    tx.commit()?;
    Ok(())
}

/// The relay says this participant's role in the group is now `role`.
pub fn set_role(conn: &Connection, slug: &str, role: &str) -> Result<(), ClientError> {
    conn.execute(
        "UPDATE sync_groups SET role = ?2 WHERE slug = ?1",
        params![slug, role],
    )?;
    Ok(())
}

/// The relay says the group is now called `title` (an operator renamed it).
pub fn set_title(conn: &Connection, slug: &str, title: &str) -> Result<(), ClientError> {
    conn.execute(
        "UPDATE sync_groups SET title = ?2 WHERE slug = ?1 AND title <> ?2",
        params![slug, title],
    )?;
    Ok(())
}

/// The relay refused this device for the group; stop trying until it joins again.
pub fn set_refused(conn: &Connection, slug: &str, reason: &str) -> Result<(), ClientError> {
    conn.execute(
        "UPDATE sync_groups SET refused = ?2 WHERE slug = ?1",
        params![slug, reason],
    )?;
    Ok(())
}

const SELECT: &str = "SELECT slug, relay_url, title, role, index_doc, last_seq, synced_chunk,
    last_complete_sync, refused, relay_epoch FROM sync_groups";

fn row_to_group(row: &Row<'_>) -> quaderno_store::rusqlite::Result<Group> {
    let index_doc: String = row.get(4)?;
    Ok(Group {
        slug: row.get(0)?,
        relay_url: row.get(1)?,
        title: row.get(2)?,
        role: row.get(3)?,
        index_doc: index_doc.parse().map_err(|e| {
            quaderno_store::rusqlite::Error::FromSqlConversionFailure(
                4,
                quaderno_store::rusqlite::types::Type::Text,
                Box::new(e),
            )
        })?,
        last_seq: row.get::<_, i64>(5)? as u64,
        synced_chunk: row.get(6)?,
        last_complete_sync: row
            .get::<_, Option<i64>>(7)?
            .and_then(DateTime::from_timestamp_millis),
        refused: row.get(8)?,
        relay_epoch: row.get(9)?,
    })
}
