//! Scenario 3, idle connections: C clients connect, join and then say nothing (answering pings
//! only). The figure: the relay's resident memory per open connection.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use crate::conn::Connection;
use crate::monitor::{self, CpuUse, Monitor, Sample};
use crate::stats::Spread;
use crate::target::Target;

#[derive(Debug, Clone)]
pub struct IdleConfig {
    pub connections: usize,
    pub group: String,
    pub connect_parallel: usize,
    /// Wait after the last connection before measuring.
    pub settle: Duration,
    /// How long memory is sampled with every connection open.
    pub hold: Duration,
    pub connect_timeout: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdleResult {
    pub connected: usize,
    pub failed: usize,
    pub connect_s: f64,
    pub relay_rss_before_mb: Option<f64>,
    /// Median of the samples taken while holding.
    pub relay_rss_open_mb: Option<f64>,
    pub relay_rss_after_close_mb: Option<f64>,
    pub relay_kb_per_connection: Option<f64>,
    /// Relay CPU while every connection sat idle.
    pub hold_cpu: CpuUse,
    pub samples: Vec<Sample>,
    pub problems: Vec<String>,
}

pub async fn run(target: &Target, config: &IdleConfig) -> anyhow::Result<IdleResult> {
    target.check_capacity(config.connections)?;
    let endpoints = (0..config.connections)
        .map(|c| target.endpoint(c, &config.group))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let monitor = Monitor::start(target.pid, Duration::from_millis(250));
    let before = monitor.memory().map(|m| monitor::mb(m.rss));
    let (stop_tx, stop_rx) = watch::channel(false);
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(config.connect_parallel.max(1)));
    let connecting = Instant::now();
    let timeout = config.connect_timeout;
    let tasks: Vec<_> = endpoints
        .into_iter()
        .map(|endpoint| {
            let (gate, mut stop, ready) = (gate.clone(), stop_rx.clone(), ready_tx.clone());
            tokio::spawn(async move {
                let opened = {
                    let _permit = gate.acquire().await;
                    tokio::time::timeout(timeout, Connection::open(&endpoint)).await
                };
                let mut conn = match opened {
                    Ok(Ok(conn)) => conn,
                    Ok(Err(e)) => return ready.send(Err(e.to_string())),
                    Err(_) => return ready.send(Err("connecting took too long".into())),
                };
                let _ = ready.send(Ok(()));
                loop {
                    tokio::select! {
                        _ = stop.changed() => break,
                        // Reading answers the relay's pings; idle clients get nothing else.
                        received = conn.recv() => if received.is_err() { break },
                    }
                }
                let _ = tokio::time::timeout(Duration::from_secs(2), conn.close()).await;
                Ok(())
            })
        })
        .collect();
    drop(ready_tx);
    let mut problems = Vec::new();
    let (mut connected, mut failed) = (0, 0);
    while let Some(outcome) = ready_rx.recv().await {
        match outcome {
            Ok(()) => connected += 1,
            Err(e) => {
                failed += 1;
                if problems.len() < 10 {
                    problems.push(e);
                }
            }
        }
        if connected + failed == config.connections {
            break;
        }
    }
    let connect_s = connecting.elapsed().as_secs_f64();
    tokio::time::sleep(config.settle).await;
    let holding = monitor.elapsed().as_secs_f64();
    let from = monitor.mark();
    tokio::time::sleep(config.hold).await;
    let to = monitor.mark();
    let samples = monitor.samples();
    let held: Vec<f64> = samples
        .iter()
        .filter(|s| s.t >= holding)
        .map(|s| s.rss_mb)
        .collect();
    let open = Spread::of(&held).map(|s| s.median);
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = monitor.memory().map(|m| monitor::mb(m.rss));
    if failed > 0 {
        problems.insert(
            0,
            format!("{failed} of {} connections failed", config.connections),
        );
    }
    Ok(IdleResult {
        connected,
        failed,
        connect_s,
        relay_rss_before_mb: before,
        relay_rss_open_mb: open,
        relay_rss_after_close_mb: after,
        relay_kb_per_connection: before
            .zip(open)
            .map(|(b, o)| (o - b) * 1024.0 / connected.max(1) as f64),
        hold_cpu: monitor::between(&from, &to),
        samples,
        problems,
    })
}
