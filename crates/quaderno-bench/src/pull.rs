//! Scenario 2, cold pull: a group of notes (about 5 KB and 50 changes each) is uploaded once;
//! later, after the relay restarted so nothing is in memory, a client that never synced asks
//! for every note at once. The figures: time until it holds them all, bytes and messages.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use automerge::ChangeHash;
use quaderno_model::DocumentId;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::conn::{Connection, Traffic};
use crate::content;
use crate::monitor::{self, CpuUse, Monitor};
use crate::pump;
use crate::replica::Replica;
use crate::target::Target;

/// Notes uploaded and not yet acknowledged, at most.
const IN_FLIGHT: usize = 64;

/// The notes of a prepared group, for the pull.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PreparedDocs {
    pub group: String,
    pub note_bytes: usize,
    pub note_changes: usize,
    pub docs: Vec<PreparedDoc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PreparedDoc {
    pub id: DocumentId,
    /// Heads in hex; the pull is complete when the client's copy has them.
    pub heads: Vec<String>,
}

impl PreparedDoc {
    fn heads(&self) -> anyhow::Result<Vec<ChangeHash>> {
        let mut heads = self
            .heads
            .iter()
            .map(|h| {
                h.parse()
                    .map_err(|_| anyhow::anyhow!("`{h}` is not a change hash"))
            })
            .collect::<anyhow::Result<Vec<ChangeHash>>>()?;
        heads.sort_unstable();
        Ok(heads)
    }
}

/// What `pull prepare` does.
#[derive(Debug, Clone)]
pub struct PrepareConfig {
    pub group: String,
    pub client: usize,
    pub notes: usize,
    pub note_bytes: usize,
    pub note_changes: usize,
    pub timeout: Duration,
}

/// Uploads the notes and returns their ids and heads.
pub async fn prepare(target: &Target, config: &PrepareConfig) -> anyhow::Result<PreparedDocs> {
    target.check_capacity(config.client + 1)?;
    let endpoint = target.endpoint(config.client, &config.group)?;
    let deadline = Instant::now() + config.timeout;
    let mut conn = tokio::time::timeout_at(deadline, Connection::open(&endpoint))
        .await
        .context("connecting took too long")??;
    let mut replica = Replica::new(conn.me.clone(), conn.relay.clone());
    let mut docs = Vec::with_capacity(config.notes);
    for start in (0..config.notes).step_by(IN_FLIGHT) {
        let batch: Vec<DocumentId> = (start..(start + IN_FLIGHT).min(config.notes))
            .map(|_| DocumentId::random())
            .collect();
        let mut sends = Vec::new();
        for (i, id) in batch.iter().enumerate() {
            let doc = content::note(config.note_bytes, config.note_changes, (start + i) as u64)?;
            sends.extend(replica.share(*id, doc));
        }
        conn.send(sends).await?;
        pump::until(&mut conn, &mut replica, deadline, |r| {
            batch.iter().all(|id| r.in_sync(id))
        })
        .await
        .with_context(|| format!("uploading notes {start}.."))?;
        for id in batch {
            let heads = replica.doc(&id).expect("shared").get_heads();
            docs.push(PreparedDoc {
                id,
                heads: heads.iter().map(|h| h.to_string()).collect(),
            });
        }
        if (start + IN_FLIGHT).is_multiple_of(256) {
            eprintln!(
                "pull prepare: {} of {} notes uploaded",
                docs.len(),
                config.notes
            );
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), conn.close()).await;
    Ok(PreparedDocs {
        group: config.group.clone(),
        note_bytes: config.note_bytes,
        note_changes: config.note_changes,
        docs,
    })
}

impl PreparedDocs {
    pub fn load(path: &Path) -> anyhow::Result<PreparedDocs> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read {}: create it with `quaderno-bench pull prepare`",
                path.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a notes file", path.display()))
    }
}

/// The figures of one pull.
#[derive(Debug, Clone, Serialize)]
pub struct PullResult {
    pub notes: usize,
    pub complete: usize,
    pub unavailable: usize,
    /// From opening the WebSocket to the relay's `peer`.
    pub connect_s: f64,
    /// From sending the requests to holding every note.
    pub pull_s: f64,
    pub traffic: Traffic,
    pub cpu: CpuUse,
    pub relay_rss_start_mb: Option<f64>,
    pub relay_rss_peak_mb: Option<f64>,
    pub problems: Vec<String>,
}

/// Asks for every prepared note at once as a client that never synced; waits until it has all.
pub async fn fetch(
    target: &Target,
    prepared: &PreparedDocs,
    client: usize,
    timeout: Duration,
) -> anyhow::Result<PullResult> {
    target.check_capacity(client + 1)?;
    let endpoint = target.endpoint(client, &prepared.group)?;
    let wanted: Vec<(DocumentId, Vec<ChangeHash>)> = prepared
        .docs
        .iter()
        .map(|d| Ok((d.id, d.heads()?)))
        .collect::<anyhow::Result<_>>()?;
    if wanted.is_empty() {
        bail!("the notes file lists no notes");
    }
    let monitor = Monitor::start(target.pid, Duration::from_millis(50));
    let rss_start = monitor.memory().map(|m| monitor::mb(m.rss));
    let deadline = Instant::now() + timeout;
    let from = monitor.mark();
    let connecting = Instant::now();
    let mut conn = tokio::time::timeout_at(deadline, Connection::open(&endpoint))
        .await
        .context("connecting took too long")??;
    let connect_s = connecting.elapsed().as_secs_f64();
    let mut replica = Replica::new(conn.me.clone(), conn.relay.clone());
    let pulling = Instant::now();
    let requests = wanted
        .iter()
        .filter_map(|(id, _)| replica.request(*id))
        .collect();
    conn.send(requests).await?;
    let has_all = |r: &Replica| {
        wanted.iter().all(|(id, heads)| {
            r.doc(id).is_some_and(|d| {
                let mut ours = d.get_heads();
                ours.sort_unstable();
                &ours == heads
            })
        })
    };
    let mut problems = Vec::new();
    match pump::until(&mut conn, &mut replica, deadline, has_all).await {
        Ok(errors) => problems.extend(errors),
        Err(e) => problems.push(format!("the pull did not finish: {e}")),
    }
    let pull_s = pulling.elapsed().as_secs_f64();
    let to = monitor.mark();
    let complete = wanted
        .iter()
        .filter(|(id, heads)| {
            replica.doc(id).is_some_and(|d| {
                let mut ours = d.get_heads();
                ours.sort_unstable();
                &ours == heads
            })
        })
        .count();
    let unavailable = wanted
        .iter()
        .filter(|(id, _)| replica.session(id).is_some_and(|s| s.unavailable))
        .count();
    let traffic = conn.traffic;
    let _ = tokio::time::timeout(Duration::from_secs(2), conn.close()).await;
    Ok(PullResult {
        notes: wanted.len(),
        complete,
        unavailable,
        connect_s,
        pull_s,
        traffic,
        cpu: monitor::between(&from, &to),
        relay_rss_start_mb: rss_start,
        relay_rss_peak_mb: monitor.peak_rss_mb(),
        problems,
    })
}
