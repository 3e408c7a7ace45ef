//! Markdown files that would hurt the notebook, through the real `quaderno import`: each is
//! refused before it is parsed, with a line naming the file and why, and nothing is written; a
//! file naming a note of a group by id leaves that note alone without `--update`, and no file
//! moves a note to the bin.

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn oversized_and_deeply_nested_files_are_refused_before_they_are_read() {
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "huge.md",
            format!("---\ntitle: {}\n---\n\ntesto", "a".repeat(9 * 1024 * 1024)),
            "larger than 8 MB",
        ),
        (
            "long-title.md",
            format!("---\ntitle: {}\n---\n\ntesto", "a".repeat(5_000)),
            "title is longer than 1000",
        ),
        (
            "front-matter.md",
            format!(
                "---\ntitle: t\nplace: {}\n---\n\ntesto",
                "b".repeat(200 * 1024)
            ),
            "front matter is longer than 16 KB",
        ),
        (
            "nested.md",
            format!(
                "---\ntitle: t\ntags: {}{}\n---\n\ntesto",
                "[".repeat(500),
                "]".repeat(500)
            ),
            "nests too deeply",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write(dir.path(), name, &text);
        let run = q.run(&["import", &path]);
        assert_eq!(
            run.code, 2,
            "{name}: refused as the user's to fix: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(expected) && run.stderr.contains(name),
            "{name}: {}",
            run.stderr
        );
    }
    assert_eq!(q.json(&["list", "--deleted"]), serde_json::json!([]));
}

#[test]
fn a_file_naming_a_group_note_changes_it_only_with_update_and_never_bins_it() {
    quaderno_tests::init_tls();
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path(), &[]);
    relay.create_group("palermo");
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    q.ok(&["join", &relay.url, &relay.invite("palermo", "editor")]);
    let created = q.json(&[
        "new",
        "--group",
        "palermo",
        "--title",
        "Verbale",
        "--body",
        "Presenti: 9",
    ]);
    let id = created["id"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let forged = write(
        dir.path(),
        "forged.md",
        &format!("---\nid: {id}\ntitle: Verbale\ndeleted: true\n---\n\nRiscritto da un file"),
    );

    let run = q.json(&["import", &forged]);
    assert_eq!(run["notes"][0]["outcome"], "skipped", "{run}");
    let note = q.json(&["show", &id]);
    assert_eq!(note["body"], "Presenti: 9");
    assert_eq!(note["deleted"], false);
    let text = q.ok(&["import", &forged]);
    assert!(
        text.contains("--update"),
        "the summary says how to change it: {text}"
    );

    let run = q.json(&["import", "--update", &forged]);
    assert_eq!(run["notes"][0]["outcome"], "updated", "{run}");
    let note = q.json(&["show", &id]);
    assert_eq!(note["body"], "Riscritto da un file");
    assert_eq!(
        note["deleted"], false,
        "a file never moves a note to the bin"
    );
}
