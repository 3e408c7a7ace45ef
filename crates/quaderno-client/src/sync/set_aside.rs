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
}
