//! `group`, `invite`, the command line itself: run through the real binary.

mod admin_support;

use admin_support::{DataDir, bare_command};
use quaderno_server::accounts;

#[test]
fn a_group_is_created_with_its_index_document_and_listed() {
    let data = DataDir::new();

    let created = data.json(&[
        "group",
        "create",
        "integrazione",
        "--title",
        "Integrazione sociosanitaria",
    ]);
    assert_eq!(created["slug"], "integrazione");
    assert_eq!(created["title"], "Integrazione sociosanitaria");

    // The index document is stored in the group's namespace and listed as its first change.
    let index = created["index_doc"].as_str().unwrap().to_owned();
    let stored = data
        .db()
        .with_conn(|c| Ok(quaderno_store::docs::load(c, "integrazione", &index)?))
        .unwrap()
        .expect("the index document is stored");
    assert!(quaderno_model::index_entries(&stored).unwrap().is_empty());

    let listed = data.ok(&["group", "list"]);
    assert!(listed.starts_with("GROUP"), "{listed}");
    assert!(
        listed.contains("integrazione  0        1          "),
        "{listed}"
    );
    let json = data.json(&["group", "list"]);
    assert_eq!(json[0]["members"], 0);
    assert_eq!(json[0]["documents"], 1);
}

#[test]
fn a_bad_or_taken_group_name_is_a_user_error() {
    let data = DataDir::new();
    data.ok(&["group", "create", "roma"]);

    let taken = data.run(&["group", "create", "roma"]);
    assert_eq!(taken.code, 2);
    assert!(taken.stderr.contains("already exists"), "{}", taken.stderr);
    assert_eq!(taken.stderr.lines().count(), 1, "{}", taken.stderr);

    let bad = data.run(&["group", "create", "Roma Centro"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("lowercase letters"), "{}", bad.stderr);
}

#[test]
fn an_invite_code_is_printed_once_and_stored_as_a_hash() {
    let data = DataDir::new();
    data.ok(&["group", "create", "palermo"]);

    let text = data.ok(&[
        "invite",
        "create",
        "--group",
        "palermo",
        "--role",
        "editor",
        "--expires",
        "12h",
    ]);
    let code = text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 19 && l.matches('-').count() == 3)
        .expect("the code on a line of its own")
        .to_owned();
    assert!(text.contains("as editor (1 use"), "{text}");
    assert!(text.contains(&format!("quaderno join <relay-url> {code}")));

    let stored: Vec<(Vec<u8>, String, i64)> = data
        .db()
        .with_conn(|c| {
            let mut stmt = c.prepare("SELECT code_hash, created_by, uses_left FROM invites")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .unwrap();
    assert_eq!(stored.len(), 1);
    let (hash, created_by, uses_left) = &stored[0];
    assert_eq!(hash.len(), 32);
    assert!(!created_by.contains(&code));
    assert_eq!(*uses_left, 1);
    // And it works.
    data.join(&code, "Anna", "Palermo");
}

#[test]
fn an_invite_says_what_is_wrong_with_its_flags() {
    let data = DataDir::new();
    data.ok(&["group", "create", "palermo"]);
    let cases: [(&[&str], &str); 4] = [
        (
            &["--group", "milano", "--role", "editor"],
            "no group named `milano`",
        ),
        (&["--group", "palermo", "--role", "owner"], "owner"),
        (
            &["--group", "palermo", "--role", "reader", "--expires", "2w"],
            "30m, 12h, 7d",
        ),
        (
            &["--group", "palermo", "--role", "reader", "--uses", "0"],
            "0",
        ),
    ];
    for (flags, hint) in cases {
        let mut args = vec!["invite", "create"];
        args.extend_from_slice(flags);
        let run = data.run(&args);
        assert_eq!(run.code, 2, "{flags:?}");
        assert!(run.stderr.contains(hint), "{flags:?}: {}", run.stderr);
    }
}

#[test]
fn invites_for_several_people_count_down() {
    let data = DataDir::new();
    let code = data.group_with_invite("bologna", "reader", "2");
    data.join(&code, "Giulia", "Bologna");
    data.join(&code, "Luca", "Bologna");
    let third = data.db().with_conn(|c| {
        let joiner = accounts::Joiner::Newcomer {
            name: "Dario",
            city: "Bologna",
            device: "pc",
        };
        Ok(accounts::join(c, &code, joiner, chrono::Utc::now())?)
    });
    assert!(third.unwrap_err().to_string().contains("already been used"));
}

#[test]
fn without_a_data_directory_the_command_says_how_to_give_one() {
    let run: admin_support::Run = bare_command()
        .args(["group", "list"])
        .output()
        .unwrap()
        .into();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--data-dir"), "{}", run.stderr);
}

#[test]
fn the_data_directory_may_come_from_the_environment() {
    let data = DataDir::new();
    let dir = data.dir.path().join("from-env");
    let output = bare_command()
        .env("QUADERNO_SERVER_DATA_DIR", &dir)
        .args(["group", "create", "ravenna"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(dir.join("relay.sqlite3").exists());
}

#[test]
fn an_unwritable_data_directory_is_reported_clearly() {
    let data = DataDir::new();
    let file = data.dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let output = bare_command()
        .arg("--data-dir")
        .arg(file.join("relay"))
        .args(["group", "list"])
        .output()
        .unwrap();
    let run = admin_support::Run::from(output);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("cannot create the data directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn help_shows_examples() {
    let run: admin_support::Run = bare_command().arg("--help").output().unwrap().into();
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Examples:"));
    assert!(run.stdout.contains("invite create --group"));
}
