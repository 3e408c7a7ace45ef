//! What each participant's writes hold of a group: the notes they created and the bytes their
//! changes added, per note (the hub decides the charges, see `quaderno_sync`'s limits; this
//! module stores them). A note erased or purged takes its charges with it.
//!
//! Versioned as its own component, `relay-usage`. Notes stored before the relay kept this
//! account are charged to nobody.

use quaderno_model::DocumentId;
use quaderno_store::StoreError;
use quaderno_store::rusqlite::{Connection, params};
use quaderno_sync::{Charge, ParticipantId};
use serde::Serialize;

/// The component name under which these migrations are versioned.
pub const COMPONENT: &str = "relay-usage";

/// Migration `i` brings the schema from version `i` to `i + 1`. Append, never edit.
pub const MIGRATIONS: &[&str] = &[
    // 1: charges per note and participant.
    "CREATE TABLE note_charges (
        grp TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        participant_id INTEGER NOT NULL,
        created INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (grp, doc_id, participant_id)
    ) WITHOUT ROWID;",
];

/// Brings the tables up to date.
pub fn migrate(conn: &Connection) -> Result<(), StoreError> {
    quaderno_store::migrate(conn, COMPONENT, MIGRATIONS)
}

/// Adds a turn's charges; call in the transaction that stores its writes.
pub fn record(
    conn: &Connection,
    group: &str,
    charges: &[Charge],
) -> Result<(), quaderno_store::rusqlite::Error> {
    let mut upsert = conn.prepare_cached(
        "INSERT INTO note_charges (grp, doc_id, participant_id, created, bytes)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (grp, doc_id, participant_id) DO UPDATE SET
             created = max(created, excluded.created),
             bytes = bytes + excluded.bytes",
    )?;
    for charge in charges {
        upsert.execute(params![
            group,
            charge.doc.to_string(),
            charge.participant.0,
            charge.created,
            i64::try_from(charge.bytes).unwrap_or(i64::MAX),
        ])?;
    }
    Ok(())
}

/// Every charge of a group, as the hub is told them when the group starts.
pub fn known(
    conn: &Connection,
    group: &str,
) -> Result<Vec<Charge>, quaderno_store::rusqlite::Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT doc_id, participant_id, created, bytes FROM note_charges WHERE grp = ?1",
    )?;
    let rows = stmt.query_map(params![group], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, bool>(2)?,
            row.get::<_, i64>(3)?,
        ))
    })?;
    let mut charges = Vec::new();
    for row in rows {
        let (doc, participant, created, bytes) = row?;
        // A row this relay wrote always holds a document id.
        let Ok(doc) = doc.parse::<DocumentId>() else {
            continue;
        };
        charges.push(Charge {
            doc,
            participant: ParticipantId(participant),
            created,
            bytes: u64::try_from(bytes).unwrap_or(0),
        });
    }
    Ok(charges)
}

/// Gives a note's charges back (it was erased or purged).
pub fn forget(
    conn: &Connection,
    group: &str,
    doc: &DocumentId,
) -> Result<(), quaderno_store::rusqlite::Error> {
    conn.execute(
        "DELETE FROM note_charges WHERE grp = ?1 AND doc_id = ?2",
        params![group, doc.to_string()],
    )?;
    Ok(())
}

/// A participant's share of a group, for `quaderno-server group usage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberUsage {
    pub participant_id: i64,
    pub name: String,
    pub notes: u64,
    pub bytes: u64,
}

/// Every participant's share of a group, the largest first.
pub fn by_member(
    conn: &Connection,
    group: &str,
) -> Result<Vec<MemberUsage>, quaderno_store::rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT c.participant_id, coalesce(p.name, ''), sum(c.created), sum(c.bytes)
         FROM note_charges c LEFT JOIN participants p ON p.id = c.participant_id
         WHERE c.grp = ?1
         GROUP BY c.participant_id
         ORDER BY sum(c.bytes) DESC, c.participant_id",
    )?;
    let rows = stmt.query_map(params![group], |row| {
        Ok(MemberUsage {
            participant_id: row.get(0)?,
            name: row.get(1)?,
            notes: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
            bytes: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    #[test]
    fn charges_add_up_per_note_and_go_with_the_note() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let (kept, erased) = (DocumentId::random(), DocumentId::random());
        let charge = |doc, created, bytes| Charge {
            doc,
            participant: ParticipantId(7),
            created,
            bytes,
        };
        let known = db
            .with_conn(|conn| {
                record(conn, "palermo", &[charge(kept, true, 100)])?;
                record(
                    conn,
                    "palermo",
                    &[charge(kept, false, 50), charge(erased, true, 10)],
                )?;
                record(conn, "roma", &[charge(kept, true, 1)])?;
                forget(conn, "palermo", &erased)?;
                Ok(known(conn, "palermo")?)
            })
            .unwrap();

        assert_eq!(known, vec![charge(kept, true, 150)]);
    }
}
