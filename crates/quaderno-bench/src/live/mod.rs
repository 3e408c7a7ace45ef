//! Live runs (scenarios 1 and 5): many clients in shared documents, each editing on a schedule,
//! every other member of the document recording when each edit arrives.
//!
//! The run moves in steps, every client together: connect; the first member of each document
//! creates it and uploads it; the others fetch it; then everybody edits for the same stretch of
//! time, and the run waits until every edit has reached every other member (or the drain time
//! runs out). Relay CPU is counted from the first edit to the last delivery.

mod client;
mod tracker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use automerge::ChangeHash;
use quaderno_model::DocumentId;
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;

use crate::conn::Traffic;
use crate::ledger::Ledger;
use crate::monitor::{self, CpuUse, Monitor};
use crate::plan::Plan;
use crate::stats::Latency;
use crate::target::Target;
use tracker::{Progress, Step, Tracker};

/// What each edit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EditKind {
    /// Scenario 1: the author's count in a small map goes up.
    Count,
    /// Scenario 5: one character typed at a random place of the note's body.
    Keystroke,
}

/// What each document holds before the edits start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StartDoc {
    SmallMap,
    Note { bytes: usize, changes: usize },
}

/// Everything a live run needs to know.
#[derive(Debug, Clone, Serialize)]
pub struct LiveConfig {
    #[serde(skip)]
    pub plan: Plan,
    /// Edits each typist makes.
    pub edits: usize,
    /// Mean time between a typist's edits.
    pub interval: Duration,
    /// Each gap is the interval times a random factor in `1 ± jitter`.
    pub jitter: f64,
    pub edit: EditKind,
    pub start: StartDoc,
    /// The group whose endpoint the clients use (Quaderno relays).
    pub group: String,
    /// Longest wait for connecting, uploading and fetching, each.
    pub setup_timeout: Duration,
    /// Longest wait, after the last edit, for deliveries still on their way.
    pub drain_timeout: Duration,
    /// Connections opened at the same time.
    pub connect_parallel: usize,
    pub seed: u64,
}

/// What the clients share.
#[derive(Debug)]
struct Shared {
    config: LiveConfig,
    ids: Vec<DocumentId>,
    /// Heads of each document once uploaded: a fetch is complete when a client has them.
    heads: Mutex<HashMap<usize, Vec<ChangeHash>>>,
    ledger: Ledger,
}

/// What the coordinator tells every client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connect,
    Upload,
    Fetch,
    /// Edit, starting at this moment.
    Edit(Instant),
    Stop,
}

/// The measurements of a live run.
#[derive(Debug, Clone, Serialize)]
pub struct LiveResult {
    pub latency: Latency,
    /// How late edits were made against their schedule (the generator falling behind).
    pub edit_lag: Latency,
    pub edits: u64,
    pub deliveries_expected: u64,
    pub deliveries: u64,
    pub offered_edits_per_s: f64,
    pub offered_deliveries_per_s: f64,
    /// From the first scheduled edit to the last edit made.
    pub edit_window_s: f64,
    /// CPU from the first scheduled edit to the last delivery (or the end of the drain time).
    pub cpu: CpuUse,
    pub setup_s: f64,
    pub disconnects: usize,
    pub traffic: Traffic,
    pub relay_rss_start_mb: Option<f64>,
    pub relay_rss_peak_mb: Option<f64>,
    pub relay_rss_end_mb: Option<f64>,
    /// The relay's peak resident memory since it started (`VmHWM`).
    pub relay_hwm_mb: Option<f64>,
    pub problems: Vec<String>,
}

impl LiveResult {
    pub fn missing(&self) -> u64 {
        self.deliveries_expected.saturating_sub(self.deliveries)
    }

    pub fn edits_per_s(&self) -> f64 {
        self.edits as f64 / self.edit_window_s.max(1e-9)
    }

    pub fn deliveries_per_s(&self) -> f64 {
        self.deliveries as f64 / self.cpu.wall_s.max(1e-9)
    }

    /// Relay CPU per delivery, in milliseconds.
    pub fn relay_ms_per_delivery(&self) -> Option<f64> {
        let deliveries = self.deliveries.max(1) as f64;
        self.cpu.relay_s.map(|s| s * 1000.0 / deliveries)
    }
}

/// Runs a live scenario against a target. Fails only when the run cannot start at all; what
/// goes wrong later is in the result's `problems`.
pub async fn run(target: &Target, config: LiveConfig) -> anyhow::Result<LiveResult> {
    let clients = config.plan.clients;
    target.check_capacity(clients)?;
    let endpoints = (0..clients)
        .map(|c| target.endpoint(c, &config.group))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let monitor = Monitor::start(target.pid, Duration::from_millis(100));
    let rss_start = monitor.memory().map(|m| monitor::mb(m.rss));
    let shared = Arc::new(Shared {
        ids: (0..config.plan.docs.len())
            .map(|_| DocumentId::random())
            .collect(),
        heads: Mutex::new(HashMap::new()),
        ledger: Ledger::new(),
        config,
    });
    let (phase_tx, phase_rx) = watch::channel(Phase::Connect);
    let (progress_tx, mut progress_rx) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(shared.config.connect_parallel.max(1)));
    let tasks: Vec<_> = endpoints
        .into_iter()
        .enumerate()
        .map(|(me, endpoint)| {
            tokio::spawn(client::run(
                shared.clone(),
                me,
                endpoint,
                phase_rx.clone(),
                progress_tx.clone(),
                gate.clone(),
            ))
        })
        .collect();
    drop(progress_tx);

    let mut tracker = Tracker::new(clients);
    let mut problems = Vec::new();
    let setup_started = Instant::now();
    let setup_timeout = shared.config.setup_timeout;
    let mut ready = true;
    for (step, next) in [
        (Step::Connected, Phase::Upload),
        (Step::Uploaded, Phase::Fetch),
        (Step::Fetched, Phase::Stop),
    ] {
        let deadline = Instant::now() + setup_timeout;
        if !wait_for(&mut progress_rx, &mut tracker, step, deadline).await {
            problems.push(format!(
                "{} clients did not {step} within {setup_timeout:?}",
                tracker.behind(step)
            ));
            ready = false;
            break;
        }
        if next != Phase::Stop {
            let _ = phase_tx.send(next);
        }
    }
    let setup_s = setup_started.elapsed().as_secs_f64();

    let mut window = None;
    if ready {
        window = Some(
            edit_and_drain(
                &shared,
                &phase_tx,
                &mut progress_rx,
                &mut tracker,
                &monitor,
                &mut problems,
            )
            .await,
        );
    }
    let _ = phase_tx.send(Phase::Stop);
    let outcomes = join_all(tasks).await;

    for (client, reason) in tracker.failures() {
        if problems.len() < 20 {
            problems.push(format!("client {client} failed: {reason}"));
        }
    }
    let memory = monitor.memory();
    let (cpu, edit_window_s) = window.unwrap_or((
        CpuUse {
            wall_s: 0.0,
            relay_s: None,
            generator_s: None,
        },
        0.0,
    ));
    let mut latencies = Vec::new();
    let mut lag = Vec::new();
    let mut traffic = Traffic::default();
    let mut disconnects = 0;
    for outcome in outcomes {
        latencies.extend(outcome.latencies);
        lag.extend(outcome.lag);
        traffic += outcome.traffic;
        disconnects += usize::from(outcome.disconnected);
        for error in outcome.errors {
            if problems.len() < 30 {
                problems.push(error);
            }
        }
    }
    let ledger = &shared.ledger;
    let (offered_edits_per_s, offered_deliveries_per_s) = shared
        .config
        .plan
        .offered(shared.config.interval.as_secs_f64() * 1000.0);
    let result = LiveResult {
        latency: Latency::from_micros(&mut latencies),
        edit_lag: Latency::from_micros(&mut lag),
        edits: ledger.edits.load(std::sync::atomic::Ordering::Relaxed),
        deliveries_expected: ledger.expected.load(std::sync::atomic::Ordering::Relaxed),
        deliveries: ledger.delivered.load(std::sync::atomic::Ordering::Relaxed),
        offered_edits_per_s,
        offered_deliveries_per_s,
        edit_window_s,
        cpu,
        setup_s,
        disconnects,
        traffic,
        relay_rss_start_mb: rss_start,
        relay_rss_peak_mb: monitor.peak_rss_mb(),
        relay_rss_end_mb: memory.map(|m| monitor::mb(m.rss)),
        relay_hwm_mb: memory.map(|m| monitor::mb(m.peak)),
        problems,
    };
    let mut result = result;
    if result.missing() > 0 {
        result.problems.push(format!(
            "{} of {} deliveries never arrived",
            result.missing(),
            result.deliveries_expected
        ));
    }
    Ok(result)
}

/// The edit phase and the drain: returns the CPU used and how long edits took.
async fn edit_and_drain(
    shared: &Shared,
    phase_tx: &watch::Sender<Phase>,
    progress_rx: &mut mpsc::UnboundedReceiver<Progress>,
    tracker: &mut Tracker,
    monitor: &Monitor,
    problems: &mut Vec<String>,
) -> (CpuUse, f64) {
    let config = &shared.config;
    let start = Instant::now() + Duration::from_millis(50);
    let _ = phase_tx.send(Phase::Edit(start));
    tokio::time::sleep_until(start).await;
    let from = monitor.mark();
    // Every typist needs edits × interval; allow half as much again, plus the drain time.
    let planned = config
        .interval
        .mul_f64(config.edits as f64 * (1.0 + config.jitter));
    let deadline = start + planned.mul_f64(1.5) + config.drain_timeout;
    if !wait_for(progress_rx, tracker, Step::Edited, deadline).await {
        problems.push(format!(
            "{} clients did not finish their edits by the deadline",
            tracker.behind(Step::Edited)
        ));
    }
    let edits_done = start.elapsed().as_secs_f64();
    let drain_deadline = Instant::now() + config.drain_timeout;
    while !shared.ledger.all_delivered() && Instant::now() < drain_deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let to = monitor.mark();
    (monitor::between(&from, &to), edits_done)
}

/// Receives progress until no client is behind `step`; false if the deadline passed first.
async fn wait_for(
    progress: &mut mpsc::UnboundedReceiver<Progress>,
    tracker: &mut Tracker,
    step: Step,
    deadline: Instant,
) -> bool {
    while tracker.behind(step) > 0 {
        match tokio::time::timeout_at(deadline, progress.recv()).await {
            Ok(Some(p)) => tracker.record(p),
            Ok(None) => return tracker.behind(step) == 0,
            Err(_) => return false,
        }
    }
    true
}

/// Waits for every client to close its connection, for a bounded time.
async fn join_all(tasks: Vec<tokio::task::JoinHandle<client::Outcome>>) -> Vec<client::Outcome> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        let abort = task.abort_handle();
        match tokio::time::timeout_at(deadline, task).await {
            Ok(Ok(outcome)) => outcomes.push(outcome),
            Ok(Err(_)) => outcomes.push(client::Outcome::default()),
            Err(_) => {
                abort.abort();
                outcomes.push(client::Outcome::default());
            }
        }
    }
    outcomes
}
