//! The group actor: one task per active group, running that group's sync hub.
//!
//! Frames from every connection of the group queue up in the actor's channel. Each turn takes
//! everything waiting, hands it to the hub in one call (so changes for one document are applied
//! as one batch), stores what the hub says to store, and sends.
//!
//! What goes to the connections that sent this turn's frames (the acknowledgement of their
//! changes) leaves only once storage has committed: a peer is never told the relay holds what
//! a crash could still lose. What goes to the others (a change on its way to the rest of a
//! meeting) leaves before the commit: if the relay crashed before committing, the sender, never
//! acknowledged, sends it again, and the members who got it offer it back too. A turn that
//! binds a new actor to its device sends nothing before the commit: a member must never hold
//! a change whose author's binding a crash could lose, or offering it back would claim the
//! actor for the wrong device.
//!
//! Before its first turn the actor reads who owns each actor of the group and tells the hub;
//! until then the hub refuses every change.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quaderno_model::DocumentId;
use quaderno_sync::{
    Authorship, ConnId, ConnPolicy, Event, Hub, HubConfig, Input, Output, Owner, Write,
};
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio_util::sync::CancellationToken;

use super::conns::ConnHandle;
use super::erased::ErasedGuard;
use super::groups::Groups;
use super::metrics::Metrics;
use super::storage::Storage;

/// Most commands taken in one turn; the rest wait for the next.
const MAX_TURN: usize = 4096;
/// Bytes of one connection's frames taken in one turn (always at least one frame): the rest
/// wait for the next turn, so that one member sending a flood does not hold the others'
/// keystrokes behind all of it.
const TURN_BYTES_PER_CONN: usize = 64 * 1024;
/// A turn that took longer than this makes the next one take at most `BUSY_FRAMES_PER_CONN`
/// frames of each connection: a frame of a few hundred bytes can carry a note whose loading
/// takes 25 ms, so bytes alone do not bound a turn.
const BUSY_TURN: Duration = Duration::from_millis(20);
const BUSY_FRAMES_PER_CONN: usize = 2;
/// How often idle documents are unloaded and the group checks whether it is idle.
const TICK: Duration = Duration::from_secs(5);

/// What a connection (or an admin event) asks of its group.
#[derive(Debug)]
pub enum Command {
    Open {
        handle: Arc<ConnHandle>,
        policy: ConnPolicy,
    },
    Frame {
        conn: ConnId,
        bytes: Vec<u8>,
        received: Instant,
        /// The frame's share of its connection's allowance of bytes in the group's hands,
        /// given back once the turn that took it is carried out: a connection that sends
        /// faster than its group keeps up waits, instead of queueing without bound.
        allowance: OwnedSemaphorePermit,
    },
    Text {
        conn: ConnId,
    },
    Closed {
        conn: ConnId,
    },
    /// A purged document: drop it from memory without saving anything about it.
    Forget {
        doc: DocumentId,
    },
    /// A document an admin command changed in storage (the group's index after a purge).
    Reload {
        doc: DocumentId,
    },
}

pub struct GroupActor {
    pub group: String,
    pub generation: u64,
    pub hub_config: HubConfig,
    pub hub: Hub,
    pub commands: mpsc::Receiver<Command>,
    pub conns: HashMap<ConnId, Arc<ConnHandle>>,
    pub storage: Storage,
    pub metrics: Arc<Metrics>,
    pub groups: Arc<Groups>,
    pub idle_after: Duration,
    pub shutdown: CancellationToken,
    /// Documents counted in the `documents_in_memory` gauge for this group.
    pub docs_counted: i64,
    /// Whether the hub was told who owns each actor of the group (see `know_authors`).
    pub authors_known: bool,
    /// What the group's index must never list again (`None` until read from storage).
    pub erased: Option<ErasedGuard>,
    /// Commands taken from the channel that wait for a later turn (see `TURN_BYTES_PER_CONN`).
    pub deferred: VecDeque<Command>,
    /// How long the last turn took (see `BUSY_TURN`).
    pub last_turn: Duration,
}

impl Command {
    /// The connection it comes from, if any.
    fn conn(&self) -> Option<ConnId> {
        match self {
            Command::Open { handle, .. } => Some(handle.id),
            Command::Frame { conn, .. } | Command::Text { conn } | Command::Closed { conn } => {
                Some(*conn)
            }
            Command::Forget { .. } | Command::Reload { .. } => None,
        }
    }
}

impl GroupActor {
    pub async fn run(mut self) {
        self.know_authors().await;
        self.know_erased().await;
        let mut tick = tokio::time::interval(TICK);
        let mut idle_since = Instant::now();
        loop {
            if self.shutdown.is_cancelled() {
                break;
            }
            if !self.deferred.is_empty() {
                self.next_turn().await;
                continue;
            }
            let first = tokio::select! {
                command = self.commands.recv() => match command {
                    Some(command) => command,
                    None => break,
                },
                _ = tick.tick() => {
                    self.turn(Vec::new(), vec![Input::Tick]).await;
                    self.count_docs();
                    if !self.hub.is_idle() {
                        idle_since = Instant::now();
                    } else if idle_since.elapsed() >= self.idle_after
                        && self.groups.retire(&self.group, self.generation, &self.commands)
                    {
                        break;
                    }
                    continue;
                }
                _ = self.shutdown.cancelled() => break,
            };
            self.deferred.push_back(first);
            self.next_turn().await;
        }
        self.close_all().await;
        // The hub goes with the actor: none of its documents stays in memory.
        self.metrics.documents_in_memory.dec_by(self.docs_counted);
        self.docs_counted = 0;
    }

    /// Takes what waits, up to each connection's share of a turn, and runs the turn.
    async fn next_turn(&mut self) {
        while self.deferred.len() < MAX_TURN {
            match self.commands.try_recv() {
                Ok(command) => self.deferred.push_back(command),
                Err(_) => break,
            }
        }
        let busy = self.last_turn > BUSY_TURN;
        let mut taken = Vec::with_capacity(self.deferred.len());
        let mut spent: HashMap<ConnId, (usize, usize)> = HashMap::new();
        let mut held: HashSet<ConnId> = HashSet::new();
        let mut rest = VecDeque::new();
        for command in self.deferred.drain(..) {
            let Some(conn) = command.conn() else {
                taken.push(command);
                continue;
            };
            // A connection's commands keep their order: once one waits, the later ones do.
            if held.contains(&conn) {
                rest.push_back(command);
                continue;
            }
            if let Command::Frame { bytes, .. } = &command {
                let (frames, used) = spent.entry(conn).or_default();
                let over_bytes = *used > 0 && *used + bytes.len() > TURN_BYTES_PER_CONN;
                if over_bytes || (busy && *frames >= BUSY_FRAMES_PER_CONN) {
                    held.insert(conn);
                    rest.push_back(command);
                    continue;
                }
                *frames += 1;
                *used += bytes.len();
            }
            taken.push(command);
        }
        self.deferred = rest;
        let inputs = Vec::with_capacity(taken.len());
        let started = Instant::now();
        self.turn(taken, inputs).await;
        self.last_turn = started.elapsed();
    }

    /// One turn: every waiting command into the hub at once, then storage, then the network.
    async fn turn(&mut self, commands: Vec<Command>, mut inputs: Vec<Input>) {
        if !self.authors_known {
            self.know_authors().await;
        }
        let mut received = Vec::new();
        let mut allowances = Vec::new();
        let mut senders = HashSet::new();
        for command in commands {
            match command {
                Command::Open { handle, policy } => {
                    let conn = handle.id;
                    self.conns.insert(conn, handle);
                    inputs.push(Input::Opened { conn, policy });
                }
                Command::Frame {
                    conn,
                    bytes,
                    received: at,
                    allowance,
                } => {
                    received.push(at);
                    allowances.push(allowance);
                    senders.insert(conn);
                    inputs.push(Input::Frame { conn, bytes });
                }
                Command::Text { conn } => inputs.push(Input::TextFrame { conn }),
                Command::Closed { conn } => {
                    self.conns.remove(&conn);
                    inputs.push(Input::Closed { conn });
                }
                Command::Forget { doc } => {
                    if let Some(guard) = &mut self.erased {
                        guard.erased.insert(doc);
                    }
                    // Its charges went with it: the quotas are read again.
                    self.authors_known = false;
                    inputs.push(Input::Forget { doc });
                }
                Command::Reload { doc } => {
                    // An admin command wrote into the group (an erasure's index change, a
                    // redaction's successor) with actors of the relay's own, recorded as
                    // nobody's: the hub learns them at the next turn.
                    self.authors_known = false;
                    inputs.push(Input::Reload { doc });
                }
            }
        }
        if inputs.is_empty() {
            return;
        }
        let out = self.handle(inputs);
        self.carry_out(out, &senders).await;
        self.keep_erased_off_the_index().await;
        drop(allowances);
        for at in received {
            self.metrics
                .message_seconds
                .observe(at.elapsed().as_secs_f64());
        }
    }

    /// Tells the hub who owns each actor of the group, as stored. If storage cannot say, the
    /// hub goes on refusing changes and the next turn asks again.
    async fn know_erased(&mut self) {
        match self.storage.erased(&self.group).await {
            Ok(erased) => self.erased = Some(ErasedGuard::new(erased.index, erased.docs)),
            Err(error) => {
                tracing::error!(group = %self.group, %error, "the notes erased from the group could not be read; reading them again at the next turn");
            }
        }
    }

    /// Takes erased notes off the group's index if a client listed one again: a change of
    /// the relay's own (its actor nobody's), stored, then passed to every member.
    async fn keep_erased_off_the_index(&mut self) {
        if self.erased.is_none() {
            self.know_erased().await;
        }
        let Some(guard) = &mut self.erased else {
            return;
        };
        let index_doc = guard.index.and_then(|index| self.hub.doc(&index));
        let Some(unlisting) = guard.check(index_doc) else {
            return;
        };
        let nobody = Authorship {
            actor: unlisting.actor,
            owner: Owner::Nobody,
        };
        let writes = vec![Write::Changes {
            doc: unlisting.index,
            bytes: unlisting.changes.clone(),
        }];
        if let Err(error) = self
            .storage
            .write(&self.group, writes, vec![nobody], Vec::new())
            .await
        {
            tracing::error!(group = %self.group, %error, "could not take an erased note off the index; restarting the group");
            self.restart().await;
            return;
        }
        tracing::info!(group = %self.group, notes = unlisting.unlisted, "a client listed erased notes in the index again: taken off");
        let out = self.handle(vec![Input::LocalChanges {
            doc: unlisting.index,
            changes: unlisting.changes,
        }]);
        self.carry_out(out, &HashSet::new()).await;
    }

    /// Tells the hub who owns each actor of the group and what each participant's writes
    /// hold, as stored. Until both are read, the hub refuses every change.
    async fn know_authors(&mut self) {
        let known = match self.storage.usage(&self.group).await {
            Ok(charges) => match self.storage.authors(&self.group).await {
                Ok(known) => Ok((known, charges)),
                Err(error) => Err(error),
            },
            Err(error) => Err(error),
        };
        match known {
            Ok((known, charges)) => {
                let out = self.handle(vec![Input::Usage { charges }, Input::Authors { known }]);
                debug_assert!(out.is_empty());
                self.authors_known = true;
            }
            Err(error) => {
                tracing::error!(group = %self.group, %error, "the owners of the group's actors could not be read; its changes are refused until they are");
                self.metrics.sync_errors.inc();
            }
        }
    }

    /// Runs the hub on this worker thread. `block_in_place` would hand the worker's other tasks
    /// to a fresh thread on every turn: a thread switch costing more than a small turn itself
    /// (a quarter of the relay's CPU per delivery in scenario 1). A long turn (a batch applied to
    /// a 50 KB note takes about 30 ms) holds this worker meanwhile; the other workers go on.
    fn handle(&mut self, inputs: Vec<Input>) -> Output {
        self.hub.handle(Instant::now(), inputs)
    }

    /// Sends to the other connections, writes, sends to `senders` (the connections whose frames
    /// this turn took), then closes; loads what the hub asked for and goes round again.
    async fn carry_out(&mut self, mut out: Output, senders: &HashSet<ConnId>) {
        loop {
            let writes = std::mem::take(&mut out.writes);
            let authors = std::mem::take(&mut out.authors);
            let charges = std::mem::take(&mut out.charges);
            if !writes.is_empty() && authors.is_empty() {
                let (to_senders, to_others) = std::mem::take(&mut out.sends)
                    .into_iter()
                    .partition(|(conn, _)| senders.contains(conn));
                out.sends = to_senders;
                self.send(to_others);
            }
            let storing = !writes.is_empty() || !authors.is_empty() || !charges.is_empty();
            if storing
                && let Err(error) = self
                    .storage
                    .write(&self.group, writes, authors, charges)
                    .await
            {
                tracing::error!(group = %self.group, %error, "changes could not be stored; restarting the group");
                self.metrics.sync_errors.inc();
                self.restart().await;
                return;
            }
            self.send(std::mem::take(&mut out.sends));
            for conn in std::mem::take(&mut out.closes) {
                if let Some(handle) = self.conns.get(&conn) {
                    handle.close();
                }
            }
            self.report(std::mem::take(&mut out.events));
            let loads = std::mem::take(&mut out.loads);
            if loads.is_empty() {
                return;
            }
            let inputs = match self.storage.load(&self.group, loads).await {
                Ok(loaded) => loaded
                    .into_iter()
                    .map(|l| Input::Loaded {
                        doc: l.doc,
                        found: l.found,
                        may_create: l.may_create,
                    })
                    .collect(),
                Err(error) => {
                    tracing::error!(group = %self.group, %error, "documents could not be read; restarting the group");
                    self.metrics.sync_errors.inc();
                    self.restart().await;
                    return;
                }
            };
            out = self.handle(inputs);
        }
    }

    fn send(&mut self, sends: Vec<(ConnId, Vec<u8>)>) {
        for (conn, frame) in sends {
            let Some(handle) = self.conns.get(&conn) else {
                continue;
            };
            let len = frame.len() as u64;
            if handle.send(frame).is_err() {
                tracing::info!(group = %self.group, conn = conn.0, "closing a connection that does not read what it is sent");
                self.metrics.slow_readers.inc();
                handle.close();
                continue;
            }
            self.metrics.messages_out.inc();
            self.metrics.bytes_out.inc_by(len);
        }
    }

    fn report(&self, events: Vec<Event>) {
        for event in events {
            match event {
                Event::Rejected { conn, reason } => {
                    self.metrics.sync_errors.inc();
                    tracing::info!(group = %self.group, conn = conn.0, %reason, "closing a connection that broke the protocol");
                }
                Event::Joined { conn, peer, .. } => {
                    tracing::debug!(group = %self.group, conn = conn.0, %peer, "peer joined");
                }
                _ => {}
            }
        }
    }

    /// After a storage failure the hub's memory may hold changes that are not stored: drop it
    /// all and close every connection, so peers resync against what storage really has.
    async fn restart(&mut self) {
        for handle in self.conns.values() {
            handle.close();
        }
        self.conns.clear();
        self.hub = Hub::new(self.hub_config.clone());
        self.authors_known = false;
        self.know_authors().await;
        self.count_docs();
    }

    /// Closes every connection, saving each peer's sync states (shutdown or retirement).
    async fn close_all(&mut self) {
        let conns: Vec<ConnId> = self.conns.keys().copied().collect();
        if conns.is_empty() {
            return;
        }
        let inputs = conns.iter().map(|&conn| Input::Closed { conn }).collect();
        let out = self.handle(inputs);
        self.carry_out(out, &conns.iter().copied().collect()).await;
        for handle in self.conns.values() {
            handle.close();
        }
        self.conns.clear();
    }

    fn count_docs(&mut self) {
        let now = self.hub.docs_in_memory() as i64;
        self.metrics
            .documents_in_memory
            .inc_by(now - self.docs_counted);
        self.docs_counted = now;
    }
}
