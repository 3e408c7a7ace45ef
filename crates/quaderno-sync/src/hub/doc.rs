//! Documents in the hub: loading, attaching peers, waiting for unknown documents, unloading.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use automerge::Automerge;
use automerge::sync;
use quaderno_model::DocumentId;

use super::apply::{Batch, Incoming};
use super::limits::NoteSize;
use super::{ConnId, Event, Hub, LoadedDoc, Output, Side};
use crate::wire::Message;

/// One document and the peers syncing it.
#[derive(Debug)]
pub(super) struct DocSlot {
    /// The content; `None` while loading, when known missing, or after idling out of memory.
    pub(super) doc: Option<Automerge>,
    pub(super) loading: bool,
    /// Storage said it does not exist.
    pub(super) missing: bool,
    /// A writer may create it (false when purged).
    pub(super) may_create: bool,
    /// Messages that arrived while loading.
    pub(super) pending: Vec<Incoming>,
    /// Client shares and stored changes that arrived while loading.
    pub(super) pending_shares: Vec<ConnId>,
    pub(super) pending_local: Vec<Vec<u8>>,
    /// Once loaded, every attached peer hears from us (after a reload).
    pub(super) announce_after_load: bool,
    /// The sync state of each attached connection.
    pub(super) peers: HashMap<ConnId, sync::State>,
    /// Saved sync states by peer storage id, for peers that come back.
    pub(super) saved: HashMap<String, sync::State>,
    /// Connections told it is unavailable that still want it if it appears.
    pub(super) waiting: HashSet<ConnId>,
    pub(super) last_active: Instant,
    /// Its bytes as last measured, for `limits`.
    pub(super) size: Option<NoteSize>,
}

impl DocSlot {
    fn new(now: Instant) -> Self {
        Self {
            doc: None,
            loading: false,
            missing: false,
            may_create: false,
            pending: Vec::new(),
            pending_shares: Vec::new(),
            pending_local: Vec::new(),
            announce_after_load: false,
            peers: HashMap::new(),
            saved: HashMap::new(),
            waiting: HashSet::new(),
            last_active: now,
            size: None,
        }
    }

    fn is_unused(&self) -> bool {
        self.doc.is_none()
            && !self.loading
            && self.peers.is_empty()
            && self.waiting.is_empty()
            && self.pending.is_empty()
    }
}

impl Hub {
    /// A `sync` or `request` from a peer: apply it in this turn's batch, or load the document.
    pub(super) fn incoming(
        &mut self,
        now: Instant,
        doc: DocumentId,
        incoming: Incoming,
        batch: &mut Batch,
        out: &mut Output,
    ) {
        let slot = self.docs.entry(doc).or_insert_with(|| DocSlot::new(now));
        slot.last_active = now;
        if slot.doc.is_some() {
            batch.incoming(doc, incoming);
        } else if slot.loading {
            slot.pending.push(incoming);
        } else if slot.missing {
            self.missing(doc, incoming, batch, out);
        } else {
            slot.loading = true;
            slot.pending.push(incoming);
            out.loads.push(doc);
        }
    }

    /// Storage answered a load.
    pub(super) fn loaded(
        &mut self,
        now: Instant,
        doc: DocumentId,
        found: Option<LoadedDoc>,
        may_create: bool,
        batch: &mut Batch,
        out: &mut Output,
    ) {
        let Some(slot) = self.docs.get_mut(&doc) else {
            return;
        };
        slot.loading = false;
        slot.last_active = now;
        match found {
            Some(loaded) => {
                for (key, state) in loaded.sync_states {
                    slot.saved.entry(key).or_insert(state);
                }
                slot.doc.get_or_insert(loaded.doc);
                slot.missing = false;
            }
            None if self.config.side == Side::Client => {
                slot.doc = Some(Automerge::new());
            }
            None => {
                slot.missing = true;
                slot.may_create = may_create;
            }
        }
        if std::mem::take(&mut slot.announce_after_load) {
            for conn in slot.peers.keys() {
                batch.announce(doc, *conn);
            }
        }
        let pending = std::mem::take(&mut slot.pending);
        let shares = std::mem::take(&mut slot.pending_shares);
        let local = std::mem::take(&mut slot.pending_local);
        for changes in local {
            batch.local(doc, changes);
        }
        for incoming in pending {
            self.incoming(now, doc, incoming, batch, out);
        }
        for conn in shares {
            self.share(now, conn, doc, batch, out);
        }
        self.drop_if_unused(doc);
    }

    /// Storage did not answer a load: nothing waits for it any more, and whoever asks next
    /// starts a new load. Changes already stored are read with the document then.
    pub(super) fn load_failed(&mut self, doc: DocumentId) {
        let Some(slot) = self.docs.get_mut(&doc) else {
            return;
        };
        if slot.doc.is_some() {
            return;
        }
        slot.loading = false;
        slot.pending.clear();
        slot.pending_shares.clear();
        slot.pending_local.clear();
        self.drop_if_unused(doc);
    }

    /// Relay: a message for a document storage does not have. A writer's `sync` creates it;
    /// anything else gets `doc-unavailable`, and the peer is synced if it appears later.
    fn missing(
        &mut self,
        doc: DocumentId,
        incoming: Incoming,
        batch: &mut Batch,
        out: &mut Output,
    ) {
        let writable = self
            .conns
            .get(&incoming.conn)
            .is_some_and(|c| !c.policy.read_only);
        let slot = self.docs.get_mut(&doc).expect("slot exists");
        if !incoming.request && writable && slot.may_create {
            slot.doc = Some(Automerge::new());
            slot.missing = false;
            // Those who asked for it before it existed are synced with it from now on.
            let waiting: Vec<ConnId> = slot.waiting.iter().copied().collect();
            for conn in waiting {
                self.attach(conn, doc);
            }
            batch.incoming(doc, incoming);
            return;
        }
        self.unavailable(incoming.conn, doc, out);
    }

    fn unavailable(&mut self, conn: ConnId, doc: DocumentId, out: &mut Output) {
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        let Some(target) = state.peer().cloned() else {
            return;
        };
        let message = Message::DocUnavailable {
            sender: self.config.peer_id.clone(),
            target,
            document: doc,
        };
        out.sends.push((conn, message.encode_with(&mut self.ids)));
        if !state.waiting.contains(&doc) {
            state.waiting.push_back(doc);
            if let Some(slot) = self.docs.get_mut(&doc) {
                slot.waiting.insert(conn);
            }
        }
        if state.waiting.len() > self.config.max_waiting_per_conn
            && let Some(oldest) = state.waiting.pop_front()
        {
            self.stop_waiting(conn, oldest);
        }
    }

    pub(super) fn stop_waiting(&mut self, conn: ConnId, doc: DocumentId) {
        if let Some(slot) = self.docs.get_mut(&doc) {
            slot.waiting.remove(&conn);
        }
        self.drop_if_unused(doc);
    }

    /// Attaches a connection to a document (it asked for it or sent it).
    pub(super) fn attach(&mut self, conn: ConnId, doc: DocumentId) -> bool {
        let Some(state) = self.conns.get_mut(&conn) else {
            return false;
        };
        if state.peer().is_none() {
            return false;
        }
        // A local reader's changes are asked for, so that they are refused out loud.
        let read_only = state.policy.read_only && !state.local;
        let key = state.storage_key().map(str::to_string);
        state.docs.insert(doc);
        if let Some(pos) = state.waiting.iter().position(|d| *d == doc) {
            state.waiting.remove(pos);
        }
        let Some(slot) = self.docs.get_mut(&doc) else {
            return false;
        };
        slot.waiting.remove(&conn);
        slot.peers.entry(conn).or_insert_with(|| {
            // Only what `State::encode` keeps carries over to a new session.
            let mut sync_state = sync::State::new();
            if let Some(saved) = key.and_then(|k| slot.saved.get(&k)) {
                sync_state.shared_heads = saved.shared_heads.clone();
                sync_state.their_have = Some(Vec::new());
            }
            sync_state.read_only = read_only;
            sync_state
        });
        true
    }

    /// Starts the sync of a document with a connection over, from a fresh state: neither what
    /// was sent nor what the peer was believed to hold is assumed any more.
    pub(super) fn resync(&mut self, conn: ConnId, doc: DocumentId, batch: &mut Batch) {
        if self.docs.get(&doc).is_none_or(|slot| slot.doc.is_none()) {
            return;
        }
        // Not attached to this connection (shared on an earlier one): it is from now on.
        if !self.docs[&doc].peers.contains_key(&conn) && !self.attach(conn, doc) {
            return;
        }
        let Some(state) = self
            .docs
            .get_mut(&doc)
            .and_then(|slot| slot.peers.get_mut(&conn))
        else {
            return;
        };
        let read_only = state.read_only;
        *state = sync::State::new();
        state.read_only = read_only;
        batch.announce(doc, conn);
    }

    /// Detaches a connection from a document, saving its sync state under its storage key.
    pub(super) fn detach(
        &mut self,
        conn: ConnId,
        doc: DocumentId,
        key: Option<&str>,
        out: &mut Output,
    ) {
        let Some(slot) = self.docs.get_mut(&doc) else {
            return;
        };
        if let (Some(state), Some(key)) = (slot.peers.remove(&conn), key) {
            let unchanged = slot
                .saved
                .get(key)
                .is_some_and(|saved| saved.shared_heads == state.shared_heads);
            if !unchanged {
                out.writes.push(super::Write::SyncState {
                    doc,
                    storage_id: key.to_string(),
                    state: state.clone(),
                });
                slot.saved.insert(key.to_string(), state);
            }
        }
        self.drop_if_unused(doc);
    }

    /// Client: start syncing a document with the peer on a connection.
    pub(super) fn share(
        &mut self,
        now: Instant,
        conn: ConnId,
        doc: DocumentId,
        batch: &mut Batch,
        out: &mut Output,
    ) {
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        if state.peer().is_none() {
            state.queued_shares.push(doc);
            return;
        }
        let slot = self.docs.entry(doc).or_insert_with(|| DocSlot::new(now));
        slot.last_active = now;
        if slot.doc.is_some() {
            if self.attach(conn, doc) {
                batch.announce(doc, conn);
            }
        } else {
            slot.pending_shares.push(conn);
            if !slot.loading {
                slot.loading = true;
                out.loads.push(doc);
            }
        }
    }

    /// Changes already in storage: fold them into the copy in memory. A document that went
    /// idle and left memory is read again (with the changes, already stored), and its peers
    /// hear of them once it is back.
    pub(super) fn local_changes(
        &mut self,
        doc: DocumentId,
        changes: Vec<u8>,
        batch: &mut Batch,
        out: &mut Output,
    ) {
        let Some(slot) = self.docs.get_mut(&doc) else {
            return;
        };
        if slot.doc.is_some() {
            batch.local(doc, changes);
            return;
        }
        slot.pending_local.push(changes);
        if !slot.loading {
            slot.announce_after_load = true;
            slot.loading = true;
            out.loads.push(doc);
        }
    }

    /// Drops a document at once, without saving anything about it.
    pub(super) fn forget(&mut self, doc: DocumentId) {
        let Some(slot) = self.docs.remove(&doc) else {
            return;
        };
        for conn in slot.peers.keys().chain(slot.waiting.iter()) {
            if let Some(state) = self.conns.get_mut(conn) {
                state.docs.remove(&doc);
                state.waiting.retain(|d| *d != doc);
            }
        }
    }

    /// Drops the content in memory and reads it again; peers hear what changed.
    pub(super) fn reload(&mut self, doc: DocumentId, out: &mut Output) {
        let Some(slot) = self.docs.get_mut(&doc) else {
            return;
        };
        slot.doc = None;
        if slot.peers.is_empty() {
            self.drop_if_unused(doc);
            return;
        }
        slot.announce_after_load = true;
        if !slot.loading {
            slot.loading = true;
            out.loads.push(doc);
        }
    }

    /// Unloads documents nobody touched for `doc_idle`; their peers' sync states stay.
    pub(super) fn tick(&mut self, now: Instant) {
        let idle = self.config.doc_idle;
        self.docs.retain(|_, slot| {
            let quiet = now.saturating_duration_since(slot.last_active) >= idle;
            if quiet && !slot.loading && slot.pending.is_empty() {
                slot.doc = None;
            }
            !slot.is_unused()
        });
    }

    pub(super) fn drop_if_unused(&mut self, doc: DocumentId) {
        if self.docs.get(&doc).is_some_and(DocSlot::is_unused) {
            self.docs.remove(&doc);
        }
    }

    /// Client: the relay does not have the document (yet).
    pub(super) fn doc_unavailable(&mut self, conn: ConnId, doc: DocumentId, out: &mut Output) {
        out.events.push(Event::DocUnavailable { conn, doc });
    }
}
