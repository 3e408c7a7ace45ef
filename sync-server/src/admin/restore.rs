//! `restore FILE`: puts a backup (`backup --out`) in place of the relay's database.
//!
//! The relay must be stopped: the data directory's lock ([`crate::lock`]) is taken for the
//! whole restore, so a relay cannot serve a file being replaced, nor start before the backup is
//! whole. The backup is checked on a copy written next to the database (a readable SQLite file
//! with the relay's tables, no migration newer than this binary), brought up to this binary's
//! schema and given a new epoch; the current database is kept aside under a dated name (never
//! deleted); then the copy is renamed over it, so at every moment `relay.sqlite3` is either the
//! old database or the restored one, whole. Erasures made after the backup are made again on
//! the copy ([`erasures`]).

mod erasures;

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use quaderno_store::StoreError;
use rusqlite::Connection;
use serde::Serialize;

use super::{AdminError, Output, Report};
use crate::db::{self, DbError, FILE_NAME};
use crate::lock::{DataDirLock, Holder};
use crate::relay::identity;
use erasures::Carried;

/// What SQLite may keep beside a database file; each goes with its database.
const SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

#[derive(Serialize)]
struct Restored {
    from: PathBuf,
    bytes: u64,
    database: PathBuf,
    /// Where the database it replaced is kept; `None` when there was none.
    kept_aside: Option<PathBuf>,
    /// The relay's new epoch; `None` for a backup of a relay that never served (its first
    /// `serve` makes one).
    epoch: Option<String>,
    /// Erasures made after the backup, made again on the restored database.
    erasures_carried_over: Vec<Carried>,
    /// Why the replaced database's erasures could not be read, if they could not.
    erasures_unread: Option<String>,
}

/// What staging the backup made of it.
struct Staged {
    epoch: Option<String>,
    carried: Result<Vec<Carried>, String>,
}

impl Output for Restored {
    fn human(&self) -> String {
        let mut text = format!(
            "Restored the relay's database from {} ({} bytes) into {}.\n",
            self.from.display(),
            self.bytes,
            self.database.display()
        );
        match &self.kept_aside {
            Some(path) => text.push_str(&format!(
                "The database it replaced is kept at {} (delete it yourself once the relay \
                 works as it should).\n",
                path.display()
            )),
            None => text.push_str("There was no database here before.\n"),
        }
        if !self.erasures_carried_over.is_empty() {
            text.push_str(&format!(
                "{} erased after the backup, erased again on the restored relay (every device \
                 confirms anew):\n",
                notes(self.erasures_carried_over.len())
            ));
            for carried in &self.erasures_carried_over {
                text.push_str(&format!("  {}  {}\n", carried.group, carried.doc));
            }
        }
        if let Some(reason) = &self.erasures_unread {
            text.push_str(&format!(
                "Warning: the erasures of the replaced database could not be read ({reason}): \
                 erase again (`note purge`) every note erased since the backup.\n"
            ));
        }
        if let Some(epoch) = &self.epoch {
            text.push_str(&format!("New epoch: {epoch}.\n"));
        }
        text.push_str(
            "Start the relay again. At its next sync each device sees that the relay was \
             restored and sends back every change it holds that the backup lacks; edits made \
             since the backup that only a lost or wiped device held are gone.\n",
        );
        text
    }
}

/// Restores `backup` into `data_dir` (see the module's doc).
pub fn run(data_dir: &Path, backup: &Path, now: DateTime<Utc>) -> Result<Report, AdminError> {
    let bytes = std::fs::metadata(backup)
        .ok()
        .filter(|m| m.is_file())
        .ok_or_else(|| AdminError::RestoreMissing(backup.to_owned()))?
        .len();
    db::create_data_dir(data_dir)?;
    let _lock = DataDirLock::take(data_dir, Holder::Restore)?;
    let live = data_dir.join(FILE_NAME);
    let staged = data_dir.join(format!("{FILE_NAME}.restoring"));
    remove_with_side_files(&staged)?;
    let staged_as = match stage(backup, &staged, &live, now) {
        Ok(staged_as) => staged_as,
        Err(error) => {
            let _ = remove_with_side_files(&staged);
            return Err(error);
        }
    };
    let kept_aside = keep_aside(&live, now)?;
    std::fs::rename(&staged, &live).map_err(|e| io("put the backup in place at", &live, e))?;
    sync_dir(data_dir)?;
    tracing::info!(from = %backup.display(), ?kept_aside, "restored the relay's database");
    let restored = Restored {
        from: backup.to_owned(),
        bytes,
        database: live,
        kept_aside,
        epoch: staged_as.epoch,
        erasures_unread: staged_as.carried.as_ref().err().cloned(),
        erasures_carried_over: staged_as.carried.unwrap_or_default(),
    };
    Ok(restored.report())
}

/// Copies the backup to `staged`, checks it, brings it up to date, gives it a new epoch and
/// the erasures `live` has made since. The copy is left whole on disk, with nothing beside it.
fn stage(
    backup: &Path,
    staged: &Path,
    live: &Path,
    now: DateTime<Utc>,
) -> Result<Staged, AdminError> {
    std::fs::copy(backup, staged).map_err(|e| io("copy the backup to", staged, e))?;
    check(&Connection::open(staged)?, backup)?;
    let mut conn = quaderno_store::open_connection(staged).map_err(|e| too_new(e, backup))?;
    let migrated = quaderno_store::migrate(
        &conn,
        crate::accounts::COMPONENT,
        crate::accounts::MIGRATIONS,
    )
    .and_then(|()| crate::authors::migrate(&conn))
    .and_then(|()| crate::usage::migrate(&conn));
    migrated.map_err(|e| too_new(e, backup))?;
    let epoch = identity::new_epoch(&conn).map_err(|e| match e {
        DbError::Store(e) => too_new(e, backup),
        e => e.into(),
    })?;
    forget_sync_states(&conn)?;
    let carried = erasures::carry_over(live, &mut conn, now)?;
    // Back to a rollback journal: the log is folded into the file and removed, so the file
    // renamed into place is the whole database. The relay switches it to WAL when it opens it.
    conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    drop(conn);
    File::open(staged)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("write", staged, e))?;
    Ok(Staged { epoch, carried })
}

/// The relay's sync state for each device describes what that device and the relay had in
/// common when the backup was made. A device that kept its copies still holds all of it, but
/// one wiped or set back since does not, and a state that claims too much makes the relay
/// leave out what it believes the device has. So the restored relay starts from nothing with
/// every device, as with a new one: their first exchange finds what each side lacks.
fn forget_sync_states(conn: &Connection) -> Result<(), AdminError> {
    let forgotten = conn.execute("DELETE FROM sync_states", [])?;
    tracing::debug!(forgotten, "forgot the backup's sync states");
    Ok(())
}

/// Refuses a file that is not a relay's database, or is damaged, or comes from a newer
/// `quaderno-server` (whose tables this one cannot be trusted to read).
fn check(conn: &Connection, backup: &Path) -> Result<(), AdminError> {
    let not_a_backup = |reason: &str| AdminError::NotABackup {
        path: backup.to_owned(),
        reason: reason.to_owned(),
    };
    let verdict: String = conn
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(|_| not_a_backup("it is not an SQLite database"))?;
    if verdict != "ok" {
        return Err(not_a_backup(&format!("it is damaged: {verdict}")));
    }
    let version = |component| {
        quaderno_store::read_version(conn, component)
            .map_err(|_| not_a_backup("it has no readable schema versions"))
    };
    if version(crate::accounts::COMPONENT)? == 0 {
        let reason = if version(quaderno_store::NOTEBOOK_COMPONENT)? > 0 {
            "it is a participant's notebook (a `quaderno` data file), not the relay's database"
        } else {
            "it holds no relay accounts"
        };
        return Err(not_a_backup(reason));
    }
    Ok(())
}

/// A migration error while bringing the backup up to date: a newer schema is the backup's
/// fault, anything else the storage's.
fn too_new(error: StoreError, backup: &Path) -> AdminError {
    match error {
        StoreError::NewerVersion {
            component,
            found,
            known,
        } => AdminError::BackupTooNew {
            path: backup.to_owned(),
            component,
            found,
            known,
        },
        other => AdminError::Db(other.into()),
    }
}

/// Keeps the current database (with its log) under a dated name beside it: linked, so that
/// `relay.sqlite3` itself stays in place until the backup replaces it in one rename.
fn keep_aside(live: &Path, now: DateTime<Utc>) -> Result<Option<PathBuf>, AdminError> {
    if !live.exists() {
        return Ok(None);
    }
    fold_log(live);
    let aside = free_name(live, now);
    if std::fs::hard_link(live, &aside).is_err() {
        std::fs::copy(live, &aside)
            .and_then(|_| File::open(&aside)?.sync_all())
            .map_err(|e| io("keep the current database at", &aside, e))?;
    }
    // What is left of the log goes with its database, never beside the restored one.
    for side in SIDE_FILES {
        let from = with_suffix(live, side);
        if from.exists() {
            let to = with_suffix(&aside, side);
            std::fs::rename(&from, &to).map_err(|e| io("keep", &to, e))?;
        }
    }
    Ok(Some(aside))
}

/// Folds the current database's log into it, so the copy kept aside is one whole file. A
/// damaged database may refuse: its log then goes aside with it, as it is.
fn fold_log(live: &Path) {
    let folded = Connection::open(live)
        .and_then(|conn| conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())));
    if let Err(error) = folded {
        tracing::warn!(%error, "could not fold the current database's log into it; it is kept aside as it is");
    }
}

/// `relay.sqlite3.before-restore-20250601T120000Z`, or with `-2`, `-3`… if that is taken.
fn free_name(live: &Path, now: DateTime<Utc>) -> PathBuf {
    let base = format!(
        "{}.before-restore-{}",
        live.display(),
        now.format("%Y%m%dT%H%M%SZ")
    );
    let mut candidate = PathBuf::from(&base);
    let mut n = 2;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{base}-{n}"));
        n += 1;
    }
    candidate
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes a leftover of an interrupted restore.
fn remove_with_side_files(path: &Path) -> Result<(), AdminError> {
    let side = SIDE_FILES.iter().map(|s| with_suffix(path, s));
    for file in std::iter::once(path.to_owned()).chain(side) {
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("remove the leftover", &file, e)),
        }
    }
    Ok(())
}

/// Makes the renames in the data directory durable.
fn sync_dir(dir: &Path) -> Result<(), AdminError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("write", dir, e))
}

fn io(what: &'static str, path: &Path, source: std::io::Error) -> AdminError {
    AdminError::RestoreIo {
        what,
        path: path.to_owned(),
        source,
    }
}

fn notes(n: usize) -> String {
    if n == 1 {
        "1 note".into()
    } else {
        format!("{n} notes")
    }
}
