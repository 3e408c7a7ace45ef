//! Who wrote what: each Automerge actor id of a group, bound to the device that first sent a
//! change signed with it (see `quaderno_sync`'s hub, which decides; this module stores).
//!
//! Versioned as its own component, `relay-authors`. A row with no device is an actor nobody
//! may sign new changes with: one found in the group's documents when the relay first served
//! the group after it began to vouch for authors (the survey below), or one whose changes
//! arrived starting past its first.

use automerge::ActorId;
use quaderno_store::StoreError;
use quaderno_store::docs;
use quaderno_store::rusqlite::{Connection, OptionalExtension, params};
use quaderno_sync::{Authorship, Owner};
use serde::Serialize;

/// The component name under which these migrations are versioned.
pub const COMPONENT: &str = "relay-authors";

/// Migration `i` brings the schema from version `i` to `i + 1`. Append, never edit.
pub const MIGRATIONS: &[&str] = &[
    // 1: who owns each actor, and which groups' stored documents were surveyed for actors.
    "CREATE TABLE actor_owners (
        grp TEXT NOT NULL,
        actor BLOB NOT NULL,
        device_id INTEGER,
        first_seen_at INTEGER NOT NULL,
        PRIMARY KEY (grp, actor)
    ) WITHOUT ROWID;
    CREATE TABLE actor_surveys (
        grp TEXT PRIMARY KEY NOT NULL,
        surveyed_at INTEGER NOT NULL
    ) WITHOUT ROWID;",
];

/// Why the authors of a group could not be read or stored.
#[derive(Debug, thiserror::Error)]
pub enum AuthorsError {
    #[error("the relay's database failed: {0}")]
    Store(#[from] StoreError),
    #[error("the relay's database failed: {0}")]
    Sqlite(#[from] quaderno_store::rusqlite::Error),
}

impl From<AuthorsError> for crate::db::DbError {
    fn from(error: AuthorsError) -> Self {
        match error {
            AuthorsError::Store(e) => crate::db::DbError::Store(e),
            AuthorsError::Sqlite(e) => crate::db::DbError::Sqlite(e),
        }
    }
}

/// A bound actor as members see it: the relay's name for whoever wrote with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Author {
    /// The actor id, in hex as Automerge prints it.
    pub actor: String,
    pub participant_id: i64,
    pub name: String,
    pub city: String,
    pub device_id: i64,
}

/// Brings the tables up to date.
pub fn migrate(conn: &Connection) -> Result<(), StoreError> {
    quaderno_store::migrate(conn, COMPONENT, MIGRATIONS)
}

/// Every actor of the group with its owner, surveying the group's stored documents first if
/// that was never done. Run it inside a write transaction: the survey writes.
pub fn known(conn: &Connection, group: &str, now_ms: i64) -> Result<Vec<Authorship>, AuthorsError> {
    if !surveyed(conn, group)? {
        survey(conn, group, now_ms)?;
    }
    let mut select =
        conn.prepare_cached("SELECT actor, device_id FROM actor_owners WHERE grp = ?1")?;
    let rows = select.query_map([group], |row| {
        let actor: Vec<u8> = row.get(0)?;
        let device: Option<i64> = row.get(1)?;
        Ok(Authorship {
            actor: ActorId::from(actor),
            owner: device.map_or(Owner::Nobody, Owner::Device),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stores new owners; an actor already stored keeps the owner it has.
pub fn record(
    conn: &Connection,
    group: &str,
    authors: &[Authorship],
    now_ms: i64,
) -> Result<(), AuthorsError> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO actor_owners (grp, actor, device_id, first_seen_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for author in authors {
        let device = match author.owner {
            Owner::Device(device) => Some(device),
            Owner::Nobody => None,
        };
        insert.execute(params![group, author.actor.to_bytes(), device, now_ms])?;
    }
    Ok(())
}

/// The group's actors that belong to a device, with the participant's name, oldest first.
pub fn list(conn: &Connection, group: &str) -> Result<Vec<Author>, AuthorsError> {
    let mut select = conn.prepare_cached(
        "SELECT a.actor, d.participant_id, p.name, p.city, a.device_id
         FROM actor_owners a
         JOIN devices d ON d.id = a.device_id
         JOIN participants p ON p.id = d.participant_id
         WHERE a.grp = ?1
         ORDER BY a.first_seen_at, a.actor",
    )?;
    let rows = select.query_map([group], |row| {
        let actor: Vec<u8> = row.get(0)?;
        Ok(Author {
            actor: ActorId::from(actor).to_hex_string(),
            participant_id: row.get(1)?,
            name: row.get(2)?,
            city: row.get(3)?,
            device_id: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The owners of these actors of the group, as [`list`] names them, oldest first; actors that
/// belong to nobody are left out.
pub fn owners_of(
    conn: &Connection,
    group: &str,
    actors: &std::collections::BTreeSet<ActorId>,
) -> Result<Vec<Author>, AuthorsError> {
    Ok(list(conn, group)?
        .into_iter()
        .filter(|author| {
            ActorId::try_from(author.actor.as_str()).is_ok_and(|actor| actors.contains(&actor))
        })
        .collect())
}

fn surveyed(conn: &Connection, group: &str) -> Result<bool, AuthorsError> {
    let found = conn
        .query_row(
            "SELECT 1 FROM actor_surveys WHERE grp = ?1",
            [group],
            |_| Ok(()),
        )
        .optional()?;
    Ok(found.is_some())
}

/// Records every actor found in the group's stored documents, and not owned yet, as owned by
/// nobody: changes stored before the relay vouched for authors never make their actor
/// claimable. Done once per group; from then on every stored change's actor has a row, as
/// the actor stores it with the change. A document that cannot be read is skipped: its
/// changes cannot be synced either.
fn survey(conn: &Connection, group: &str, now_ms: i64) -> Result<(), AuthorsError> {
    let mut found = Vec::new();
    for id in docs::list_ids(conn, group)? {
        match docs::load(conn, group, &id) {
            Ok(Some(doc)) => {
                found.extend(doc.get_changes_meta(&[]).into_iter().map(|m| Authorship {
                    actor: m.actor.into_owned(),
                    owner: Owner::Nobody,
                }))
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(group, doc = %id, %error, "a stored document cannot be read to find its authors; skipping it");
            }
        }
    }
    record(conn, group, &found, now_ms)?;
    conn.execute(
        "INSERT INTO actor_surveys (grp, surveyed_at) VALUES (?1, ?2)",
        params![group, now_ms],
    )?;
    tracing::info!(
        group,
        actors = found.len(),
        "surveyed the group's stored documents for their authors"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{Automerge, ROOT};

    use super::*;

    fn relay_file() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path()).unwrap();
        let conn = quaderno_store::open_connection(db.path()).unwrap();
        (dir, conn)
    }

    #[test]
    fn actors_of_documents_stored_before_the_survey_belong_to_nobody() {
        let (_dir, conn) = relay_file();
        let mut doc = Automerge::new();
        let old = doc.get_actor().clone();
        let mut tx = doc.transaction();
        tx.put(ROOT, "title", "verbale").unwrap();
        tx.commit();
        docs::put_snapshot(&conn, "palermo", "doc-1", &doc.save()).unwrap();

        let first = known(&conn, "palermo", 1).unwrap();
        assert_eq!(
            first,
            vec![Authorship {
                actor: old.clone(),
                owner: Owner::Nobody,
            }]
        );

        // Later bindings come with their changes; the survey does not run again, and an
        // actor keeps its first owner.
        let new = ActorId::random();
        let bindings = [
            Authorship {
                actor: new.clone(),
                owner: Owner::Device(7),
            },
            Authorship {
                actor: old.clone(),
                owner: Owner::Device(8),
            },
        ];
        record(&conn, "palermo", &bindings, 2).unwrap();
        let mut again = known(&conn, "palermo", 3).unwrap();
        again.sort_by(|a, b| a.actor.cmp(&b.actor));
        let mut expected = vec![
            Authorship {
                actor: old,
                owner: Owner::Nobody,
            },
            Authorship {
                actor: new,
                owner: Owner::Device(7),
            },
        ];
        expected.sort_by(|a, b| a.actor.cmp(&b.actor));
        assert_eq!(again, expected);
        assert!(known(&conn, "roma", 4).unwrap().is_empty());
    }
}
