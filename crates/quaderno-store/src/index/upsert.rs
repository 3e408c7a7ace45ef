//! Writing index rows.

use rusqlite::{Connection, OptionalExtension, params};

use super::IndexEntry;
use super::row::{date_text, joined_tags, time_text};
use crate::StoreError;

/// Adds or replaces the index rows of one note: its row, its tags and its full text.
///
/// A note id belongs to one group on this computer: an entry for an id indexed under another
/// group is refused with [`StoreError::NoteInAnotherGroup`], and the other group's row stays as
/// it was. A note changes group only through [`move_note`].
pub fn upsert(conn: &Connection, entry: &IndexEntry) -> Result<(), StoreError> {
    let key: Option<i64> = conn
        .prepare_cached(
            "INSERT INTO notes (id, grp, title, created_at, updated_at, meeting_date, place, deleted, tags)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title,
                created_at = excluded.created_at, updated_at = excluded.updated_at,
                meeting_date = excluded.meeting_date, place = excluded.place,
                deleted = excluded.deleted, tags = excluded.tags
                WHERE notes.grp = excluded.grp
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
        )
        .optional()?;
    let Some(key) = key else {
        return Err(StoreError::NoteInAnotherGroup {
            id: entry.id.clone(),
            group: group_of(conn, &entry.id)?.unwrap_or_default(),
            other: entry.group.clone(),
        });
    };
    replace_tags(conn, key, &entry.tags)?;
    replace_text(conn, key, entry)
}

/// Moves a note's row to another group, as when a personal note is shared with a group.
pub fn move_note(conn: &Connection, id: &str, to: &str) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE notes SET grp = ?2 WHERE id = ?1")?
        .execute(params![id, to])?;
    Ok(())
}

/// Removes note `id` of `group` from the index (its tags and full text go with it). A note of
/// that id in another group is left alone.
pub fn remove(conn: &Connection, group: &str, id: &str) -> Result<(), StoreError> {
    let key: Option<i64> = conn
        .prepare_cached("SELECT key FROM notes WHERE id = ?1 AND grp = ?2")?
        .query_row(params![id, group], |row| row.get(0))
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

fn group_of(conn: &Connection, id: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT grp FROM notes WHERE id = ?1")?
        .query_row([id], |row| row.get(0))
        .optional()?)
}
