//! The storage thread: one SQLite connection that every group actor reads and writes through.
//!
//! Writes waiting at the same moment, from any group, are committed in one transaction, so a
//! busy relay pays for one commit per turn rather than one per message. A write is answered
//! only once its transaction committed: the actor sends acknowledgements after that answer.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use quaderno_model::DocumentId;
use quaderno_store::StoreError;
use quaderno_store::docs;
use quaderno_store::rusqlite::{Connection, Transaction, TransactionBehavior};
use quaderno_store::{Checkpointer, begin_write, hand_checkpoints_over};
use quaderno_sync::{LoadedDoc, Write};
use tokio::sync::oneshot;

use crate::accounts;

/// Why storage could not do what an actor asked.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the relay's database failed: {0}")]
    Store(#[from] quaderno_store::StoreError),
    #[error("the relay's database failed: {0}")]
    Sqlite(#[from] quaderno_store::rusqlite::Error),
    #[error("the relay's database failed: {0}")]
    Accounts(#[from] accounts::AccountsError),
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
        reply: oneshot::Sender<Result<(), StorageError>>,
    },
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
        let conn = quaderno_store::open_connection(path)?;
        // Commits never wait for the disk: the log is flushed into the file beside them.
        hand_checkpoints_over(&conn)?;
        let checkpoints = Checkpointer::start(path)?;
        let (jobs, rx) = std_mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("quaderno-storage".into())
            .spawn(move || {
                run(conn, rx);
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

    /// Commits writes of a group; returns once they are in the file.
    pub async fn write(&self, group: &str, writes: Vec<Write>) -> Result<(), StorageError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Write {
            group: group.to_string(),
            writes,
            reply,
        };
        self.jobs.send(job).map_err(|_| StorageError::Stopped)?;
        answer.await.map_err(|_| StorageError::Stopped)?
    }
}

fn run(mut conn: Connection, jobs: std_mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut writes = Vec::new();
        for job in std::iter::once(first).chain(jobs.try_iter()) {
            match job {
                Job::Load { group, docs, reply } => {
                    let _ = reply.send(load(&conn, &group, &docs));
                }
                Job::Write {
                    group,
                    writes: w,
                    reply,
                } => writes.push((group, w, reply)),
            }
        }
        if !writes.is_empty() {
            commit(&mut conn, writes);
        }
    }
    if let Err(error) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
        tracing::warn!(%error, "could not checkpoint the relay's database on the way out");
    }
}

type PendingWrite = (
    String,
    Vec<Write>,
    oneshot::Sender<Result<(), StorageError>>,
);

/// Commits every pending write in one transaction; if that fails, each group's on its own, so
/// one bad write does not take the others down. The documents that received changes are
/// compacted afterwards, once every writer has its answer: compaction rewrites a whole
/// document, and the changes it would hold up are on their way to the other members.
fn commit(conn: &mut Connection, pending: Vec<PendingWrite>) {
    let changed: BTreeSet<(String, DocumentId)> = pending
        .iter()
        .flat_map(|(group, writes, _)| {
            writes.iter().filter_map(move |write| match write {
                Write::Changes { doc, .. } => Some((group.clone(), *doc)),
                _ => None,
            })
        })
        .collect();
    store(conn, pending);
    if let Err(error) = compact(conn, &changed) {
        tracing::warn!(%error, "could not compact documents; their changes stay stored as they are");
    }
}

fn compact(
    conn: &mut Connection,
    changed: &BTreeSet<(String, DocumentId)>,
) -> Result<(), StorageError> {
    if changed.is_empty() {
        return Ok(());
    }
    let tx = begin_write(conn)?;
    for (group, doc) in changed {
        docs::compact_if_needed(&tx, group, &doc.to_string())?;
    }
    tx.commit()?;
    Ok(())
}

fn store(conn: &mut Connection, pending: Vec<PendingWrite>) {
    let all = begin_write(conn)
        .map_err(StorageError::from)
        .and_then(|tx| {
            for (group, writes, _) in &pending {
                apply(&tx, group, writes)?;
            }
            tx.commit().map_err(StorageError::from)
        });
    if all.is_ok() {
        for (_, _, reply) in pending {
            let _ = reply.send(Ok(()));
        }
        return;
    }
    for (group, writes, reply) in pending {
        let one = begin_write(conn)
            .map_err(StorageError::from)
            .and_then(|tx| {
                apply(&tx, &group, &writes)?;
                tx.commit().map_err(StorageError::from)
            });
        if let Err(error) = &one {
            tracing::error!(group, %error, "could not store a group's changes");
        }
        let _ = reply.send(one);
    }
}

fn apply(tx: &Transaction<'_>, group: &str, writes: &[Write]) -> Result<(), StorageError> {
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
