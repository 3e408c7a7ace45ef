//! Personal copies of edits a group would not take: when the relay makes a participant a
//! reader, what they wrote in the group that the relay had not accepted is kept as a new note
//! of the personal notebook, named and tagged so that it is found, and recorded here so that
//! `status` and the page can say what was kept and why.

use automerge::Automerge;
use chrono::{DateTime, Utc};
use quaderno_model::{Author, DocumentId, NewNote, NoteEdit, create_note, edit_note, read_note};
use quaderno_store::rusqlite::{Connection, Row, params};
use quaderno_store::{StoreError, index};
use serde::{Deserialize, Serialize};

use super::documents::{reindex, save_new_doc};
use super::{NotebookError, PERSONAL_GROUP};

const COMPONENT: &str = "client-kept-copies";
const MIGRATIONS: &[&str] = &["CREATE TABLE kept_copies (
        -- The new note of the personal notebook.
        copy_id TEXT PRIMARY KEY,
        -- The group's note whose edits the relay would not take, and its title then.
        group_slug TEXT NOT NULL,
        note_id TEXT NOT NULL,
        note_title TEXT NOT NULL,
        -- Why the relay would not take them, as the participant is told.
        reason TEXT NOT NULL,
        kept_at INTEGER NOT NULL
    );"];

/// What a copy's title adds to the note's (the page speaks Italian first).
pub const COPY_SUFFIX: &str = " (copia personale)";
/// The tag every personal copy carries, to find them all.
pub const COPY_TAG: &str = "copia-personale";

/// A note of a group kept as a personal copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptCopy {
    pub group: String,
    /// The group's note, now as the relay holds it.
    pub note: String,
    pub title: String,
    /// The personal note holding the text as it was written here.
    pub copy: String,
    pub copy_title: String,
    /// Why the relay would not take the edits: "you are a reader in «Housing First»".
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// Creates the table if needed (every process that reads or keeps copies calls this once).
pub fn ensure_schema(conn: &Connection) -> Result<(), NotebookError> {
    quaderno_store::migrate(conn, COMPONENT, MIGRATIONS)?;
    Ok(())
}

/// The title of the personal copy of a note titled `title`.
pub fn copy_title(title: &str) -> String {
    format!("{}{COPY_SUFFIX}", title.trim())
}

/// Writes `doc` (note `note` of `group`, as it is here) as a new note of the personal
/// notebook, signed by `author`, and records it. Runs inside the caller's transaction, so that
/// the copy is committed together with whatever the caller does to the group's note.
pub fn keep_copy(
    conn: &Connection,
    author: &Author,
    group: &str,
    note: &str,
    doc: &Automerge,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<KeptCopy, NotebookError> {
    let local = read_note(doc)?;
    let mut tags = local.tags.clone();
    tags.push(COPY_TAG.to_owned());
    let new = NewNote {
        title: copy_title(&local.title),
        body: local.body.clone(),
        tags,
        meeting: local.meeting.clone(),
    };
    let mut copy = create_note(&new, author, now)?;
    if local.deleted {
        // Deleted here: the copy waits in the bin, where the deletion put the note.
        let edit = NoteEdit {
            deleted: Some(true),
            ..NoteEdit::default()
        };
        edit_note(&mut copy, &edit, author, now)?;
    }
    let id = DocumentId::random().to_string();
    save_new_doc(conn, PERSONAL_GROUP, &id, &copy)?;
    reindex(conn, PERSONAL_GROUP, &id, &copy)?;
    let kept = KeptCopy {
        group: group.to_owned(),
        note: note.to_owned(),
        title: local.title,
        copy: id,
        copy_title: new.title,
        reason: reason.to_owned(),
        // As stored: to the millisecond.
        at: DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now),
    };
    conn.execute(
        "INSERT INTO kept_copies (copy_id, group_slug, note_id, note_title, reason, kept_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            kept.copy,
            kept.group,
            kept.note,
            kept.title,
            kept.reason,
            kept.at.timestamp_millis()
        ],
    )
    .map_err(StoreError::from)?;
    Ok(kept)
}

/// The copies kept of `group`'s notes that are still in the personal notebook, out of the
/// bin, oldest first: once a copy is moved into a group or thrown away, it has been seen to.
pub fn kept_copies(conn: &Connection, group: &str) -> Result<Vec<KeptCopy>, NotebookError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT copy_id, group_slug, note_id, note_title, reason, kept_at FROM kept_copies
             WHERE group_slug = ?1 ORDER BY kept_at, copy_id",
        )
        .map_err(StoreError::from)?;
    let recorded = stmt
        .query_map([group], row_to_kept)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(StoreError::from)?;
    let mut kept = Vec::with_capacity(recorded.len());
    for mut copy in recorded {
        let Some(listed) = index::by_id(conn, &copy.copy)? else {
            continue;
        };
        if listed.group == PERSONAL_GROUP && !listed.deleted {
            copy.copy_title = listed.title;
            kept.push(copy);
        }
    }
    Ok(kept)
}

fn row_to_kept(row: &Row<'_>) -> quaderno_store::rusqlite::Result<KeptCopy> {
    Ok(KeptCopy {
        copy: row.get(0)?,
        group: row.get(1)?,
        note: row.get(2)?,
        title: row.get(3)?,
        copy_title: String::new(),
        reason: row.get(4)?,
        at: DateTime::from_timestamp_millis(row.get(5)?).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quaderno_model::NoteEdit;

    fn store() -> (tempfile::TempDir, quaderno_store::Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = quaderno_store::Store::open(&dir.path().join("s.sqlite3")).unwrap();
        crate::groups::ensure_schema(store.conn()).unwrap();
        ensure_schema(store.conn()).unwrap();
        (dir, store)
    }

    fn note(title: &str, body: &str) -> Automerge {
        let new = NewNote {
            title: title.into(),
            body: body.into(),
            tags: vec!["verbale".into()],
            ..NewNote::default()
        };
        create_note(&new, &Author::new("Elena", "Ravenna"), Utc::now()).unwrap()
    }

    #[test]
    fn a_copy_holds_the_text_written_here_under_a_title_that_says_what_it_is() {
        let (_dir, store) = store();
        let conn = store.conn();
        let rita = Author::new("Rita", "Prato");
        let doc = note("Verbale", "Presenti: 9\nRiga di Rita");
        let reason = "you are a reader in «Palermo»";

        let kept = keep_copy(conn, &rita, "palermo", "n1", &doc, reason, Utc::now()).unwrap();

        assert_eq!(kept.copy_title, "Verbale (copia personale)");
        let stored = quaderno_store::docs::load(conn, PERSONAL_GROUP, &kept.copy)
            .unwrap()
            .unwrap();
        let copy = read_note(&stored).unwrap();
        assert_eq!(copy.body, "Presenti: 9\nRiga di Rita");
        assert_eq!(copy.tags, vec!["copia-personale", "verbale"]);
        assert_eq!(copy.created_by, "Rita (Prato)");
        assert_eq!(kept_copies(conn, "palermo").unwrap(), vec![kept]);
        assert!(kept_copies(conn, "roma").unwrap().is_empty());
    }

    #[test]
    fn a_copy_moved_out_of_the_personal_notebook_or_binned_is_no_longer_listed() {
        let (_dir, store) = store();
        let conn = store.conn();
        let rita = Author::new("Rita", "Prato");
        let mut doc = note("Bozza", "testo");
        edit_note(
            &mut doc,
            &NoteEdit {
                deleted: Some(true),
                ..NoteEdit::default()
            },
            &rita,
            Utc::now(),
        )
        .unwrap();

        keep_copy(conn, &rita, "palermo", "n2", &doc, "r", Utc::now()).unwrap();

        assert!(
            kept_copies(conn, "palermo").unwrap().is_empty(),
            "a note deleted here is kept in the bin"
        );
    }
}
