//! One simulated participant of a live run: connects, uploads the documents it creates, fetches
//! the others, then edits on schedule while recording when other people's edits reach it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use automerge::ChangeHash;
use quaderno_sync::Message;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;

use super::tracker::{Progress, Step};
use super::{EditKind, Phase, Shared, StartDoc};
use crate::conn::{ConnError, Connection, Traffic};
use crate::content;
use crate::ledger::{count_key, read_count};
use crate::replica::Replica;
use crate::target::Endpoint;

/// What one client measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Latency of every edit that reached this client, in microseconds.
    pub latencies: Vec<u64>,
    /// How late each of its own edits was made against its schedule, in microseconds.
    pub lag: Vec<u64>,
    pub traffic: Traffic,
    /// The connection broke before the run ended.
    pub disconnected: bool,
    pub errors: Vec<String>,
}

enum Stage {
    Waiting,
    Uploading(Vec<usize>),
    Fetching(Vec<usize>),
    Editing {
        next: Instant,
        left: usize,
        turn: usize,
    },
}

struct Client {
    shared: Arc<Shared>,
    me: usize,
    conn: Connection,
    replica: Replica,
    progress: mpsc::UnboundedSender<Progress>,
    stage: Stage,
    /// The documents it syncs and, for each, the other typists' count keys.
    watched: HashMap<usize, Vec<(usize, String)>>,
    /// Last count seen per (document, author).
    seen: HashMap<(usize, usize), u64>,
    /// Edits made per document.
    made: HashMap<usize, u64>,
    typed: Vec<usize>,
    rng: SmallRng,
    outcome: Outcome,
}

/// Runs one client until the coordinator says stop (or its connection fails).
pub async fn run(
    shared: Arc<Shared>,
    me: usize,
    endpoint: Endpoint,
    mut phase: watch::Receiver<Phase>,
    progress: mpsc::UnboundedSender<Progress>,
    gate: Arc<Semaphore>,
) -> Outcome {
    let opened = {
        let _permit = gate.acquire().await;
        Connection::open(&endpoint).await
    };
    let conn = match opened {
        Ok(conn) => conn,
        Err(error) => {
            let _ = progress.send(Progress::Failed(me, format!("client {me}: {error}")));
            return Outcome {
                disconnected: true,
                ..Outcome::default()
            };
        }
    };
    let _ = progress.send(Progress::Reached(me, Step::Connected));
    let mut client = Client::new(shared, me, conn, progress);
    client.run(&mut phase).await;
    client.finish().await
}

impl Client {
    fn new(
        shared: Arc<Shared>,
        me: usize,
        conn: Connection,
        progress: mpsc::UnboundedSender<Progress>,
    ) -> Client {
        let plan = &shared.config.plan;
        let watched = plan
            .docs_of(me)
            .into_iter()
            .map(|d| {
                let keys = plan.docs[d]
                    .typists
                    .iter()
                    .filter(|&&t| t != me)
                    .map(|&t| (t, count_key(t)))
                    .collect();
                (d, keys)
            })
            .collect();
        let typed = plan.typed_by(me);
        let replica = Replica::new(conn.me.clone(), conn.relay.clone());
        let rng = SmallRng::seed_from_u64(shared.config.seed ^ (me as u64).wrapping_mul(0x9e37));
        Client {
            shared,
            me,
            conn,
            replica,
            progress,
            stage: Stage::Waiting,
            watched,
            seen: HashMap::new(),
            made: HashMap::new(),
            typed,
            rng,
            outcome: Outcome::default(),
        }
    }

    async fn run(&mut self, phase: &mut watch::Receiver<Phase>) {
        loop {
            let edit_at = match &self.stage {
                Stage::Editing { next, left, .. } if *left > 0 => Some(*next),
                _ => None,
            };
            let far = Instant::now() + Duration::from_secs(3600);
            let result = tokio::select! {
                biased;
                changed = phase.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let now = *phase.borrow_and_update();
                    if now == Phase::Stop {
                        return;
                    }
                    self.enter(now).await
                }
                // Before reading: a client busy receiving still types on time.
                _ = tokio::time::sleep_until(edit_at.unwrap_or(far)), if edit_at.is_some() => {
                    self.edit().await
                }
                messages = self.conn.recv() => match messages {
                    Ok(messages) => self.receive(messages).await,
                    Err(error) => Err(error),
                },
            };
            if let Err(error) = result {
                self.outcome.disconnected = true;
                let reason = format!("client {}: {error}", self.me);
                let _ = self.progress.send(Progress::Failed(self.me, reason));
                return;
            }
        }
    }

    async fn enter(&mut self, phase: Phase) -> Result<(), ConnError> {
        match phase {
            Phase::Connect | Phase::Stop => Ok(()),
            Phase::Upload => self.upload().await,
            Phase::Fetch => self.fetch().await,
            Phase::Edit(start) => {
                let config = &self.shared.config;
                let offset = config.interval.mul_f64(self.rng.random_range(0.0..1.0));
                self.stage = Stage::Editing {
                    next: start + offset,
                    left: if self.typed.is_empty() {
                        0
                    } else {
                        config.edits
                    },
                    turn: 0,
                };
                if self.typed.is_empty() {
                    self.report(Step::Edited);
                }
                Ok(())
            }
        }
    }

    async fn upload(&mut self) -> Result<(), ConnError> {
        let plan = &self.shared.config.plan;
        let owned: Vec<usize> = plan
            .docs_of(self.me)
            .into_iter()
            .filter(|&d| plan.docs[d].owner() == self.me)
            .collect();
        let mut sends = Vec::new();
        for &d in &owned {
            let doc = match self.shared.config.start {
                StartDoc::SmallMap => content::small_map(),
                StartDoc::Note { bytes, changes } => {
                    content::note(bytes, changes, self.shared.config.seed + d as u64)
                        .expect("a generated note is valid")
                }
            };
            sends.extend(self.replica.share(self.shared.ids[d], doc));
        }
        self.stage = Stage::Uploading(owned);
        self.conn.send(sends).await?;
        self.check_stage();
        Ok(())
    }

    async fn fetch(&mut self) -> Result<(), ConnError> {
        let plan = &self.shared.config.plan;
        let wanted: Vec<usize> = plan
            .docs_of(self.me)
            .into_iter()
            .filter(|&d| plan.docs[d].owner() != self.me)
            .collect();
        let sends: Vec<Message> = wanted
            .iter()
            .filter_map(|&d| self.replica.request(self.shared.ids[d]))
            .collect();
        self.stage = Stage::Fetching(wanted);
        self.conn.send(sends).await?;
        self.check_stage();
        Ok(())
    }

    async fn receive(&mut self, messages: Vec<Message>) -> Result<(), ConnError> {
        if messages.is_empty() {
            return Ok(());
        }
        let received = self.replica.receive(messages);
        let now = std::time::Instant::now();
        for id in &received.changed {
            self.count_arrivals(*id, now);
        }
        for error in received.errors {
            if self.outcome.errors.len() < 10 {
                self.outcome.errors.push(error);
            }
        }
        self.conn.send(received.replies).await?;
        self.check_stage();
        Ok(())
    }

    /// Reads the other typists' counts in a changed document and records what arrived.
    fn count_arrivals(&mut self, id: quaderno_model::DocumentId, now: std::time::Instant) {
        let Some(d) = self.shared.ids.iter().position(|x| *x == id) else {
            return;
        };
        let (Some(keys), Some(doc)) = (self.watched.get(&d), self.replica.doc(&id)) else {
            return;
        };
        for (author, key) in keys {
            let count = read_count(doc, key);
            let seen = self.seen.entry((d, *author)).or_insert(0);
            if count > *seen {
                self.shared.ledger.arrived(
                    *author,
                    d,
                    *seen,
                    count,
                    now,
                    &mut self.outcome.latencies,
                );
                *seen = count;
            }
        }
    }

    async fn edit(&mut self) -> Result<(), ConnError> {
        let Stage::Editing { next, left, turn } = &mut self.stage else {
            return Ok(());
        };
        let scheduled = *next;
        let d = self.typed[*turn % self.typed.len()];
        *turn += 1;
        *left -= 1;
        let done = *left == 0;
        let config = &self.shared.config;
        let jitter = self
            .rng
            .random_range(1.0 - config.jitter..=1.0 + config.jitter);
        *next = scheduled + config.interval.mul_f64(jitter);

        let seq = self.made.get(&d).copied().unwrap_or(0) + 1;
        self.made.insert(d, seq);
        let (me, kind, rng) = (self.me, config.edit, &mut self.rng);
        let edited = self.replica.edit(self.shared.ids[d], |doc| match kind {
            EditKind::Count => content::count(doc, me, seq),
            EditKind::Keystroke => {
                content::keystroke(doc, me, seq, rng).expect("the meeting note has a body")
            }
        });
        let made_at = std::time::Instant::now();
        let receivers = self.shared.config.plan.receivers(d);
        let recorded = self.shared.ledger.made(me, d, made_at, receivers);
        debug_assert_eq!(recorded, seq);
        self.outcome.lag.push(
            Instant::now()
                .saturating_duration_since(scheduled)
                .as_micros() as u64,
        );
        if let Some((_, Some(sync))) = edited {
            self.conn.send(vec![sync]).await?;
        }
        if done {
            self.report(Step::Edited);
        }
        Ok(())
    }

    /// Reports the end of an upload or fetch once the documents are there.
    fn check_stage(&mut self) {
        let done = match &self.stage {
            Stage::Uploading(docs) => {
                let all = docs
                    .iter()
                    .all(|&d| self.replica.in_sync(&self.shared.ids[d]));
                if all {
                    let mut heads = self.shared.heads.lock().unwrap_or_else(|e| e.into_inner());
                    for &d in docs {
                        let doc = self.replica.doc(&self.shared.ids[d]).expect("shared");
                        heads.insert(d, sorted(doc.get_heads()));
                    }
                }
                all.then_some(Step::Uploaded)
            }
            Stage::Fetching(docs) => {
                let heads = self.shared.heads.lock().unwrap_or_else(|e| e.into_inner());
                let all = docs.iter().all(|&d| {
                    let id = self.shared.ids[d];
                    let ours = self.replica.doc(&id).map(|doc| sorted(doc.get_heads()));
                    ours.is_some() && ours.as_ref() == heads.get(&d)
                });
                all.then_some(Step::Fetched)
            }
            _ => None,
        };
        if let Some(step) = done {
            self.stage = Stage::Waiting;
            self.report(step);
        }
    }

    fn report(&self, step: Step) {
        let _ = self.progress.send(Progress::Reached(self.me, step));
    }

    async fn finish(mut self) -> Outcome {
        self.outcome.traffic = self.conn.traffic;
        let _ = tokio::time::timeout(Duration::from_secs(2), self.conn.close()).await;
        self.outcome
    }
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort_unstable();
    heads
}
