//! Killing `quaderno import` half-way loses nothing it reported as saved.

use std::time::{Duration, Instant};

use quaderno_tests::cli::{Quaderno, reported_id};

const NOTES: usize = 5_000;
/// Kill once this many notes are reported: half-way. The pipe holds at most a few hundred
/// more lines, so the import cannot finish before the kill lands.
const KILL_AFTER: usize = NOTES / 2;
const DEADLINE: Duration = Duration::from_secs(240);

fn write_notes(dir: &std::path::Path) {
    for i in 0..NOTES {
        let text = format!(
            "---\ntitle: Incontro {i}\ntags: [verbale, gruppo-{}]\ndate: 2025-03-{:02}\nplace: Palermo\n---\n\n\
             Resoconto dell'incontro numero {i}.\n\nSi è parlato di servizi, di territorio e di comunità.\n",
            i % 7,
            i % 28 + 1
        );
        std::fs::write(dir.join(format!("nota-{i:05}.md")), text).unwrap();
    }
}

#[test]
fn a_killed_import_keeps_every_note_it_reported() {
    let quaderno = Quaderno::fresh();
    quaderno.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    let folder = tempfile::tempdir().unwrap();
    write_notes(folder.path());

    // Step 1: import the folder, reading what it reports as it goes.
    let (mut child, reported) = quaderno.spawn_lines(&["import", folder.path().to_str().unwrap()]);

    // Step 2: once half the notes are reported saved, SIGKILL it.
    let started = Instant::now();
    let mut saved = Vec::new();
    while saved.len() < KILL_AFTER {
        let left = DEADLINE
            .checked_sub(started.elapsed())
            .expect("import too slow to reach half-way");
        let line = reported
            .recv_timeout(left)
            .expect("import stopped reporting before half-way");
        saved.extend(reported_id(&line));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    // Whatever it had already written to the pipe counts as reported too.
    saved.extend(reported.iter().filter_map(|line| reported_id(&line)));
    assert!(
        !status.success(),
        "the import finished before it was killed"
    );
    assert!(
        saved.len() < NOTES,
        "every note was reported: the kill came too late"
    );

    // Step 3: the store opens cleanly and holds every reported note.
    let listed = quaderno.json(&["list"]);
    let ids: std::collections::HashSet<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    let missing: Vec<&String> = saved
        .iter()
        .filter(|id| !ids.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} reported notes are missing, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    let last = saved.last().unwrap();
    assert!(
        quaderno.json(&["show", last])["body"]
            .as_str()
            .unwrap()
            .contains("servizi")
    );
    assert_eq!(quaderno.integrity_check(), "ok");
}
