//! `quaderno import` killed with SIGKILL at random moments, round after round on the same
//! store: after every kill the store opens, passes SQLite's integrity check, and holds every note
//! any import reported as saved.

use std::collections::HashSet;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use quaderno_tests::cli::{Quaderno, reported_id};

const ROUNDS: usize = 10;
const NOTES_PER_ROUND: usize = 300;
const DEADLINE: Duration = Duration::from_secs(120);

fn write_notes(dir: &std::path::Path, round: usize) {
    for i in 0..NOTES_PER_ROUND {
        let text = format!(
            "---\ntitle: Giro {round} incontro {i}\ntags: [verbale]\n---\n\nResoconto {round}-{i}: servizi e territorio.\n"
        );
        std::fs::write(dir.join(format!("nota-{round}-{i:04}.md")), text).unwrap();
    }
}

/// A small generator for the kill points, seeded from the clock and printed.
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[test]
fn an_import_killed_again_and_again_keeps_everything_it_reported() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill points drawn from seed {seed}");
    let mut draw = Draw(seed);
    let quaderno = Quaderno::fresh();
    quaderno.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    let mut saved: Vec<String> = Vec::new();
    let mut killed_mid_import = 0;

    for round in 0..ROUNDS {
        let folder = tempfile::tempdir().unwrap();
        write_notes(folder.path(), round);
        // Kill after this many notes were reported (0: as soon as the first line, or the
        // process, is there).
        let kill_after = draw.below(NOTES_PER_ROUND as u64) as usize;
        let (mut child, reported) =
            quaderno.spawn_lines(&["import", folder.path().to_str().unwrap()]);
        let started = Instant::now();
        let mut this_round = 0;
        while this_round < kill_after {
            let left = DEADLINE.saturating_sub(started.elapsed());
            match reported.recv_timeout(left) {
                Ok(line) => {
                    if let Some(id) = reported_id(&line) {
                        saved.push(id);
                        this_round += 1;
                    }
                }
                // The import ended (all reported) before the kill point.
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("round {round}: import too slow"),
            }
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        saved.extend(reported.iter().filter_map(|line| reported_id(&line)));
        if !status.success() {
            killed_mid_import += 1;
        }

        // The store opens, is intact, and holds every note ever reported.
        let listed = quaderno.json(&["list"]);
        let ids: HashSet<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        let missing = saved.iter().filter(|id| !ids.contains(id.as_str())).count();
        assert_eq!(
            missing, 0,
            "round {round} (seed {seed}): {missing} reported notes are missing"
        );
        assert_eq!(
            quaderno.integrity_check(),
            "ok",
            "round {round} (seed {seed})"
        );
    }
    eprintln!(
        "{killed_mid_import} of {ROUNDS} imports killed before they finished; {} notes reported",
        saved.len()
    );
    assert!(
        killed_mid_import >= ROUNDS / 2,
        "too few kills landed during an import (seed {seed})"
    );
}
