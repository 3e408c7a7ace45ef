//! Two participants keep `quaderno sync --watch` running; a note nobody touched for longer than
//! the sync engine keeps idle documents in memory (30 s) is edited again: the edit still
//! reaches the other participant at once.

mod faults_common;

use std::time::{Duration, Instant};

use faults_common::{Community, new_note, wait_until, watch};

#[test]
fn an_edit_to_a_note_left_idle_reaches_the_other_watcher() {
    let c = Community::new();
    let anna = c.participant("anna", &c.relay.url);
    let bruno = c.participant("bruno", &c.relay.url);
    let _anna_watching = watch(&anna);
    let _bruno_watching = watch(&bruno);
    let note = new_note(&anna, "Verbale", "Presenti: 12");
    let arrived = wait_until(Duration::from_secs(20), || {
        let run = bruno.run(&["--json", "show", &note]);
        run.code == 0 && run.stdout.contains("Presenti: 12")
    });
    assert!(arrived, "Bruno's watch never received the new note");

    // Both watches, and the relay, let the note go idle and leave memory.
    std::thread::sleep(Duration::from_secs(40));

    anna.ok(&["tag", &note, "+ripreso"]);
    let edited = Instant::now();
    let arrived = wait_until(Duration::from_secs(10), || {
        let run = bruno.run(&["--json", "show", &note]);
        run.code == 0 && run.stdout.contains("ripreso")
    });
    assert!(
        arrived,
        "the edit to the idle note did not reach Bruno within 10 s"
    );
    eprintln!("the edit reached Bruno after {:?}", edited.elapsed());
}
