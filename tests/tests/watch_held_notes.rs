//! A participant starts `quaderno sync --watch` when nothing changed since the last sync, so
//! the watch has nothing to share on its connection. Edits that others make to the notes it
//! already holds, and notes they create, must still reach it live.

mod faults_common;

use std::time::Duration;

use faults_common::{Community, new_note, wait_until, watch};

#[test]
fn a_watch_with_nothing_to_share_still_receives_edits_to_the_notes_it_holds() {
    let c = Community::new();
    let anna = c.participant("anna", &c.relay.url);
    let bruno = c.participant("bruno", &c.relay.url);
    let note = new_note(&anna, "Verbale", "Presenti: 12");
    anna.ok(&["sync"]);
    bruno.ok(&["sync"]);
    anna.ok(&["sync"]);
    let (mut bruno_watching, lines) = bruno.spawn_lines(&["--json", "sync", "--watch"]);
    let in_sync = lines
        .iter()
        .take(10)
        .any(|line| line.contains("\"synced\""));
    assert!(in_sync, "Bruno's watch never reported being in sync");
    let _drain = std::thread::spawn(move || lines.iter().count());

    // Anna edits the note they both hold, syncs once, and goes away.
    anna.ok(&["tag", &note, "+ripreso"]);
    anna.ok(&["sync"]);
    let arrived = wait_until(Duration::from_secs(10), || {
        bruno.json(&["show", &note])["tags"]
            .to_string()
            .contains("ripreso")
    });
    assert!(
        arrived,
        "the edit to a note Bruno holds did not reach his watch"
    );

    // A note Anna creates while both are live reaches Bruno too (through the group's index).
    let _anna_watching = watch(&anna);
    let fresh = new_note(&anna, "Nuovo verbale", "Ordine del giorno");
    let arrived = wait_until(Duration::from_secs(10), || {
        bruno.run(&["--json", "show", &fresh]).code == 0
    });
    assert!(arrived, "the new note did not reach Bruno's watch");
    let _ = bruno_watching.kill();
    let _ = bruno_watching.wait();
}
