//! Live sync (`quaderno sync --watch`, the web UI): every joined group stays connected.
//!
//! Each group has its own task, which owns the group's hub for as long as it runs: the only
//! copy in this process of the group's notes in use. The relay's connection comes and goes
//! (it reconnects with backoff, and when the relay refuses the device that group stops
//! syncing and says why, while the others go on); the pages of the web UI are local peers of
//! the same hub, online or not, so what a page types is applied, stored and sent once. The
//! personal notebook has a task of its own with no relay, for its pages.
//!
//! Only edits made by other processes (`quaderno edit` while the page is open) are found by
//! polling the store, every [`POLL`].

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use automerge::ActorId;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use quaderno_model::{Author, DocumentId};
use quaderno_store::{Checkpointer, docs, hand_checkpoints_over, index};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::connect::{Socket, connect};
use super::once::{initial_docs, list_in_index, plain_relay_changes, remote_changes};
use super::pages::{PageId, PageSender};
use super::presence::{PRESENCE_EVERY, Present, encode};
use super::session::Session;
use super::{Counts, GroupOutcome};
use crate::ClientError;
use crate::groups::{self, Group};
use crate::notebook::{Notebook, PERSONAL_GROUP, STORE_FILE};
use crate::relays::{ChangesSince, RelayAccount, Relays};

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
    /// A document changed because of what the relay or a page sent (the index is already
    /// updated).
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
    /// Changes this process already stored (through the notebook).
    Changed {
        doc: DocumentId,
        changes: Vec<u8>,
    },
    OpenPage {
        page: PageId,
        doc: DocumentId,
        to_page: PageSender,
    },
    PageSync {
        page: PageId,
        doc: DocumentId,
        data: Vec<u8>,
    },
    ClosePage {
        page: PageId,
        doc: DocumentId,
    },
    PageGone {
        page: PageId,
    },
    /// The note moved to `group`: its pages leave it here and are returned.
    Moved {
        doc: DocumentId,
        group: String,
        reply: oneshot::Sender<Vec<(PageId, PageSender)>>,
    },
    Counts {
        reply: oneshot::Sender<Counts>,
    },
    /// Answer once everything is synced (or the relay cannot be reached).
    Settle {
        reply: oneshot::Sender<GroupOutcome>,
    },
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

/// Which hub each page's open note is in, and where the page's messages go.
type Routes = HashMap<(PageId, DocumentId), (String, PageSender)>;

/// Every joined group, live.
#[derive(Debug, Clone)]
pub struct Live {
    store: PathBuf,
    groups: Arc<HashMap<String, mpsc::Sender<Command>>>,
    status: Arc<Mutex<HashMap<String, LiveGroupStatus>>>,
    presence: Arc<Mutex<HashMap<DocumentId, Vec<Present>>>>,
    routes: Arc<Mutex<Routes>>,
    events: broadcast::Sender<LiveEvent>,
    tasks: TaskTracker,
}

/// Whether the personal notebook gets a task too (for the pages of the web UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Personal {
    Served,
    Not,
}

impl Live {
    /// Starts a task per joined group (none if this machine joined nothing yet).
    pub fn start(data_dir: &Path, shutdown: CancellationToken) -> Result<Live, ClientError> {
        Self::start_with(data_dir, shutdown, Personal::Not)
    }

    /// [`Live::start`], and a task for the personal notebook, so that pages can open every
    /// note (the web UI).
    pub fn start_serving_pages(
        data_dir: &Path,
        shutdown: CancellationToken,
    ) -> Result<Live, ClientError> {
        Self::start_with(data_dir, shutdown, Personal::Served)
    }

    fn start_with(
        data_dir: &Path,
        shutdown: CancellationToken,
        personal: Personal,
    ) -> Result<Live, ClientError> {
        let author = Notebook::open(data_dir)?.identity().cloned();
        let store = data_dir.join(STORE_FILE);
        let conn = quaderno_store::open_connection(&store)?;
        groups::ensure_schema(&conn)?;
        let joined = groups::all(&conn)?;
        let accounts = Relays::load(data_dir)?;
        let (events, _) = broadcast::channel(1024);
        let tasks = TaskTracker::new();
        let mut senders = HashMap::new();
        let status = Arc::new(Mutex::new(HashMap::new()));
        let presence = Arc::new(Mutex::new(HashMap::new()));
        // The sessions' commits never wait for the disk (see `quaderno_store::Checkpointer`).
        let checkpoints = Some(Arc::new(Checkpointer::start(&store)?));
        let mut namespaces: Vec<(Group, Option<RelayAccount>)> = joined
            .into_iter()
            .map(|group| {
                let account = accounts.get(&group.relay_url).cloned();
                (group, account)
            })
            .collect();
        for (group, _) in &namespaces {
            lock(&status).insert(group.slug.clone(), initial_status(group));
        }
        if personal == Personal::Served {
            namespaces.push((personal_notebook(), None));
        }
        for (group, account) in namespaces {
            let (tx, rx) = mpsc::channel(256);
            senders.insert(group.slug.clone(), tx);
            let task = GroupTask {
                store: store.clone(),
                account,
                group,
                author: author.clone(),
                commands: rx,
                events: events.clone(),
                status: status.clone(),
                presence: presence.clone(),
                shutdown: shutdown.clone(),
                published: HashMap::new(),
                settling: Vec::new(),
                _checkpoints: checkpoints.clone(),
            };
            tasks.spawn(task.run());
        }
        tasks.close();
        Ok(Live {
            store,
            groups: Arc::new(senders),
            status,
            presence,
            routes: Arc::new(Mutex::new(HashMap::new())),
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

    /// Pushes changes this process already stored (an edit through the notebook) to the
    /// relay and to the note's pages, without waiting for the poll.
    pub async fn changed(&self, group: &str, doc: DocumentId, changes: Vec<u8>) {
        self.send(group, Command::Changed { doc, changes }).await;
    }

    /// A page opens a note: it is sent the whole note, then its sync messages, through
    /// `to_page`. False when this computer has no such note.
    pub async fn open_page(
        &self,
        page: PageId,
        doc: DocumentId,
        to_page: PageSender,
    ) -> Result<bool, ClientError> {
        // One read by primary key: short enough not to leave the runtime's thread.
        let conn = quaderno_store::open_connection(&self.store)?;
        let listed = index::by_id(&conn, &doc.to_string())?;
        drop(conn);
        let Some(listed) = listed else {
            return Ok(false);
        };
        if !self.groups.contains_key(&listed.group) {
            return Ok(false);
        }
        self.open_in(listed.group, page, doc, to_page).await;
        Ok(true)
    }

    async fn open_in(&self, group: String, page: PageId, doc: DocumentId, to_page: PageSender) {
        lock(&self.routes).insert((page, doc), (group.clone(), to_page.clone()));
        let command = Command::OpenPage { page, doc, to_page };
        self.send(&group, command).await;
    }

    /// A sync message from a page about a note it opened. False, and nothing done, when it
    /// is not an Automerge sync message.
    pub async fn page_sync(&self, page: PageId, doc: DocumentId, data: Vec<u8>) -> bool {
        if automerge::sync::Message::decode(&data).is_err() {
            return false;
        }
        if let Some(group) = self.group_of(page, doc) {
            self.send(&group, Command::PageSync { page, doc, data })
                .await;
        }
        true
    }

    pub async fn close_page(&self, page: PageId, doc: DocumentId) {
        let Some((group, _)) = lock(&self.routes).remove(&(page, doc)) else {
            return;
        };
        self.send(&group, Command::ClosePage { page, doc }).await;
    }

    /// A page went away: every note it had open is closed for it.
    pub async fn page_gone(&self, page: PageId) {
        let mut groups: Vec<String> = {
            let mut routes = lock(&self.routes);
            let groups = routes
                .iter()
                .filter(|((p, _), _)| *p == page)
                .map(|(_, (group, _))| group.clone())
                .collect();
            routes.retain(|(p, _), _| *p != page);
            groups
        };
        groups.sort();
        groups.dedup();
        for group in groups {
            self.send(&group, Command::PageGone { page }).await;
        }
    }

    /// The note was moved into `group` (through the notebook): its pages follow it there.
    pub async fn moved(&self, doc: DocumentId, group: &str) {
        let from: Vec<String> = lock(&self.routes)
            .iter()
            .filter(|((_, d), (g, _))| *d == doc && g != group)
            .map(|(_, (g, _))| g.clone())
            .collect();
        for old in from {
            let (reply, pages) = oneshot::channel();
            let command = Command::Moved {
                doc,
                group: group.to_owned(),
                reply,
            };
            self.send(&old, command).await;
            for (page, to_page) in pages.await.unwrap_or_default() {
                self.open_in(group.to_owned(), page, doc, to_page).await;
            }
        }
    }

    /// Every page and the note it has open, to open them in another live sync.
    pub fn open_pages(&self) -> Vec<(PageId, DocumentId, PageSender)> {
        lock(&self.routes)
            .iter()
            .map(|((page, doc), (_, to_page))| (*page, *doc, to_page.clone()))
            .collect()
    }

    /// Opens in this live sync the pages another one served (after a restart).
    pub async fn adopt(&self, pages: Vec<(PageId, DocumentId, PageSender)>) {
        for (page, doc, to_page) in pages {
            if let Err(error) = self.open_page(page, doc, to_page).await {
                tracing::warn!(%error, "could not open a note again for its page");
            }
        }
    }

    /// What the group's sync did since it started (`None` for a group not synced here).
    pub async fn counts(&self, group: &str) -> Option<Counts> {
        let (reply, counts) = oneshot::channel();
        self.send(group, Command::Counts { reply }).await;
        counts.await.ok()
    }

    /// How each group stands once everything shared is in sync, or it cannot be: a live sync
    /// doing what a one-shot `quaderno sync` would (for another process that asks).
    pub async fn settle(&self) -> Vec<(String, GroupOutcome)> {
        let mut waiting = Vec::new();
        for group in lock(&self.status).keys() {
            waiting.push(group.clone());
        }
        waiting.sort();
        let mut outcomes = Vec::with_capacity(waiting.len());
        for group in waiting {
            let (reply, outcome) = oneshot::channel();
            self.send(&group, Command::Settle { reply }).await;
            let outcome = outcome.await.unwrap_or_else(|_| GroupOutcome::Failed {
                reason: "the group's sync stopped".into(),
            });
            outcomes.push((group, outcome));
        }
        outcomes
    }

    /// Waits until every group task stopped (after the shutdown token was cancelled).
    pub async fn stopped(&self) {
        self.tasks.wait().await;
    }

    fn group_of(&self, page: PageId, doc: DocumentId) -> Option<String> {
        lock(&self.routes)
            .get(&(page, doc))
            .map(|(group, _)| group.clone())
    }

    async fn send(&self, group: &str, command: Command) {
        if let Some(tx) = self.groups.get(group) {
            let _ = tx.send(command).await;
        }
    }
}

/// The personal notebook as a namespace with a hub and no relay.
fn personal_notebook() -> Group {
    Group {
        slug: PERSONAL_GROUP.to_owned(),
        relay_url: String::new(),
        title: String::new(),
        role: "editor".to_owned(),
        index_doc: DocumentId::random(),
        last_seq: 0,
        synced_chunk: 0,
        last_complete_sync: None,
        refused: None,
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

/// Opening a connection: the relay's change feed, then the WebSocket.
type Connecting = Pin<Box<dyn Future<Output = Result<(Socket, ChangesSince), ClientError>> + Send>>;

/// Where the group's connection to the relay stands.
enum Link {
    /// Nothing to connect to (the personal notebook, a group with no token) or refused.
    Never,
    Offline {
        retry_at: tokio::time::Instant,
    },
    Connecting(Connecting),
    Online(Online),
}

struct Online {
    stream: SplitStream<Socket>,
    heard: Instant,
    latest_seq: u64,
    start_chunk: i64,
    was_settled: bool,
}

/// [`Link`] without what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkState {
    Never,
    Down,
    Online,
}

impl LinkState {
    fn of(link: &Link) -> LinkState {
        match link {
            Link::Never => LinkState::Never,
            Link::Offline { .. } | Link::Connecting(_) => LinkState::Down,
            Link::Online(_) => LinkState::Online,
        }
    }
}

enum LinkEvent {
    Retry,
    Connected(Result<(Socket, ChangesSince), ClientError>),
    Frame(Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>),
}

/// The next thing that happens on the link; never, when there is nothing to wait for.
async fn link_event(link: &mut Link) -> LinkEvent {
    match link {
        Link::Never => std::future::pending().await,
        Link::Offline { retry_at } => {
            tokio::time::sleep_until(*retry_at).await;
            LinkEvent::Retry
        }
        Link::Connecting(connecting) => LinkEvent::Connected(connecting.await),
        Link::Online(online) => LinkEvent::Frame(online.stream.next().await),
    }
}

struct GroupTask {
    store: PathBuf,
    account: Option<RelayAccount>,
    group: Group,
    author: Option<Author>,
    commands: mpsc::Receiver<Command>,
    events: broadcast::Sender<LiveEvent>,
    status: Arc<Mutex<HashMap<String, LiveGroupStatus>>>,
    presence: Arc<Mutex<HashMap<DocumentId, Vec<Present>>>>,
    shutdown: CancellationToken,
    /// Who this task last said is in each of its notes (the shared table holds every group's).
    published: HashMap<DocumentId, Vec<Present>>,
    /// Asked to answer once everything is in sync.
    settling: Vec<oneshot::Sender<GroupOutcome>>,
    /// Kept while any group task runs.
    _checkpoints: Option<Arc<Checkpointer>>,
}

impl GroupTask {
    async fn run(mut self) {
        let (mut session, mut seen) = match self.open_session() {
            Ok(opened) => opened,
            Err(error) => {
                tracing::warn!(group = %self.group.slug, %error, "could not open the store for this group's sync");
                return;
            }
        };
        let mut link = match &self.account {
            Some(_) if self.group.refused.is_none() => Link::Offline {
                retry_at: tokio::time::Instant::now(),
            },
            _ => Link::Never,
        };
        let mut backoff = FIRST_BACKOFF;
        let mut poll = tokio::time::interval(POLL);
        let mut announce = tokio::time::interval(PRESENCE_EVERY);
        let keepalive_every = keepalive();
        let mut keepalive = tokio::time::interval(keepalive_every);
        loop {
            let turn: Result<(), ClientError> = tokio::select! {
                event = link_event(&mut link) => match event {
                    LinkEvent::Retry => self.start_connecting(&mut session).map(|c| link = Link::Connecting(c)),
                    LinkEvent::Connected(Ok((socket, changed))) => {
                        match self.went_online(&mut session, socket, changed).await {
                            Ok(online) => {
                                backoff = FIRST_BACKOFF;
                                link = Link::Online(online);
                                Ok(())
                            }
                            Err(e) => Err(e),
                        }
                    }
                    LinkEvent::Connected(Err(e)) => Err(e),
                    LinkEvent::Frame(frame) => self.frame(&mut session, &mut link, frame).await,
                },
                command = self.commands.recv() => match command {
                    Some(Command::Settle { reply }) => {
                        let state = LinkState::of(&link);
                        self.settle(&mut session, state, &mut seen, reply).await
                    }
                    Some(command) => self.command(&mut session, command).await,
                    None => break,
                },
                _ = poll.tick() => self.pick_up_local_edits(&mut session, &mut seen).await,
                _ = announce.tick() => self.announce_all(&mut session, false).await,
                _ = keepalive.tick(), if matches!(link, Link::Online(_)) => {
                    let heard = match &link {
                        Link::Online(online) => online.heard,
                        _ => Instant::now(),
                    };
                    self.keepalive(&mut session, heard, keepalive_every).await
                }
                _ = self.shutdown.cancelled() => break,
            };
            if let Err(error) = turn
                && self.offline(&mut session, &mut link, error, backoff).await
            {
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            if let Link::Online(online) = &mut link
                && let Err(error) = self.check_settled(&mut session, online, seen)
            {
                tracing::warn!(group = %self.group.slug, %error, "could not record the sync");
            }
            // Last, once what arrived is stored, answered and reported.
            if let Err(error) = session.compact_quiet() {
                tracing::warn!(group = %self.group.slug, %error, "could not compact notes; their changes stay stored as they are");
            }
        }
        if matches!(link, Link::Online(_)) {
            let _ = self.announce_all(&mut session, true).await;
        }
        if let Err(error) = session.compact() {
            tracing::warn!(group = %self.group.slug, %error, "could not compact notes; their changes stay stored as they are");
        }
        let _ = session.close().await;
    }

    /// The group's session over its own connection to the store, and the newest chunk id
    /// from which other processes' edits are looked for.
    fn open_session(&mut self) -> Result<(Session, i64), ClientError> {
        let conn = quaderno_store::open_connection(&self.store)?;
        hand_checkpoints_over(&conn)?;
        let seen = docs::latest_chunk_id(&conn)?;
        let session = Session::new(
            self.group.clone(),
            conn,
            self.account.as_ref(),
            ActorId::random(),
            seen,
        );
        Ok((session, seen))
    }

    fn start_connecting(&mut self, session: &mut Session) -> Result<Connecting, ClientError> {
        let account = self
            .account
            .clone()
            .expect("only groups with a relay connect");
        if let Some(fresh) = groups::get(&session.conn, &self.group.slug)? {
            self.group = fresh.clone();
            session.group = fresh;
        }
        let group = self.group.clone();
        let plain = plain_relay_changes(&session.conn, &account, &group)?;
        Ok(Box::pin(async move {
            let changed = remote_changes(plain, &account, &group).await?;
            let socket = connect(&account, &group.slug).await?;
            Ok((socket, changed))
        }))
    }

    /// The connection is open: syncs what changed while it was away, and what pages show.
    async fn went_online(
        &mut self,
        session: &mut Session,
        socket: Socket,
        changed: ChangesSince,
    ) -> Result<Online, ClientError> {
        let start_chunk = docs::latest_chunk_id(&session.conn)?;
        let mut to_sync = initial_docs(&session.conn, &self.group, &changed.docs)?;
        to_sync.extend(session.pages.open_notes());
        let (sink, stream) = socket.split();
        session.connected(sink).await?;
        session.share(to_sync).await?;
        // Notes written while offline (or just before the watch started) that the index does
        // not list yet; later ones are listed as they are edited.
        self.list_new_notes(session).await?;
        self.set_status(|s| {
            s.online = true;
            s.last_error = None;
        });
        let _ = self.events.send(LiveEvent::Online {
            group: self.group.slug.clone(),
        });
        self.announce_all(session, false).await?;
        Ok(Online {
            stream,
            heard: Instant::now(),
            latest_seq: changed.latest,
            start_chunk,
            was_settled: false,
        })
    }

    /// The connection ended (or could not be opened): the hub and the pages stay, and the
    /// relay is tried again after `backoff`. Returns whether the next wait should be longer.
    async fn offline(
        &mut self,
        session: &mut Session,
        link: &mut Link,
        error: ClientError,
        backoff: Duration,
    ) -> bool {
        if session.is_connected() {
            if let Err(error) = session.compact() {
                tracing::warn!(group = %self.group.slug, %error, "could not compact notes; their changes stay stored as they are");
            }
            let _ = session.close().await;
        }
        if let ClientError::Refused { reason, .. } = &error {
            self.refused(reason);
            *link = Link::Never;
            return false;
        }
        if matches!(link, Link::Never) {
            // No relay: an error here is about the store or a page, not a connection.
            tracing::warn!(group = %self.group.slug, %error, "could not handle a page's request");
            return false;
        }
        let reason = error.to_string();
        for reply in self.settling.drain(..) {
            let _ = reply.send(GroupOutcome::Unreachable {
                reason: reason.clone(),
            });
        }
        self.set_status(|s| {
            s.online = false;
            s.last_error = Some(reason.clone());
        });
        let _ = self.events.send(LiveEvent::Offline {
            group: self.group.slug.clone(),
            reason,
        });
        let jitter = Duration::from_millis(rand::random::<u64>() % 250);
        *link = Link::Offline {
            retry_at: tokio::time::Instant::now() + backoff + jitter,
        };
        true
    }

    async fn frame(
        &mut self,
        session: &mut Session,
        link: &mut Link,
        frame: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
    ) -> Result<(), ClientError> {
        let url = self.group.relay_url.clone();
        let Link::Online(online) = link else {
            return Ok(());
        };
        match frame {
            Some(Ok(WsMessage::Binary(bytes))) => {
                online.heard = Instant::now();
                session.frame(bytes.to_vec()).await?;
                self.after_frame(session).await
            }
            Some(Ok(WsMessage::Close(_))) | None => Err(ClientError::Unreachable {
                url,
                reason: "the relay closed the connection".into(),
            }),
            Some(Ok(_)) => {
                online.heard = Instant::now();
                Ok(())
            }
            Some(Err(e)) => Err(ClientError::Unreachable {
                url,
                reason: e.to_string(),
            }),
        }
    }

    async fn keepalive(
        &mut self,
        session: &mut Session,
        heard: Instant,
        every: Duration,
    ) -> Result<(), ClientError> {
        let silent = heard.elapsed();
        if silent > every * 3 {
            return Err(ClientError::Unreachable {
                url: self.group.relay_url.clone(),
                reason: format!("nothing heard from the relay for {} s", silent.as_secs()),
            });
        }
        session.ping().await
    }

    /// Once everything shared is in sync, records how far the group is synced.
    fn check_settled(
        &mut self,
        session: &mut Session,
        online: &mut Online,
        seen: i64,
    ) -> Result<(), ClientError> {
        let settled = session.settled() && session.joined;
        if settled {
            for reply in self.settling.drain(..) {
                let _ = reply.send(GroupOutcome::Synced);
            }
        }
        if settled && !online.was_settled {
            // Every chunk up to the last poll was passed on, and all of it is now in sync:
            // the next one-shot sync need not look at them.
            let end = if session.all_in_sync() {
                seen
            } else {
                online.start_chunk
            };
            groups::set_synced(
                &session.conn,
                &self.group.slug,
                online.latest_seq,
                end,
                Utc::now(),
            )?;
            self.set_status(|s| s.last_complete_sync = Some(Utc::now()));
            let _ = self.events.send(LiveEvent::Synced {
                group: self.group.slug.clone(),
            });
        }
        online.was_settled = settled;
        Ok(())
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
        self.report_changes(changed);
        let heard = session.drain_presence();
        for doc in heard {
            let newcomers = self.publish_presence(session, Some(doc));
            // Someone new arrived: tell them at once who is already here.
            if newcomers && session.pages.is_open(&doc) {
                self.announce(session, doc, false).await?;
            }
        }
        Ok(())
    }

    fn report_changes(&self, changed: Vec<DocumentId>) {
        for doc in changed {
            let _ = self.events.send(LiveEvent::Changed {
                group: self.group.slug.clone(),
                doc,
            });
        }
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
            Command::OpenPage { page, doc, to_page } => {
                let arriving = !session.pages.is_open(&doc);
                session.open_page(page, doc, to_page).await?;
                session.share([doc]).await?;
                let present = session.presence.in_doc(&doc, Instant::now());
                session.pages.presence(doc, &present);
                if arriving {
                    self.announce(session, doc, false).await?;
                }
                Ok(())
            }
            Command::PageSync { page, doc, data } => {
                session.page_sync(page, doc, data).await?;
                let changed = session.drain_changes();
                if !changed.is_empty() {
                    self.list_if_new(session, changed.clone()).await?;
                }
                self.report_changes(changed);
                Ok(())
            }
            Command::ClosePage { page, doc } => {
                session.close_page(page, doc).await?;
                self.left_if_closed(session, [doc]).await
            }
            Command::PageGone { page } => {
                let open = session.pages.open_notes();
                session.page_gone(page).await?;
                self.left_if_closed(session, open).await
            }
            Command::Moved { doc, group, reply } => {
                let pages = session.note_moved(doc, &group);
                let _ = reply.send(pages);
                self.announce(session, doc, true).await
            }
            Command::Counts { reply } => {
                let _ = reply.send(session.counts());
                Ok(())
            }
            // Answered in the loop, which knows the link (see `GroupTask::settle`).
            Command::Settle { .. } => Ok(()),
        }
    }

    /// Answers at once when the relay cannot be reached or everything is in sync; else once it
    /// is. Edits other processes just made are picked up first.
    async fn settle(
        &mut self,
        session: &mut Session,
        link: LinkState,
        seen: &mut i64,
        reply: oneshot::Sender<GroupOutcome>,
    ) -> Result<(), ClientError> {
        let outcome = match link {
            LinkState::Never => Some(match (&self.group.refused, &self.account) {
                (Some(reason), _) => GroupOutcome::Refused {
                    reason: reason.clone(),
                },
                (None, None) => GroupOutcome::Failed {
                    reason: format!(
                        "no token for {}; run `quaderno join` again",
                        self.group.relay_url
                    ),
                },
                (None, Some(_)) => GroupOutcome::Synced,
            }),
            LinkState::Down => Some(GroupOutcome::Unreachable {
                reason: lock(&self.status)
                    .get(&self.group.slug)
                    .and_then(|s| s.last_error.clone())
                    .unwrap_or_else(|| "connecting to the relay".into()),
            }),
            LinkState::Online => None,
        };
        if let Some(outcome) = outcome {
            let _ = reply.send(outcome);
            return Ok(());
        }
        self.settling.push(reply);
        self.pick_up_local_edits(session, seen).await?;
        if session.settled() && session.joined {
            for reply in self.settling.drain(..) {
                let _ = reply.send(GroupOutcome::Synced);
            }
        }
        Ok(())
    }

    /// Says goodbye in the notes that no page has open any more.
    async fn left_if_closed(
        &mut self,
        session: &mut Session,
        docs: impl IntoIterator<Item = DocumentId>,
    ) -> Result<(), ClientError> {
        for doc in docs {
            if !session.pages.is_open(&doc) {
                self.announce(session, doc, true).await?;
            }
        }
        Ok(())
    }

    /// Chunks other processes wrote since `seen`: folded into the session, then pushed.
    async fn pick_up_local_edits(
        &mut self,
        session: &mut Session,
        seen: &mut i64,
    ) -> Result<(), ClientError> {
        let written = docs::chunks_since(&session.conn, &self.group.slug, *seen)?;
        let Some(&(_, newest)) = written.last() else {
            return Ok(());
        };
        let theirs: std::collections::BTreeSet<String> = written
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
                .filter(|chunk| chunk.id > *seen)
                .flat_map(|chunk| chunk.bytes)
                .collect();
            session.local_changes(doc, bytes).await?;
        }
        session.forget_chunks_upto(*seen);
        session.polled(newest);
        *seen = newest;
        self.list_if_new(session, edited).await
    }

    /// Lists the edited notes in the group's index unless the session knows them as listed
    /// already: listing reads the whole index and every note of the group from the store, far
    /// too much to do for every keystroke in a group of a thousand notes.
    async fn list_if_new(
        &mut self,
        session: &mut Session,
        edited: Vec<DocumentId>,
    ) -> Result<(), ClientError> {
        if !session.is_connected() {
            return Ok(());
        }
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
        if !self.group.can_write() || !session.is_connected() {
            return Ok(());
        }
        let listed = list_in_index(session, &author).await?;
        session.share(listed).await
    }

    /// Repeats this participant's presence in every note a page has open (or says goodbye),
    /// and forgets the presences that expired.
    async fn announce_all(&mut self, session: &mut Session, left: bool) -> Result<(), ClientError> {
        for doc in session.pages.open_notes() {
            self.announce(session, doc, left).await?;
        }
        session.tick().await?;
        self.publish_presence(session, None);
        Ok(())
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
        if !session.is_connected() {
            return Ok(());
        }
        session.broadcast(doc, encode(author, left)).await
    }

    /// Publishes who is in a note (or, with `None`, refreshes every note after expiry), to
    /// the note's pages and as an event. Returns whether someone appeared who was not there.
    /// Only this group's notes: another group's task knows nothing of who is in those.
    fn publish_presence(&mut self, session: &mut Session, doc: Option<DocumentId>) -> bool {
        let now = Instant::now();
        session.presence.expire(now);
        let docs: Vec<DocumentId> = match doc {
            Some(doc) => vec![doc],
            None => self.published.keys().copied().collect(),
        };
        let mut newcomers = false;
        for doc in docs {
            let present = session.presence.in_doc(&doc, now);
            let before = self.published.get(&doc).cloned().unwrap_or_default();
            newcomers |= present
                .iter()
                .any(|p| !before.iter().any(|b| b.peer == p.peer));
            if before == present {
                continue;
            }
            {
                // The table first: a page told of a change finds `Live::present` agreeing.
                let mut table = lock(&self.presence);
                if present.is_empty() {
                    self.published.remove(&doc);
                    table.remove(&doc);
                } else {
                    self.published.insert(doc, present.clone());
                    table.insert(doc, present.clone());
                }
            }
            session.pages.presence(doc, &present);
            let _ = self.events.send(LiveEvent::Presence { doc, present });
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

    fn set_status(&self, change: impl FnOnce(&mut LiveGroupStatus)) {
        if let Some(status) = lock(&self.status).get_mut(&self.group.slug) {
            change(status);
        }
    }
}
