//! `backup --out FILE`: a consistent copy of the database, safe while the relay serves.

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::Serialize;

use super::{AdminError, Output, Report};
use crate::accounts;
use crate::db::Db;

#[derive(Serialize)]
struct Written {
    path: PathBuf,
    bytes: u64,
}

impl Output for Written {
    fn human(&self) -> String {
        format!(
            "Wrote a backup of the relay to {} ({} bytes).\n\
             To restore it: stop the relay, then `quaderno-server --data-dir DIR restore {}`.\n",
            self.path.display(),
            self.bytes,
            self.path.display()
        )
    }
}

/// Writes the copy with `VACUUM INTO`, which reads one consistent snapshot (so writers carry
/// on) and produces a compact file that needs no WAL beside it.
pub(super) fn run(db: &Db, out: &Path) -> Result<Report, AdminError> {
    if out.exists() {
        return Err(AdminError::BackupExists(out.to_owned()));
    }
    let folder = out.parent().filter(|p| !p.as_os_str().is_empty());
    if folder.is_some_and(|f| !f.is_dir()) {
        return Err(AdminError::BackupFolderMissing(out.to_owned()));
    }
    let target = out.to_string_lossy().into_owned();
    db.with_conn(|conn| {
        conn.execute("VACUUM INTO ?1", [&target])?;
        Ok(())
    })?;
    let bytes = std::fs::metadata(out)
        .map_err(|source| AdminError::BackupUnreadable {
            path: out.to_owned(),
            source,
        })?
        .len();
    // Remembered, so that an erasure made later names this file as still holding the note.
    let absolute = std::path::absolute(out).unwrap_or_else(|_| out.to_owned());
    db.with_conn(|conn| {
        accounts::record_backup(conn, &absolute.to_string_lossy(), bytes, Utc::now())?;
        Ok(())
    })?;
    tracing::info!(path = %out.display(), bytes, "wrote a backup");
    let written = Written {
        path: out.to_owned(),
        bytes,
    };
    Ok(written.report())
}
