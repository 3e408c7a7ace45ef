//! `backup --out FILE`: a consistent copy that opens with the same data.

mod admin_support;

use admin_support::DataDir;
use quaderno_server::accounts;
use quaderno_server::db::{Db, FILE_NAME};

#[test]
fn a_backup_restores_to_the_same_relay() {
    // Step 1: a relay with a group and a member.
    let data = DataDir::new();
    let code = data.group_with_invite("palermo", "editor", "1");
    let token = data
        .join(&code, "Anna", "Palermo")
        .token
        .unwrap()
        .expose()
        .to_owned();

    // Step 2: back it up while the database is open in this process (as while serving).
    let live = data.db();
    let out = data.dir.path().join("backup.sqlite3");
    let text = data.ok(&["backup", "--out", out.to_str().unwrap()]);
    assert!(text.contains("Wrote a backup"), "{text}");
    drop(live);

    // Step 3: restored into a fresh data directory, it holds the same accounts and documents.
    let restored_dir = data.dir.path().join("restored");
    std::fs::create_dir(&restored_dir).unwrap();
    std::fs::copy(&out, restored_dir.join(FILE_NAME)).unwrap();
    let restored = Db::open(&restored_dir).unwrap();
    let (auth, group, index) = restored
        .with_conn(move |c| {
            let auth = accounts::authenticate(c, &token)?;
            let group = accounts::group(c, "palermo")?.unwrap();
            let index = quaderno_store::docs::load(c, "palermo", &group.index_doc.to_string())?;
            Ok((auth, group, index))
        })
        .unwrap();
    assert_eq!(auth.unwrap().participant, "Anna");
    assert_eq!(group.slug, "palermo");
    assert!(index.is_some());
}

#[test]
fn a_backup_never_overwrites_a_file() {
    let data = DataDir::new();
    data.ok(&["group", "create", "palermo"]);
    let out = data.dir.path().join("precious.txt");
    std::fs::write(&out, "keep me").unwrap();

    let run = data.run(&["backup", "--out", out.to_str().unwrap()]);

    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
}

#[test]
fn a_backup_into_a_missing_folder_says_so() {
    let data = DataDir::new();
    data.ok(&["group", "create", "palermo"]);
    let out = data.dir.path().join("no-such-folder").join("b.sqlite3");
    let run = data.run(&["backup", "--out", out.to_str().unwrap(), "--json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
}

#[test]
fn a_restore_puts_the_backup_in_place_and_keeps_the_replaced_database_aside() {
    // Step 1: a relay with one group, backed up; then a second group.
    let data = DataDir::new();
    data.ok(&["group", "create", "palermo"]);
    let out = data.dir.path().join("backup.sqlite3");
    data.ok(&["backup", "--out", out.to_str().unwrap()]);
    data.ok(&["group", "create", "roma"]);

    // Step 2: restored.
    let report = data.json(&["restore", out.to_str().unwrap()]);

    // The restored database has the backup's groups only. It never served, so its first
    // `serve` makes its epoch (tests/tests/relay_restore.rs follows one that did).
    let db = data.db();
    let groups = db
        .with_conn(|c| Ok((accounts::group(c, "palermo")?, accounts::group(c, "roma")?)))
        .unwrap();
    assert!(groups.0.is_some() && groups.1.is_none());
    assert!(report["epoch"].is_null(), "{report}");
    // The replaced database is kept, whole, with the group made after the backup.
    let kept = report["kept_aside"].as_str().expect("a path");
    assert!(kept.contains("before-restore-"), "{kept}");
    let kept = rusqlite::Connection::open(kept).unwrap();
    let roma: i64 = kept
        .query_row("SELECT COUNT(*) FROM groups WHERE slug = 'roma'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(roma, 1);
}

#[test]
fn a_restore_refuses_what_is_not_a_relay_backup_and_changes_nothing() {
    let data = DataDir::new();
    data.ok(&["group", "create", "palermo"]);
    let junk = data.dir.path().join("notes.txt");
    std::fs::write(&junk, "not a database, only words ".repeat(200)).unwrap();
    let empty = data.dir.path().join("empty.sqlite3");
    rusqlite::Connection::open(&empty)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let missing = data.dir.path().join("missing.sqlite3");

    for (file, says) in [
        (&junk, "not an SQLite database"),
        (&empty, "holds no relay accounts"),
        (&missing, "does not exist"),
    ] {
        let run = data.run(&["restore", file.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{file:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{file:?}: {}", run.stderr);
    }

    // The database is as it was, with nothing left beside it.
    let db = data.db();
    let group = db
        .with_conn(|c| Ok(accounts::group(c, "palermo")?))
        .unwrap();
    assert!(group.is_some());
    let names: Vec<String> = std::fs::read_dir(data.dir.path().join("relay"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("restoring") && !n.contains("before-restore")),
        "{names:?}"
    );
}

#[test]
fn a_backup_from_a_newer_relay_is_refused() {
    let data = DataDir::new();
    data.ok(&["group", "create", "palermo"]);
    let out = data.dir.path().join("backup.sqlite3");
    data.ok(&["backup", "--out", out.to_str().unwrap()]);
    rusqlite::Connection::open(&out)
        .unwrap()
        .execute(
            "UPDATE schema_versions SET version = version + 1 WHERE component = 'relay-accounts'",
            [],
        )
        .unwrap();

    let run = data.run(&["restore", out.to_str().unwrap()]);

    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("newer quaderno-server"),
        "{}",
        run.stderr
    );
}
