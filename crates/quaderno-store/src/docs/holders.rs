//! Which namespaces hold a document. On the participant's computer a document id belongs to
//! one namespace (a group, or the personal notebook): a group's sync asks this before it takes a
//! document in, so that a group's copy never stands in for another's under the same id.

use rusqlite::{Connection, params};

use crate::StoreError;

/// The namespaces other than `ns` that hold anything of document `id` (chunks, or damaged
/// chunks set aside), sorted.
///
/// The chunks are indexed by namespace first, so the namespaces are walked one index seek at a
/// time (a loose index scan): the cost grows with the number of namespaces, not of chunks.
pub fn held_elsewhere(conn: &Connection, ns: &str, id: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE spaces (ns) AS (
             SELECT (SELECT MIN(ns) FROM chunks)
             UNION ALL
             SELECT (SELECT MIN(c.ns) FROM chunks c WHERE c.ns > spaces.ns)
             FROM spaces WHERE spaces.ns IS NOT NULL
         )
         SELECT ns FROM spaces
         WHERE ns IS NOT NULL AND ns <> ?1
             AND EXISTS (SELECT 1 FROM chunks c WHERE c.ns = spaces.ns AND c.doc_id = ?2)
         UNION
         SELECT ns FROM damaged_chunks WHERE doc_id = ?2 AND ns <> ?1
         ORDER BY 1",
    )?;
    let rows = stmt.query_map(params![ns, id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::held_elsewhere;
    use crate::docs::{move_to, put_snapshot};

    #[test]
    fn a_document_is_held_elsewhere_only_when_another_namespace_has_rows_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::open_connection(&dir.path().join("s.sqlite3")).unwrap();
        put_snapshot(&conn, "palermo", "d1", b"x").unwrap();
        put_snapshot(&conn, "roma", "d2", b"y").unwrap();
        assert!(held_elsewhere(&conn, "palermo", "d1").unwrap().is_empty());
        assert!(
            held_elsewhere(&conn, "roma", "d1-other")
                .unwrap()
                .is_empty()
        );
        assert_eq!(held_elsewhere(&conn, "roma", "d1").unwrap(), ["palermo"]);

        put_snapshot(&conn, "bologna", "d1", b"z").unwrap();
        assert_eq!(
            held_elsewhere(&conn, "roma", "d1").unwrap(),
            ["bologna", "palermo"]
        );

        move_to(&conn, "d2", "roma", "personal").unwrap();
        assert_eq!(held_elsewhere(&conn, "roma", "d2").unwrap(), ["personal"]);
    }

    #[test]
    fn damaged_chunks_set_aside_still_hold_their_document() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::open_connection(&dir.path().join("s.sqlite3")).unwrap();
        conn.execute(
            "INSERT INTO damaged_chunks (chunk_id, ns, doc_id, kind, bytes, reason, set_aside_at)
             VALUES (7, 'palermo', 'd1', 0, x'00', 'test', 'now')",
            [],
        )
        .unwrap();
        assert_eq!(held_elsewhere(&conn, "roma", "d1").unwrap(), ["palermo"]);
    }
}
