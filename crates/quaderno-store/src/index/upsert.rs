//! Writing index rows.

use rusqlite::{Connection, OptionalExtension, params};

use super::IndexEntry;
use super::row::{date_text, joined_tags, time_text};
use crate::StoreError;

/// Adds or replaces the index rows of one note: its row, its tags and its full text.
pub fn upsert(conn: &Connection, entry: &IndexEntry) -> Result<(), StoreError> {
    let key: i64 = conn
        .prepare_cached(
            "INSERT INTO notes (id, grp, title, created_at, updated_at, meeting_date, place, deleted, tags)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET grp = excluded.grp, title = excluded.title,
                created_at = excluded.created_at, updated_at = excluded.updated_at,
                meeting_date = excluded.meeting_date, place = excluded.place,
                deleted = excluded.deleted, tags = excluded.tags
             RETURNING key",
        )?
        .query_row(
            params![
                entry.id,
                entry.group,
                entry.title,
                time_text(&entry.created_at),
                time_text(&entry.updated_at),
                entry.meeting_date.as_ref().map(date_text),
                entry.place,
                entry.deleted,
                joined_tags(&entry.tags),
            ],
            |row| row.get(0),
        )?;
    replace_tags(conn, key, &entry.tags)?;
    replace_text(conn, key, entry)
}

/// Removes a note from the index (its tags and full text go with it).
pub fn remove(conn: &Connection, id: &str) -> Result<(), StoreError> {
    let key: Option<i64> = conn
        .prepare_cached("SELECT key FROM notes WHERE id = ?1")?
        .query_row([id], |row| row.get(0))
        .optional()?;
    if let Some(key) = key {
        conn.prepare_cached("DELETE FROM notes_fts WHERE rowid = ?1")?
            .execute([key])?;
        conn.prepare_cached("DELETE FROM notes WHERE key = ?1")?
            .execute([key])?;
    }
    Ok(())
}

fn replace_tags(conn: &Connection, key: i64, tags: &[String]) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM note_tags WHERE note_key = ?1")?
        .execute([key])?;
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO note_tags (note_key, tag) VALUES (?1, ?2)")?;
    for tag in tags {
        insert.execute(params![key, tag])?;
    }
    Ok(())
}

fn replace_text(conn: &Connection, key: i64, entry: &IndexEntry) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM notes_fts WHERE rowid = ?1")?
        .execute([key])?;
    conn.prepare_cached(
        "INSERT INTO notes_fts (rowid, title, body, tags) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![key, entry.title, entry.body, entry.tags.join(" ")])?;
    Ok(())
}
