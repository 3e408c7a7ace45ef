//! Watching the relay process while a run goes: its CPU time on demand, its resident memory
//! sampled in the background.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinHandle;

use crate::procfs::{Memory, Proc};

/// One memory sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// Seconds since the monitor started.
    pub t: f64,
    pub rss_mb: f64,
}

/// CPU time of the relay and of this process at one moment.
#[derive(Debug, Clone, Copy)]
pub struct CpuMark {
    at: Instant,
    relay: Option<Duration>,
    generator: Option<Duration>,
}

/// CPU used between two marks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CpuUse {
    pub wall_s: f64,
    pub relay_s: Option<f64>,
    pub generator_s: Option<f64>,
}

impl CpuUse {
    /// Share of one core the relay used (1.0 = one core busy all along).
    pub fn relay_share(&self) -> Option<f64> {
        self.relay_s.map(|s| s / self.wall_s.max(1e-9))
    }

    pub fn generator_share(&self) -> Option<f64> {
        self.generator_s.map(|s| s / self.wall_s.max(1e-9))
    }
}

/// Memory is sampled every `period` until the monitor is dropped.
#[derive(Debug)]
pub struct Monitor {
    relay: Option<Proc>,
    started: Instant,
    samples: Arc<Mutex<Vec<Sample>>>,
    task: Option<JoinHandle<()>>,
}

pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

impl Monitor {
    /// Starts sampling the relay's memory (if its pid is known).
    pub fn start(pid: Option<u32>, period: Duration) -> Monitor {
        let relay = pid.map(Proc::Pid);
        let started = Instant::now();
        let samples = Arc::new(Mutex::new(Vec::new()));
        let task = relay.map(|relay| {
            let samples = samples.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(period);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    let Ok(memory) = relay.memory() else {
                        return;
                    };
                    let sample = Sample {
                        t: started.elapsed().as_secs_f64(),
                        rss_mb: mb(memory.rss),
                    };
                    samples
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(sample);
                }
            })
        });
        Monitor {
            relay,
            started,
            samples,
            task,
        }
    }

    pub fn mark(&self) -> CpuMark {
        CpuMark {
            at: Instant::now(),
            relay: self.relay.and_then(|p| p.cpu().ok()),
            generator: Proc::Myself.cpu().ok(),
        }
    }

    /// The relay's memory now.
    pub fn memory(&self) -> Option<Memory> {
        self.relay.and_then(|p| p.memory().ok())
    }

    /// The largest resident memory sampled so far, in MB.
    pub fn peak_rss_mb(&self) -> Option<f64> {
        self.samples()
            .iter()
            .map(|s| s.rss_mb)
            .max_by(f64::total_cmp)
    }

    pub fn samples(&self) -> Vec<Sample> {
        self.samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// CPU used from `from` to `to`.
pub fn between(from: &CpuMark, to: &CpuMark) -> CpuUse {
    let diff = |a: Option<Duration>, b: Option<Duration>| {
        a.zip(b).map(|(a, b)| b.saturating_sub(a).as_secs_f64())
    };
    CpuUse {
        wall_s: to.at.saturating_duration_since(from.at).as_secs_f64(),
        relay_s: diff(from.relay, to.relay),
        generator_s: diff(from.generator, to.generator),
    }
}
