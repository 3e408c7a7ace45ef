//! A participant's whole notebook in one file, with every note's history, to carry to a new
//! computer: `quaderno backup --out FILE` and `quaderno restore --backup FILE`.
//!
//! The file is a copy of the store, made with `VACUUM INTO` (one consistent snapshot, safe
//! while a sync writes). It never holds a device token: those live in `relays.json`, which is
//! not copied. A restored notebook is therefore no device yet; it becomes a new device of the
//! same participant with a device link code (`quaderno device link` on the old computer) or an
//! invite, and the notes it holds are synced from there.
//!
//! What belonged to the old device only is dropped from the copy as it is restored: the groups
//! it had joined (they come back with the link, with this device's own role) and its sync
//! states with relays (the new device starts with none, so its first sync compares everything).

use std::path::{Path, PathBuf};

use quaderno_store::rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::ClientError;
use crate::notebook::{Notebook, STORE_FILE};
use crate::relays::RELAYS_FILE;

/// What a backup wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
    pub notes: u64,
}

/// What a restore brought back.
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    /// Every note, the bin's included.
    pub notes: u64,
    /// The groups whose notes came back, each with how many.
    pub groups: Vec<(String, u64)>,
}

/// Writes a copy of the notebook in `data_dir` to `out`, which must not exist yet.
pub fn backup(data_dir: &Path, out: &Path) -> Result<Written, ClientError> {
    if out.exists() {
        return Err(ClientError::Backup(format!(
            "{} already exists: choose a new file, a backup never replaces one",
            out.display()
        )));
    }
    if let Some(folder) = out.parent().filter(|p| !p.as_os_str().is_empty())
        && !folder.is_dir()
    {
        return Err(ClientError::Backup(format!(
            "there is no folder {} to write the backup into",
            folder.display()
        )));
    }
    // Opened through the notebook, so that a store from another version is refused first.
    drop(Notebook::open(data_dir)?);
    let conn = quaderno_store::open_connection(&data_dir.join(STORE_FILE))?;
    conn.execute("VACUUM INTO ?1", [out.to_string_lossy()])?;
    let bytes = std::fs::metadata(out)
        .map_err(|e| local(out, &e.to_string()))?
        .len();
    let notes = count_notes(&Connection::open_with_flags(
        out,
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?)?;
    Ok(Written {
        path: out.to_owned(),
        bytes,
        notes,
    })
}

/// Puts the notebook in `file` into `data_dir`, which must hold no notes and no relay account
/// yet (a new computer, or a new data folder).
pub fn restore(data_dir: &Path, file: &Path) -> Result<Restored, ClientError> {
    if !file.is_file() {
        return Err(ClientError::Backup(format!(
            "{} is not a file: give the file `quaderno backup --out` wrote",
            file.display()
        )));
    }
    if data_dir.join(RELAYS_FILE).exists() || has_notes(data_dir)? {
        return Err(ClientError::Backup(format!(
            "{} already holds a notebook: restore into a new data folder (--data-dir DIR), so \
             that nothing here is replaced",
            data_dir.display()
        )));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| local(data_dir, &e.to_string()))?;
    let staged = data_dir.join(format!("{STORE_FILE}.restoring"));
    let _ = std::fs::remove_file(&staged);
    std::fs::copy(file, &staged).map_err(|e| local(file, &e.to_string()))?;
    if let Err(error) = prepare(&staged, file) {
        let _ = std::fs::remove_file(&staged);
        return Err(error);
    }
    let store = data_dir.join(STORE_FILE);
    for leftover in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(data_dir.join(format!("{STORE_FILE}{leftover}")));
    }
    std::fs::rename(&staged, &store).map_err(|e| local(&store, &e.to_string()))?;
    // The notebook's own checks and migrations, as at any start.
    drop(Notebook::open(data_dir)?);
    let conn = quaderno_store::open_connection(&store)?;
    let notes = count_notes(&conn)?;
    let mut groups = conn.prepare(
        "SELECT grp, count(*) FROM notes WHERE grp != 'personal' GROUP BY grp ORDER BY grp",
    )?;
    let groups = groups
        .query_map([], |row| {
            Ok((row.get(0)?, row.get::<_, i64>(1)?.unsigned_abs()))
        })?
        .collect::<Result<_, _>>()?;
    Ok(Restored { notes, groups })
}

/// Checks the copy is a whole Quaderno notebook, and drops what was the old device's.
fn prepare(staged: &Path, file: &Path) -> Result<(), ClientError> {
    let not_a_backup = |why: &str| {
        ClientError::Backup(format!(
            "{} is not a notebook backup ({why}): give the file `quaderno backup --out` wrote",
            file.display()
        ))
    };
    let conn = Connection::open(staged).map_err(|_| not_a_backup("it does not open"))?;
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|_| not_a_backup("it is not an SQLite file"))?;
    if check != "ok" {
        return Err(not_a_backup("it is damaged"));
    }
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' \
         AND name IN ('notes', 'chunks', 'schema_versions')",
        [],
        |r| r.get(0),
    )?;
    if tables != 3 {
        return Err(not_a_backup("it has no notes of Quaderno's"));
    }
    let has_groups: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sync_groups'",
        [],
        |r| r.get(0),
    )?;
    if has_groups > 0 {
        conn.execute("DELETE FROM sync_groups", [])?;
    }
    conn.execute("DELETE FROM sync_states", [])?;
    Ok(())
}

fn has_notes(data_dir: &Path) -> Result<bool, ClientError> {
    let store = data_dir.join(STORE_FILE);
    if !store.exists() {
        return Ok(false);
    }
    let conn = quaderno_store::open_connection(&store)?;
    let notes: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'notes'",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0);
    Ok(notes > 0 && count_notes(&conn)? > 0)
}

fn count_notes(conn: &Connection) -> Result<u64, ClientError> {
    let count: i64 = conn.query_row("SELECT count(*) FROM notes", [], |r| r.get(0))?;
    Ok(count.unsigned_abs())
}

fn local(path: &Path, reason: &str) -> ClientError {
    ClientError::Local {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}
