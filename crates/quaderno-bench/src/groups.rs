//! Scenario 4, many groups: one client touches each of G groups once (connects, uploads a note,
//! waits for the acknowledgement, disconnects), then everything stays idle while the relay's
//! memory is sampled. A Quaderno relay should give the memory back once the groups retire; on a
//! server without groups the same run touches G documents of one repository.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::conn::Connection;
use crate::content;
use crate::monitor::{self, CpuUse, Monitor};
use crate::pump;
use crate::replica::Replica;
use crate::target::Target;
use quaderno_model::DocumentId;

#[derive(Debug, Clone)]
pub struct GroupsConfig {
    /// How many groups (Quaderno) or documents (plain server) to touch.
    pub groups: usize,
    pub note_bytes: usize,
    pub parallel: usize,
    /// How long to watch memory after the last touch.
    pub idle: Duration,
    pub sample_every: Duration,
    pub touch_timeout: Duration,
    /// The relay's `/metrics`, read at each sample (Quaderno only).
    pub metrics_url: Option<String>,
}

/// One sample of the idle period.
#[derive(Debug, Clone, Serialize)]
pub struct GroupsSample {
    /// Seconds since the last touch.
    pub t: f64,
    pub rss_mb: Option<f64>,
    pub groups_in_memory: Option<f64>,
    pub documents_in_memory: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupsResult {
    pub touched: usize,
    pub failed: usize,
    pub touch_s: f64,
    pub touch_cpu: CpuUse,
    pub relay_rss_start_mb: Option<f64>,
    pub relay_rss_peak_mb: Option<f64>,
    pub relay_rss_end_mb: Option<f64>,
    pub series: Vec<GroupsSample>,
    pub problems: Vec<String>,
}

pub async fn run(target: &Target, config: &GroupsConfig) -> anyhow::Result<GroupsResult> {
    let groups = if target.is_quaderno() {
        let groups = target.groups_of(0);
        if groups.len() < config.groups {
            bail!(
                "device 0 of the tokens file is in {} groups, the run needs {}: \
                 run `quaderno-bench setup --groups {}`",
                groups.len(),
                config.groups,
                config.groups
            );
        }
        groups.into_iter().take(config.groups).collect()
    } else {
        vec![String::new(); config.groups]
    };
    let monitor = Monitor::start(target.pid, Duration::from_millis(200));
    let start_rss = monitor.memory().map(|m| monitor::mb(m.rss));
    let gate = Arc::new(Semaphore::new(config.parallel.max(1)));
    let touching = Instant::now();
    let from = monitor.mark();
    let tasks: Vec<_> = groups
        .into_iter()
        .enumerate()
        .map(|(n, group)| {
            // A plain server gets a new peer per touch; a Quaderno relay, device 0 every time.
            let client = if target.is_quaderno() { 0 } else { n };
            let endpoint = target.endpoint(client, &group);
            let (gate, bytes, timeout) = (gate.clone(), config.note_bytes, config.touch_timeout);
            tokio::spawn(async move {
                let _permit = gate.acquire().await;
                touch(endpoint?, bytes, n as u64, timeout).await
            })
        })
        .collect();
    let mut problems = Vec::new();
    let (mut touched, mut failed) = (0, 0);
    for task in tasks {
        match task.await {
            Ok(Ok(())) => touched += 1,
            Ok(Err(e)) => {
                failed += 1;
                if problems.len() < 10 {
                    problems.push(e.to_string());
                }
            }
            Err(e) => {
                failed += 1;
                problems.push(e.to_string());
            }
        }
    }
    let touch_s = touching.elapsed().as_secs_f64();
    let to = monitor.mark();
    let series = watch_idle(&monitor, config).await;
    if failed > 0 {
        problems.insert(0, format!("{failed} of {} touches failed", config.groups));
    }
    Ok(GroupsResult {
        touched,
        failed,
        touch_s,
        touch_cpu: monitor::between(&from, &to),
        relay_rss_start_mb: start_rss,
        relay_rss_peak_mb: monitor.peak_rss_mb(),
        relay_rss_end_mb: series.last().and_then(|s| s.rss_mb),
        series,
        problems,
    })
}

/// Connects, uploads one note, waits until the relay acknowledges it, disconnects.
async fn touch(
    endpoint: crate::target::Endpoint,
    bytes: usize,
    seed: u64,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let mut conn = tokio::time::timeout_at(deadline, Connection::open(&endpoint)).await??;
    let mut replica = Replica::new(conn.me.clone(), conn.relay.clone());
    let id = DocumentId::random();
    let share = replica.share(id, content::note(bytes, 5, seed)?);
    conn.send(share.into_iter().collect()).await?;
    pump::until(&mut conn, &mut replica, deadline, |r| r.in_sync(&id)).await?;
    let _ = tokio::time::timeout(Duration::from_secs(2), conn.close()).await;
    Ok(())
}

async fn watch_idle(monitor: &Monitor, config: &GroupsConfig) -> Vec<GroupsSample> {
    let started = Instant::now();
    let client = reqwest::Client::new();
    let mut series = Vec::new();
    let mut tick = tokio::time::interval(config.sample_every);
    loop {
        tick.tick().await;
        let t = started.elapsed();
        let metrics = match &config.metrics_url {
            Some(url) => read_metrics(&client, url).await,
            None => None,
        };
        series.push(GroupsSample {
            t: t.as_secs_f64(),
            rss_mb: monitor.memory().map(|m| monitor::mb(m.rss)),
            groups_in_memory: metrics
                .as_deref()
                .and_then(|m| gauge(m, "quaderno_groups_in_memory")),
            documents_in_memory: metrics
                .as_deref()
                .and_then(|m| gauge(m, "quaderno_documents_in_memory")),
        });
        if t >= config.idle {
            return series;
        }
    }
}

async fn read_metrics(client: &reqwest::Client, url: &str) -> Option<String> {
    let response = client
        .get(url)
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?;
    response.text().await.ok()
}

/// The value of a gauge in the Prometheus text format.
pub fn gauge(text: &str, name: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (key, value) = l.split_once(' ')?;
        (key == name).then(|| value.trim().parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_are_read_from_prometheus_text() {
        let text = "# HELP quaderno_groups_in_memory Groups\n\
                    # TYPE quaderno_groups_in_memory gauge\n\
                    quaderno_groups_in_memory 3\n\
                    quaderno_documents_in_memory 12\n";

        assert_eq!(gauge(text, "quaderno_groups_in_memory"), Some(3.0));
        assert_eq!(gauge(text, "quaderno_documents_in_memory"), Some(12.0));
        assert_eq!(gauge(text, "quaderno_connections"), None);
    }
}
