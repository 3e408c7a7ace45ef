//! Propagation of one edit from one live client to another through the relay, timed in one
//! process so both ends read the same clock. Client A edits a note (stores the change, hands it
//! to its live sync, as the web UI does); the time starts when A's live sync is handed the
//! change and ends when client B has applied and stored it and reports the change. The time A
//! took to make and store the edit is reported apart (`local_edit_*`). Prints one JSON report.
//!
//!   cargo run --release -p quaderno-client --example propagation -- DIR_A DIR_B GROUP [--edits 300] [--every-ms 100] [--settle-secs 0]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use automerge::ActorId;
use chrono::Utc;
use quaderno_client::notebook::{STORE_FILE, reindex, save_new_doc};
use quaderno_client::sync::{Live, LiveEvent};
use quaderno_model::{Author, DocumentId, NewNote, NoteEdit, create_note, edit_note, read_note};
use quaderno_store::docs::{self, QuietDocs};
use quaderno_store::rusqlite::TransactionBehavior;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir_a, dir_b, group, ..] = args.as_slice() else {
        anyhow::bail!("usage: propagation DIR_A DIR_B GROUP [--edits N] [--every-ms MS]");
    };
    let flag = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (edits, every, settle) = (
        flag("--edits", 300),
        Duration::from_millis(flag("--every-ms", 100)),
        Duration::from_secs(flag("--settle-secs", 0)),
    );
    let (dir_a, dir_b) = (PathBuf::from(dir_a), PathBuf::from(dir_b));
    let stop = CancellationToken::new();
    let a = Live::start(&dir_a, stop.clone())?;
    let b = Live::start(&dir_b, stop.clone())?;
    let mut a_events = a.subscribe();
    let mut b_events = b.subscribe();
    let offline = [
        count_offline("A", a.subscribe()),
        count_offline("B", b.subscribe()),
    ];
    wait_for(
        &mut a_events,
        |e| matches!(e, LiveEvent::Synced { .. }),
        Duration::from_secs(30),
    )
    .await?;
    wait_for(
        &mut b_events,
        |e| matches!(e, LiveEvent::Synced { .. }),
        Duration::from_secs(30),
    )
    .await?;

    let mut writer = Writer::new(&dir_a, group)?;
    let (doc, first) = tokio::task::block_in_place(|| writer.create())?;
    a.changed(group, doc, first).await;
    wait_for(
        &mut b_events,
        |e| matches!(e, LiveEvent::Changed { doc: d, .. } if *d == doc),
        Duration::from_secs(30),
    )
    .await?;

    // With --settle-secs, the clients first sit idle (documents untouched for a while leave
    // memory), so that the edits are timed on clients that are idle, not just after a pull.
    tokio::time::sleep(settle).await;
    let mut latencies = Vec::with_capacity(edits as usize);
    let mut local = Vec::with_capacity(edits as usize);
    for i in 0..edits {
        tokio::time::sleep(every).await;
        let edited = Instant::now();
        // Off the runtime's threads, as the web UI writes: a write that waits for the file's
        // lock must not hold up the sync tasks.
        let (back, change) = tokio::task::spawn_blocking(move || {
            let change = writer.append(doc, &format!(" parola{i}"));
            (writer, change)
        })
        .await?;
        writer = back;
        let change = change?;
        let started = Instant::now();
        local.push((started - edited).as_secs_f64() * 1000.0);
        a.changed(group, doc, change).await;
        wait_for(
            &mut b_events,
            |e| matches!(e, LiveEvent::Changed { doc: d, .. } if *d == doc),
            Duration::from_secs(10),
        )
        .await?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    stop.cancel();
    a.stopped().await;
    b.stopped().await;
    drop((a, b));
    let mut dropped = 0;
    for counter in offline {
        dropped += counter.await?;
    }
    latencies.sort_by(f64::total_cmp);
    local.sort_by(f64::total_cmp);
    let pct = |v: &[f64], p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    let report = serde_json::json!({
        "edits": latencies.len(), "every_ms": every.as_millis() as u64,
        "p50_ms": pct(&latencies, 0.50), "p95_ms": pct(&latencies, 0.95),
        "p99_ms": pct(&latencies, 0.99), "max_ms": pct(&latencies, 1.0),
        "local_edit_p50_ms": pct(&local, 0.50), "local_edit_p99_ms": pct(&local, 0.99),
        "connections_dropped": dropped,
    });
    println!("{report}");
    Ok(())
}

/// Counts the times a client's live sync went offline (each says why on stderr): a trip
/// timed across a reconnection is not a propagation time, so the report shows them.
fn count_offline(who: &'static str, mut events: Receiver<LiveEvent>) -> JoinHandle<u64> {
    tokio::spawn(async move {
        let mut count = 0;
        loop {
            match events.recv().await {
                Ok(LiveEvent::Offline { reason, .. }) => {
                    eprintln!("client {who} went offline: {reason}");
                    count += 1;
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return count,
            }
        }
    })
}

async fn wait_for(
    events: &mut Receiver<LiveEvent>,
    wanted: impl Fn(&LiveEvent) -> bool,
    limit: Duration,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv()).await??;
        if wanted(&event) {
            return Ok(());
        }
    }
}

/// Client A's edits, stored as a write beside the live sync and handed to it: each change
/// with the note's index row, and the note compacted once quiet (the benchmark types without
/// a pause, so only after `docs::WRITES_BEFORE_COMPACTING` edits).
struct Writer {
    conn: quaderno_store::rusqlite::Connection,
    group: String,
    actor: ActorId,
    author: Author,
    to_compact: QuietDocs<DocumentId>,
}

impl Writer {
    fn new(dir: &Path, group: &str) -> anyhow::Result<Writer> {
        Ok(Writer {
            conn: quaderno_store::open_connection(&dir.join(STORE_FILE))?,
            group: group.to_string(),
            actor: ActorId::random(),
            author: Author {
                name: "Anna".into(),
                city: "Palermo".into(),
            },
            to_compact: QuietDocs::default(),
        })
    }

    fn create(&mut self) -> anyhow::Result<(DocumentId, Vec<u8>)> {
        let new = NewNote {
            title: "Riunione in diretta".into(),
            body: "Ordine del giorno:".into(),
            ..NewNote::default()
        };
        let mut doc = create_note(&new, &self.author, Utc::now())?;
        doc.set_actor(self.actor.clone());
        let id = DocumentId::random();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        save_new_doc(&tx, &self.group, &id.to_string(), &doc)?;
        reindex(&tx, &self.group, &id.to_string(), &doc)?;
        tx.commit()?;
        Ok((id, doc.save()))
    }

    fn append(&mut self, doc: DocumentId, more: &str) -> anyhow::Result<Vec<u8>> {
        let id = doc.to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut automerge = docs::load(&tx, &self.group, &id)?.expect("the note exists");
        automerge.set_actor(self.actor.clone());
        let before = automerge.get_heads();
        let body = read_note(&automerge)?.body + more;
        let edit = NoteEdit {
            body: Some(body),
            ..NoteEdit::default()
        };
        edit_note(&mut automerge, &edit, &self.author, Utc::now())?;
        let changes = automerge.save_after(&before);
        docs::append_changes_without_compacting(&tx, &self.group, &id, &changes)?;
        reindex(&tx, &self.group, &id, &automerge)?;
        self.to_compact.wrote(doc, Instant::now());
        for due in self.to_compact.take_due(Instant::now()) {
            docs::compact_if_needed(&tx, &self.group, &due.to_string())?;
        }
        tx.commit()?;
        Ok(changes)
    }
}
