//! A participant starts `quaderno sync --watch` when nothing changed since the last sync, so
//! the watch has nothing to share on its connection. Edits that others make to the notes it
//! already holds, and notes they create, must still reach it live.

mod faults_common;

use std::time::Duration;

use faults_common::{
    Community, new_note, two_members_with_a_note, wait_until, watch, watch_until_synced,
};

#[test]
fn a_watch_with_nothing_to_share_still_receives_edits_to_the_notes_it_holds() {
    let c = Community::new();
    let (anna, bruno, note) = two_members_with_a_note(&c);
    anna.ok(&["sync"]);
    let (mut bruno_watching, _printed) = watch_until_synced(&bruno);

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
