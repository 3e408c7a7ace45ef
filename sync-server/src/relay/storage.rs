//! The storage thread: one SQLite connection that every group actor reads and writes through.
//!
//! Writes waiting at the same moment, from any group, are committed in one transaction, so a
//! busy relay pays for one commit per turn rather than one per message. A write is answered
//! only once its transaction committed: the actor sends acknowledgements after that answer.

use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use quaderno_model::DocumentId;
use quaderno_store::StoreError;
use quaderno_store::docs::{self, QuietDocs};
use quaderno_store::rusqlite::{Connection, Transaction, TransactionBehavior};
use quaderno_store::{Checkpointer, begin_write, hand_checkpoints_over};
use quaderno_sync::{Authorship, Charge, LoadedDoc, Write};
use tokio::sync::oneshot;

use crate::{accounts, authors, usage};

/// Why storage could not do what an actor asked.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the relay's database failed: {0}")]
    Store(#[from] quaderno_store::StoreError),
    #[error("the relay's database failed: {0}")]
    Sqlite(#[from] quaderno_store::rusqlite::Error),
    #[error("the relay's database failed: {0}")]
    Accounts(#[from] accounts::AccountsError),
    #[error(transparent)]
    Authors(#[from] authors::AuthorsError),
    #[error("the storage thread has stopped")]
    Stopped,
}

/// One document as storage answered a load.
#[derive(Debug)]
pub struct Loaded {
    pub doc: DocumentId,
    pub found: Option<LoadedDoc>,
    /// False when the document was purged: nobody may create it again.
    pub may_create: bool,
}

enum Job {
    Load {
        group: String,
        docs: Vec<DocumentId>,
        reply: oneshot::Sender<Result<Vec<Loaded>, StorageError>>,
    },
    Write {
        group: String,
        writes: Vec<Write>,
        authors: Vec<Authorship>,
        charges: Vec<Charge>,
        reply: oneshot::Sender<Result<(), StorageError>>,
    },
    Authors {
        group: String,
        reply: oneshot::Sender<Result<Vec<Authorship>, StorageError>>,
    },
    Erased {
        group: String,
        reply: oneshot::Sender<Result<Erased, StorageError>>,
    },
    Usage {
        group: String,
        reply: oneshot::Sender<Result<Vec<Charge>, StorageError>>,
    },
}

/// A group's index document and the notes erased from it: what the index must never list.
#[derive(Debug, Default)]
pub struct Erased {
    pub index: Option<DocumentId>,
    pub docs: Vec<DocumentId>,
}

/// A handle on the storage thread; cheap to clone. The thread stops when every handle is gone.
#[derive(Clone)]
pub struct Storage {
    jobs: std_mpsc::Sender<Job>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Storage")
    }
}

impl Storage {
    /// Starts the thread on its own connection to the relay's file.
    pub fn start(path: &Path) -> Result<(Storage, JoinHandle<()>), StorageError> {
        Storage::start_compacting_after(path, docs::QUIET)
    }

    /// As [`Storage::start`], compacting a document once it went `quiet` without a write.
    fn start_compacting_after(
        path: &Path,
        quiet: Duration,
    ) -> Result<(Storage, JoinHandle<()>), StorageError> {
        let quiet = QuietDocs::new(quiet);
        let conn = quaderno_store::open_connection(path)?;
        // Commits never wait for the disk: the log is flushed into the file beside them.
        hand_checkpoints_over(&conn)?;
        let checkpoints = Checkpointer::start(path)?;
        let (jobs, rx) = std_mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("quaderno-storage".into())
            .spawn(move || {
                run(conn, rx, quiet);
                drop(checkpoints);
            })
            .expect("spawning the storage thread");
        Ok((Storage { jobs }, thread))
    }

    /// Reads documents of a group with their saved sync states.
    pub async fn load(
        &self,
        group: &str,
        docs: Vec<DocumentId>,
    ) -> Result<Vec<Loaded>, StorageError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Load {
            group: group.to_string(),
            docs,
            reply,
        };
        self.jobs.send(job).map_err(|_| StorageError::Stopped)?;
        answer.await.map_err(|_| StorageError::Stopped)?
    }

    /// Commits writes of a group, the owners of the actors of its new changes and what they
    /// charge their participants, in one transaction; returns once they are in the file.
    pub async fn write(
        &self,
        group: &str,
        writes: Vec<Write>,
        authors: Vec<Authorship>,
        charges: Vec<Charge>,
    ) -> Result<(), StorageError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Write {
            group: group.to_string(),
            writes,
            authors,
            charges,
            reply,
        };
        self.jobs.send(job).map_err(|_| StorageError::Stopped)?;
        answer.await.map_err(|_| StorageError::Stopped)?
    }
}

impl Storage {
    /// The group's index document and the notes erased from the group.
    pub async fn erased(&self, group: &str) -> Result<Erased, StorageError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Erased {
            group: group.to_string(),
            reply,
        };
        self.jobs.send(job).map_err(|_| StorageError::Stopped)?;
        answer.await.map_err(|_| StorageError::Stopped)?
    }

    /// What each participant's writes hold of a group.
    pub async fn usage(&self, group: &str) -> Result<Vec<Charge>, StorageError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Usage {
            group: group.to_string(),
            reply,
        };
        self.jobs.send(job).map_err(|_| StorageError::Stopped)?;
        answer.await.map_err(|_| StorageError::Stopped)?
    }

    /// Who owns each actor of a group, surveying its stored documents the first time.
    pub async fn authors(&self, group: &str) -> Result<Vec<Authorship>, StorageError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Authors {
            group: group.to_string(),
            reply,
        };
        self.jobs.send(job).map_err(|_| StorageError::Stopped)?;
        answer.await.map_err(|_| StorageError::Stopped)?
    }
}

fn run(mut conn: Connection, jobs: std_mpsc::Receiver<Job>, mut quiet: QuietDocs<GroupDoc>) {
    loop {
        let next = match quiet.next_due() {
            None => jobs.recv().map_err(|_| ()),
            Some(due) => match jobs.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(job) => Ok(job),
                Err(std_mpsc::RecvTimeoutError::Timeout) => {
                    compact(&mut conn, quiet.take_due(Instant::now()));
                    continue;
                }
                Err(std_mpsc::RecvTimeoutError::Disconnected) => Err(()),
            },
        };
        let Ok(first) = next else { break };
        let mut writes = Vec::new();
        for job in std::iter::once(first).chain(jobs.try_iter()) {
            match job {
                Job::Load { group, docs, reply } => {
                    let _ = reply.send(load(&conn, &group, &docs));
                }
                Job::Write {
                    group,
                    writes: w,
                    authors,
                    charges,
                    reply,
                } => writes.push((group, w, authors, charges, reply)),
                Job::Authors { group, reply } => {
                    let _ = reply.send(known_authors(&mut conn, &group));
                }
                Job::Erased { group, reply } => {
                    let _ = reply.send(erased(&conn, &group));
                }
                Job::Usage { group, reply } => {
                    let _ = reply.send(usage::known(&conn, &group).map_err(StorageError::from));
                }
            }
        }
        if !writes.is_empty() {
            commit(&mut conn, writes, &mut quiet);
        }
        // A busy relay may never wait long enough for a timeout.
        compact(&mut conn, quiet.take_due(Instant::now()));
    }
    compact(&mut conn, quiet.take_all());
    if let Err(error) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
        tracing::warn!(%error, "could not checkpoint the relay's database on the way out");
    }
}

/// A document of a group, as storage keeps track of it.
type GroupDoc = (String, DocumentId);

type PendingWrite = (
    String,
    Vec<Write>,
    Vec<Authorship>,
    Vec<Charge>,
    oneshot::Sender<Result<(), StorageError>>,
);

/// Commits every pending write in one transaction; if that fails, each group's on its own, so
/// one bad write does not take the others down. The documents that received changes are
/// compacted later, once quiet (see [`QuietDocs`]): compaction rewrites a whole document, and
/// while members type in a note it would take a core from the changes on their way to the
/// others.
fn commit(conn: &mut Connection, pending: Vec<PendingWrite>, quiet: &mut QuietDocs<GroupDoc>) {
    let now = Instant::now();
    for (group, writes, _, _, _) in &pending {
        for write in writes {
            if let Write::Changes { doc, .. } = write {
                quiet.wrote((group.clone(), *doc), now);
            }
        }
    }
    store(conn, pending);
}

/// Compacts the documents where that pays off; a failure only leaves them as they are.
fn compact(conn: &mut Connection, due: Vec<GroupDoc>) {
    if due.is_empty() {
        return;
    }
    let compacted = begin_write(conn)
        .map_err(StorageError::from)
        .and_then(|tx| {
            for (group, doc) in &due {
                docs::compact_if_needed(&tx, group, &doc.to_string())?;
            }
            tx.commit().map_err(StorageError::from)
        });
    if let Err(error) = compacted {
        tracing::warn!(%error, "could not compact documents; their changes stay stored as they are");
    }
}

fn store(conn: &mut Connection, pending: Vec<PendingWrite>) {
    let all = begin_write(conn)
        .map_err(StorageError::from)
        .and_then(|tx| {
            for (group, writes, authors, charges, _) in &pending {
                apply(&tx, group, writes, authors, charges)?;
            }
            tx.commit().map_err(StorageError::from)
        });
    if all.is_ok() {
        for (_, _, _, _, reply) in pending {
            let _ = reply.send(Ok(()));
        }
        return;
    }
    for (group, writes, authors, charges, reply) in pending {
        let one = begin_write(conn)
            .map_err(StorageError::from)
            .and_then(|tx| {
                apply(&tx, &group, &writes, &authors, &charges)?;
                tx.commit().map_err(StorageError::from)
            });
        if let Err(error) = &one {
            tracing::error!(group, %error, "could not store a group's changes");
        }
        let _ = reply.send(one);
    }
}

fn apply(
    tx: &Transaction<'_>,
    group: &str,
    writes: &[Write],
    owners: &[Authorship],
    charges: &[Charge],
) -> Result<(), StorageError> {
    if !owners.is_empty() {
        authors::record(tx, group, owners, now_millis())?;
    }
    usage::record(tx, group, charges)?;
    for write in writes {
        match write {
            Write::Changes { doc, bytes } => {
                docs::append_changes_without_compacting(tx, group, &doc.to_string(), bytes)?;
                accounts::record_doc_change(tx, group, doc)?;
            }
            Write::Snapshot { doc, bytes } => {
                docs::put_snapshot(tx, group, &doc.to_string(), bytes)?;
                accounts::record_doc_change(tx, group, doc)?;
            }
            Write::SyncState {
                doc,
                storage_id,
                state,
            } => docs::put_sync_state(tx, group, &doc.to_string(), storage_id, state)?,
        }
    }
    Ok(())
}

/// The owners of a group's actors, in a write transaction of their own: the first time, the
/// group's stored documents are surveyed and what is found is recorded.
fn known_authors(conn: &mut Connection, group: &str) -> Result<Vec<Authorship>, StorageError> {
    let tx = begin_write(conn)?;
    let known = authors::known(&tx, group, now_millis())?;
    tx.commit()?;
    Ok(known)
}

fn erased(conn: &Connection, group: &str) -> Result<Erased, StorageError> {
    Ok(Erased {
        index: accounts::group(conn, group)?.map(|g| g.index_doc),
        docs: accounts::erased_docs(conn, group)?,
    })
}

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn load(conn: &Connection, group: &str, ids: &[DocumentId]) -> Result<Vec<Loaded>, StorageError> {
    ids.iter()
        .map(|doc| {
            let id = doc.to_string();
            let found = match load_or_set_aside(conn, group, doc)? {
                Some(automerge) => Some(LoadedDoc {
                    doc: automerge,
                    sync_states: docs::sync_states(conn, group, &id)?,
                }),
                None => None,
            };
            let may_create = found.is_none() && !accounts::is_purged(conn, group, doc)?;
            Ok(Loaded {
                doc: *doc,
                found,
                may_create,
            })
        })
        .collect()
}

/// The document as far as it loads. A damaged one has its unreadable chunks set aside (kept in
/// the database) and is recorded as changed, so that every member's next sync offers it and
/// the first who still holds it makes it whole again.
fn load_or_set_aside(
    conn: &Connection,
    group: &str,
    doc: &DocumentId,
) -> Result<Option<automerge::Automerge>, StorageError> {
    let id = doc.to_string();
    match docs::load(conn, group, &id) {
        Err(StoreError::CorruptDocument { .. }) => {}
        loaded => return Ok(loaded?),
    }
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let set_aside = match docs::set_aside(&tx, group, &id) {
        Ok(set_aside) => set_aside,
        Err(error @ StoreError::CorruptDocument { .. }) => {
            tracing::error!(group, doc = %id, %error, "a stored document cannot be read, and no damaged chunk could be singled out");
            return Ok(None);
        }
        Err(other) => return Err(other.into()),
    };
    accounts::record_doc_change(&tx, group, doc)?;
    tx.commit()?;
    if let Some(set_aside) = set_aside {
        tracing::error!(
            group,
            doc = %id,
            damaged_chunks = ?set_aside.chunk_ids,
            intact_chunks = set_aside.kept,
            "a stored document is damaged: its unreadable chunks are set aside in damaged_chunks, and it will be restored from the next member who syncs it"
        );
    }
    Ok(docs::load(conn, group, &id)?)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use automerge::{ROOT, transaction::Transactable};
    use chrono::Utc;
    use quaderno_store::docs::{self, ChunkKind};
    use quaderno_sync::Write;

    use super::Storage;
    use crate::accounts::{Actor, GroupSlug, create_group};
    use crate::db::Db;

    /// A relay database with one group; returns the group's index document to write to.
    fn relay_with_a_group(dir: &std::path::Path) -> (Db, quaderno_model::DocumentId) {
        let db = Db::open(dir).unwrap();
        let slug = GroupSlug::parse("palermo").unwrap();
        let group = db
            .with_conn(|conn| {
                Ok(
                    create_group(conn, &slug, None, &Actor::command_line("test"), Utc::now())
                        .unwrap(),
                )
            })
            .unwrap();
        (db, group.index_doc)
    }

    /// Keystroke-sized changes, each as the hub hands it to storage, enough of them that
    /// compacting pays off many times over.
    fn keystrokes(db: &Db, doc: &quaderno_model::DocumentId) -> Vec<Write> {
        let mut automerge = db
            .with_conn(|conn| Ok(docs::load(conn, "palermo", &doc.to_string()).unwrap()))
            .unwrap()
            .unwrap();
        (0..60)
            .map(|i| {
                let before = automerge.get_heads();
                let mut tx = automerge.transaction();
                tx.put(ROOT, "typed", format!("parola {i}")).unwrap();
                tx.commit();
                Write::Changes {
                    doc: *doc,
                    bytes: automerge.save_after(&before),
                }
            })
            .collect()
    }

    fn kinds(db: &Db, doc: &quaderno_model::DocumentId) -> Vec<ChunkKind> {
        db.with_conn(|conn| Ok(docs::load_chunks(conn, "palermo", &doc.to_string()).unwrap()))
            .unwrap()
            .into_iter()
            .map(|chunk| chunk.kind)
            .collect()
    }

    #[tokio::test]
    async fn a_document_is_compacted_once_it_goes_quiet_not_while_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let (db, doc) = relay_with_a_group(dir.path());
        let (storage, thread) =
            Storage::start_compacting_after(db.path(), Duration::from_millis(300)).unwrap();

        for write in keystrokes(&db, &doc) {
            storage
                .write("palermo", vec![write], Vec::new(), Vec::new())
                .await
                .unwrap();
        }
        let stored = kinds(&db, &doc);
        assert_eq!(
            stored.len(),
            61,
            "every keystroke stored as it came: {stored:?}"
        );

        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while kinds(&db, &doc).len() > 1 {
            assert!(std::time::Instant::now() < deadline, "never compacted");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(kinds(&db, &doc), vec![ChunkKind::Snapshot]);
        drop(storage);
        thread.join().unwrap();
    }

    #[tokio::test]
    async fn a_relay_that_stops_compacts_what_is_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let (db, doc) = relay_with_a_group(dir.path());
        let (storage, thread) =
            Storage::start_compacting_after(db.path(), Duration::from_secs(3600)).unwrap();
        storage
            .write("palermo", keystrokes(&db, &doc), Vec::new(), Vec::new())
            .await
            .unwrap();
        assert_eq!(kinds(&db, &doc).len(), 61);

        drop(storage);
        thread.join().unwrap();

        assert_eq!(kinds(&db, &doc), vec![ChunkKind::Snapshot]);
    }
}
