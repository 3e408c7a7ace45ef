//! One device, one connection: the `quaderno` processes on one data folder never open two
//! connections of the device. The page takes them over from a watch and gives them back; a
//! one-shot sync asks the process that keeps the folder live; a second page is refused.

use std::process::Child;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use quaderno_tests::cli::Quaderno;
use quaderno_tests::health::metric;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::UiProcess;

const GROUP: &str = "trieste";

/// A relay with the group, and Anna in it with a note synced.
fn anna_in_a_group(dir: &std::path::Path) -> (Relay, Quaderno) {
    let relay = Relay::start(dir, &[]);
    relay.create_group(GROUP);
    let anna = Quaderno::fresh();
    anna.ok(&["init", "--name", "Anna", "--city", "Trieste"]);
    anna.ok(&["join", &relay.url, &relay.invite(GROUP, "editor")]);
    anna.ok(&[
        "new",
        "--group",
        GROUP,
        "--title",
        "Verbale",
        "--body",
        "Presenti: 9",
    ]);
    anna.ok(&["sync"]);
    (relay, anna)
}

/// Reads the watch's lines until one says `event`, within `limit`.
fn until_event(lines: &Receiver<String>, event: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let wanted = format!("\"event\":\"{event}\"");
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(&wanted) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

/// Polls the relay's count of open connections until it is `wanted`, within `limit`.
fn connections_become(relay: &Relay, wanted: f64, limit: Duration) -> f64 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let deadline = Instant::now() + limit;
    loop {
        let open = runtime.block_on(metric(&relay.url, "quaderno_connections"));
        if open == wanted || Instant::now() > deadline {
            return open;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_page_takes_the_connection_over_from_a_watch_and_gives_it_back() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let (relay, anna) = anna_in_a_group(dir.path());

    // Step 1: a watch keeps the folder live: one connection.
    let (watch, lines) = anna.spawn_lines(&["--json", "sync", "--watch"]);
    assert!(until_event(&lines, "synced", Duration::from_secs(30)));
    assert_eq!(
        connections_become(&relay, 1.0, Duration::from_secs(10)),
        1.0
    );

    // Step 2: the page opens on the same folder; the watch hands the connection over.
    let mut page = UiProcess::start(anna.data_dir());
    assert!(
        until_event(&lines, "handed_over", Duration::from_secs(20)),
        "the watch never handed over"
    );
    assert_eq!(
        connections_become(&relay, 1.0, Duration::from_secs(10)),
        1.0,
        "the page's own connection"
    );

    // Step 3: the page closes; the watch takes over and is in sync again.
    assert!(page.stop(), "the page stopped cleanly");
    assert!(
        until_event(&lines, "took_over", Duration::from_secs(20)),
        "the watch never took over again"
    );
    assert!(until_event(&lines, "synced", Duration::from_secs(30)));
    assert_eq!(
        connections_become(&relay, 1.0, Duration::from_secs(10)),
        1.0
    );
    stop(watch);
}

#[test]
fn a_second_page_or_watch_on_the_same_folder_is_refused_and_says_who_syncs() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let (_relay, anna) = anna_in_a_group(dir.path());
    let _page = UiProcess::start(anna.data_dir());

    for args in [
        &["ui", "--no-open", "--port", "0"][..],
        &["sync", "--watch"][..],
    ] {
        let second = anna.run(args);
        assert_eq!(second.code, 2, "{args:?}: {second:?}");
        assert!(
            second.stderr.contains("the page (`quaderno ui`)")
                && second.stderr.contains("already syncs this data folder"),
            "{args:?}: {}",
            second.stderr
        );
    }
}

#[test]
fn a_sync_while_the_page_runs_is_done_by_the_page() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let (relay, anna) = anna_in_a_group(dir.path());
    let bruno = Quaderno::fresh();
    bruno.ok(&["init", "--name", "Bruno", "--city", "Bologna"]);
    bruno.ok(&["join", &relay.url, &relay.invite(GROUP, "editor")]);
    let _page = UiProcess::start(anna.data_dir());

    // Anna writes a note from the terminal while her page is open, and syncs.
    anna.ok(&[
        "new",
        "--group",
        GROUP,
        "--title",
        "Secondo incontro",
        "--body",
        "Presenti: 7",
    ]);
    let synced = anna.run(&["sync"]);
    assert_eq!(synced.code, 0, "{synced:?}");
    assert!(
        synced.stdout.contains("in sync, kept live by the page"),
        "{}",
        synced.stdout
    );

    // It reached the relay: Bruno gets it.
    bruno.ok(&["sync"]);
    let listed = bruno.ok(&["list"]);
    assert!(listed.contains("Secondo incontro"), "{listed}");
}
