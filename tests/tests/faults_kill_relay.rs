//! SIGKILL the relay at random moments while three participants keep `quaderno sync --watch`
//! running and keep writing, then start it again on the same port, several times: the watches
//! reconnect by themselves, every edit reaches every participant, and a newcomer who syncs
//! only from the relay finds them all (nothing the relay acknowledged was lost).

mod faults_common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use faults_common::{
    Community, Expect, append_line, appending_editor, converged, divergence, missing, new_note,
    snapshot, wait_until, watch,
};
use quaderno_tests::cli::Quaderno;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const KILLS: usize = 4;
const CONVERGE: Duration = Duration::from_secs(90);

/// Edits by one participant until `stop`: a new note, a tag on the shared note, a line
/// appended to it, over and over. Every finished edit goes into `expected`.
fn keep_editing(
    q: &Quaderno,
    who: &str,
    shared: &str,
    editor: &std::path::Path,
    stop: &AtomicBool,
    expected: &Mutex<Vec<Expect>>,
) {
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        let text = format!("{who} scrive al giro {round}");
        let note = new_note(q, &format!("{who} {round}"), &text);
        let tag = format!("{who}-{round}");
        q.ok(&["tag", shared, &format!("+{tag}")]);
        let line = format!("riga di {who} al giro {round}");
        append_line(q, editor, shared, &line);
        expected.lock().unwrap().extend([
            Expect::Body { note, text },
            Expect::Tag {
                note: shared.to_string(),
                tag,
            },
            Expect::Body {
                note: shared.to_string(),
                text: line,
            },
        ]);
        round += 1;
    }
}

#[test]
fn watching_participants_reconnect_to_a_restarted_relay_and_lose_nothing() {
    let seed: u64 = std::env::var("QUADERNO_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("kill moments drawn with QUADERNO_FAULT_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);

    // Step 1: three participants share a note and keep watching.
    let mut c = Community::new();
    let url = c.relay.url.clone();
    let names = ["anna", "bruno", "carla"];
    let people: Vec<Quaderno> = names.iter().map(|n| c.participant(n, &url)).collect();
    let shared = new_note(&people[0], "Verbale", "Presenti:");
    for q in &people {
        q.ok(&["sync"]);
    }
    let editor = appending_editor(c.dir.path());
    let _watching: Vec<_> = people.iter().map(watch).collect();

    // Step 2: they write without pause while the relay is killed and restarted.
    let stop = AtomicBool::new(false);
    let expected = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for (q, who) in people.iter().zip(names) {
            let (shared, editor, stop, expected) = (&shared, &editor, &stop, &expected);
            s.spawn(move || keep_editing(q, who, shared, editor, stop, expected));
        }
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for kill in 0..KILLS {
                // The faults themselves: up for a random while under load, then down for one.
                let up = Duration::from_millis(rng.random_range(300..2_000));
                let down = Duration::from_millis(rng.random_range(0..1_000));
                std::thread::sleep(up);
                c.relay.kill();
                std::thread::sleep(down);
                c.relay.restart();
                assert_eq!(c.relay.url, url, "kill {kill}: the relay moved");
            }
        }));
        stop.store(true, Ordering::Relaxed);
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    });
    let expected = expected.into_inner().unwrap();
    assert!(
        expected.len() >= 3 * names.len(),
        "too few edits were made: {}",
        expected.len()
    );

    // Step 3: with no command run, the watches converge on every edit.
    let everyone: Vec<&Quaderno> = people.iter().collect();
    let settled = Instant::now();
    let done = wait_until(CONVERGE, || converged(&everyone, &expected));
    if !done {
        if let Ok(dir) = std::env::var("QUADERNO_TEST_WATCH_LOGS") {
            let _ = std::fs::write(std::path::Path::new(&dir).join("relay.log"), c.relay.log());
        }
        // Whether the relay holds what the watches lack tells a relay that lost an edit from
        // a client that never asked for it.
        let diverged = divergence(&everyone, &expected);
        let witness = c.participant("ezio", &url);
        witness.ok(&["sync"]);
        let at_relay = missing(&expected, &snapshot(&witness)).len();
        panic!(
            "no convergence within {CONVERGE:?} of the last restart (seed {seed}):\n{diverged}\
             a newcomer syncing now lacks {at_relay} expected edits"
        );
    }
    eprintln!(
        "{} edits converged {:?} after the last restart",
        expected.len(),
        settled.elapsed()
    );
    for (q, who) in people.iter().zip(names) {
        let acknowledged = wait_until(Duration::from_secs(30), || {
            q.json(&["status", "--offline"])["groups"][0]["waiting"] == serde_json::json!([])
        });
        assert!(acknowledged, "{who} still has notes waiting for the relay");
    }

    // Step 4: a newcomer who syncs only from the relay finds everything.
    let newcomer = c.participant("dario", &url);
    newcomer.ok(&["sync"]);
    let theirs = snapshot(&newcomer);
    let lacks = missing(&expected, &theirs);
    assert!(lacks.is_empty(), "the relay lost {lacks:?} (seed {seed})");
    assert_eq!(
        theirs,
        snapshot(&people[0]),
        "the newcomer differs (seed {seed})"
    );
}
