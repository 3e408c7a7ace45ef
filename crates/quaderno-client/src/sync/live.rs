//! Live sync (`quaderno sync --watch`, the web UI): every joined group stays connected.
//!
//! Each group has its own task: it connects, syncs what changed while it was away, then applies
//! what the relay sends as it comes and pushes local edits within [`POLL`] (edits made in this
//! process are pushed at once). When the connection drops it reconnects with backoff; when the
//! relay refuses the device it stops that group and says why, and the others go on.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use automerge::ActorId;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use quaderno_model::{Author, DocumentId};
use quaderno_store::{Checkpointer, docs, hand_checkpoints_over};
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::connect::{Socket, connect};
use super::once::{initial_docs, list_in_index, plain_relay_changes, remote_changes};
use super::presence::{PRESENCE_EVERY, Present, encode};
use super::session::Session;
use crate::ClientError;
use crate::groups::{self, Group};
use crate::notebook::{Notebook, STORE_FILE};
use crate::relays::{RelayAccount, Relays};

/// How often the store is checked for edits made by other processes.
pub const POLL: Duration = Duration::from_millis(50);
/// How often a live connection is checked with a WebSocket ping, unless `QUADERNO_KEEPALIVE_SECS`
/// says otherwise. A connection that brought nothing, not even a pong, for three of these is
/// given up and opened again: a network that drops packets without closing (a sleeping laptop,
/// a NAT that forgot the connection) otherwise leaves the client waiting for ever.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// The first wait before reconnecting; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Something that happened in a live group.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    Online {
        group: String,
    },
    Offline {
        group: String,
        reason: String,
    },
    /// The relay refused this device; the group stops syncing until the next join.
    Refused {
        group: String,
        reason: String,
    },
    /// A document changed because of what the relay sent (the index is already updated).
    Changed {
        group: String,
        doc: DocumentId,
    },
    /// Everything shared with the relay is in sync.
    Synced {
        group: String,
    },
    /// Who is in a note changed.
    Presence {
        doc: DocumentId,
        present: Vec<Present>,
    },
}

/// A live group as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LiveGroupStatus {
    pub group: String,
    pub relay: String,
    pub online: bool,
    pub refused: Option<String>,
    pub last_error: Option<String>,
    pub last_complete_sync: Option<DateTime<Utc>>,
}

enum Command {
    /// Changes this process already stored.
    Changed {
        doc: DocumentId,
        changes: Vec<u8>,
    },
    Enter {
        doc: DocumentId,
    },
    Leave {
        doc: DocumentId,
    },
}

/// Every joined group, live.
#[derive(Debug, Clone)]
pub struct Live {
    groups: Arc<HashMap<String, mpsc::Sender<Command>>>,
    status: Arc<Mutex<HashMap<String, LiveGroupStatus>>>,
    presence: Arc<Mutex<HashMap<DocumentId, Vec<Present>>>>,
    events: broadcast::Sender<LiveEvent>,
    tasks: TaskTracker,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl Live {
    /// Starts a task per joined group (none if this machine joined nothing yet).
    pub fn start(data_dir: &Path, shutdown: CancellationToken) -> Result<Live, ClientError> {
        let author = Notebook::open(data_dir)?.identity().cloned();
        let conn = quaderno_store::open_connection(&data_dir.join(STORE_FILE))?;
        groups::ensure_schema(&conn)?;
        let joined = groups::all(&conn)?;
        let accounts = Relays::load(data_dir)?;
        let (events, _) = broadcast::channel(1024);
        let tasks = TaskTracker::new();
        let mut senders = HashMap::new();
        let status = Arc::new(Mutex::new(HashMap::new()));
        let presence = Arc::new(Mutex::new(HashMap::new()));
        // The sessions' commits never wait for the disk (see `quaderno_store::Checkpointer`).
        let checkpoints = if joined.is_empty() {
            None
        } else {
            Some(Arc::new(Checkpointer::start(&data_dir.join(STORE_FILE))?))
        };
        for group in joined {
            let (tx, rx) = mpsc::channel(256);
            senders.insert(group.slug.clone(), tx);
            lock(&status).insert(group.slug.clone(), initial_status(&group));
            let Some(account) = accounts.get(&group.relay_url).cloned() else {
                continue;
            };
            let task = GroupTask {
                store: data_dir.join(STORE_FILE),
                account,
                group,
                author: author.clone(),
                commands: rx,
                events: events.clone(),
                status: status.clone(),
                presence: presence.clone(),
                shutdown: shutdown.clone(),
                here: HashSet::new(),
                _checkpoints: checkpoints.clone(),
            };
            tasks.spawn(task.run());
        }
        tasks.close();
        Ok(Live {
            groups: Arc::new(senders),
            status,
            presence,
            events,
            tasks,
        })
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.events.subscribe()
    }

    /// Every group's status, by name.
    pub fn status(&self) -> Vec<LiveGroupStatus> {
        let mut all: Vec<LiveGroupStatus> = lock(&self.status).values().cloned().collect();
        all.sort_by(|a, b| a.group.cmp(&b.group));
        all
    }

    /// Who else is in the note.
    pub fn present(&self, doc: &DocumentId) -> Vec<Present> {
        lock(&self.presence).get(doc).cloned().unwrap_or_default()
    }

    /// Pushes changes this process already stored (a UI edit) without waiting for the poll.
    pub async fn changed(&self, group: &str, doc: DocumentId, changes: Vec<u8>) {
        self.send(group, Command::Changed { doc, changes }).await;
    }

    /// Announces this participant in a note until [`Live::leave`].
    pub async fn enter(&self, group: &str, doc: DocumentId) {
        self.send(group, Command::Enter { doc }).await;
    }

    pub async fn leave(&self, group: &str, doc: DocumentId) {
        self.send(group, Command::Leave { doc }).await;
    }

    /// Waits until every group task stopped (after the shutdown token was cancelled).
    pub async fn stopped(&self) {
        self.tasks.wait().await;
    }

    async fn send(&self, group: &str, command: Command) {
        if let Some(tx) = self.groups.get(group) {
            let _ = tx.send(command).await;
        }
    }
}

/// [`KEEPALIVE`], or `QUADERNO_KEEPALIVE_SECS` (whole seconds, at least 1).
fn keepalive() -> Duration {
    std::env::var("QUADERNO_KEEPALIVE_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|secs| *secs > 0)
        .map_or(KEEPALIVE, Duration::from_secs)
}

fn initial_status(group: &Group) -> LiveGroupStatus {
    LiveGroupStatus {
        group: group.slug.clone(),
        relay: group.relay_url.clone(),
        online: false,
        refused: group.refused.clone(),
        last_error: None,
        last_complete_sync: group.last_complete_sync,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

struct GroupTask {
    store: PathBuf,
    account: RelayAccount,
    group: Group,
    author: Option<Author>,
    commands: mpsc::Receiver<Command>,
    events: broadcast::Sender<LiveEvent>,
    status: Arc<Mutex<HashMap<String, LiveGroupStatus>>>,
    presence: Arc<Mutex<HashMap<DocumentId, Vec<Present>>>>,
    shutdown: CancellationToken,
    /// Notes this participant is in, announced to the others.
    here: HashSet<DocumentId>,
    /// Kept while any group task runs.
    _checkpoints: Option<Arc<Checkpointer>>,
}

impl GroupTask {
    async fn run(mut self) {
        let mut backoff = FIRST_BACKOFF;
        while !self.shutdown.is_cancelled() {
            if self.group.refused.is_some() {
                return;
            }
            let result = self.connected().await;
            // A connection that got online ends a run of failures: wait briefly again.
            if self.is_online() {
                backoff = FIRST_BACKOFF;
            }
            let reason = match result {
                Ok(()) => return,
                Err(ClientError::Refused { reason, .. }) => {
                    self.refused(&reason);
                    return;
                }
                Err(e) => e.to_string(),
            };
            self.set_status(|s| {
                s.online = false;
                s.last_error = Some(reason.clone());
            });
            let _ = self.events.send(LiveEvent::Offline {
                group: self.group.slug.clone(),
                reason,
            });
            let jitter = Duration::from_millis(rand::random::<u64>() % 250);
            tokio::select! {
                _ = tokio::time::sleep(backoff + jitter) => {}
                _ = self.shutdown.cancelled() => return,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One connection, from connecting to its end (Ok: shut down; Err: why it ended).
    async fn connected(&mut self) -> Result<(), ClientError> {
        let conn = quaderno_store::open_connection(&self.store)?;
        hand_checkpoints_over(&conn)?;
        if let Some(fresh) = groups::get(&conn, &self.group.slug)? {
            self.group = fresh;
        }
        let plain = plain_relay_changes(&conn, &self.account, &self.group)?;
        let changed = remote_changes(plain, &self.account, &self.group).await?;
        let start_chunk = docs::latest_chunk_id(&conn)?;
        let to_sync = initial_docs(&conn, &self.group, &changed.docs)?;
        let socket = connect(&self.account, &self.group.slug).await?;
        let (sink, stream) = socket.split();
        let mut session = Session::new(
            self.group.clone(),
            conn,
            sink,
            &self.account,
            ActorId::random(),
            start_chunk,
        );
        session.open().await?;
        session.share(to_sync).await?;
        // Notes written while offline (or just before the watch started) that the index does
        // not list yet; later ones are listed as they are edited.
        self.list_new_notes(&mut session).await?;
        self.set_status(|s| {
            s.online = true;
            s.last_error = None;
        });
        let _ = self.events.send(LiveEvent::Online {
            group: self.group.slug.clone(),
        });
        for doc in self.here.clone() {
            self.announce(&mut session, doc, false).await?;
        }
        let result = self
            .live(&mut session, stream, changed.latest, start_chunk)
            .await;
        // What never went quiet while connected: the next connection starts a new list.
        if let Err(error) = session.compact() {
            tracing::warn!(group = %self.group.slug, %error, "could not compact notes; their changes stay stored as they are");
        }
        let _ = session.close().await;
        result
    }

    async fn live(
        &mut self,
        session: &mut Session,
        mut stream: futures_util::stream::SplitStream<Socket>,
        latest_seq: u64,
        start_chunk: i64,
    ) -> Result<(), ClientError> {
        let mut poll = tokio::time::interval(POLL);
        let mut announce = tokio::time::interval(PRESENCE_EVERY);
        let keepalive_every = keepalive();
        let mut keepalive = tokio::time::interval(keepalive_every);
        let mut heard = Instant::now();
        let mut seen_chunk = start_chunk;
        let mut was_settled = false;
        loop {
            tokio::select! {
                frame = stream.next() => match frame {
                    Some(Ok(WsMessage::Binary(bytes))) => {
                        heard = Instant::now();
                        session.frame(bytes.to_vec()).await?;
                        self.after_frame(session).await?;
                    }
                    Some(Ok(WsMessage::Close(_))) | None => {
                        return Err(ClientError::Unreachable { url: self.account.url.clone(), reason: "the relay closed the connection".into() });
                    }
                    Some(Ok(_)) => heard = Instant::now(),
                    Some(Err(e)) => return Err(ClientError::Unreachable { url: self.account.url.clone(), reason: e.to_string() }),
                },
                _ = keepalive.tick() => {
                    let silent = heard.elapsed();
                    if silent > keepalive_every * 3 {
                        return Err(ClientError::Unreachable {
                            url: self.account.url.clone(),
                            reason: format!("nothing heard from the relay for {} s", silent.as_secs()),
                        });
                    }
                    session.ping().await?;
                }
                command = self.commands.recv() => match command {
                    Some(command) => self.command(session, command).await?,
                    None => return Ok(()),
                },
                _ = poll.tick() => {
                    seen_chunk = self.pick_up_local_edits(session, seen_chunk).await?;
                }
                _ = announce.tick() => {
                    for doc in self.here.clone() {
                        self.announce(session, doc, false).await?;
                    }
                    session.tick().await?;
                    self.publish_presence(session, None);
                }
                _ = self.shutdown.cancelled() => {
                    for doc in self.here.clone() {
                        let _ = self.announce(session, doc, true).await;
                    }
                    return Ok(());
                }
            }
            let settled = session.settled() && session.joined;
            if settled && !was_settled {
                // Every chunk up to the last poll was passed on, and all of it is now in sync:
                // the next one-shot sync need not look at them.
                let end = if session.all_in_sync() {
                    seen_chunk
                } else {
                    start_chunk
                };
                groups::set_synced(&session.conn, &self.group.slug, latest_seq, end, Utc::now())?;
                self.set_status(|s| s.last_complete_sync = Some(Utc::now()));
                let _ = self.events.send(LiveEvent::Synced {
                    group: self.group.slug.clone(),
                });
            }
            was_settled = settled;
            // Last, once what arrived is stored, answered and reported.
            session.compact_quiet()?;
        }
    }

    /// After a frame: report what changed, fetch notes the index lists that we lack.
    async fn after_frame(&mut self, session: &mut Session) -> Result<(), ClientError> {
        let changed = session.drain_changes();
        if changed.contains(&self.group.index_doc) {
            let missing = session.listed_but_missing()?;
            session.share(missing).await?;
            // Notes written here before this machine ever held the index could not be listed
            // then (a first sync that is still pulling it): they are now.
            self.list_new_notes(session).await?;
        }
        for doc in changed {
            let _ = self.events.send(LiveEvent::Changed {
                group: self.group.slug.clone(),
                doc,
            });
        }
        let heard = session.drain_presence();
        for doc in heard {
            let newcomers = self.publish_presence(session, Some(doc));
            // Someone new arrived: tell them at once who is already here.
            if newcomers && self.here.contains(&doc) {
                self.announce(session, doc, false).await?;
            }
        }
        Ok(())
    }

    async fn command(
        &mut self,
        session: &mut Session,
        command: Command,
    ) -> Result<(), ClientError> {
        match command {
            Command::Changed { doc, changes } => {
                session.local_changes(doc, changes).await?;
                self.list_if_new(session, vec![doc]).await
            }
            Command::Enter { doc } => {
                self.here.insert(doc);
                session.share([doc]).await?;
                self.announce(session, doc, false).await
            }
            Command::Leave { doc } => {
                self.here.remove(&doc);
                self.announce(session, doc, true).await
            }
        }
    }

    /// Chunks other processes wrote since `seen`: folded into the session, then pushed.
    async fn pick_up_local_edits(
        &mut self,
        session: &mut Session,
        seen: i64,
    ) -> Result<i64, ClientError> {
        let written = docs::chunks_since(&session.conn, &self.group.slug, seen)?;
        let Some(&(_, newest)) = written.last() else {
            return Ok(seen);
        };
        let theirs: BTreeSet<String> = written
            .into_iter()
            .filter(|(_, chunk)| !session.wrote(*chunk))
            .map(|(doc, _)| doc)
            .collect();
        let mut edited = Vec::with_capacity(theirs.len());
        for id in theirs {
            let Ok(doc) = id.parse::<DocumentId>() else {
                continue;
            };
            edited.push(doc);
            let bytes: Vec<u8> = docs::load_chunks(&session.conn, &self.group.slug, &id)?
                .into_iter()
                .filter(|chunk| chunk.id > seen)
                .flat_map(|chunk| chunk.bytes)
                .collect();
            session.local_changes(doc, bytes).await?;
        }
        session.forget_chunks_upto(seen);
        session.polled(newest);
        self.list_if_new(session, edited).await?;
        Ok(newest)
    }

    /// Lists the edited notes in the group's index unless the session knows them as listed
    /// already: listing reads the whole index and every note of the group from the store, far
    /// too much to do for every keystroke in a group of a thousand notes.
    async fn list_if_new(
        &mut self,
        session: &mut Session,
        edited: Vec<DocumentId>,
    ) -> Result<(), ClientError> {
        let unknown: Vec<DocumentId> = edited
            .into_iter()
            .filter(|doc| !session.known_listed(*doc))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        self.list_new_notes(session).await?;
        session.mark_listed(unknown);
        Ok(())
    }

    /// New notes of the group get into its index, so the others find them.
    async fn list_new_notes(&mut self, session: &mut Session) -> Result<(), ClientError> {
        let Some(author) = self.author.clone() else {
            return Ok(());
        };
        if !self.group.can_write() {
            return Ok(());
        }
        let listed = list_in_index(session, &author).await?;
        session.share(listed).await
    }

    async fn announce(
        &mut self,
        session: &mut Session,
        doc: DocumentId,
        left: bool,
    ) -> Result<(), ClientError> {
        let Some(author) = &self.author else {
            return Ok(());
        };
        session.broadcast(doc, encode(author, left)).await
    }

    /// Publishes who is in a note (or, with `None`, refreshes every note after expiry).
    /// Returns whether someone appeared who was not there before.
    fn publish_presence(&self, session: &mut Session, doc: Option<DocumentId>) -> bool {
        let now = Instant::now();
        session.presence.expire(now);
        let mut table = lock(&self.presence);
        let docs: Vec<DocumentId> = match doc {
            Some(doc) => vec![doc],
            None => table.keys().copied().collect(),
        };
        let mut newcomers = false;
        for doc in docs {
            let present = session.presence.in_doc(&doc, now);
            let before = table.get(&doc).cloned().unwrap_or_default();
            newcomers |= present
                .iter()
                .any(|p| !before.iter().any(|b| b.peer == p.peer));
            if before != present {
                table.insert(doc, present.clone());
                let _ = self.events.send(LiveEvent::Presence { doc, present });
            }
        }
        newcomers
    }

    fn refused(&mut self, reason: &str) {
        if let Ok(conn) = quaderno_store::open_connection(&self.store) {
            let _ = groups::set_refused(&conn, &self.group.slug, reason);
        }
        self.set_status(|s| {
            s.online = false;
            s.refused = Some(reason.to_string());
        });
        tracing::warn!(group = %self.group.slug, %reason, "the relay refused this device; not retrying this group");
        let _ = self.events.send(LiveEvent::Refused {
            group: self.group.slug.clone(),
            reason: reason.to_string(),
        });
    }

    fn is_online(&self) -> bool {
        lock(&self.status)
            .get(&self.group.slug)
            .is_some_and(|s| s.online)
    }

    fn set_status(&self, change: impl FnOnce(&mut LiveGroupStatus)) {
        if let Some(status) = lock(&self.status).get_mut(&self.group.slug) {
            change(status);
        }
    }
}
