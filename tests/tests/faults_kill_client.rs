//! SIGKILL `quaderno sync` at random moments, round after round, while it pulls a group of a
//! few hundred notes that another participant keeps adding to: after every kill the notebook
//! opens, every local edit made before the kill is there with its text, and a last sync
//! converges with the relay.

mod faults_common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use faults_common::{
    Community, Expect, GROUP, append_line, appending_editor, missing, new_note, snapshot,
};
use quaderno_tests::cli::Quaderno;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const SEEDED: usize = 300;
const ROUNDS: usize = 20;
/// Notes the other participant adds before each round, so every sync has something to pull.
const ADDED_PER_ROUND: usize = 10;

/// Writes `count` Markdown notes into a fresh folder and imports them into the group.
fn import_notes(q: &Quaderno, first: usize, count: usize) {
    let folder = tempfile::tempdir().unwrap();
    for i in first..first + count {
        let text = format!(
            "---\ntitle: Incontro {i}\ntags: [verbale]\n---\n\nResoconto dell'incontro {i}: servizi, territorio, comunità.\n"
        );
        std::fs::write(folder.path().join(format!("nota-{i:05}.md")), text).unwrap();
    }
    q.ok(&["import", "--group", GROUP, folder.path().to_str().unwrap()]);
}

/// One local edit by Bruno, chosen by the round: a new note, a line added, or a tag.
fn local_edit(bruno: &Quaderno, editor: &Path, round: usize, own: &mut Vec<String>) -> Expect {
    match (round % 3, own.last()) {
        (1, Some(note)) => {
            let text = format!("aggiunta del giro {round}");
            append_line(bruno, editor, note, &text);
            Expect::Body {
                note: note.clone(),
                text,
            }
        }
        (2, Some(note)) => {
            let tag = format!("giro-{round}");
            bruno.ok(&["tag", note, &format!("+{tag}")]);
            Expect::Tag {
                note: note.clone(),
                tag,
            }
        }
        _ => {
            let text = format!("scritto offline al giro {round}");
            let note = new_note(bruno, &format!("Bruno {round}"), &text);
            own.push(note.clone());
            Expect::Body { note, text }
        }
    }
}

/// Runs `quaderno sync` and SIGKILLs it after `after`; says whether it was still running.
fn sync_killed_after(q: &Quaderno, after: Duration) -> bool {
    let mut child = q
        .command(&["sync"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("quaderno sync starts");
    // The fault itself: a kill at a random moment, not a wait for a condition.
    std::thread::sleep(after);
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    running
}

#[test]
fn a_sync_killed_at_random_moments_loses_nothing_and_converges() {
    let seed: u64 = std::env::var("QUADERNO_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("kill moments drawn with QUADERNO_FAULT_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);

    // Step 1: Anna's group holds a few hundred notes; Carla's first sync says how long a full
    // one takes: the first window the kills are drawn in, which then follows how long syncs last.
    let c = Community::new();
    let anna = c.participant("Anna", &c.relay.url);
    import_notes(&anna, 0, SEEDED);
    anna.ok(&["sync"]);
    let carla = c.participant("Carla", &c.relay.url);
    let started = Instant::now();
    carla.ok(&["sync"]);
    let mut window = started.elapsed().max(Duration::from_millis(200));
    eprintln!("a full sync of {SEEDED} notes took {window:?}");

    // Step 2: round after round Bruno edits, syncs, and the sync is killed.
    let bruno = c.participant("Bruno", &c.relay.url);
    let editor = appending_editor(c.dir.path());
    let mut own = Vec::new();
    let mut expected = Vec::new();
    let mut killed_mid_sync = 0;
    for round in 0..ROUNDS {
        import_notes(&anna, SEEDED + round * ADDED_PER_ROUND, ADDED_PER_ROUND);
        anna.ok(&["sync"]);
        expected.push(local_edit(&bruno, &editor, round, &mut own));

        let after = window.mul_f64(rng.random_range(0.0..1.0));
        if sync_killed_after(&bruno, after) {
            killed_mid_sync += 1;
            window = window.mul_f64(1.2);
        } else {
            // Later syncs pull less than the first: keep the kills inside them.
            window = after.max(Duration::from_millis(50));
        }

        // The notebook opens, and nothing Bruno saved before the kill is gone.
        let listed = bruno.json(&["list"]);
        assert!(listed.is_array(), "round {round}: {listed}");
        let lost = missing(&expected, &snapshot(&bruno));
        assert!(
            lost.is_empty(),
            "round {round} (seed {seed}, kill after {after:?}): lost {lost:?}"
        );
        assert_eq!(bruno.integrity_check(), "ok");
    }
    eprintln!("{killed_mid_sync} of {ROUNDS} kills landed while the sync was running");
    assert!(
        killed_mid_sync >= ROUNDS / 3,
        "only {killed_mid_sync} of {ROUNDS} kills hit a running sync (seed {seed})"
    );

    // Step 3: one sync to the end, and Bruno and Anna hold the same notes, Bruno's edits too.
    let report = bruno.json(&["sync"]);
    assert_eq!(
        report["groups"][0]["outcome"]["status"], "synced",
        "{report}"
    );
    anna.ok(&["sync"]);
    let (a, b) = (snapshot(&anna), snapshot(&bruno));
    assert_eq!(
        a.len(),
        SEEDED + ROUNDS * ADDED_PER_ROUND + own.len(),
        "Anna's notes: seeded, added, and Bruno's"
    );
    assert!(
        missing(&expected, &a).is_empty(),
        "Anna lacks {:?}",
        missing(&expected, &a)
    );
    assert!(
        a == b,
        "Anna and Bruno differ after the last sync (seed {seed})"
    );
    let waiting = &bruno.json(&["status", "--offline"])["groups"][0]["waiting"];
    assert_eq!(*waiting, serde_json::json!([]), "still waiting: {waiting}");
}
