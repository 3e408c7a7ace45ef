//! Documents a group's sync set aside: kept out of the notebook (not indexed, not shown, not
//! synced from the local copy), and named in every sync report until they are resolved.
//!
//! - A **conflict**: the group's relay holds a document under an id that this computer keeps
//!   for another group (or the personal notebook). Someone used a known id; the note here stays
//!   with its own group, and the other group's document is never taken in.
//! - An **unreadable** document: it is stored (its bytes are kept) but it is not a note this
//!   client can read (a field of the wrong type, too large, damaged beyond what the relay can
//!   send back). It is reported to the relay once, so the group's coordinators see it.

use chrono::Utc;
use quaderno_model::DocumentId;
use quaderno_store::migrate;
use quaderno_store::rusqlite::{Connection, params};

use crate::ClientError;

const COMPONENT: &str = "client-set-aside";
const MIGRATIONS: &[&str] = &["CREATE TABLE set_aside_docs (
        grp TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        -- 'conflict' (detail: the group, or 'personal', that holds the id here) or
        -- 'unreadable' (detail: why the document cannot be read; never its content).
        kind TEXT NOT NULL CHECK (kind IN ('conflict', 'unreadable')),
        detail TEXT NOT NULL,
        since INTEGER NOT NULL,
        -- When the relay took the report of an unreadable document.
        reported_at INTEGER,
        PRIMARY KEY (grp, doc_id)
    ) WITHOUT ROWID;"];

/// Why a document is set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetAside {
    /// Another namespace here holds a note under the same id.
    Conflict { belongs_to: String },
    /// The document cannot be read as a note.
    Unreadable { reason: String },
}

impl SetAside {
    fn kind(&self) -> &'static str {
        match self {
            SetAside::Conflict { .. } => "conflict",
            SetAside::Unreadable { .. } => "unreadable",
        }
    }

    fn detail(&self) -> &str {
        match self {
            SetAside::Conflict { belongs_to } => belongs_to,
            SetAside::Unreadable { reason } => reason,
        }
    }

    fn from_row(kind: &str, detail: String) -> SetAside {
        match kind {
            "conflict" => SetAside::Conflict { belongs_to: detail },
            _ => SetAside::Unreadable { reason: detail },
        }
    }
}

/// Creates the table if needed.
pub fn ensure_schema(conn: &Connection) -> Result<(), ClientError> {
    migrate(conn, COMPONENT, MIGRATIONS)?;
    Ok(())
}

/// Records that `doc` of `group` is set aside (again, or for another reason). A changed reason
/// is reported to the relay anew.
pub fn record(
    conn: &Connection,
    group: &str,
    doc: &DocumentId,
    why: &SetAside,
) -> Result<(), ClientError> {
    conn.prepare_cached(
        "INSERT INTO set_aside_docs (grp, doc_id, kind, detail, since) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (grp, doc_id) DO UPDATE SET kind = excluded.kind, detail = excluded.detail,
             reported_at = CASE WHEN kind = excluded.kind AND detail = excluded.detail
                 THEN reported_at END",
    )?
    .execute(params![
        group,
        doc.to_string(),
        why.kind(),
        why.detail(),
        Utc::now().timestamp_millis()
    ])?;
    Ok(())
}

/// `doc` of `group` is no longer set aside (resolved). Returns whether it was.
pub fn clear(conn: &Connection, group: &str, doc: &DocumentId) -> Result<bool, ClientError> {
    Ok(conn
        .prepare_cached("DELETE FROM set_aside_docs WHERE grp = ?1 AND doc_id = ?2")?
        .execute(params![group, doc.to_string()])?
        > 0)
}

/// Every document of `group` set aside, by id.
pub fn list(conn: &Connection, group: &str) -> Result<Vec<(DocumentId, SetAside)>, ClientError> {
    let mut stmt = conn.prepare_cached(
        "SELECT doc_id, kind, detail FROM set_aside_docs WHERE grp = ?1 ORDER BY doc_id",
    )?;
    let rows = stmt.query_map([group], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    let mut listed = Vec::new();
    for row in rows {
        let (id, kind, detail) = row?;
        if let Ok(doc) = id.parse() {
            listed.push((doc, SetAside::from_row(&kind, detail)));
        }
    }
    Ok(listed)
}

/// Unreadable documents of `group` the relay has not taken a report of yet, with why.
pub fn unreported(
    conn: &Connection,
    group: &str,
) -> Result<Vec<(DocumentId, String)>, ClientError> {
    let mut stmt = conn.prepare_cached(
        "SELECT doc_id, detail FROM set_aside_docs
         WHERE grp = ?1 AND kind = 'unreadable' AND reported_at IS NULL ORDER BY doc_id",
    )?;
    let rows = stmt.query_map([group], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut listed = Vec::new();
    for row in rows {
        let (id, reason) = row?;
        if let Ok(doc) = id.parse() {
            listed.push((doc, reason));
        }
    }
    Ok(listed)
}

/// The relay took the report of `doc`.
pub fn mark_reported(conn: &Connection, group: &str, doc: &DocumentId) -> Result<(), ClientError> {
    conn.prepare_cached(
        "UPDATE set_aside_docs SET reported_at = ?3 WHERE grp = ?1 AND doc_id = ?2",
    )?
    .execute(params![
        group,
        doc.to_string(),
        Utc::now().timestamp_millis()
    ])?;
    Ok(())
}

/// How many notes of `group` are set aside here as unreadable: what the page warns about.
pub fn unreadable_count(conn: &Connection, group: &str) -> Result<usize, ClientError> {
    let count: i64 = conn.query_row(
        "SELECT count(*) FROM set_aside_docs WHERE grp = ?1 AND kind = 'unreadable'",
        [group],
        |row| row.get(0),
    )?;
    Ok(usize::try_from(count).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = quaderno_store::open_connection(&dir.path().join("s.sqlite3")).unwrap();
        ensure_schema(&conn).unwrap();
        (dir, conn)
    }

    #[test]
    fn a_set_aside_document_is_listed_until_cleared() {
        let (_dir, conn) = store();
        let doc = DocumentId::random();
        let why = SetAside::Conflict {
            belongs_to: "palermo".into(),
        };
        record(&conn, "roma", &doc, &why).unwrap();
        record(&conn, "roma", &doc, &why).unwrap();
        assert_eq!(list(&conn, "roma").unwrap(), vec![(doc, why)]);
        assert!(list(&conn, "palermo").unwrap().is_empty());
        assert!(clear(&conn, "roma", &doc).unwrap());
        assert!(list(&conn, "roma").unwrap().is_empty());
    }

    #[test]
    fn an_unreadable_document_is_reported_once_per_reason() {
        let (_dir, conn) = store();
        let doc = DocumentId::random();
        let why = |reason: &str| SetAside::Unreadable {
            reason: reason.into(),
        };
        record(&conn, "roma", &doc, &why("created_at")).unwrap();
        assert_eq!(unreported(&conn, "roma").unwrap().len(), 1);
        mark_reported(&conn, "roma", &doc).unwrap();
        record(&conn, "roma", &doc, &why("created_at")).unwrap();
        assert!(unreported(&conn, "roma").unwrap().is_empty());
        record(&conn, "roma", &doc, &why("title")).unwrap();
        assert_eq!(unreported(&conn, "roma").unwrap().len(), 1);
        assert_eq!(unreadable_count(&conn, "roma").unwrap(), 1);
        assert_eq!(unreadable_count(&conn, "palermo").unwrap(), 0);
    }
}
