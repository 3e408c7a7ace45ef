//! Checkpointing the write-ahead log away from the connections that sync.
//!
//! In WAL mode with `synchronous = NORMAL` a commit only appends to the log; the disk is flushed
//! when the log is copied back into the database file (a checkpoint). By default SQLite does
//! that inside whichever commit finds the log over 1,000 pages, and that commit then waits for
//! the flush: tens, at times over a hundred milliseconds, on a change that was on its way to
//! the other members of a meeting. A connection that syncs hands checkpoints over
//! ([`hand_checkpoints_over`]) to a [`Checkpointer`], which does them on a thread of its own.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::{StoreError, open_connection};

/// How often the [`Checkpointer`] copies the log back: often enough that the log stays small.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Stops this connection's commits from checkpointing (a [`Checkpointer`] does it instead).
pub fn hand_checkpoints_over(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "wal_autocheckpoint", 0)
}

/// A thread that checkpoints one file's log every [`CHECKPOINT_EVERY`] until dropped.
///
/// Its checkpoints are `PASSIVE`: they never wait for, nor hold up, readers and writers.
#[derive(Debug)]
pub struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let conn = open_connection(path)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("quaderno-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_EVERY)
                {
                    if let Err(error) = checkpoint(&conn) {
                        tracing::warn!(%error, "could not checkpoint the data file's log");
                    }
                }
                let _ = checkpoint(&conn);
            })
            .expect("spawning the checkpoint thread");
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// Copies what the log holds back into the database file, as far as readers allow.
pub fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn main_file_len(path: &Path) -> u64 {
        std::fs::metadata(path).unwrap().len()
    }

    #[test]
    fn commits_leave_the_log_to_the_checkpointer_which_copies_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        let conn = open_connection(&path).unwrap();
        hand_checkpoints_over(&conn).unwrap();
        conn.execute_batch("CREATE TABLE t (b BLOB)").unwrap();
        // 8 MB in 2,000 commits: far past the 1,000 pages at which a commit would checkpoint.
        for _ in 0..2_000 {
            conn.execute("INSERT INTO t VALUES (zeroblob(4096))", [])
                .unwrap();
        }
        assert!(
            main_file_len(&path) < 1 << 20,
            "a commit checkpointed: the database file holds {} bytes",
            main_file_len(&path)
        );

        let checkpoints = Checkpointer::start(&path).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while main_file_len(&path) < 8 << 20 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        drop(checkpoints);
        assert!(
            main_file_len(&path) >= 8 << 20,
            "the checkpointer did not copy the log back: {} bytes",
            main_file_len(&path)
        );
    }
}
