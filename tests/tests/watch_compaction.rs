//! A live sync stores what arrives change by change and compacts a note only once no change
//! has come for a while (compacting between one keystroke and the next would hold up the
//! next). It must still compact, while it goes on watching.

mod faults_common;

use std::time::Duration;

use faults_common::{
    Community, GROUP, two_members_with_a_note, wait_until, watch, watch_until_synced,
};
use quaderno_store::docs::{self, ChunkKind};
use quaderno_tests::cli::Quaderno;

fn chunk_kinds(q: &Quaderno, note: &str) -> Vec<ChunkKind> {
    let conn = quaderno_store::open_connection(&q.data_dir().join("quaderno.sqlite3")).unwrap();
    docs::load_chunks(&conn, GROUP, note)
        .unwrap()
        .into_iter()
        .map(|chunk| chunk.kind)
        .collect()
}

#[test]
fn a_watch_compacts_a_note_once_the_changes_stop_coming() {
    let c = Community::new();
    let (anna, bruno, note) = two_members_with_a_note(&c);
    let (mut bruno_watching, _printed) = watch_until_synced(&bruno);
    let _anna_watching = watch(&anna);

    // Edits arrive one by one, far more of them than compacting pays for.
    let tags: Vec<String> = (0..40).map(|i| format!("punto{i}")).collect();
    for tag in &tags {
        anna.ok(&["tag", &note, &format!("+{tag}")]);
    }
    let arrived = wait_until(Duration::from_secs(30), || {
        bruno.json(&["show", &note])["tags"]
            .to_string()
            .contains("punto39")
    });
    assert!(arrived, "Anna's edits did not reach Bruno's watch");

    let compacted = wait_until(Duration::from_secs(20), || {
        chunk_kinds(&bruno, &note) == [ChunkKind::Snapshot]
    });
    assert!(
        compacted,
        "Bruno's watch left the note as {:?}",
        chunk_kinds(&bruno, &note)
    );
    assert_eq!(
        bruno_watching.try_wait().unwrap(),
        None,
        "the watch should still be running"
    );
    let held = bruno.json(&["show", &note])["tags"].to_string();
    for tag in &tags {
        assert!(held.contains(&format!("\"{tag}\"")), "{tag} lost: {held}");
    }
    let _ = bruno_watching.kill();
    let _ = bruno_watching.wait();
}
