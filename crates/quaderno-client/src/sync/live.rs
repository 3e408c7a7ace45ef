//! Live sync (`quaderno sync --watch`, the web UI): every joined group stays connected. A
//! one-shot `quaderno sync` is the same live sync, stopped once every group is settled
//! ([`sync_once`]).
//!
//! Each group has its own task, which owns the group's hub for as long as it runs: the only
//! copy in this process of the group's notes in use. The relay's connection comes and goes
//! (it reconnects with backoff, and when the relay refuses the device that group stops
//! syncing and says why, while the others go on); the pages of the web UI are local peers of
//! the same hub, online or not, so what a page types is applied, stored and sent once. The
//! personal notebook has a task of its own with no relay, for its pages.
//!
//! What to do when (connect, ping, announce, answer) is decided by the group's
//! [`Machine`](super::machine::Machine); the task carries it out. Only edits made by other
//! processes (`quaderno edit` while the page is open) are found by polling the store, every
//! [`POLL`].

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use automerge::ActorId;
use chrono::{DateTime, Utc};
use futures_util::stream::SplitStream;
use futures_util::{FutureExt, StreamExt};
use quaderno_model::{Author, DocumentId};
use quaderno_store::{Checkpointer, docs, hand_checkpoints_over, index};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::changed::{initial_docs, list_in_index, plain_relay_changes, remote_changes};
use super::connect::{Socket, connect};
use super::erased::{Carry, ErasedNote, erase_here};
use super::machine::{self, Action, Input, Machine, Unsynced, Waiter};
use super::pages::{PageId, PageSender};
use super::presence::{Present, encode};
use super::refused::{self, set_back_refused};
use super::session::{Progress, Session};
use super::set_aside;
use super::{Counts, GroupOutcome, GroupReport, SyncProgress, SyncReport};
use crate::ClientError;
use crate::groups::{self, Group};
use crate::notebook::{KeptCopy, Notebook, PERSONAL_GROUP, STORE_FILE, kept};
use crate::relays::{ChangesSince, RelayAccount, RelayApi, Relays, RemoteErasure};
use crate::vouched;

/// How often the store is checked for edits made by other processes.
pub const POLL: Duration = Duration::from_millis(50);
/// How often a live connection is checked with a WebSocket ping, unless `QUADERNO_KEEPALIVE_SECS`
/// says otherwise. A connection that brought nothing, not even a pong, for three of these is
/// given up and opened again: a network that drops packets without closing (a sleeping laptop,
/// a NAT that forgot the connection) otherwise leaves the client waiting for ever.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// A document shared with the relay that is still not in sync after this long has its sync
/// started over; a one-shot sync that heard no protocol message for this long has stalled.
const STALLED: Duration = Duration::from_secs(30);
/// Up to this much is added to each reconnect wait.
const JITTER: Duration = Duration::from_millis(250);
/// A plain relay says nothing when it already holds what we sent (the JavaScript reference
/// keeps each peer's full sync state across reconnects): after this much silence in a one-shot
/// sync, the documents still waiting are in sync.
const PLAIN_QUIET: Duration = Duration::from_secs(2);
/// Most frames from the relay handled in one turn.
const BATCH_FRAMES: usize = 64;

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
    /// The relay says this participant's role in the group changed (`reader`, `editor` or
    /// `admin`); it is recorded, and writes into the group follow it from now on.
    Role {
        group: String,
        role: String,
    },
    /// The relay will not take edits made here to the group's notes (`reason`: this
    /// participant is a reader there): each note is kept as a personal copy, and the group's
    /// copy is back to what the relay holds.
    ChangesRefused {
        group: String,
        reason: String,
        kept: Vec<KeptCopy>,
    },
    /// A document changed because of what the relay or a page sent (the index is already
    /// updated).
    Changed {
        group: String,
        doc: DocumentId,
    },
    /// A note was erased from the group by an admin or the coordinating body: it is deleted
    /// here, edits not yet sent included.
    NoteErased {
        note: ErasedNote,
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
        reply: oneshot::Sender<GroupReport>,
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

/// A sync that stays live, or one that is stopped once settled and reports how far it got.
#[derive(Debug, Clone)]
enum Mode {
    Live,
    Once(mpsc::UnboundedSender<SyncProgress>),
}

/// `quaderno sync`: every joined group synced once, as a live sync stopped once each group is
/// settled (everything shared is in sync with the relay, or the relay cannot be reached or
/// refuses this device). A group whose relay says nothing changed on either side since the
/// last complete sync costs one HTTP call and no WebSocket.
pub async fn sync_once(
    data_dir: &Path,
    progress: &(dyn Fn(SyncProgress) + Sync),
) -> Result<SyncReport, ClientError> {
    let shutdown = CancellationToken::new();
    let (progress_tx, mut progressed) = mpsc::unbounded_channel();
    let live = Live::start_with(
        data_dir,
        shutdown.clone(),
        Personal::Not,
        Mode::Once(progress_tx),
    )?;
    if live.groups.is_empty() {
        return Err(ClientError::NotJoined);
    }
    let settling = live.settle_reports();
    tokio::pin!(settling);
    let groups = loop {
        tokio::select! {
            groups = &mut settling => break groups,
            Some(step) = progressed.recv() => progress(step),
        }
    };
    shutdown.cancel();
    live.stopped().await;
    Ok(SyncReport { groups })
}

impl Live {
    /// Starts a task per joined group (none if this machine joined nothing yet).
    pub fn start(data_dir: &Path, shutdown: CancellationToken) -> Result<Live, ClientError> {
        Self::start_with(data_dir, shutdown, Personal::Not, Mode::Live)
    }

    /// [`Live::start`], and a task for the personal notebook, so that pages can open every
    /// note (the web UI).
    pub fn start_serving_pages(
        data_dir: &Path,
        shutdown: CancellationToken,
    ) -> Result<Live, ClientError> {
        Self::start_with(data_dir, shutdown, Personal::Served, Mode::Live)
    }

    fn start_with(
        data_dir: &Path,
        shutdown: CancellationToken,
        personal: Personal,
        mode: Mode,
    ) -> Result<Live, ClientError> {
        let author = Notebook::open(data_dir)?.identity().cloned();
        let store = data_dir.join(STORE_FILE);
        let conn = quaderno_store::open_connection(&store)?;
        groups::ensure_schema(&conn)?;
        kept::ensure_schema(&conn)?;
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
            let plain = account.as_ref().is_some_and(|account| account.plain);
            let config = machine::Config {
                keepalive: keepalive(),
                jitter: JITTER,
                seed: rand::random(),
                once: matches!(mode, Mode::Once(_)).then_some(machine::Once {
                    stall: if plain { PLAIN_QUIET } else { STALLED },
                }),
            };
            let never = unsynced(&group, account.as_ref());
            let machine = Machine::new(config, never, author.is_some(), Instant::now());
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
                machine,
                waiters: HashMap::new(),
                next_waiter: 0,
                seen: 0,
                link: Link::Idle,
                synced_from: None,
                progress: match &mode {
                    Mode::Once(progress) => Some(progress.clone()),
                    Mode::Live => None,
                },
                messages: 0,
                started: Instant::now(),
                kept: Vec::new(),
                erased: Vec::new(),
                restored: false,
                carries: Vec::new(),
                vouched_peers: HashMap::new(),
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
        self.settle_reports()
            .await
            .into_iter()
            .map(|report| (report.group, report.outcome))
            .collect()
    }

    /// [`Live::settle`], with what each group's sync did.
    async fn settle_reports(&self) -> Vec<GroupReport> {
        let mut waiting = Vec::new();
        for group in lock(&self.status).values() {
            waiting.push((group.group.clone(), group.relay.clone()));
        }
        waiting.sort();
        let mut answers = Vec::with_capacity(waiting.len());
        // Asked of every group first: they settle side by side.
        for (group, relay) in waiting {
            let (reply, report) = oneshot::channel();
            self.send(&group, Command::Settle { reply }).await;
            answers.push((group, relay, report));
        }
        let mut reports = Vec::with_capacity(answers.len());
        for (group, relay, report) in answers {
            reports.push(report.await.unwrap_or_else(|_| {
                let outcome = GroupOutcome::Failed {
                    reason: "the group's sync stopped".into(),
                };
                GroupReport::kept_live(group, relay, outcome)
            }));
        }
        reports
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
        relay_epoch: None,
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
type Connecting = Pin<Box<dyn Future<Output = Result<Opened, ClientError>> + Send>>;

/// What opening a connection came to.
enum Opened {
    Socket(Socket, ChangesSince),
    /// A one-shot sync found nothing changed on either side: no WebSocket is needed.
    NothingChanged(ChangesSince),
}

/// What the group's connection to the relay holds; when to connect is the machine's call.
enum Link {
    Idle,
    Connecting(Connecting),
    Online(Online),
}

struct Online {
    stream: SplitStream<Socket>,
}

enum LinkEvent {
    Connected(Result<Opened, ClientError>),
    Frame(Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>),
}

/// The next thing that happens on the link; never, when there is nothing to wait for.
async fn link_event(link: &mut Link) -> LinkEvent {
    match link {
        Link::Idle => std::future::pending().await,
        Link::Connecting(connecting) => LinkEvent::Connected(connecting.await),
        Link::Online(online) => LinkEvent::Frame(online.stream.next().await),
    }
}

/// The driver of one group's [`Machine`]: it owns the hub (in the session), the socket and
/// the store, feeds the machine what happened and carries out what it decides.
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
    machine: Machine,
    /// Who asked for a settled sync, by the number the machine knows them by.
    waiters: HashMap<Waiter, oneshot::Sender<GroupReport>>,
    next_waiter: u64,
    /// Other processes' writes were looked for up to this chunk id.
    seen: i64,
    link: Link,
    /// The relay's change feed position and the store's newest chunk when the connection
    /// opened: how far the group is synced once everything shared is in sync.
    synced_from: Option<(u64, i64)>,
    /// Where a one-shot sync reports how far it got (`None` for a live one).
    progress: Option<mpsc::UnboundedSender<SyncProgress>>,
    /// Protocol messages and API calls exchanged with the relay.
    messages: usize,
    started: Instant,
    /// Notes kept as personal copies (the relay would not take their edits) that no answer to
    /// a settle has reported yet.
    kept: Vec<KeptCopy>,
    /// Notes deleted here because they were erased from the group, that no answer to a
    /// settle has reported yet.
    erased: Vec<ErasedNote>,
    /// The relay was found restored from a backup since the last answer to a settle.
    restored: bool,
    /// Edits to redacted notes waiting for their successors to arrive.
    carries: Vec<Carry>,
    /// Each device of the group by peer id, with its person as the relay knows them.
    vouched_peers: HashMap<String, (String, String)>,
    /// Kept while any group task runs.
    _checkpoints: Option<Arc<Checkpointer>>,
}

/// Why a group does not connect, if it does not.
fn unsynced(group: &Group, account: Option<&RelayAccount>) -> Option<Unsynced> {
    if group.slug == PERSONAL_GROUP {
        return Some(Unsynced::Local);
    }
    if let Some(reason) = &group.refused {
        return Some(Unsynced::Refused {
            reason: reason.clone(),
        });
    }
    account.is_none().then(|| Unsynced::NoToken {
        relay: group.relay_url.clone(),
    })
}

impl GroupTask {
    async fn run(mut self) {
        let mut session = match self.open_session() {
            Ok(opened) => opened,
            Err(error) => {
                tracing::warn!(group = %self.group.slug, %error, "could not open the store for this group's sync");
                return;
            }
        };
        let mut poll = tokio::time::interval(POLL);
        loop {
            let deadline = tokio::time::Instant::from_std(self.machine.deadline());
            let turn: Result<(), ClientError> = tokio::select! {
                event = link_event(&mut self.link) => match event {
                    LinkEvent::Connected(Ok(Opened::Socket(socket, changed))) => {
                        self.went_online(&mut session, socket, changed).await
                    }
                    LinkEvent::Connected(Ok(Opened::NothingChanged(changed))) => {
                        self.nothing_changed(&mut session, changed).await
                    }
                    LinkEvent::Connected(Err(e)) => Err(e),
                    LinkEvent::Frame(frame) => self.frame(&mut session, frame).await,
                },
                command = self.commands.recv() => match command {
                    Some(command) => self.command(&mut session, command).await,
                    None => break,
                },
                _ = poll.tick() => self.pick_up_local_edits(&mut session).await,
                _ = tokio::time::sleep_until(deadline) => self.feed(&mut session, Input::Tick).await,
                _ = self.shutdown.cancelled() => break,
            };
            if let Err(error) = turn {
                self.failed(&mut session, error).await;
            }
            if self.machine.is_online() {
                let settled = Input::Progress {
                    settled: session.settled() && session.joined,
                };
                if let Err(error) = self.feed(&mut session, settled).await {
                    tracing::warn!(group = %self.group.slug, %error, "could not record the sync");
                }
            }
            // Last, once what arrived is stored, answered and reported.
            if let Err(error) = session.compact_quiet() {
                tracing::warn!(group = %self.group.slug, %error, "could not compact notes; their changes stay stored as they are");
            }
        }
        let _ = self.feed(&mut session, Input::Stop).await;
        if let Err(error) = session.compact() {
            tracing::warn!(group = %self.group.slug, %error, "could not compact notes; their changes stay stored as they are");
        }
        let _ = session.close().await;
    }

    /// Hands `input` to the machine and carries out what it decides.
    async fn feed(&mut self, session: &mut Session, input: Input) -> Result<(), ClientError> {
        let actions = self.machine.handle(Instant::now(), input);
        // Every answer of this turn reports the copies kept (see `report`), and only this one.
        let reports_kept = actions.iter().any(|action| {
            matches!(action, Action::Answer { outcome, .. } if *outcome == GroupOutcome::Synced)
        });
        for action in actions {
            self.carry_out(session, action).await?;
        }
        if reports_kept {
            self.kept.clear();
            self.erased.clear();
            self.restored = false;
        }
        Ok(())
    }

    async fn carry_out(
        &mut self,
        session: &mut Session,
        action: Action,
    ) -> Result<(), ClientError> {
        match action {
            Action::Connect => self.link = Link::Connecting(self.start_connecting(session)?),
            Action::Ping => session.ping().await?,
            Action::Disconnect => self.disconnect(session).await,
            Action::Announce { doc, left } => {
                if let Some(author) = &self.author {
                    session.broadcast(doc, encode(author, left)).await?;
                }
            }
            Action::Present { doc, present } => self.show_presence(session, doc, present),
            Action::Unload => session.tick().await?,
            Action::ResyncStalled => {
                session.resync_stalled(STALLED).await?;
            }
            Action::Stalled if session.plain && session.joined => session.assume_in_sync(),
            Action::Stalled => {
                return Err(ClientError::Stalled {
                    url: self.group.relay_url.clone(),
                });
            }
            Action::Answer { waiter, outcome } => {
                if let Some(reply) = self.waiters.remove(&waiter) {
                    let _ = reply.send(self.report(session, outcome));
                }
            }
            Action::RecordSynced => self.record_synced(session)?,
            Action::Online => {
                self.set_status(|s| {
                    s.online = true;
                    s.last_error = None;
                });
                let group = self.group.slug.clone();
                let _ = self.events.send(LiveEvent::Online { group });
            }
            Action::Offline { reason } => {
                self.set_status(|s| {
                    s.online = false;
                    s.last_error = Some(reason.clone());
                });
                let group = self.group.slug.clone();
                let _ = self.events.send(LiveEvent::Offline { group, reason });
            }
            Action::Refused { reason } => self.refused(&reason),
        }
        Ok(())
    }

    /// The group's session over its own connection to the store; other processes' edits are
    /// looked for from the newest chunk id on.
    fn open_session(&mut self) -> Result<Session, ClientError> {
        let conn = quaderno_store::open_connection(&self.store)?;
        hand_checkpoints_over(&conn)?;
        self.seen = docs::latest_chunk_id(&conn)?;
        let mut session = Session::new(
            self.group.clone(),
            conn,
            self.account.as_ref(),
            ActorId::random(),
            self.seen,
        );
        session.load_set_aside()?;
        Ok(session)
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
        self.messages += usize::from(!account.plain);
        // What a one-shot sync has to share whatever the relay says; nothing, and nothing
        // changed there either, means no WebSocket.
        let nothing_here =
            self.progress.is_some() && initial_docs(&session.conn, &group, &[])?.is_empty();
        Ok(Box::pin(async move {
            let mut changed = remote_changes(plain, &account, &group).await?;
            if nothing_here && changed.docs.is_empty() && !changed.restored {
                return Ok(Opened::NothingChanged(changed));
            }
            // Who wrote what, as the relay vouches, asked for while the socket opens. A relay
            // from before it vouched for authors has no such list: nothing is vouched.
            let authors = async {
                if account.plain {
                    return None;
                }
                let api = RelayApi::new(&account.url);
                api.authors(&account.token, &group.slug).await.ok()
            };
            let (socket, authors) = tokio::join!(connect(&account, &group.slug), authors);
            changed.authors = authors;
            Ok(Opened::Socket(socket?, changed))
        }))
    }

    /// A one-shot sync with nothing to exchange: the group is in sync as it is.
    async fn nothing_changed(
        &mut self,
        session: &mut Session,
        changed: ChangesSince,
    ) -> Result<(), ClientError> {
        self.link = Link::Idle;
        self.take_epoch(session, &changed)?;
        // Nothing was written here since the last complete sync: nothing to set back either.
        self.take_title(session, changed.title.as_deref())?;
        self.take_erasures(session, &changed.erasures).await?;
        self.report_unreadable(session).await?;
        self.take_role(session, changed.role.as_deref()).await?;
        self.synced_from = Some((changed.latest, docs::latest_chunk_id(&session.conn)?));
        self.feed(session, Input::NothingChanged).await
    }

    /// Takes the relay's epoch: remembered the first time it is told; a new one (the relay was
    /// restored from a backup) makes this machine forget what it believed the relay held, so
    /// that this sync offers it every document of the group and the relay takes what it lacks.
    fn take_epoch(
        &mut self,
        session: &mut Session,
        changed: &ChangesSince,
    ) -> Result<(), ClientError> {
        let Some(epoch) = changed.epoch.as_deref() else {
            return Ok(());
        };
        if changed.restored {
            groups::forget_relay(&mut session.conn, &self.group.slug, epoch)?;
            tracing::info!(group = %self.group.slug, "the relay was restored from a backup: every note of the group here is offered to it again");
            self.group.last_seq = 0;
            self.group.synced_chunk = 0;
            self.group.last_complete_sync = None;
            self.restored = true;
        } else if self.group.relay_epoch.as_deref() != Some(epoch) {
            groups::set_epoch(&session.conn, &self.group.slug, epoch)?;
        }
        self.group.relay_epoch = Some(epoch.to_owned());
        session.group = self.group.clone();
        Ok(())
    }

    /// Records the group's title as the relay says it is now (an operator may have renamed it).
    fn take_title(&mut self, session: &Session, title: Option<&str>) -> Result<(), ClientError> {
        if let Some(title) = title.filter(|title| *title != self.group.title) {
            groups::set_title(&session.conn, &self.group.slug, title)?;
            self.group.title = title.to_owned();
        }
        Ok(())
    }

    /// Deletes here the notes the relay says were erased from the group, tells the pages and
    /// the listeners, and confirms to the relay. A confirmation that does not arrive is sent
    /// again after the next connection, which names the erasure again.
    async fn take_erasures(
        &mut self,
        session: &mut Session,
        erasures: &[RemoteErasure],
    ) -> Result<(), ClientError> {
        let (erased, carries) = erase_here(&mut session.conn, &self.group, erasures)?;
        self.carries.extend(carries);
        if erased.is_empty() {
            return Ok(());
        }
        for note in &erased {
            session.erased(note)?;
            tracing::info!(group = %self.group.slug, doc = %note.doc, lost_edits = note.lost_edits, "a note erased from the group was deleted here");
        }
        if let Some(account) = &self.account {
            let ids: Vec<i64> = erasures.iter().map(|e| e.id).collect();
            let api = RelayApi::new(&account.url);
            self.messages += 1;
            if let Err(error) = api
                .confirm_erasures(&account.token, &self.group.slug, &ids)
                .await
            {
                tracing::warn!(group = %self.group.slug, %error, "could not confirm the erasures to the relay; the next sync does");
            }
        }
        for note in &erased {
            let _ = self
                .events
                .send(LiveEvent::NoteErased { note: note.clone() });
        }
        self.erased.extend(erased);
        Ok(())
    }

    /// Tells the relay about the group's notes that cannot be read here and that it was not
    /// told of yet (their ids and why, never their content). One it does not take now is told
    /// at the next connection.
    async fn report_unreadable(&mut self, session: &mut Session) -> Result<(), ClientError> {
        session.newly_unreadable = false;
        let Some(account) = self.account.as_ref().filter(|a| !a.plain) else {
            return Ok(());
        };
        let api = RelayApi::new(&account.url);
        for (doc, reason) in set_aside::unreported(&session.conn, &self.group.slug)? {
            self.messages += 1;
            let told = api
                .report_unreadable(&account.token, &self.group.slug, &doc, &reason)
                .await;
            if let Err(error) = told {
                tracing::warn!(group = %self.group.slug, %doc, %error, "could not report an unreadable note to the relay; the next sync does");
                break;
            }
            set_aside::mark_reported(&session.conn, &self.group.slug, &doc)?;
        }
        Ok(())
    }

    /// Carries edits made here to a redacted note into its successor, once the successor is
    /// here: a local edit of it, stored and passed on like any other.
    async fn carry_over(&mut self, session: &mut Session) -> Result<(), ClientError> {
        if self.carries.is_empty() {
            return Ok(());
        }
        let Some(author) = self.author.clone() else {
            self.carries.clear();
            return Ok(());
        };
        let slug = self.group.slug.clone();
        let mut waiting = Vec::new();
        for carry in std::mem::take(&mut self.carries) {
            let id = carry.successor.to_string();
            let Some(mut doc) = docs::load(&session.conn, &slug, &id)? else {
                waiting.push(carry);
                continue;
            };
            let Ok(note) = quaderno_model::read_note(&doc) else {
                waiting.push(carry);
                continue;
            };
            let Some((title, body)) = carry.onto(&note) else {
                continue;
            };
            doc.set_actor(ActorId::random());
            let before = doc.get_heads();
            let edit = quaderno_model::NoteEdit {
                title: Some(title),
                body: Some(body),
                ..quaderno_model::NoteEdit::default()
            };
            quaderno_model::edit_note(&mut doc, &edit, &author, Utc::now())
                .map_err(crate::notebook::NotebookError::from)?;
            let changes = doc.save_after(&before);
            store_carried(&mut session.conn, &slug, &id, &doc, &changes)?;
            tracing::info!(group = %slug, doc = %carry.successor, "carried edits not yet sent into a redacted note's successor");
            session.local_changes(carry.successor, changes).await?;
        }
        self.carries = waiting;
        Ok(())
    }

    /// Records the role the relay says this participant has in the group, if it changed (an
    /// admin promoted or demoted them since the last connection), and tells the listeners. A
    /// reader's edits the relay never took are then kept as personal copies (every time, not
    /// only when the role changes: a crash may have come between the two). Returns the
    /// documents set back, to sync again.
    async fn take_role(
        &mut self,
        session: &mut Session,
        role: Option<&str>,
    ) -> Result<Vec<DocumentId>, ClientError> {
        if let Some(role) = role.filter(|role| *role != self.group.role) {
            // First, so that no other process writes into the group once its edits are kept.
            groups::set_role(&session.conn, &self.group.slug, role)?;
            tracing::info!(group = %self.group.slug, from = %self.group.role, to = role, "this participant's role in the group changed");
            self.group.role = role.to_owned();
            session.role_changed(role).await?;
            let _ = self.events.send(LiveEvent::Role {
                group: self.group.slug.clone(),
                role: role.to_owned(),
            });
        }
        if self.group.can_write() {
            return Ok(Vec::new());
        }
        self.keep_refused(session).await
    }

    /// Keeps the edits the relay will not take from a reader as personal copies, sets the
    /// group's notes back to what it holds (see `refused`), and tells the listeners.
    async fn keep_refused(
        &mut self,
        session: &mut Session,
    ) -> Result<Vec<DocumentId>, ClientError> {
        let reason = refused::reason(&self.group);
        let done = set_back_refused(session, self.author.as_ref(), &reason, Utc::now())?;
        if done.is_empty() {
            return Ok(Vec::new());
        }
        for set_back in &done {
            session.set_back(set_back.doc, set_back.held).await?;
        }
        let kept: Vec<KeptCopy> = done.iter().filter_map(|d| d.copy.clone()).collect();
        tracing::info!(
            group = %self.group.slug,
            set_back = done.len(),
            copies = ?kept.iter().map(|k| k.copy.as_str()).collect::<Vec<_>>(),
            "the relay takes no changes from a reader: edits it never accepted are kept as personal copies"
        );
        if !kept.is_empty() {
            self.kept.extend(kept.iter().cloned());
            let _ = self.events.send(LiveEvent::ChangesRefused {
                group: self.group.slug.clone(),
                reason,
                kept,
            });
        }
        Ok(done.into_iter().map(|d| d.doc).collect())
    }

    /// What the group's sync did, for whoever asked it to settle. A sync that kept edits as
    /// personal copies since the last answer says so instead of plain `Synced`.
    fn report(&self, session: &Session, outcome: GroupOutcome) -> GroupReport {
        let outcome = match (outcome, self.kept.first()) {
            (GroupOutcome::Synced, Some(first)) => GroupOutcome::ChangesRefused {
                reason: first.reason.clone(),
                kept: self.kept.clone(),
            },
            (outcome, _) => outcome,
        };
        let mut report = GroupReport::kept_live(
            self.group.slug.clone(),
            self.group.relay_url.clone(),
            outcome,
        );
        report.record(session);
        report.erased = self.erased.clone();
        report.restored = self.restored;
        report.messages = self.messages;
        report.seconds = self.started.elapsed().as_secs_f64();
        report
    }

    /// How far a one-shot sync got, for its progress bar.
    fn report_progress(&self, session: &Session) {
        let Some(progress) = &self.progress else {
            return;
        };
        let done = session
            .progress
            .values()
            .filter(|p| **p != Progress::Waiting)
            .count();
        let _ = progress.send(SyncProgress {
            group: self.group.slug.clone(),
            done,
            total: session.progress.len(),
        });
    }

    /// The connection is open: syncs what changed while it was away, and what pages show.
    async fn went_online(
        &mut self,
        session: &mut Session,
        socket: Socket,
        changed: ChangesSince,
    ) -> Result<(), ClientError> {
        // First: what follows decides what to sync from what this machine believes the relay holds.
        self.take_epoch(session, &changed)?;
        self.take_title(session, changed.title.as_deref())?;
        if let Some(authors) = &changed.authors {
            vouched::store(&session.conn, &self.group.slug, authors)?;
            self.vouched_peers = vouched::peer_names(&session.conn, &self.group.slug)?;
        }
        // Before anything is shared: an erased note is neither sent nor listed again.
        self.take_erasures(session, &changed.erasures).await?;
        self.report_unreadable(session).await?;
        let set_back = self.take_role(session, changed.role.as_deref()).await?;
        let start_chunk = docs::latest_chunk_id(&session.conn)?;
        let mut to_sync = initial_docs(&session.conn, &self.group, &changed.docs)?;
        to_sync.extend(session.pages.open_notes());
        // Set aside by an earlier sync for an id another group held here, which it no longer does.
        to_sync.extend(session.release_resolved()?);
        // What the relay holds of them comes back, even of a note removed here.
        to_sync.extend(set_back);
        tracing::debug!(
            group = %self.group.slug,
            since_seq = self.group.last_seq,
            since_chunk = self.group.synced_chunk,
            start_chunk,
            docs = ?to_sync,
            "online: syncing what changed on either side"
        );
        let (sink, stream) = socket.split();
        self.link = Link::Online(Online { stream });
        self.synced_from = Some((changed.latest, start_chunk));
        session.connected(sink).await?;
        session.share(to_sync).await?;
        // Notes the index already listed that never arrived here (asked for on a connection
        // that ended first): the index may not change again to bring them up.
        let missing = session.listed_but_missing()?;
        session.share(missing).await?;
        // Notes written while offline (or just before the watch started) that the index does
        // not list yet; later ones are listed as they are edited.
        self.list_new_notes(session).await?;
        self.feed(session, Input::Connected).await
    }

    /// Closes the connection to the relay, if there is one; the hub and the pages stay.
    async fn disconnect(&mut self, session: &mut Session) {
        self.link = Link::Idle;
        self.synced_from = None;
        if session.is_connected() {
            if let Err(error) = session.compact() {
                tracing::warn!(group = %self.group.slug, %error, "could not compact notes; their changes stay stored as they are");
            }
            let _ = session.close().await;
        }
    }

    /// A turn failed: the connection is closed and the machine told why (it decides when to
    /// try again). For a group that never connects, the error was a page's or the store's.
    async fn failed(&mut self, session: &mut Session, error: ClientError) {
        if !self.machine.connects() {
            tracing::warn!(group = %self.group.slug, %error, "could not handle a page's request");
            return;
        }
        self.disconnect(session).await;
        let input = match error {
            ClientError::Refused { reason, .. } => Input::Refused { reason },
            ClientError::GroupChanged { what, .. } => Input::GroupChanged { what },
            error @ ClientError::RelayRefused { .. } => Input::Rejected {
                reason: error.to_string(),
            },
            error => Input::Lost {
                reason: error.to_string(),
            },
        };
        if let Err(error) = self.feed(session, input).await {
            tracing::warn!(group = %self.group.slug, %error, "could not record that the relay is out of reach");
        }
    }

    async fn frame(
        &mut self,
        session: &mut Session,
        frame: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
    ) -> Result<(), ClientError> {
        let Some(Ok(WsMessage::Binary(bytes))) = frame else {
            return self.not_a_message(frame);
        };
        // What else has already arrived goes into the same turn.
        let mut frames = vec![bytes.to_vec()];
        let mut after = None;
        if let Link::Online(online) = &mut self.link {
            while frames.len() < BATCH_FRAMES {
                match online.stream.next().now_or_never() {
                    Some(Some(Ok(WsMessage::Binary(more)))) => frames.push(more.to_vec()),
                    Some(other) => {
                        after = Some(other);
                        break;
                    }
                    None => break,
                }
            }
        }
        self.messages += frames.len();
        self.machine.handle(Instant::now(), Input::Message);
        session.frames(frames).await?;
        self.carry_over(session).await?;
        self.after_frame(session).await?;
        self.report_progress(session);
        match after {
            Some(other) => self.not_a_message(other),
            None => Ok(()),
        }
    }

    /// What a frame other than a protocol message means: the end of the connection, or that
    /// the relay is there.
    fn not_a_message(
        &mut self,
        frame: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
    ) -> Result<(), ClientError> {
        let url = self.group.relay_url.clone();
        let said = match &frame {
            Some(Ok(WsMessage::Close(Some(close)))) => group_changed(close),
            _ => None,
        };
        if let Some(what) = said {
            return Err(ClientError::GroupChanged {
                url,
                what: what.into(),
            });
        }
        match frame {
            Some(Ok(WsMessage::Close(_))) | None => Err(ClientError::Unreachable {
                url,
                reason: "the relay closed the connection".into(),
            }),
            Some(Ok(_)) => {
                self.machine.handle(Instant::now(), Input::Heard);
                Ok(())
            }
            Some(Err(e)) => Err(ClientError::Unreachable {
                url,
                reason: e.to_string(),
            }),
        }
    }

    /// Records how far the group is synced, now that everything shared is in sync.
    fn record_synced(&mut self, session: &mut Session) -> Result<(), ClientError> {
        let Some((latest_seq, start_chunk)) = self.synced_from else {
            return Ok(());
        };
        // Every chunk up to the last poll was passed on, and all of it is now in sync, and so
        // is every chunk since that this sync wrote itself: the next sync need not look at
        // them.
        let end = if session.all_in_sync() {
            self.in_sync_upto(session)?
        } else {
            start_chunk
        };
        tracing::debug!(group = %self.group.slug, seq = latest_seq, chunk = end, "everything shared is in sync");
        groups::set_synced(&session.conn, &self.group.slug, latest_seq, end, Utc::now())?;
        self.set_status(|s| s.last_complete_sync = Some(Utc::now()));
        let _ = self.events.send(LiveEvent::Synced {
            group: self.group.slug.clone(),
        });
        Ok(())
    }

    /// The newest chunk of the group such that every chunk up to it was passed on: the last
    /// poll's, or past it when every chunk written since was written by this sync.
    fn in_sync_upto(&self, session: &Session) -> Result<i64, ClientError> {
        let written = docs::chunks_since(&session.conn, &self.group.slug, self.seen)?;
        if written.iter().all(|(_, chunk)| session.wrote(*chunk)) {
            Ok(written.last().map_or(self.seen, |&(_, chunk)| chunk))
        } else {
            Ok(self.seen)
        }
    }

    /// After a frame: report what changed, fetch notes the index lists that we lack, and
    /// hand the presences heard to the machine.
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
        if session.newly_unreadable {
            self.report_unreadable(session).await?;
        }
        for (doc, peer, data) in session.drain_ephemeral() {
            self.feed(session, Input::Ephemeral { doc, peer, data })
                .await?;
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
                session.open_page(page, doc, to_page).await?;
                session.share([doc]).await?;
                self.feed(session, Input::PageOpened { doc }).await
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
                self.feed(session, Input::PageLeft { doc }).await
            }
            Command::Counts { reply } => {
                let _ = reply.send(session.counts());
                Ok(())
            }
            Command::Settle { reply } => {
                self.next_waiter += 1;
                let waiter = Waiter(self.next_waiter);
                self.waiters.insert(waiter, reply);
                if self.machine.is_online() {
                    // Edits other processes just made are part of what is to be settled.
                    self.pick_up_local_edits(session).await?;
                }
                self.feed(session, Input::Settle { waiter }).await
            }
        }
    }

    /// The notes that no page has open any more are left.
    async fn left_if_closed(
        &mut self,
        session: &mut Session,
        docs: impl IntoIterator<Item = DocumentId>,
    ) -> Result<(), ClientError> {
        for doc in docs {
            if !session.pages.is_open(&doc) {
                self.feed(session, Input::PageLeft { doc }).await?;
            }
        }
        Ok(())
    }

    /// Chunks other processes wrote since the last look: folded into the session, then pushed.
    async fn pick_up_local_edits(&mut self, session: &mut Session) -> Result<(), ClientError> {
        let seen = self.seen;
        let written = docs::chunks_since(&session.conn, &self.group.slug, seen)?;
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
                .filter(|chunk| chunk.id > seen)
                .flat_map(|chunk| chunk.bytes)
                .collect();
            session.local_changes(doc, bytes).await?;
        }
        tracing::debug!(group = %self.group.slug, after = seen, upto = newest, notes = ?edited, "picked up edits stored by other processes");
        session.forget_chunks_upto(seen);
        session.polled(newest);
        self.seen = newest;
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

    /// Who is in a note, to the shared table, the note's pages and whoever listens. The table
    /// first: a page told of a change finds `Live::present` agreeing.
    fn show_presence(&mut self, session: &mut Session, doc: DocumentId, present: Vec<Present>) {
        // Who is there as the relay knows their device, whatever name they announce.
        let present: Vec<Present> = present
            .into_iter()
            .map(|mut p| {
                if let Some((name, city)) = self.vouched_peers.get(&p.peer) {
                    if (&p.name, &p.city) != (name, city) {
                        p.claimed = Some(format!("{} ({})", p.name, p.city));
                    }
                    p.name.clone_from(name);
                    p.city.clone_from(city);
                }
                p
            })
            .collect();
        {
            let mut table = lock(&self.presence);
            let before = table.get(&doc).map(Vec::as_slice).unwrap_or(&[]);
            if before == present.as_slice() {
                // A page that just opened the note is told even so.
                drop(table);
                session.pages.presence(doc, &present);
                return;
            }
            if present.is_empty() {
                table.remove(&doc);
            } else {
                table.insert(doc, present.clone());
            }
        }
        session.pages.presence(doc, &present);
        let _ = self.events.send(LiveEvent::Presence { doc, present });
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

/// Stores edits carried into a successor, with its index row, in one transaction.
fn store_carried(
    conn: &mut quaderno_store::rusqlite::Connection,
    group: &str,
    id: &str,
    doc: &automerge::Automerge,
    changes: &[u8],
) -> Result<(), ClientError> {
    let tx = quaderno_store::begin_write(conn)?;
    docs::append_changes(&tx, group, id, changes)?;
    crate::notebook::reindex(&tx, group, id, doc)?;
    tx.commit()?;
    Ok(())
}

/// What changed for this device, when the relay closed the connection to say so (the next
/// connection learns it).
fn group_changed(
    close: &tokio_tungstenite::tungstenite::protocol::CloseFrame,
) -> Option<&'static str> {
    match u16::from(close.code) {
        quaderno_sync::wire::CLOSE_ACCESS_CHANGED => {
            Some("this device's access to the group changed")
        }
        quaderno_sync::wire::CLOSE_NOTE_ERASED => Some("a note of the group was erased"),
        _ => None,
    }
}
