//! `quaderno-bench pages`: one keystroke's trip from a page of `quaderno ui` to a page of
//! another participant's `quaderno ui`, through a real relay, and what the two processes spend
//! on it.
//!
//! Everything is a real process on 127.0.0.1 ([`processes`]): a relay on port 0, participants A
//! and B made with `quaderno init` and `quaderno join`, a note of the group written by A in a
//! few sittings and synced to both, then `quaderno ui` for each. One page ([`page`]) connects to
//! each ui as a browser tab does; A's page types one character a keystroke at a steady pace, B's
//! page notes when each keystroke's text is in its copy. Each page runs on a thread of its own,
//! so the watcher's apply never delays the typist's clock.

mod page;
mod processes;
mod session;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::stats::Latency;

pub use session::run;

/// One run: one note size, one pair of builds.
#[derive(Debug, Clone)]
pub struct PagesConfig {
    pub server_bin: PathBuf,
    pub quaderno_bin: PathBuf,
    /// Where the run's folder (relay, both participants) is made; it is removed at the end.
    pub work_dir: PathBuf,
    /// Size of the note's body before the typing starts.
    pub body_bytes: usize,
    /// The note is written in this many sittings (`quaderno new`, then `quaderno edit`s).
    pub sittings: usize,
    /// Keystrokes measured, after the warm-up.
    pub keystrokes: usize,
    /// Keystrokes typed (and awaited on B) before the measured ones.
    pub warmup: usize,
    /// Time between two keystrokes.
    pub interval: Duration,
    /// Longest wait for each setup step (a command, a page opening, the warm-up's arrival).
    pub step: Duration,
    /// Longest wait, after the last keystroke, for its text on B.
    pub drain: Duration,
    pub seed: u64,
    /// Type in real Chromium with this script (`js/typist.mjs`) instead of a page socket.
    pub browser: Option<PathBuf>,
}

/// CPU time of the three processes per measured keystroke.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CpuPerKeystroke {
    /// A's `quaderno ui`, where the typing page is.
    pub writer_ms: f64,
    /// B's `quaderno ui`, where the watching page is.
    pub reader_ms: f64,
    pub relay_ms: f64,
}

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct PagesResult {
    pub body_bytes: usize,
    /// Characters in the body when the pages opened it.
    pub body_chars: usize,
    pub sittings: usize,
    pub keystrokes: usize,
    /// Measured keystrokes whose text reached B's page.
    pub arrived: usize,
    /// Who typed in A's page: "page socket" (this process) or "chromium".
    pub typist: &'static str,
    /// In Chromium: from each key to its text on A's screen, with the page free for the next
    /// key.
    pub in_page: Option<Latency>,
    /// From A's page sending the sync message that carries a keystroke to the keystroke's
    /// text in B's copy.
    pub latency: Latency,
    /// From the keystroke's change in A's copy to its text in B's copy (A's page sends at
    /// once; this adds any wait for the previous message's answer).
    pub from_keystroke: Latency,
    /// From the first measured keystroke to the last one's arrival on B.
    pub window_secs: f64,
    pub cpu_per_keystroke: CpuPerKeystroke,
    pub writer_page: page::Counts,
    pub reader_page: page::Counts,
    pub problems: Vec<String>,
}

impl PagesResult {
    /// One line of the table.
    pub fn row(&self, label: &str) -> String {
        if let Some(in_page) = &self.in_page {
            return format!(
                "{label:<8} {:>6} B {:>4}/{:<4} in A's Chromium page: key to screen p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms  CPU/keystroke A {:>6.2} ms  B {:>6.2} ms",
                self.body_bytes,
                self.arrived,
                self.keystrokes,
                in_page.p50_ms,
                in_page.p99_ms,
                in_page.max_ms,
                self.cpu_per_keystroke.writer_ms,
                self.cpu_per_keystroke.reader_ms,
            );
        }
        format!(
            "{label:<8} {:>6} B {:>4}/{:<4} p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  CPU/keystroke A {:>6.2} ms  B {:>6.2} ms  relay {:>5.2} ms",
            self.body_bytes,
            self.arrived,
            self.keystrokes,
            self.latency.p50_ms,
            self.latency.p99_ms,
            self.latency.max_ms,
            self.cpu_per_keystroke.writer_ms,
            self.cpu_per_keystroke.reader_ms,
            self.cpu_per_keystroke.relay_ms,
        )
    }
}

/// Every run of one invocation: one build, each note size.
#[derive(Debug, Clone, Serialize)]
pub struct PagesReport {
    pub scenario: &'static str,
    /// What the runs are called in the table (e.g. the build's commit).
    pub label: String,
    pub server_bin: PathBuf,
    pub quaderno_bin: PathBuf,
    pub started_at: String,
    pub cores: usize,
    pub loadavg_before: [f64; 3],
    pub loadavg_after: [f64; 3],
    pub interval_ms: u64,
    pub runs: Vec<PagesResult>,
    pub problems: Vec<String>,
}

impl PagesReport {
    /// Runs `config` once for each size of `body_bytes`, one after the other.
    pub fn run(label: &str, config: &PagesConfig, body_bytes: &[usize]) -> PagesReport {
        let started_at = chrono::Utc::now().to_rfc3339();
        let loadavg_before = crate::procfs::loadavg();
        let mut runs = Vec::new();
        let mut problems = Vec::new();
        for &bytes in body_bytes {
            let config = PagesConfig {
                body_bytes: bytes,
                ..config.clone()
            };
            match run(&config) {
                Ok(result) => {
                    problems.extend(result.problems.iter().map(|p| format!("{bytes} B: {p}")));
                    runs.push(result);
                }
                Err(error) => problems.push(format!("{bytes} B: {error:#}")),
            }
        }
        PagesReport {
            scenario: "pages",
            label: label.to_owned(),
            server_bin: config.server_bin.clone(),
            quaderno_bin: config.quaderno_bin.clone(),
            started_at,
            cores: crate::procfs::cores(),
            loadavg_before,
            loadavg_after: crate::procfs::loadavg(),
            interval_ms: config.interval.as_millis() as u64,
            runs,
            problems,
        }
    }

    /// One line per note size, then the problems.
    pub fn table(&self) -> String {
        let mut out = format!(
            "pages: {} (load {:.2} before, {:.2} after)\n",
            self.quaderno_bin.display(),
            self.loadavg_before[0],
            self.loadavg_after[0]
        );
        for run in &self.runs {
            out.push_str(&run.row(&self.label));
            out.push('\n');
        }
        for problem in &self.problems {
            out.push_str(&format!("problem: {problem}\n"));
        }
        out
    }
}
