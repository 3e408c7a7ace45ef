//! Under a loose umask (022, the usual default), every file and folder the relay and the
//! `quaderno` client create is their owner's alone: folders 0700, files 0600, the stores, their
//! write-ahead logs, the relay's backup and the client's exports included.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;

/// Every path under `dir` (itself included) that others could read, with its mode.
fn open_to_others(dir: &Path) -> Vec<(String, u32)> {
    let mut open = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            if mode != 0o700 {
                open.push((path.display().to_string(), mode));
            }
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if meta.is_file() && mode & 0o077 != 0 {
            open.push((path.display().to_string(), mode));
        }
    }
    open
}

#[test]
fn under_umask_022_everything_quaderno_writes_is_its_owners_alone() {
    quaderno_tests::init_tls();
    rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o022));
    let root = tempfile::tempdir().unwrap();
    // The test makes the relay's folder (under 022) for its log; the relay closes it up.
    let relay_dir = root.path().join("relay");
    std::fs::create_dir(&relay_dir).unwrap();
    let relay = Relay::start(&relay_dir, &[]);
    relay.create_group("palermo");
    let anna = Quaderno::at(&root.path().join("anna"));
    anna.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    anna.ok(&["join", &relay.url, &relay.invite("palermo", "editor")]);
    anna.ok(&[
        "new",
        "--group",
        "palermo",
        "--title",
        "Verbale",
        "--body",
        "Presenti: 9",
    ]);
    anna.ok(&["sync"]);
    let exports = root.path().join("esportati");
    anna.ok(&["export", "--all", "--out", exports.to_str().unwrap()]);
    let backup = relay_dir.join("copia.sqlite3");
    relay.admin(&["backup", "--out", backup.to_str().unwrap()]);

    // The test's own folders were made under 022: what is inside is what Quaderno made.
    for dir in [&relay_dir, &anna.data_dir().to_path_buf(), &exports] {
        let open = open_to_others(dir);
        let logs: Vec<_> = open
            .iter()
            .filter(|(path, _)| !path.ends_with(".log"))
            .collect();
        assert!(
            logs.is_empty(),
            "readable by others in {}: {logs:?}",
            dir.display()
        );
    }
    assert!(backup.exists());
}
