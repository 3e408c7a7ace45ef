//! Files only their owner can read: the notes are about vulnerable people, and an office
//! computer is often shared. Every process of Quaderno creates its files with the owner's
//! permissions alone, whatever the user's umask, and a data folder made by an older version is
//! closed up when it is opened.

use std::io;
use std::path::Path;

/// From now on, every file and folder this process creates is readable and writable by its
/// owner only (0600, folders 0700), whatever the umask it was started with. Call first thing
/// in `main`.
///
/// Standard Rust has no way to set the umask, which governs every file this process and the
/// libraries it links (SQLite's write-ahead log and shared-memory files among them) create;
/// `rustix` wraps the system call safely.
pub fn private_files() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
}

/// Makes `dir` and the files directly in it private to their owner (0700 and 0600), for a data
/// folder an older version created under a looser umask. Symbolic links are left alone.
pub fn make_private(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Another process on the folder (the page, a sync) may remove a file of its own
        // (its socket, SQLite's journal) between the listing and this: gone is private enough.
        let close_up = |path: &Path, mode: u32| -> io::Result<()> {
            let gone = |e: io::Error| match e.kind() {
                io::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            };
            let meta = match std::fs::symlink_metadata(path) {
                Ok(meta) => meta,
                Err(e) => return gone(e),
            };
            if meta.file_type().is_symlink() || meta.permissions().mode() & 0o077 == 0 {
                return Ok(());
            }
            let keep = meta.permissions().mode() & 0o700;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(keep | mode))
                .or_else(gone)
        };
        close_up(dir, 0o700)?;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_file() {
                close_up(&entry.path(), 0o600)?;
            } else if kind.is_dir() {
                close_up(&entry.path(), 0o700)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_folder_made_under_a_loose_umask_is_closed_up() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = data.join("quaderno.sqlite3");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        make_private(&data).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&file), 0o600);
    }
}
