//! A bystander: a healthy member who keeps editing a note while something else happens to the
//! relay, and measures how long the relay takes to acknowledge each edit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use quaderno_model::DocumentId;
use quaderno_sync::Event;
use tokio::task::JoinHandle;

use crate::peer::Peer;
use crate::relay::Relay;

/// How long one edit may wait for its acknowledgement before the bystander counts it lost.
const ACK_LIMIT: Duration = Duration::from_secs(10);
/// Pause between two edits, so the bystander types rather than floods.
const PAUSE: Duration = Duration::from_millis(20);

/// A bystander editing in the background.
#[derive(Debug)]
pub struct Bystander {
    stop: Arc<AtomicBool>,
    task: JoinHandle<Report>,
}

/// What the bystander saw.
#[derive(Debug)]
pub struct Report {
    /// Time from each edit to the relay acknowledging exactly the new heads.
    pub round_trips: Vec<Duration>,
    /// Why the bystander gave up, if it did.
    pub failure: Option<String>,
}

/// A new editor of `group` with a note of two hundred changes, in sync with the relay and past
/// the relay's first compaction of it, so what follows measures the relay, not the setup.
pub async fn ready(relay: &Relay, group: &str, name: &str) -> (Peer, DocumentId) {
    let code = relay.invite(group, "editor");
    let who = relay.join(&code, name).await;
    let mut peer = Peer::connect(&relay.sync_url(group), &who.token, &who.peer_id)
        .await
        .expect("the bystander connects");
    let note = peer.create("Verbale dell'incontro");
    peer.share(note).await;
    for line in 0..200 {
        peer.append(note, &format!("\nriga {line}")).await;
    }
    for _ in 0..3 {
        edit_once(&mut peer, note)
            .await
            .expect("the relay acknowledges the bystander's note");
    }
    (peer, note)
}

impl Bystander {
    /// Starts editing `note`, which `peer` already shares with the relay and is in sync with.
    pub fn start(mut peer: Peer, note: DocumentId) -> Bystander {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let task = tokio::spawn(async move {
            let mut report = Report {
                round_trips: Vec::new(),
                failure: None,
            };
            while !stopping.load(Ordering::Relaxed) {
                match edit_once(&mut peer, note).await {
                    Ok(took) => report.round_trips.push(took),
                    Err(failure) => {
                        report.failure = Some(failure);
                        break;
                    }
                }
                tokio::time::sleep(PAUSE).await;
            }
            report
        });
        Bystander { stop, task }
    }

    /// Stops after the edit in progress and reports.
    pub async fn stop(self) -> Report {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("the bystander does not panic")
    }
}

/// One edit and the wait for its acknowledgement.
pub async fn edit_once(peer: &mut Peer, note: DocumentId) -> Result<Duration, String> {
    peer.events.clear();
    let started = Instant::now();
    peer.append(note, ".").await;
    let heads = peer.docs[&note].get_heads();
    let acknowledged = |p: &Peer| {
        p.events.iter().any(
            |e| matches!(e, Event::InSync { doc, heads: h, .. } if *doc == note && *h == heads),
        )
    };
    if peer.pump_until(ACK_LIMIT, acknowledged).await {
        Ok(started.elapsed())
    } else if peer.closed {
        Err("the relay closed the bystander's connection".into())
    } else {
        Err(format!("an edit was not acknowledged within {ACK_LIMIT:?}"))
    }
}

impl Report {
    /// Asserts that the bystander kept syncing: no failure, at least `min_edits` edits, each
    /// acknowledged within `limit`.
    pub fn assert_kept_syncing(&self, case: &str, min_edits: usize, limit: Duration) {
        assert_eq!(self.failure, None, "{case}: the bystander stopped syncing");
        assert!(
            self.round_trips.len() >= min_edits,
            "{case}: only {} edits acknowledged during the attack",
            self.round_trips.len()
        );
        let slowest = self.slowest();
        assert!(
            slowest <= limit,
            "{case}: an edit took {slowest:?} to be acknowledged (limit {limit:?})"
        );
    }

    /// The longest round trip.
    pub fn slowest(&self) -> Duration {
        self.round_trips.iter().copied().max().unwrap_or_default()
    }
}
