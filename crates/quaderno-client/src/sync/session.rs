//! One group's sync session: the client side of the sync hub over one WebSocket, with the
//! group's namespace of the local store as its storage.
//!
//! Everything a frame causes is stored before anything is sent back: received changes, the
//! note's new index row and the sync state go in one transaction, so a crash never leaves the
//! relay believing we hold what we do not, nor the index disagreeing with the documents.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use automerge::{ActorId, Automerge};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use quaderno_model::{DocKind, DocumentId, ModelError, doc_kind, index_entries, index_lists};
use quaderno_store::begin_write;
use quaderno_store::docs::{self, OwnChunks, QuietDocs};
use quaderno_store::index;
use quaderno_store::rusqlite::Connection;
use quaderno_sync::{
    ConnId, ConnPolicy, Event, Hub, HubConfig, Input, LoadedDoc, Output, PeerId, PeerMetadata,
    Side, Write,
};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::connect::Socket;
use super::erased::ErasedNote;
use super::pages::{PageId, PageSender, Pages, ToPage};
use super::set_aside::{self, SetAside};
use crate::ClientError;
use crate::groups::Group;
use crate::notebook::{NotebookError, reindex};
use crate::relays::RelayAccount;

/// Local peers (pages) are numbered from here; connections to the relay below it.
const FIRST_PAGE_CONN: u64 = 1 << 32;
/// What a page showing a note that was set back is told.
const SET_BACK: &str =
    "the relay did not accept these changes: they are kept in the personal notebook";

/// Where a shared document stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Progress {
    Waiting,
    InSync,
    Unavailable,
}

/// What a session moved, for the report.
#[derive(Debug, Default, Clone)]
pub(super) struct Moved {
    /// Documents that received changes from the relay.
    pub pulled: HashSet<DocumentId>,
    /// Documents whose local changes the relay now holds.
    pub pushed: HashSet<DocumentId>,
    /// Local documents the relay refused because they were purged there: removed here too.
    pub removed: HashSet<DocumentId>,
    /// Documents damaged here that the relay sent back whole.
    pub recovered: HashSet<DocumentId>,
}

pub(super) struct Session {
    pub group: Group,
    pub conn: Connection,
    hub: Hub,
    /// The connection to the relay while there is one, with the hub's number for it.
    relay: Option<(ConnId, SplitSink<Socket, WsMessage>)>,
    /// Connections to the relay opened so far: each gets a new number.
    relay_conns: u64,
    /// The pages (local peers of the hub) with a note of this group open.
    pub pages: Pages,
    pub progress: HashMap<DocumentId, Progress>,
    /// Since when each document shared on this connection has waited for the relay.
    waiting_since: HashMap<DocumentId, Instant>,
    /// Documents loaded with changes the relay had not acknowledged: pushed once in sync.
    unacknowledged: HashSet<DocumentId>,
    /// Documents loaded with damaged chunks set aside: whole again once in sync with the relay.
    recovering: HashSet<DocumentId>,
    /// Chunk ids this session wrote, as (after, up to) ranges: our own writes, not local edits.
    own_chunks: OwnChunks,
    /// The store was read for local edits up to this chunk id. A chunk after it that this
    /// session did not write is an edit (the page's, `quaderno edit`'s) still to pick up: its
    /// document is not compacted here until then, or the edit would end up in a snapshot of
    /// ours and never be sent.
    polled_upto: i64,
    /// Documents that received changes and were not considered for compaction since.
    to_compact: QuietDocs<DocumentId>,
    relay_key: Option<String>,
    pub moved: Moved,
    /// Documents changed by the relay since the last [`Session::drain_changes`].
    recent_changes: Vec<DocumentId>,
    /// Heads the relay acknowledged in this output, saved at its end.
    acknowledged: Vec<(DocumentId, Vec<automerge::ChangeHash>)>,
    /// Ephemeral messages from other peers since the last [`Session::drain_ephemeral`], as
    /// (document, sender, payload).
    ephemeral: Vec<(DocumentId, String, Vec<u8>)>,
    pub joined: bool,
    /// Documents known to be in the group's index (or never to be listed there).
    listed: HashSet<DocumentId>,
    /// A plain automerge-repo relay, which may not answer what it already holds.
    pub plain: bool,
    actor: ActorId,
    /// Write transactions this session committed.
    transactions: u64,
    /// Documents this group's relay offered under an id that another namespace here (another
    /// group, the personal notebook) holds, with that namespace: set aside, never taken into
    /// this hub nor offered to this relay (see [`Session::owned_here`]).
    pub conflicting: BTreeMap<DocumentId, String>,
    /// Notes of the group stored here that do not read as notes, with why: kept, not indexed.
    pub unreadable: BTreeMap<DocumentId, String>,
    /// A note became unreadable since the relay was last told.
    pub newly_unreadable: bool,
}

impl Session {
    /// The group's session, with no connection yet. `account` is `None` for a namespace that
    /// never syncs (the personal notebook): its hub serves pages only.
    pub fn new(
        group: Group,
        conn: Connection,
        account: Option<&RelayAccount>,
        actor: ActorId,
        polled_upto: i64,
    ) -> Session {
        let peer_id = account.map_or("local", |a| a.peer_id.as_str());
        let storage_id = quaderno_store::settings::get(&conn, "storage_id")
            .ok()
            .flatten()
            .unwrap_or_else(|| peer_id.to_string());
        let mut config = HubConfig::new(
            Side::Client,
            PeerId::new(peer_id),
            PeerMetadata {
                storage_id: Some(storage_id),
                is_ephemeral: false,
            },
            format!("{:016x}", rand::random::<u64>()),
        );
        config.check = Some(readable_note);
        Session {
            group,
            conn,
            hub: Hub::new(config),
            relay: None,
            relay_conns: 0,
            pages: Pages::new(FIRST_PAGE_CONN),
            progress: HashMap::new(),
            waiting_since: HashMap::new(),
            unacknowledged: HashSet::new(),
            recovering: HashSet::new(),
            own_chunks: OwnChunks::default(),
            polled_upto,
            to_compact: QuietDocs::default(),
            relay_key: None,
            moved: Moved::default(),
            recent_changes: Vec::new(),
            ephemeral: Vec::new(),
            acknowledged: Vec::new(),
            joined: false,
            listed: HashSet::new(),
            plain: account.is_some_and(|a| a.plain),
            actor,
            transactions: 0,
            conflicting: BTreeMap::new(),
            unreadable: BTreeMap::new(),
            newly_unreadable: false,
        }
    }

    /// A connection to the relay is open: sends `join`. What the previous connection knew
    /// (which documents are in sync, what the relay acknowledged) starts over.
    pub async fn connected(
        &mut self,
        sink: SplitSink<Socket, WsMessage>,
    ) -> Result<(), ClientError> {
        self.relay_conns += 1;
        let conn = ConnId(self.relay_conns);
        self.relay = Some((conn, sink));
        self.progress.clear();
        self.waiting_since.clear();
        self.unacknowledged.clear();
        self.joined = false;
        self.listed.clear();
        let opened = Input::Opened {
            conn,
            policy: ConnPolicy::default(),
        };
        self.input(vec![opened]).await
    }

    /// Whether a connection to the relay is open.
    pub fn is_connected(&self) -> bool {
        self.relay.is_some()
    }

    fn relay_conn(&self) -> Option<ConnId> {
        self.relay.as_ref().map(|(conn, _)| *conn)
    }

    /// Starts syncing documents; each is tracked until the relay is in sync or says it has none.
    pub async fn share(
        &mut self,
        docs: impl IntoIterator<Item = DocumentId>,
    ) -> Result<(), ClientError> {
        let Some(conn) = self.relay_conn() else {
            return Ok(());
        };
        let mut inputs = Vec::new();
        for doc in docs {
            if self.progress.contains_key(&doc) || !self.owned_here(doc)? {
                continue;
            }
            self.progress.insert(doc, Progress::Waiting);
            self.waiting_since.insert(doc, Instant::now());
            inputs.push(Input::Share { conn, doc });
        }
        if !inputs.is_empty() {
            tracing::debug!(group = %self.group.slug, docs = inputs.len(), "sharing with the relay");
        }
        if inputs.is_empty() {
            return Ok(());
        }
        self.input(inputs).await
    }

    /// Frames that arrived together, handled as one turn (documents new here that came whole
    /// are then loaded side by side).
    pub async fn frames(&mut self, frames: Vec<Vec<u8>>) -> Result<(), ClientError> {
        let Some(conn) = self.relay_conn() else {
            return Ok(());
        };
        let inputs = frames
            .into_iter()
            .map(|bytes| Input::Frame { conn, bytes })
            .collect();
        self.input(inputs).await
    }

    /// Changes already in the store (made by this or another process) to pass on.
    pub async fn local_changes(
        &mut self,
        doc: DocumentId,
        changes: Vec<u8>,
    ) -> Result<(), ClientError> {
        if self.hub.doc(&doc).is_none() {
            // Not in memory: never shared on this connection, or idle and unloaded since.
            // Sharing it (again) reads it from the store, these changes included.
            self.progress.remove(&doc);
            if self.is_connected() {
                self.unacknowledged.insert(doc);
            }
            return self.share([doc]).await;
        }
        if !self.is_connected() {
            // Offline: only the pages hear of it now; the relay once connected.
            return self.input(vec![Input::LocalChanges { doc, changes }]).await;
        }
        let heads = |hub: &Hub| hub.doc(&doc).map(Automerge::get_heads);
        let before = heads(&self.hub);
        let (was, was_unacknowledged) = (
            self.progress.insert(doc, Progress::Waiting),
            !self.unacknowledged.insert(doc),
        );
        if was != Some(Progress::Waiting) {
            self.waiting_since.insert(doc, Instant::now());
        }
        let mut inputs = Vec::with_capacity(2);
        if was.is_none()
            && let Some(conn) = self.relay_conn()
        {
            // In memory from an earlier connection, not shared on this one: without sharing
            // it, the changes would reach the pages and never the relay.
            inputs.push(Input::Share { conn, doc });
        }
        inputs.push(Input::LocalChanges { doc, changes });
        self.input(inputs).await?;
        if heads(&self.hub) == before {
            // Nothing new: changes already passed on (the poll finds the page's edits again
            // after the page handed them over). No second index update, and no waiting for an
            // answer that will not come.
            match was {
                Some(progress) => self.progress.insert(doc, progress),
                None => self.progress.remove(&doc),
            };
            if !was_unacknowledged {
                self.unacknowledged.remove(&doc);
            }
            return Ok(());
        }
        self.reindex_from_memory(doc)
    }

    /// This participant's role in the group changed: open pages write, or stop writing, from
    /// now on.
    pub async fn role_changed(&mut self, role: &str) -> Result<(), ClientError> {
        self.group.role = role.to_owned();
        let inputs = self.pages.set_read_only(!self.group.can_write());
        self.input(inputs).await
    }

    /// The document was set back in the store behind the hub's back (edits the relay will not
    /// take, see `refused`), or removed when `held` is false: the hub forgets its copy and
    /// reads the stored one when it is next shared, and the pages that show the note start
    /// over from it (or are told it is gone).
    pub async fn set_back(&mut self, doc: DocumentId, held: bool) -> Result<(), ClientError> {
        let (inputs, pages) = if held {
            self.pages.restart_note(doc, SET_BACK)
        } else {
            (self.pages.gone(doc), Vec::new())
        };
        self.forget(doc, inputs)?;
        if pages.is_empty() {
            return Ok(());
        }
        let shares = pages.iter().map(|conn| Input::Share { conn: *conn, doc });
        self.input(shares.collect()).await?;
        for conn in pages {
            self.pages
                .snapshot_if_opening(&self.hub, &self.group.slug, conn, doc);
        }
        Ok(())
    }

    /// The note was erased from the group and is deleted from the store: the hub forgets it,
    /// and the pages that show it are told who erased it, when and why.
    pub fn erased(&mut self, note: &ErasedNote) -> Result<(), ClientError> {
        let inputs = self.pages.erased(note);
        self.forget(note.doc, inputs)
    }

    /// The hub forgets its copy of `doc` (after `inputs` detached its pages), and nothing
    /// waits for it any more.
    fn forget(&mut self, doc: DocumentId, mut inputs: Vec<Input>) -> Result<(), ClientError> {
        self.progress.remove(&doc);
        self.waiting_since.remove(&doc);
        self.unacknowledged.remove(&doc);
        inputs.push(Input::Forget { doc });
        let out = self.hub.handle(Instant::now(), inputs);
        self.store(out.writes)
    }

    /// A page opens a note of this group: it gets the whole note, then syncs with the hub.
    pub async fn open_page(
        &mut self,
        page: PageId,
        doc: DocumentId,
        to_page: PageSender,
    ) -> Result<(), ClientError> {
        let read_only = !self.group.can_write();
        let inputs = self.pages.open(page, doc, to_page, read_only);
        self.input(inputs).await?;
        if let Some(conn) = self.pages.conn_of(page, &doc) {
            self.pages
                .snapshot_if_opening(&self.hub, &self.group.slug, conn, doc);
        }
        Ok(())
    }

    /// A sync message from a page about a note it has open (others are ignored).
    pub async fn page_sync(
        &mut self,
        page: PageId,
        doc: DocumentId,
        data: Vec<u8>,
    ) -> Result<(), ClientError> {
        let Some(conn) = self.pages.conn_of(page, &doc) else {
            return Ok(());
        };
        self.input(vec![Input::LocalSync { conn, doc, data }]).await
    }

    /// A page closes a note.
    pub async fn close_page(&mut self, page: PageId, doc: DocumentId) -> Result<(), ClientError> {
        let inputs: Vec<Input> = self.pages.close(page, doc).into_iter().collect();
        self.input(inputs).await
    }

    /// A page went away.
    pub async fn page_gone(&mut self, page: PageId) -> Result<(), ClientError> {
        let inputs: Vec<Input> = self.pages.page_gone(page).into_iter().collect();
        self.input(inputs).await
    }

    /// The note moved to another group: its pages leave it here (nothing of it is kept in
    /// this hub) and are returned, to open it where it is now.
    pub fn note_moved(&mut self, doc: DocumentId, group: &str) -> Vec<(PageId, PageSender)> {
        let (mut inputs, pages) = self.pages.leave_note(doc, |doc| ToPage::Moved {
            doc,
            group: group.to_owned(),
        });
        inputs.push(Input::Forget { doc });
        let _ = self.hub.handle(Instant::now(), inputs);
        self.progress.remove(&doc);
        pages
    }

    /// Automerge applies and write transactions since the session started.
    pub fn counts(&self) -> super::Counts {
        super::Counts {
            applies: self.hub.applies(),
            transactions: self.transactions,
        }
    }

    /// Sends an ephemeral payload to the other peers of a document.
    pub async fn broadcast(&mut self, doc: DocumentId, data: Vec<u8>) -> Result<(), ClientError> {
        self.input(vec![Input::Broadcast { doc, data }]).await
    }

    /// Asks the relay for a sign of life (a WebSocket ping, answered with a pong).
    pub async fn ping(&mut self) -> Result<(), ClientError> {
        let url = self.group.relay_url.clone();
        let Some((_, sink)) = &mut self.relay else {
            return Ok(());
        };
        sink.send(WsMessage::Ping(Vec::new().into()))
            .await
            .map_err(|e| ClientError::Unreachable {
                url,
                reason: e.to_string(),
            })
    }

    /// Unloads documents nobody touched for a while.
    pub async fn tick(&mut self) -> Result<(), ClientError> {
        self.input(vec![Input::Tick]).await
    }

    /// Documents the relay changed since the last call.
    pub fn drain_changes(&mut self) -> Vec<DocumentId> {
        let mut changed = std::mem::take(&mut self.recent_changes);
        changed.sort_unstable();
        changed.dedup();
        changed
    }

    /// Ephemeral messages received since the last call, oldest first.
    pub fn drain_ephemeral(&mut self) -> Vec<(DocumentId, String, Vec<u8>)> {
        std::mem::take(&mut self.ephemeral)
    }

    /// Starts over the sync of every document that has waited for the relay longer than
    /// `patience` on this connection: a message lost with a relay that died under it (written
    /// to the socket, never read) otherwise leaves the document waiting for ever, each side
    /// believing the other has the next word. Returns how many were started over.
    pub async fn resync_stalled(
        &mut self,
        patience: std::time::Duration,
    ) -> Result<usize, ClientError> {
        let Some(conn) = self.relay_conn() else {
            return Ok(0);
        };
        let now = Instant::now();
        let stalled: Vec<DocumentId> = self
            .progress
            .iter()
            .filter(|(_, p)| **p == Progress::Waiting)
            .map(|(doc, _)| *doc)
            .filter(|doc| {
                self.waiting_since
                    .get(doc)
                    .is_some_and(|since| now.saturating_duration_since(*since) >= patience)
            })
            .collect();
        if stalled.is_empty() {
            return Ok(0);
        }
        tracing::debug!(group = %self.group.slug, docs = ?stalled, "starting over the sync of documents the relay left waiting");
        let inputs = stalled
            .iter()
            .map(|doc| {
                self.waiting_since.insert(*doc, now);
                Input::Resync { conn, doc: *doc }
            })
            .collect();
        self.input(inputs).await?;
        Ok(stalled.len())
    }

    /// A plain relay stayed silent: what is still waiting is what it already holds.
    pub fn assume_in_sync(&mut self) {
        for progress in self.progress.values_mut() {
            if *progress == Progress::Waiting {
                *progress = Progress::InSync;
            }
        }
    }

    /// Every shared document is in sync (none waiting, none unavailable).
    pub fn all_in_sync(&self) -> bool {
        self.progress.values().all(|p| *p == Progress::InSync)
    }

    /// Every shared document is in sync or unavailable.
    pub fn settled(&self) -> bool {
        self.progress.values().all(|p| *p != Progress::Waiting)
    }

    /// True if the chunk was written by this session (a received change), not a local edit.
    pub fn wrote(&self, chunk: i64) -> bool {
        self.own_chunks.contains(chunk)
    }

    /// Compacts every document that received changes, where that pays off (see
    /// [`docs::should_compact`]), as a one-shot sync ends. Changes are stored without
    /// compacting, so that what arrives is stored, reported and answered first.
    pub fn compact(&mut self) -> Result<(), ClientError> {
        let all = self.to_compact.take_all();
        self.compact_docs(all)
    }

    /// Compacts the documents that went quiet (see [`QuietDocs`]), as a live sync goes: while
    /// a note is edited live, compacting it every few dozen keystrokes would hold up the next.
    pub fn compact_quiet(&mut self) -> Result<(), ClientError> {
        let due = self.to_compact.take_due(Instant::now());
        self.compact_docs(due)
    }

    /// A document with an edit from another process still to pick up waits for a later call.
    fn compact_docs(&mut self, due: Vec<DocumentId>) -> Result<(), ClientError> {
        if due.is_empty() {
            return Ok(());
        }
        let ns = self.group.slug.clone();
        let tx = begin_write(&mut self.conn)?;
        let before = docs::latest_chunk_id(&tx)?;
        let mut waiting = Vec::new();
        for doc in due {
            let id = doc.to_string();
            if !docs::compact_if_all_read(&tx, &ns, &id, self.polled_upto, &self.own_chunks)? {
                waiting.push(doc);
            }
        }
        let after = docs::latest_chunk_id(&tx)?;
        tx.commit()?;
        self.wrote_chunks(before, after);
        let now = Instant::now();
        for doc in waiting {
            self.to_compact.wrote(doc, now);
        }
        Ok(())
    }

    /// The store was read for local edits up to `chunk`.
    pub fn polled(&mut self, chunk: i64) {
        self.polled_upto = chunk;
    }

    /// Counts chunk ids after `after` up to `upto` as written by this session.
    pub fn wrote_chunks(&mut self, after: i64, upto: i64) {
        self.own_chunks.add((after, upto));
    }

    /// Forgets ranges at or below `chunk`: the caller will not ask about them again.
    pub fn forget_chunks_upto(&mut self, chunk: i64) {
        self.own_chunks.forget_upto(chunk);
    }

    /// The relay's connection ended: saves every sync state. The hub and the pages stay.
    pub async fn close(&mut self) -> Result<(), ClientError> {
        let Some((conn, mut sink)) = self.relay.take() else {
            return Ok(());
        };
        let out = self.hub.handle(Instant::now(), [Input::Closed { conn }]);
        self.store(out.writes)?;
        let _ = sink.close().await;
        Ok(())
    }

    /// Hands `inputs` to the hub and carries out what it says, loading what it asks for. Every
    /// load is answered even once something failed (the relay's socket broke mid-output, say):
    /// the hub holds back every later share of a document whose load is unanswered, and the
    /// hub outlives the connection. The first error is returned at the end.
    async fn input(&mut self, inputs: Vec<Input>) -> Result<(), ClientError> {
        let mut out = self.hub.handle(Instant::now(), inputs);
        let mut failed = None;
        loop {
            let loads = std::mem::take(&mut out.loads);
            if let Err(error) = self.carry_out(out).await {
                failed.get_or_insert(error);
            }
            if loads.is_empty() {
                return failed.map_or(Ok(()), Err);
            }
            let mut loaded = Vec::with_capacity(loads.len());
            for doc in loads {
                loaded.push(self.load(doc).unwrap_or_else(|error| {
                    failed.get_or_insert(error);
                    Input::LoadFailed { doc }
                }));
            }
            out = self.hub.handle(Instant::now(), loaded);
        }
    }

    async fn carry_out(&mut self, out: Output) -> Result<(), ClientError> {
        let Output {
            writes,
            sends,
            local,
            closes,
            events,
            ..
        } = out;
        self.store(writes)?;
        for (conn, doc, message) in local {
            self.pages
                .sync(&self.hub, &self.group.slug, conn, doc, message);
        }
        let relay = self.relay_conn();
        // What arrived is taken in even if the relay's socket broke while answering it.
        let mut unsent = None;
        for (conn, frame) in sends {
            if unsent.is_some() {
                break;
            }
            let Some((_, sink)) = self.relay.as_mut().filter(|_| Some(conn) == relay) else {
                continue;
            };
            if let Err(e) = sink.send(WsMessage::Binary(frame.into())).await {
                unsent = Some(ClientError::Unreachable {
                    url: self.group.relay_url.clone(),
                    reason: e.to_string(),
                });
            }
        }
        for event in events {
            self.event(event)?;
        }
        self.record_acknowledged()?;
        if let Some(error) = unsent {
            return Err(error);
        }
        if closes.iter().any(|conn| Some(*conn) == relay) {
            return Err(ClientError::Protocol {
                url: self.group.relay_url.clone(),
                reason: "the relay sent something this client cannot accept".into(),
            });
        }
        Ok(())
    }

    /// Whether `doc` may be synced on this group's connection: no other namespace here holds
    /// a document under its id. The device's copy of a document belongs to exactly one group
    /// (or to the personal notebook): a document of another group under the same id (an id
    /// anyone who ever saw the note knows) is set aside for the rest of the session, neither
    /// merged into the local copy nor announced to this relay, and named in the report.
    fn owned_here(&mut self, doc: DocumentId) -> Result<bool, ClientError> {
        if self.conflicting.contains_key(&doc) {
            return Ok(false);
        }
        let elsewhere = docs::held_elsewhere(&self.conn, &self.group.slug, &doc.to_string())?;
        let Some(owner) = elsewhere.into_iter().next() else {
            return Ok(true);
        };
        tracing::warn!(
            group = %self.group.slug,
            %doc,
            belongs_to = %owner,
            "this group's relay has a document under the id of a note of another group here: set aside, not synced"
        );
        let why = SetAside::Conflict {
            belongs_to: owner.clone(),
        };
        set_aside::record(&self.conn, &self.group.slug, &doc, &why)?;
        self.conflicting.insert(doc, owner);
        Ok(false)
    }

    /// Reads what earlier syncs of the group set aside: still set aside, and reported again.
    pub fn load_set_aside(&mut self) -> Result<(), ClientError> {
        set_aside::ensure_schema(&self.conn)?;
        for (doc, why) in set_aside::list(&self.conn, &self.group.slug)? {
            match why {
                SetAside::Conflict { belongs_to } => self.conflicting.insert(doc, belongs_to),
                SetAside::Unreadable { reason } => self.unreadable.insert(doc, reason),
            };
        }
        Ok(())
    }

    /// Conflicts that no longer hold (the other group's note is gone from here, erased say):
    /// the group's document may now be synced. Returns them, to be shared.
    pub fn release_resolved(&mut self) -> Result<Vec<DocumentId>, ClientError> {
        let mut released = Vec::new();
        for doc in self.conflicting.keys().copied().collect::<Vec<_>>() {
            let id = doc.to_string();
            if docs::held_elsewhere(&self.conn, &self.group.slug, &id)?.is_empty() {
                set_aside::clear(&self.conn, &self.group.slug, &doc)?;
                self.conflicting.remove(&doc);
                released.push(doc);
            }
        }
        Ok(released)
    }

    fn load(&mut self, doc: DocumentId) -> Result<Input, ClientError> {
        if !self.owned_here(doc)? {
            // What the relay sent about it is dropped, and nothing is sent back.
            return Ok(Input::LoadFailed { doc });
        }
        let id = doc.to_string();
        let found = match self.load_salvaging(doc)? {
            Some(mut automerge) => {
                automerge.set_actor(self.actor.clone());
                let sync_states: Vec<(String, automerge::sync::State)> =
                    docs::sync_states(&self.conn, &self.group.slug, &id)?
                        .into_iter()
                        .filter(|(key, _)| Some(key) == self.relay_key.as_ref())
                        .collect();
                let heads = automerge.get_heads();
                let acknowledged = sync_states.first().map(|(_, s)| s.shared_heads.clone());
                if !heads.is_empty() && acknowledged.as_ref() != Some(&heads) {
                    self.unacknowledged.insert(doc);
                }
                Some(LoadedDoc {
                    doc: automerge,
                    sync_states,
                })
            }
            None => None,
        };
        Ok(Input::Loaded {
            doc,
            found,
            may_create: true,
        })
    }

    /// The document as far as it loads. A damaged one has its unreadable chunks set aside
    /// (kept in the store) and is synced from what remains: the relay sends back the rest.
    fn load_salvaging(&mut self, doc: DocumentId) -> Result<Option<Automerge>, ClientError> {
        let (group, id) = (&self.group.slug, doc.to_string());
        let salvaged = docs::load_salvaging(&self.conn, group, &id)?;
        if let Some(set_aside) = &salvaged.set_aside {
            tracing::warn!(
                group,
                doc = %id,
                damaged_chunks = ?set_aside.chunk_ids,
                "a note is damaged on this machine: its unreadable chunks are set aside in the store, and the relay is asked for it"
            );
        }
        if salvaged.set_aside.is_some() || docs::is_awaiting_recovery(&self.conn, group, &id)? {
            self.recovering.insert(doc);
        }
        Ok(salvaged.doc)
    }

    /// Stores what the hub asks, in one transaction, with the index rows of changed notes.
    fn store(&mut self, writes: Vec<Write>) -> Result<(), ClientError> {
        if writes.is_empty() {
            return Ok(());
        }
        let tx = begin_write(&mut self.conn)?;
        let before = docs::latest_chunk_id(&tx)?;
        let now = Instant::now();
        let mut readable = Vec::new();
        for write in &writes {
            match write {
                Write::Changes { doc, bytes } => {
                    docs::append_changes_without_compacting(
                        &tx,
                        &self.group.slug,
                        &doc.to_string(),
                        bytes,
                    )?;
                    self.to_compact.wrote(*doc, now);
                    if let Some(automerge) = self.hub.doc(doc) {
                        let read = index_note(&tx, &self.group.slug, doc, automerge)?;
                        readable.push((*doc, read));
                    }
                }
                Write::Snapshot { doc, bytes } => {
                    docs::put_snapshot(&tx, &self.group.slug, &doc.to_string(), bytes)?;
                    if let Some(automerge) = self.hub.doc(doc) {
                        let read = index_note(&tx, &self.group.slug, doc, automerge)?;
                        readable.push((*doc, read));
                    }
                }
                Write::SyncState {
                    doc,
                    storage_id,
                    state,
                } => docs::put_sync_state(
                    &tx,
                    &self.group.slug,
                    &doc.to_string(),
                    storage_id,
                    state,
                )?,
            }
        }
        let changed = take_readability(&tx, &self.group.slug, &self.unreadable, readable)?;
        let after = docs::latest_chunk_id(&tx)?;
        tx.commit()?;
        self.transactions += 1;
        self.wrote_chunks(before, after);
        self.apply_readability(changed);
        Ok(())
    }

    fn apply_readability(&mut self, changed: Vec<(DocumentId, Readable)>) {
        for (doc, read) in changed {
            match read {
                Readable::No(reason) => {
                    self.unreadable.insert(doc, reason);
                    self.newly_unreadable = true;
                }
                Readable::Yes => {
                    self.unreadable.remove(&doc);
                }
            }
        }
    }

    fn event(&mut self, event: Event) -> Result<(), ClientError> {
        match event {
            Event::Joined { metadata, .. } => {
                self.joined = true;
                self.relay_key = metadata.and_then(|m| m.storage_id);
            }
            // A page in sync with the hub is not the relay holding the change.
            Event::InSync { conn, .. } if Some(conn) != self.relay_conn() => {}
            Event::InSync { doc, heads, .. } => {
                tracing::debug!(group = %self.group.slug, %doc, "in sync with the relay");
                if self.unacknowledged.remove(&doc) {
                    self.moved.pushed.insert(doc);
                }
                if self.recovering.remove(&doc) {
                    docs::mark_recovered(&self.conn, &self.group.slug, &doc.to_string())?;
                    self.moved.recovered.insert(doc);
                }
                self.progress.insert(doc, Progress::InSync);
                self.acknowledged.push((doc, heads));
            }
            Event::DocChanged { doc, .. } => {
                self.moved.pulled.insert(doc);
                self.recent_changes.push(doc);
            }
            Event::DocUnavailable { doc, .. } => {
                tracing::debug!(group = %self.group.slug, %doc, "the relay has no such document");
                self.unavailable(doc)?;
            }
            Event::Ephemeral {
                doc, sender, data, ..
            } => {
                self.ephemeral.push((doc, sender.as_str().to_owned(), data));
            }
            Event::Refused { conn, doc, reason } => {
                self.pages
                    .refused(&self.hub, &self.group.slug, conn, doc, &reason);
            }
            Event::RemoteError { message, .. } => {
                return Err(ClientError::RelayRefused {
                    url: self.group.relay_url.clone(),
                    reason: message,
                });
            }
            Event::Rejected { reason, .. } => {
                return Err(ClientError::Protocol {
                    url: self.group.relay_url.clone(),
                    reason,
                });
            }
        }
        Ok(())
    }

    /// Saves what the relay acknowledged, not only when the connection ends, so that
    /// `quaderno status` in another process sees it while a live sync runs.
    fn record_acknowledged(&mut self) -> Result<(), ClientError> {
        let acknowledged = std::mem::take(&mut self.acknowledged);
        let Some(key) = &self.relay_key else {
            return Ok(());
        };
        if acknowledged.is_empty() {
            return Ok(());
        }
        let tx = begin_write(&mut self.conn)?;
        for (doc, heads) in acknowledged {
            let mut state = automerge::sync::State::new();
            state.shared_heads = heads;
            docs::put_sync_state(&tx, &self.group.slug, &doc.to_string(), key, &state)?;
        }
        tx.commit()?;
        self.transactions += 1;
        Ok(())
    }

    /// The relay has no such document. For one we hold and may write, that means the relay
    /// refuses it: it was purged there, and is removed here too.
    fn unavailable(&mut self, doc: DocumentId) -> Result<(), ClientError> {
        self.progress.insert(doc, Progress::Unavailable);
        let held = self
            .hub
            .doc(&doc)
            .is_some_and(|d| !d.get_heads().is_empty());
        if held && self.group.can_write() && doc != self.group.index_doc {
            let id = doc.to_string();
            let tx = begin_write(&mut self.conn)?;
            docs::delete(&tx, &self.group.slug, &id)?;
            index::remove(&tx, &self.group.slug, &id)?;
            tx.commit()?;
            self.moved.removed.insert(doc);
            let closes = self.pages.gone(doc);
            let out = self.hub.handle(Instant::now(), closes);
            self.store(out.writes)?;
            tracing::info!(group = %self.group.slug, doc = %id, "removed a note the relay purged");
        }
        Ok(())
    }

    /// Whether the document is known to be listed in the group's index: asked of the index in
    /// memory when it is loaded, remembered once known.
    pub fn known_listed(&mut self, doc: DocumentId) -> bool {
        if self.listed.contains(&doc) {
            return true;
        }
        let in_index = self
            .hub
            .doc(&self.group.index_doc)
            .is_some_and(|index| index_lists(index, &doc).unwrap_or(false));
        if in_index {
            self.listed.insert(doc);
        }
        in_index
    }

    /// Documents now listed in the index (or that this session will not list).
    pub fn mark_listed(&mut self, docs: impl IntoIterator<Item = DocumentId>) {
        self.listed.extend(docs);
    }

    /// Notes the group's index lists that this machine does not hold yet.
    pub fn listed_but_missing(&self) -> Result<Vec<DocumentId>, ClientError> {
        let Some(index) = self.hub.doc(&self.group.index_doc) else {
            return Ok(Vec::new());
        };
        let mut missing = Vec::new();
        for note in index_entries(index).unwrap_or_default() {
            if !self.progress.contains_key(&note)
                && !self.conflicting.contains_key(&note)
                && !docs::exists(&self.conn, &self.group.slug, &note.to_string())?
            {
                missing.push(note);
            }
        }
        Ok(missing)
    }

    /// The index after changes folded in from elsewhere: our copy in memory has them all.
    fn reindex_from_memory(&mut self, doc: DocumentId) -> Result<(), ClientError> {
        if let Some(automerge) = self.hub.doc(&doc) {
            // One transaction: the index row is several statements, and another connection
            // (the page's notebook, `quaderno edit`) may be re-indexing the same note.
            let tx = begin_write(&mut self.conn)?;
            let read = index_note(&tx, &self.group.slug, &doc, automerge)?;
            let changed =
                take_readability(&tx, &self.group.slug, &self.unreadable, vec![(doc, read)])?;
            tx.commit()?;
            self.transactions += 1;
            self.apply_readability(changed);
        }
        Ok(())
    }
}

/// What a page's changes must leave readable: a note stays a note.
fn readable_note(doc: &Automerge) -> Result<(), String> {
    match doc_kind(doc) {
        DocKind::Note => quaderno_model::check_note(doc).map_err(|e| e.to_string()),
        _ => Ok(()),
    }
}

/// Whether a stored document reads as what it claims to be.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Readable {
    Yes,
    /// Why not, as the model says it (a field and what it should be; never content).
    No(String),
}

/// Updates the index row of a note (other documents, like the group index, have none). A note
/// this client cannot read (a field of the wrong type, say, written by another program) is
/// taken off the index: one bad note is not a reason to stop syncing the others.
fn index_note(
    conn: &Connection,
    group: &str,
    doc: &DocumentId,
    automerge: &Automerge,
) -> Result<Readable, ClientError> {
    if !matches!(doc_kind(automerge), DocKind::Note) {
        return Ok(Readable::Yes);
    }
    let id = doc.to_string();
    match reindex(conn, group, &id, automerge) {
        Ok(_) => Ok(Readable::Yes),
        Err(NotebookError::Model(error)) => {
            index::remove(conn, group, &id)?;
            Ok(Readable::No(unreadable_reason(&error)))
        }
        Err(other) => Err(other.into()),
    }
}

/// Why a note cannot be read, without any of its values: the reason goes to the relay and to
/// the group's coordinators, and a value (a field holding text where a date should be) may be
/// the note's content.
fn unreadable_reason(error: &ModelError) -> String {
    match error {
        ModelError::WrongShape { path, expected, .. } => {
            format!("field `{path}` should be {expected}")
        }
        ModelError::WrongKind { expected, .. } => format!("not a Quaderno {expected}"),
        ModelError::NewerSchema { found } => {
            format!("written by a newer Quaderno (schema {found})")
        }
        ModelError::EmptyDocument => "empty".to_owned(),
        _ => "does not read as a Quaderno note".to_owned(),
    }
}

/// Records, in the transaction that stored the notes, which became unreadable (set aside)
/// and which became readable again (indexed again). Returns the changes, to apply to the
/// session once committed.
fn take_readability(
    tx: &Connection,
    group: &str,
    known: &BTreeMap<DocumentId, String>,
    readable: Vec<(DocumentId, Readable)>,
) -> Result<Vec<(DocumentId, Readable)>, ClientError> {
    let mut changed = Vec::new();
    for (doc, read) in readable {
        match &read {
            Readable::No(reason) if known.get(&doc) != Some(reason) => {
                tracing::warn!(group, %doc, %reason, "a note of this group cannot be read here: set aside, the rest syncs");
                let why = SetAside::Unreadable {
                    reason: reason.clone(),
                };
                set_aside::record(tx, group, &doc, &why)?;
                changed.push((doc, read));
            }
            Readable::Yes if known.contains_key(&doc) => {
                tracing::info!(group, %doc, "a note set aside as unreadable reads again: indexed again");
                set_aside::clear(tx, group, &doc)?;
                changed.push((doc, read));
            }
            _ => {}
        }
    }
    Ok(changed)
}
