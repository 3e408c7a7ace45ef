//! One process at a time on a data directory's database files: `serve` holds an exclusive
//! lock on `serve.lock` for as long as it runs, and `restore` takes the same lock before it
//! replaces the database, so a restore can never swap the file under a serving relay and a
//! second relay never serves the same directory. The operating system lets go of the lock when
//! the process ends, however it ends; the file names the holder (its process id and command) so
//! the refusal can say whom to stop.
//!
//! Admin commands other than `restore` take no lock: they are single SQLite transactions, safe
//! beside a serving relay.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The lock file inside the data directory.
pub const LOCK_FILE: &str = "serve.lock";

/// Which command holds the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    /// `quaderno-server serve`.
    Serve,
    /// `quaderno-server restore`.
    Restore,
}

/// The process holding the lock, as the file names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockOwner {
    pub pid: u32,
    pub command: Holder,
}

impl fmt::Display for LockOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let command = match self.command {
            Holder::Serve => "`quaderno-server serve`",
            Holder::Restore => "`quaderno-server restore`",
        };
        write!(f, "{command} (process {})", self.pid)
    }
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it (`None`: it has not written who it is yet).
    #[error("{} is using the data directory {}: stop it first (or pass another --data-dir)", describe(.owner), .data_dir.display())]
    Held {
        data_dir: PathBuf,
        owner: Option<LockOwner>,
    },

    /// The lock file cannot be opened or written.
    #[error("cannot lock {}: {source}; check the data directory's permissions", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn describe(owner: &Option<LockOwner>) -> String {
    owner.map_or_else(
        || "another quaderno-server process".into(),
        |o| o.to_string(),
    )
}

/// Held while this process has the data directory; dropping it lets go.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    /// Takes the lock of `data_dir` (which must exist) for `command`, or says who holds it.
    pub fn take(data_dir: &Path, command: Holder) -> Result<DataDirLock, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held {
                    data_dir: data_dir.to_owned(),
                    owner: read_owner(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let owner = LockOwner {
            pid: std::process::id(),
            command,
        };
        let named = serde_json::to_vec(&owner).expect("an owner serializes");
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(&named))
            .and_then(|()| file.flush())
            .map_err(io)?;
        Ok(DataDirLock { _file: file })
    }
}

fn read_owner(file: &mut File) -> Option<LockOwner> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_is_told_who_holds_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let held = DataDirLock::take(dir.path(), Holder::Serve).unwrap();

        let refused = DataDirLock::take(dir.path(), Holder::Restore).unwrap_err();

        let text = refused.to_string();
        assert!(text.contains("`quaderno-server serve`"), "{text}");
        assert!(
            text.contains(&format!("process {}", std::process::id())),
            "{text}"
        );
        drop(held);
        DataDirLock::take(dir.path(), Holder::Restore).unwrap();
    }
}
