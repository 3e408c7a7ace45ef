//! Participants: the people, each with a name and a city.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::text::{MAX_NAME_CHARS, clean};
use super::time::{from_millis, to_millis};
use super::{AccountsError, Result};

/// A person who joined at least one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participant {
    /// The relay's id for them, which admin commands accept.
    pub id: i64,
    /// Their name as they gave it when joining.
    pub name: String,
    /// Their city.
    pub city: String,
    /// When they first joined.
    pub created_at: DateTime<Utc>,
}

/// Adds a participant after checking their name and city.
pub fn create_participant(
    conn: &Connection,
    name: &str,
    city: &str,
    now: DateTime<Utc>,
) -> Result<Participant> {
    let name = clean("name", name, MAX_NAME_CHARS)?;
    let city = clean("city", city, MAX_NAME_CHARS)?;
    conn.execute(
        "INSERT INTO participants (name, city, created_at) VALUES (?1, ?2, ?3)",
        params![name, city, to_millis(now)],
    )?;
    Ok(Participant {
        id: conn.last_insert_rowid(),
        name,
        city,
        created_at: now,
    })
}

/// The participant with this id, if any.
pub fn participant(conn: &Connection, id: i64) -> Result<Option<Participant>> {
    let row = conn
        .prepare_cached("SELECT id, name, city, created_at FROM participants WHERE id = ?1")?
        .query_row([id], read_row)
        .optional()?;
    row.map(into_participant).transpose()
}

/// The participant an admin named: a numeric id, or a name (any case) that only one
/// participant has.
pub fn resolve_participant(conn: &Connection, typed: &str) -> Result<Participant> {
    let typed = typed.trim();
    if let Ok(id) = typed.parse::<i64>() {
        return participant(conn, id)?
            .ok_or_else(|| AccountsError::UnknownParticipant(typed.to_owned()));
    }
    let mut found = by_name(conn, typed)?;
    match found.len() {
        0 => Err(AccountsError::UnknownParticipant(typed.to_owned())),
        1 => Ok(found.remove(0)),
        _ => Err(AccountsError::AmbiguousParticipant {
            name: typed.to_owned(),
            ids: found.iter().map(|p| p.id).collect(),
        }),
    }
}

fn by_name(conn: &Connection, name: &str) -> Result<Vec<Participant>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, city, created_at FROM participants
         WHERE name = ?1 COLLATE NOCASE ORDER BY id",
    )?;
    let rows = stmt.query_map([name], read_row)?;
    rows.map(|row| into_participant(row?)).collect()
}

type Row = (i64, String, String, i64);

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn into_participant((id, name, city, created): Row) -> Result<Participant> {
    Ok(Participant {
        id,
        name,
        city,
        created_at: from_millis(created)?,
    })
}
