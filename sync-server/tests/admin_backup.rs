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
