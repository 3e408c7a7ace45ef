//! Property: erasures and redactions interleaved with offline edits on three replicas (an
//! admin, an editor who is often offline, a reader), through the real relay and real
//! `quaderno` processes, always end with every replica holding the same notes, and nothing
//! erased or redacted in any file of any of them or of the relay.

mod faults_common;

use faults_common::{GROUP, append_line, appending_editor};
use proptest::prelude::*;
use quaderno_tests::cli::Quaderno;
use quaderno_tests::files::files_containing;
use quaderno_tests::relay::Relay;
use serde_json::Value;

/// Notes in the group at the start, each holding its own secret.
const NOTES: usize = 3;

fn secret(note: usize) -> String {
    format!("SEGRETO-{note}-Rossi")
}

fn title(note: usize) -> String {
    format!("Nota {note}")
}

#[derive(Debug, Clone)]
enum Step {
    /// Elena (0) or Rita (1) appends a line to a note, offline.
    Edit { who: usize, note: usize },
    /// Elena, Rita or Marco (2) syncs.
    Sync { who: usize },
    /// Elena erases a note for everyone.
    Erase { note: usize },
    /// Elena takes a note's secret out of it and its history.
    Redact { note: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..2usize, 0..NOTES).prop_map(|(who, note)| Step::Edit { who, note }),
        4 => (0..3usize).prop_map(|who| Step::Sync { who }),
        1 => (0..NOTES).prop_map(|note| Step::Erase { note }),
        2 => (0..NOTES).prop_map(|note| Step::Redact { note }),
    ]
}

fn member(relay: &Relay, name: &str, role: &str) -> Quaderno {
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", name, "--city", "Palermo"]);
    q.ok(&["join", &relay.url, &relay.invite(GROUP, role)]);
    q
}

/// What a replica holds of the group: each note's title and body, by title.
fn holdings(q: &Quaderno) -> Vec<(String, String)> {
    let listed = q.json(&["list", "--group", GROUP, "--deleted"]);
    let mut held: Vec<(String, String)> = listed
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|n: &Value| {
            let id = n["id"].as_str().unwrap();
            let body = q.json(&["show", id])["body"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (n["title"].as_str().unwrap().to_string(), body)
        })
        .collect();
    held.sort();
    held
}

fn holds(q: &Quaderno, note: usize) -> bool {
    q.run(&["show", &title(note)]).code == 0
}

fn run(steps: &[Step]) -> Result<(), TestCaseError> {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.create_group(GROUP);
    let people = [
        member(&relay, "Elena", "admin"),
        member(&relay, "Rita", "editor"),
        member(&relay, "Marco", "reader"),
    ];
    let editor = appending_editor(dir.path());
    for note in 0..NOTES {
        people[0].ok(&[
            "new",
            "--group",
            GROUP,
            "--title",
            &title(note),
            "--body",
            &format!("Caso: {}", secret(note)),
        ]);
    }
    for q in &people {
        q.ok(&["sync"]);
    }
    let (mut erased, mut redacted) = ([false; NOTES], [false; NOTES]);
    for (n, step) in steps.iter().enumerate() {
        match *step {
            Step::Edit { who, note } => {
                if !erased[note] && holds(&people[who], note) {
                    // Before its redaction a line may name the secret again; after it, never.
                    let line = if redacted[note] {
                        format!("riga {n}")
                    } else {
                        format!("riga {n}: {}", secret(note))
                    };
                    append_line(&people[who], &editor, &title(note), &line);
                }
            }
            Step::Sync { who } => {
                let synced = people[who].run(&["sync"]);
                prop_assert_eq!(synced.code, 0, "sync: {}", synced.stderr);
            }
            Step::Erase { note } => {
                if !erased[note] && holds(&people[0], note) {
                    people[0].ok(&["erase", &title(note), "--reason", "prova"]);
                    erased[note] = true;
                }
            }
            Step::Redact { note } => {
                if !erased[note] && !redacted[note] && holds(&people[0], note) {
                    let done = people[0].run(&[
                        "redact",
                        &title(note),
                        "--passage",
                        &secret(note),
                        "--reason",
                        "prova",
                    ]);
                    prop_assert_eq!(done.code, 0, "redact: {}", done.stderr);
                    redacted[note] = true;
                }
            }
        }
    }
    // Everyone syncs until what each holds is on the relay and back: twice round.
    for _ in 0..2 {
        for q in &people {
            let synced = q.run(&["sync"]);
            prop_assert_eq!(synced.code, 0, "final sync: {}", synced.stderr);
        }
    }
    let held: Vec<_> = people.iter().map(holdings).collect();
    prop_assert_eq!(&held[0], &held[1], "Elena and Rita hold the same notes");
    prop_assert_eq!(&held[0], &held[2], "Elena and Marco hold the same notes");
    for note in 0..NOTES {
        let listed = held[0].iter().any(|(t, _)| *t == title(note));
        prop_assert_eq!(listed, !erased[note], "note {} listed: {:?}", note, held[0]);
        if erased[note] || redacted[note] {
            let mut found = files_containing(dir.path(), secret(note).as_bytes());
            for q in &people {
                found.extend(files_containing(q.data_dir(), secret(note).as_bytes()));
            }
            prop_assert!(found.is_empty(), "{} still in {:?}", secret(note), found);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, max_shrink_iters: 16, ..ProptestConfig::default() })]

    #[test]
    fn erasures_and_redactions_with_offline_edits_converge_and_leave_nothing(
        steps in proptest::collection::vec(step(), 4..18),
    ) {
        run(&steps)?;
    }
}
