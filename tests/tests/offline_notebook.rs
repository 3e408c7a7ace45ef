//! Anna's notebook on a train with no signal: the real `quaderno` binary, no network at all.

use quaderno_tests::cli::Quaderno;
use serde_json::Value;

fn anna() -> Quaderno {
    let quaderno = Quaderno::fresh();
    quaderno.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    quaderno
}

fn new_note(quaderno: &Quaderno, args: &[&str]) -> String {
    let mut full = vec!["new"];
    full.extend_from_slice(args);
    quaderno.ok(&full).trim().to_owned()
}

fn titles(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect()
}

#[test]
fn anna_writes_finds_tags_and_bins_her_notes() {
    let quaderno = anna();

    // Step 1: two notes, one from a flag and one from standard input.
    let minutes = new_note(
        &quaderno,
        &[
            "--title",
            "Terzo incontro",
            "--date",
            "2025-03-12",
            "--place",
            "Palermo",
            "--tag",
            "verbale",
            "--participant",
            "Marco",
            "--body",
            "Abbiamo parlato della città e dei servizi.",
        ],
    );
    let idea = quaderno.run_with_stdin(
        &["new", "--title", "Idee", "--body", "-"],
        "Una lettura sul lavoro di comunità.\n",
    );
    assert_eq!(idea.code, 0, "{}", idea.stderr);

    // Step 2: she finds them by listing, by searching without accents, by title and by prefix.
    assert_eq!(titles(&quaderno.json(&["list"])).len(), 2);
    let hits = quaderno.json(&["search", "citta"]);
    assert_eq!(titles(&hits), ["Terzo incontro"]);
    assert!(hits[0]["snippet"].as_str().unwrap().contains("**città**"));
    let shown = quaderno.json(&["show", "Terzo incontro"]);
    assert_eq!(shown["id"], minutes.as_str());
    assert_eq!(shown["participants"], serde_json::json!(["Marco"]));
    assert_eq!(quaderno.json(&["show", &minutes[..5]])["place"], "Palermo");
    assert!(
        quaderno
            .ok(&["show", &minutes])
            .contains("Abbiamo parlato della città")
    );

    // Step 3: she retags the minutes; the tag filter follows.
    let tagged = quaderno.json(&["tag", "Terzo incontro", "+minori", "-verbale"]);
    assert_eq!(tagged["tags"], serde_json::json!(["minori"]));
    assert_eq!(
        titles(&quaderno.json(&["list", "--tag", "minori"])),
        ["Terzo incontro"]
    );
    assert!(titles(&quaderno.json(&["list", "--tag", "verbale"])).is_empty());
    assert_eq!(
        titles(&quaderno.json(&["list", "--since", "2025-03-01", "--place", "palermo"])).len(),
        1
    );

    // Step 4: the history shows who did what.
    let log = quaderno.json(&["log", &minutes]);
    let changes = log["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert!(changes.iter().all(|c| c["author"] == "Anna (Palermo)"));
    let first = changes[0]["hash"].as_str().unwrap();
    let before = quaderno.json(&["show", &minutes, "--at", &first[..8]]);
    assert_eq!(before["tags"], serde_json::json!(["verbale"]));

    // Step 5: the idea goes to the bin and comes back.
    quaderno.ok(&["rm", "Idee"]);
    assert_eq!(titles(&quaderno.json(&["list"])), ["Terzo incontro"]);
    assert!(
        quaderno
            .json(&["search", "lettura"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(titles(&quaderno.json(&["list", "--deleted"])).len(), 2);
    quaderno.ok(&["restore", "Idee"]);
    assert_eq!(titles(&quaderno.json(&["search", "lettura"])), ["Idee"]);
}

#[test]
fn human_output_is_short_and_aligned() {
    let quaderno = anna();
    new_note(
        &quaderno,
        &[
            "--title",
            "Terzo incontro",
            "--date",
            "2025-03-12",
            "--body",
            "x",
        ],
    );
    new_note(
        &quaderno,
        &[
            "--title",
            "Idee",
            "--date",
            "2025-03-01",
            "--tag",
            "lettura",
            "--body",
            "y",
        ],
    );

    let list = quaderno.ok(&["list"]);

    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].contains("2025-03-12  personal  Terzo incontro"),
        "{list}"
    );
    assert!(
        lines[1].contains("2025-03-01  personal  Idee            lettura"),
        "{list}"
    );
    assert_eq!(lines[0].find("2025"), lines[1].find("2025"));
}

#[test]
fn export_and_import_carry_notes_to_another_machine() {
    let anna = anna();
    let minutes = new_note(
        &anna,
        &[
            "--title",
            "Terzo incontro",
            "--tag",
            "verbale",
            "--date",
            "2025-03-12",
            "--body",
            "Presenti: 12.\n\nDecisioni prese.",
        ],
    );
    new_note(&anna, &["--title", "Idee", "--body", "Una lettura."]);
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();

    let exported = anna.json(&["export", "--all", "--out", out_dir]);
    let marco = Quaderno::fresh();
    marco.ok(&["init", "--name", "Marco", "--city", "Roma"]);
    let imported = marco.json(&["import", out_dir]);

    assert_eq!(exported["files"].as_array().unwrap().len(), 2);
    let outcomes: Vec<&str> = imported["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["created", "created"]);
    let original = anna.json(&["show", &minutes]);
    let copy = marco.json(&["show", &minutes]);
    for field in [
        "title",
        "body",
        "tags",
        "date",
        "place",
        "participants",
        "created_at",
    ] {
        assert_eq!(copy[field], original[field], "{field} differs");
    }

    // Importing the same folder again changes nothing; an edited file updates its note.
    let again = marco.json(&["import", out_dir]);
    assert!(
        again["notes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["outcome"] == "unchanged")
    );
    let file = exported["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == minutes.as_str())
        .unwrap();
    let path = file["path"].as_str().unwrap();
    std::fs::write(
        path,
        std::fs::read_to_string(path)
            .unwrap()
            .replace("Presenti: 12.", "Presenti: 13."),
    )
    .unwrap();
    let updated = marco.json(&["import", path]);
    assert_eq!(updated["notes"][0]["outcome"], "updated");
    assert!(
        marco.json(&["show", &minutes])["body"]
            .as_str()
            .unwrap()
            .starts_with("Presenti: 13.")
    );
    assert_eq!(marco.json(&["list"]).as_array().unwrap().len(), 2);
}

#[test]
fn import_reports_each_note_as_it_is_saved() {
    let quaderno = anna();
    let folder = tempfile::tempdir().unwrap();
    std::fs::create_dir(folder.path().join("marzo")).unwrap();
    std::fs::write(folder.path().join("a.md"), "# Primo\n\nTesto.").unwrap();
    std::fs::write(
        folder.path().join("marzo/b.md"),
        "---\ntitle: Secondo\ntags: [verbale]\n---\n\nTesto.",
    )
    .unwrap();

    let out = quaderno.ok(&["import", folder.path().to_str().unwrap()]);

    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("created ") && lines[0].ends_with("a.md"),
        "{out}"
    );
    assert!(lines[1].ends_with("marzo/b.md"), "{out}");
    assert_eq!(lines[2], "imported 2 files: 2 new, 0 updated, 0 unchanged");
    assert_eq!(
        titles(&quaderno.json(&["list", "--tag", "verbale"])),
        ["Secondo"]
    );
}

/// An editor that a test controls: a shell script running `sed` on the file it is given.
fn scripted_editor(dir: &std::path::Path, sed: &str) -> String {
    let path = dir.join("editor.sh");
    std::fs::write(&path, format!("#!/bin/sh\nsed -i '{sed}' \"$1\"\n")).unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
    path.display().to_string()
}

#[test]
fn edit_opens_the_editor_and_saves_only_the_change() {
    let quaderno = anna();
    let id = new_note(
        &quaderno,
        &[
            "--title",
            "Terzo incontro",
            "--body",
            "Apertura.\n\nDiscussione sui servizi.\n",
        ],
    );
    let scripts = tempfile::tempdir().unwrap();
    let editor = scripted_editor(
        scripts.path(),
        "s/sui servizi/sui servizi sociali/; s/^title: .*/title: Terzo incontro (approvato)/",
    );

    let mut command = quaderno.command(&["edit", &id]);
    command.env("EDITOR", &editor);
    let run = quaderno.run_command(command, "");

    assert_eq!(run.code, 0, "{}", run.stderr);
    let note = quaderno.json(&["show", &id]);
    assert_eq!(note["title"], "Terzo incontro (approvato)");
    assert_eq!(
        note["body"],
        "Apertura.\n\nDiscussione sui servizi sociali.\n"
    );
    let changes = quaderno.json(&["log", &id])["changes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(changes.len(), 2);
    assert!(
        changes[1]["summary"].as_str().unwrap().contains("body"),
        "{changes:?}"
    );
}

#[test]
fn an_editor_that_changes_nothing_or_fails_saves_nothing() {
    let quaderno = anna();
    let id = new_note(
        &quaderno,
        &["--title", "Terzo incontro", "--body", "Testo."],
    );

    for (editor, code, says) in [
        ("true", 0, "unchanged"),
        ("false", 2, "exited with status 1"),
    ] {
        let mut command = quaderno.command(&["edit", &id]);
        command.env("EDITOR", editor);
        let run = quaderno.run_command(command, "");
        assert_eq!(run.code, code, "{editor}: {}", run.stderr);
        assert!(
            format!("{}{}", run.stdout, run.stderr).contains(says),
            "{editor}: {run:?}"
        );
        assert!(run.stdout.contains("nothing saved") || run.stderr.contains("nothing saved"));
    }
    assert_eq!(
        quaderno.json(&["log", &id])["changes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn new_without_body_takes_the_note_from_the_editor() {
    let quaderno = anna();
    let scripts = tempfile::tempdir().unwrap();
    let editor = scripted_editor(scripts.path(), "$ a\\\nScritto nell editor.");

    let mut command = quaderno.command(&["new", "--title", "Dal treno", "--tag", "bozza"]);
    command.env("EDITOR", &editor);
    let run = quaderno.run_command(command, "");

    assert_eq!(run.code, 0, "{}", run.stderr);
    let note = quaderno.json(&["show", run.stdout.trim()]);
    assert_eq!(note["title"], "Dal treno");
    assert_eq!(note["tags"], serde_json::json!(["bozza"]));
    assert!(
        note["body"]
            .as_str()
            .unwrap()
            .contains("Scritto nell editor."),
        "{note}"
    );
}
