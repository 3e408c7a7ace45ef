//! Erasing a passage from a note and its whole history, through the real relay and real
//! `quaderno` processes: a child's name went into the minutes over 40 changes. Elena, an
//! admin, redacts it. For everyone the note goes on (same title without the name, its history
//! starting today), Rita's edits made offline are carried over, and the name is found nowhere:
//! not in any version `show --at` can bring back, not in any document loaded from any store
//! (uncompressed), not in any file of the relay's or of anyone's data folder.

mod faults_common;

use std::path::Path;

use faults_common::{Community, GROUP, append_line, appending_editor, body, new_note};
use quaderno_store::rusqlite::{Connection, OpenFlags};
use quaderno_tests::cli::Quaderno;
use quaderno_tests::files::files_containing_any_case;
use serde_json::Value;

/// The name written by mistake (test data).
const NAME: &str = "Mario Rossi";

fn member(c: &Community, name: &str, role: &str) -> Quaderno {
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", name, "--city", "Palermo"]);
    let code = c.relay.invite(GROUP, role);
    q.ok(&["join", &c.relay.url, &code, "--device", "portatile"]);
    q
}

/// The group's notes a participant lists, as `list --json` prints them.
fn notes(q: &Quaderno) -> Vec<Value> {
    q.json(&["list", "--group", GROUP, "--deleted"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Every document stored in the SQLite files under `dir`, saved again without compression
/// (every operation of its history in clear), that holds `needle` in any case.
fn documents_containing(dir: &Path, needle: &str) -> Vec<String> {
    let needle = needle.to_lowercase().into_bytes();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "sqlite3") {
            continue;
        }
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let mut stmt = conn
            .prepare("SELECT ns, doc_id, bytes FROM chunks ORDER BY ns, doc_id, id")
            .unwrap();
        let rows: Vec<(String, String, Vec<u8>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut docs: std::collections::BTreeMap<(String, String), Vec<u8>> = Default::default();
        for (ns, id, bytes) in rows {
            docs.entry((ns, id)).or_default().extend(bytes);
        }
        for ((ns, id), bytes) in docs {
            let doc = automerge::Automerge::load(&bytes).unwrap();
            let plain = doc.save_nocompress().to_ascii_lowercase();
            if plain.windows(needle.len()).any(|w| w == needle) {
                found.push(format!("{}: {ns}/{id}", path.display()));
            }
        }
    }
    found
}

#[test]
fn a_passage_erased_from_history_is_gone_everywhere_and_the_note_goes_on() {
    let c = Community::new();
    let elena = member(&c, "Elena Russo", "admin");
    let rita = member(&c, "Rita Bruni", "editor");
    let marco = member(&c, "Marco Neri", "reader");

    // Step 1: the name goes into the minutes over 40 changes.
    let editor = appending_editor(c.dir.path());
    let minutes = new_note(&elena, "Verbale 12 marzo", "Presenti: 9");
    for n in 1..=40 {
        append_line(
            &elena,
            &editor,
            &minutes,
            &format!("Punto {n}: {NAME}, visita"),
        );
    }
    elena.ok(&["sync"]);
    rita.ok(&["sync"]);
    marco.ok(&["sync"]);
    for q in [&elena, &rita, &marco] {
        assert!(
            !documents_containing(q.data_dir(), NAME).is_empty(),
            "before the redaction, the search finds the name"
        );
    }

    // Step 2: Rita, offline, adds a line she has not sent.
    append_line(&rita, &editor, &minutes, "Riga di Rita, scritta in treno");

    // Step 3: Elena redacts the name.
    let redacted = elena.run(&[
        "redact",
        &minutes,
        "--passage",
        NAME,
        "--reason",
        "nome di un minore scritto per errore",
    ]);
    assert_eq!(redacted.code, 0, "redact: {}", redacted.stderr);
    let listed = notes(&elena);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let successor = listed[0]["id"].as_str().unwrap().to_string();
    assert_ne!(successor, minutes, "the note goes on as a new document");
    assert_eq!(listed[0]["title"], "Verbale 12 marzo", "same title");

    // Step 4: Marco and Rita sync; Rita is told, and her line is carried over.
    let synced = marco.run(&["sync"]);
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    assert!(
        synced.stdout.contains("a passage was erased"),
        "{}",
        synced.stdout
    );
    let synced = rita.run(&["sync"]);
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    assert!(
        synced.stdout.contains("carried over"),
        "Rita is told her edits are carried over: {}",
        synced.stdout
    );
    assert!(body(&rita, &successor).contains("Riga di Rita, scritta in treno"));
    let status = rita.ok(&["status", "--offline"]);
    assert!(
        status.contains("a passage of a note") && status.contains("carried over"),
        "{status}"
    );
    elena.ok(&["sync"]);
    marco.ok(&["sync"]);
    for q in [&elena, &rita, &marco] {
        let listed = notes(q);
        assert_eq!(listed.len(), 1, "one note: {listed:?}");
        assert_eq!(listed[0]["id"], successor.as_str());
        let text = body(q, &successor);
        assert!(text.contains("Punto 40: [rimosso], visita"), "{text}");
        assert!(text.contains("Riga di Rita, scritta in treno"), "{text}");
        assert!(!text.to_lowercase().contains("mario rossi"), "{text}");
        assert_ne!(q.run(&["show", &minutes]).code, 0, "the old note is gone");
    }

    // Step 5: its history starts today, and no version of it holds the name.
    for q in [&elena, &rita, &marco] {
        let log = q.json(&["log", &successor]);
        let changes = log["changes"].as_array().unwrap();
        assert!(
            changes[0]["summary"]
                .as_str()
                .unwrap()
                .starts_with("history erased before"),
            "{log}"
        );
        for change in changes {
            let at = change["hash"].as_str().unwrap();
            let shown = q.ok(&["show", &successor, "--at", at]);
            assert!(!shown.to_lowercase().contains("mario rossi"), "{shown}");
        }
    }

    // Step 6: the name is in no document of any store, and in no file.
    let mut dirs = vec![c.dir.path().to_path_buf()];
    dirs.extend([&elena, &rita, &marco].map(|q| q.data_dir().to_path_buf()));
    for dir in &dirs {
        assert_eq!(documents_containing(dir, NAME), Vec::<String>::new());
        assert_eq!(files_containing_any_case(dir, NAME), Vec::<String>::new());
    }
}
