//! Mistakes a person can make: each is one line on stderr that says what to do, exit code 2.

use quaderno_tests::cli::{Quaderno, Run};

fn anna() -> Quaderno {
    let quaderno = Quaderno::fresh();
    quaderno.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    quaderno
}

fn assert_user_error(run: &Run, says: &str) {
    assert_eq!(run.code, 2, "expected exit code 2: {run:?}");
    assert!(run.stdout.is_empty(), "nothing on stdout: {run:?}");
    assert_eq!(
        run.stderr.trim_end().lines().count(),
        1,
        "one line: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(says),
        "expected {says:?} in {}",
        run.stderr
    );
}

#[test]
fn writing_before_init_says_to_run_init() {
    let quaderno = Quaderno::fresh();
    assert_user_error(
        &quaderno.run(&["new", "--title", "x", "--body", "y"]),
        "run `quaderno init --name NAME --city CITY` first",
    );
}

#[test]
fn an_unknown_note_is_named_with_suggestions() {
    let quaderno = anna();
    quaderno.ok(&["new", "--title", "Terzo incontro", "--body", "x"]);

    assert_user_error(
        &quaderno.run(&["show", "Quarto"]),
        "no note matches `Quarto`",
    );
    assert_user_error(&quaderno.run(&["show", "incontro"]), "did you mean");
}

#[test]
fn an_ambiguous_note_lists_the_candidates() {
    let quaderno = anna();
    let first = quaderno.ok(&["new", "--title", "Verbale", "--body", "x"]);
    let second = quaderno.ok(&["new", "--title", "Verbale", "--body", "y"]);

    let run = quaderno.run(&["show", "Verbale"]);

    assert_user_error(&run, "matches 2 notes");
    assert!(
        run.stderr.contains(&first[..8]) && run.stderr.contains(&second[..8]),
        "{}",
        run.stderr
    );
    let json = quaderno.run(&["--json", "show", "Verbale"]);
    let error: serde_json::Value = serde_json::from_str(&json.stderr).unwrap();
    assert_eq!(error["error"]["candidates"].as_array().unwrap().len(), 2);
}

#[test]
fn a_date_that_is_not_a_date_says_how_to_write_one() {
    let quaderno = anna();
    assert_user_error(
        &quaderno.run(&["new", "--title", "x", "--date", "12/03/2025", "--body", "y"]),
        "write it as YYYY-MM-DD",
    );
    assert_user_error(
        &quaderno.run(&["list", "--since", "2025-02-30"]),
        "write it as YYYY-MM-DD",
    );
    assert_user_error(
        &quaderno.run(&["show", "x", "--at", "ieri"]),
        "is not a change or a time",
    );
}

#[test]
fn malformed_front_matter_names_the_file_and_line_and_imports_nothing() {
    let quaderno = anna();
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("a.md"),
        "---\ntitle: Buona\n---\n\nTesto.",
    )
    .unwrap();
    let bad = folder.path().join("b.md");
    std::fs::write(&bad, "---\ntitle: Rotta\ntags: [uno\n---\n\nTesto.").unwrap();

    let run = quaderno.run(&["import", folder.path().to_str().unwrap()]);

    assert_user_error(&run, &format!("{}:", bad.display()));
    assert!(
        run.stderr.contains(":3:") || run.stderr.contains(":4:"),
        "{}",
        run.stderr
    );
    assert!(quaderno.json(&["list"]).as_array().unwrap().is_empty());
}

#[test]
fn an_unwritable_data_folder_says_to_choose_another() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let quaderno = Quaderno::at(&file.path().join("data"));

    assert_user_error(
        &quaderno.run(&["list"]),
        "choose another with --data-dir or QUADERNO_DIR",
    );
}

#[test]
fn a_store_from_a_newer_quaderno_is_refused_untouched() {
    let quaderno = anna();
    quaderno.ok(&["new", "--title", "Verbale", "--body", "x"]);
    let store = quaderno.data_dir().join("quaderno.sqlite3");
    let conn = quaderno_store::rusqlite::Connection::open(&store).unwrap();
    conn.execute(
        "UPDATE schema_versions SET version = version + 1 WHERE component = 'notebook'",
        [],
    )
    .unwrap();
    drop(conn);

    assert_user_error(
        &quaderno.run(&["list"]),
        "written by a newer version of Quaderno",
    );
    assert_user_error(
        &quaderno.run(&["new", "--title", "y", "--body", "z"]),
        "upgrade quaderno",
    );
    let conn = quaderno_store::rusqlite::Connection::open(&store).unwrap();
    let notes: i64 = conn
        .query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(notes, 1);
}

#[test]
fn a_bad_tag_says_how_to_write_one() {
    let quaderno = anna();
    quaderno.ok(&["new", "--title", "Verbale", "--body", "x"]);
    assert_user_error(
        &quaderno.run(&["tag", "Verbale", "+visita domiciliare"]),
        "join the words with `-`",
    );
}
