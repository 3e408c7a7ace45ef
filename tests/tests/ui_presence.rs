//! Presence you can trust, in real Chromium: Anna and Bruno in one note see each other within a
//! second of arriving, twenty times in a row, after a page reloads, while both type and after
//! the relay restarts, each with `quaderno sync --watch` running on the same data folder as the
//! page; a page that closes is gone from the other within two seconds.

use std::process::Child;
use std::time::{Duration, Instant};

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::json;

const GROUP: &str = "ravenna";
const TITLE: &str = "Verbale dell'incontro di dicembre";
const NOTE: &str = r#".note-item:has-text("Verbale dell'incontro di dicembre")"#;
const BODY_FIELD: &str = "#note-body";
const ARRIVE: Duration = Duration::from_secs(1);
const LEAVE: Duration = Duration::from_secs(2);
const SOON: Duration = Duration::from_secs(30);
const ROUNDS: usize = 20;

fn participant(relay: &Relay, name: &str, city: &str) -> Quaderno {
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", name, "--city", city]);
    q.ok(&["join", &relay.url, &relay.invite(GROUP, "editor")]);
    q
}

/// Opens the note in `who`'s page (reloaded or not) and waits until it can be typed in.
fn open_note(b: &mut Browsers, who: &str) {
    b.wait(who, "body[data-ready=true]");
    b.click(who, NOTE);
    b.wait(who, "#note-body:enabled");
}

/// Both see each other within `within`.
fn both_see_each_other(b: &mut Browsers, within: Duration, round: usize, what: &str) {
    for (who, other) in [("anna", "Bruno"), ("bruno", "Anna")] {
        let started = Instant::now();
        let (seen, presence) = b.until(who, ".presence", &[other], true, within);
        assert!(
            seen,
            "round {round} ({what}): {who} did not see {other} within {within:?}: {presence:?}"
        );
        eprintln!(
            "round {round} ({what}): {who} sees {other} after {:?}",
            started.elapsed()
        );
    }
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn two_pages_in_one_note_see_each_other_arrive_and_leave() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::start(dir.path(), &[]);
    relay.create_group(GROUP);
    let anna = participant(&relay, "Anna", "Ravenna");
    let bruno = participant(&relay, "Bruno", "Trieste");
    anna.ok(&[
        "new",
        "--group",
        GROUP,
        "--title",
        TITLE,
        "--body",
        "Presenti: Anna, Bruno.\n",
    ]);
    anna.ok(&["sync"]);
    bruno.ok(&["sync"]);

    // Each keeps the folder live with a watch, as the README suggests; the page takes the
    // connection over from it.
    let watches: Vec<Child> = [&anna, &bruno]
        .into_iter()
        .map(|q| {
            let (watch, lines) = q.spawn_lines(&["--json", "sync", "--watch"]);
            // Read what it prints for as long as it runs, as a terminal would: a watch whose
            // output is closed stops.
            std::thread::spawn(move || lines.iter().for_each(drop));
            watch
        })
        .collect();
    let anna_ui = UiProcess::start(anna.data_dir());
    let bruno_ui = UiProcess::start(bruno.data_dir());
    let mut b = Browsers::start();
    b.launch("anna", &anna_ui.url, "it-IT");
    b.launch("bruno", &bruno_ui.url, "en-US");
    open_note(&mut b, "anna");
    open_note(&mut b, "bruno");
    both_see_each_other(&mut b, SOON, 0, "first arrival");

    for round in 1..=ROUNDS {
        match round % 5 {
            // A page reconnects: its socket closes and opens again.
            1 => {
                b.run(json!({ "cmd": "reload", "name": "bruno" }));
                open_note(&mut b, "bruno");
                both_see_each_other(&mut b, ARRIVE, round, "Bruno's page reloaded");
            }
            2 => {
                b.run(json!({ "cmd": "reload", "name": "anna" }));
                open_note(&mut b, "anna");
                both_see_each_other(&mut b, ARRIVE, round, "Anna's page reloaded");
            }
            // Both type, and look for each other while they do.
            3 => {
                let answers = b.run(json!({ "cmd": "together", "commands": [
                    { "cmd": "type", "name": "anna", "selector": BODY_FIELD, "at": "end",
                      "text": format!(" a{round}"), "delay": 40 },
                    { "cmd": "type", "name": "bruno", "selector": BODY_FIELD, "at": "start",
                      "text": format!("b{round} "), "delay": 40 },
                    { "cmd": "until", "name": "anna", "selector": ".presence",
                      "contains": ["Bruno"], "text": true, "timeout": ARRIVE.as_millis() as u64 },
                    { "cmd": "until", "name": "bruno", "selector": ".presence",
                      "contains": ["Anna"], "text": true, "timeout": ARRIVE.as_millis() as u64 },
                ]}));
                for answer in &answers["results"].as_array().unwrap()[2..] {
                    assert_eq!(
                        answer["met"], true,
                        "round {round}: seen while typing: {answer}"
                    );
                }
                both_see_each_other(&mut b, ARRIVE, round, "both typed");
            }
            // Bruno's page closes: he is gone from Anna's within two seconds; then he is back.
            4 => {
                b.run(json!({ "cmd": "goto", "name": "bruno", "url": "about:blank" }));
                let started = Instant::now();
                let gone = b.run(json!({
                    "cmd": "until", "name": "anna", "selector": ".presence", "excludes": ["Bruno"],
                    "text": true, "timeout": LEAVE.as_millis() as u64,
                }));
                assert_eq!(
                    gone["met"], true,
                    "round {round}: Bruno's page closed and Anna still sees him: {gone}"
                );
                eprintln!(
                    "round {round}: Bruno gone from Anna's page after {:?}",
                    started.elapsed()
                );
                b.run(json!({ "cmd": "goto", "name": "bruno", "url": bruno_ui.url }));
                open_note(&mut b, "bruno");
                both_see_each_other(&mut b, ARRIVE, round, "Bruno came back");
            }
            // The relay restarts: both reconnect, and see each other within a second of being
            // online again.
            _ => {
                relay.kill();
                b.wait("anna", "#sync-status[data-state=offline]");
                b.wait("bruno", "#sync-status[data-state=offline]");
                relay.restart();
                for who in ["anna", "bruno"] {
                    b.run(json!({
                        "cmd": "wait", "name": who, "selector": "#sync-status[data-state=online]",
                        "timeout": SOON.as_millis() as u64,
                    }));
                }
                both_see_each_other(&mut b, ARRIVE, round, "the relay restarted");
            }
        }
    }
    assert!(b.page_errors("anna").is_empty());
    assert!(b.page_errors("bruno").is_empty());
    drop(b);
    drop(anna_ui);
    drop(bruno_ui);
    watches.into_iter().for_each(stop);
}
