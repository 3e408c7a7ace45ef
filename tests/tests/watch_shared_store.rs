//! A participant's store has more than one writer: `quaderno sync --watch` stores what the relay
//! sends while the web UI's notebook, `quaderno edit` or `quaderno tag` write the same file.
//! Here another connection keeps writing Bruno's store the whole time, holding the write lock
//! for a few milliseconds at a time as an edit does, while edits flow both ways: Bruno's watch
//! must store every change without its connection dropping, and both end with every edit.
//!
//! Each of Bruno's edits lands in his store shortly before his watch reads it, often while a
//! change from Anna to the same note is being stored: the watch must not fold the edit into a
//! compacted snapshot of its own before it has sent it.

mod faults_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use faults_common::{Community, two_members_with_a_note, wait_until, watch};
use quaderno_store::{begin_write, settings};

const EDITS: usize = 25;

#[test]
fn a_watch_stores_changes_while_another_connection_writes_the_same_store() {
    let c = Community::new();
    let (anna, bruno, note) = two_members_with_a_note(&c);
    let _anna_watching = watch(&anna);
    let (mut bruno_watching, lines) = bruno.spawn_lines(&["--json", "sync", "--watch"]);
    // Everything the watch prints, read as it comes so that it never blocks on its output.
    let events = std::thread::spawn(move || lines.iter().collect::<Vec<String>>());

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, store) = (stop.clone(), bruno.data_dir().join("quaderno.sqlite3"));
        std::thread::spawn(move || {
            let mut conn = quaderno_store::open_connection(&store).unwrap();
            let mut commits = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let tx = begin_write(&mut conn).unwrap();
                settings::put(&tx, "test.other_writer", &commits.to_string()).unwrap();
                std::thread::sleep(Duration::from_millis(3));
                tx.commit().unwrap();
                commits += 1;
                std::thread::sleep(Duration::from_millis(3));
            }
            commits
        })
    };

    for i in 0..EDITS {
        anna.ok(&["tag", &note, &format!("+anna{i}")]);
        bruno.ok(&["tag", &note, &format!("+bruno{i}")]);
        std::thread::sleep(Duration::from_millis(100));
    }
    let all_tags = |q: &quaderno_tests::cli::Quaderno| {
        let tags = q.json(&["show", &note])["tags"].to_string();
        (0..EDITS).all(|i| {
            tags.contains(&format!("\"anna{i}\"")) && tags.contains(&format!("\"bruno{i}\""))
        })
    };
    let converged = wait_until(Duration::from_secs(30), || {
        all_tags(&anna) && all_tags(&bruno)
    });
    stop.store(true, Ordering::Relaxed);
    let commits = writer.join().unwrap();
    let _ = bruno_watching.kill();
    let _ = bruno_watching.wait();
    let events = events.join().unwrap();

    assert!(
        commits > 100,
        "the other writer committed only {commits} times"
    );
    let dropped: Vec<&String> = events
        .iter()
        .filter(|l| l.contains("\"offline\""))
        .collect();
    assert!(
        dropped.is_empty(),
        "Bruno's watch dropped its connection {} times while another connection wrote the store: {dropped:?}",
        dropped.len()
    );
    assert!(
        converged,
        "the edits did not all reach both participants within 30 s:\nAnna has {}\nBruno has {}",
        anna.json(&["show", &note])["tags"],
        bruno.json(&["show", &note])["tags"]
    );
    assert_eq!(bruno.integrity_check(), "ok");
}
