//! Connections: the join/peer handshake, replacing a rejoining peer, closing.

use std::collections::{HashSet, VecDeque};

use quaderno_model::DocumentId;

use super::{ConnId, ConnPolicy, Event, Hub, Output, Side};
use crate::wire::{Message, PROTOCOL_VERSION, PeerId, PeerMetadata};

/// One connection's state.
#[derive(Debug)]
pub(super) struct Conn {
    pub(super) policy: ConnPolicy,
    pub(super) stage: Stage,
    /// Documents this connection is attached to (it asked for them or sent them).
    pub(super) docs: HashSet<DocumentId>,
    /// Unknown documents it asked for, oldest first, bounded.
    pub(super) waiting: VecDeque<DocumentId>,
    /// Client: documents to share once the handshake is done.
    pub(super) queued_shares: Vec<DocumentId>,
    /// A peer in the caller's process: plain sync messages, no protocol envelope.
    pub(super) local: bool,
}

#[derive(Debug)]
pub(super) enum Stage {
    /// Relay: waiting for `join`. Client: `join` sent, waiting for `peer`.
    Handshake,
    Ready {
        peer: PeerId,
        metadata: Option<PeerMetadata>,
    },
    /// Rejected; frames still in flight are ignored until the caller closes it.
    Closing,
}

impl Conn {
    fn new(policy: ConnPolicy) -> Self {
        Self {
            policy,
            stage: Stage::Handshake,
            docs: HashSet::new(),
            waiting: VecDeque::new(),
            queued_shares: Vec::new(),
            local: false,
        }
    }

    pub(super) fn peer(&self) -> Option<&PeerId> {
        match &self.stage {
            Stage::Ready { peer, .. } => Some(peer),
            _ => None,
        }
    }

    /// The key its sync states are saved under: the storage id of a peer that keeps data.
    pub(super) fn storage_key(&self) -> Option<&str> {
        match &self.stage {
            Stage::Ready {
                metadata: Some(meta),
                ..
            } if !meta.is_ephemeral => meta.storage_id.as_deref(),
            _ => None,
        }
    }
}

impl Hub {
    pub(super) fn open(&mut self, conn: ConnId, policy: ConnPolicy, out: &mut Output) {
        self.conns.insert(conn, Conn::new(policy));
        if self.config.side == Side::Client {
            let join = Message::Join {
                sender: self.config.peer_id.clone(),
                metadata: Some(self.config.metadata.clone()),
                supported_versions: Some(vec![PROTOCOL_VERSION.to_string()]),
            };
            out.sends.push((conn, join.encode()));
        }
    }

    /// A local peer: ready at once, as `peer`. It never takes the place of a remote peer.
    pub(super) fn open_local(&mut self, conn: ConnId, peer: PeerId, policy: ConnPolicy) {
        let mut state = Conn::new(policy);
        state.local = true;
        state.stage = Stage::Ready {
            peer,
            metadata: None,
        };
        self.conns.insert(conn, state);
    }

    /// A local peer closed one document; its other documents stay open.
    pub(super) fn close_local(&mut self, conn: ConnId, doc: DocumentId, out: &mut Output) {
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        if state.local && state.docs.remove(&doc) {
            self.detach(conn, doc, None, out);
        }
    }

    /// Whether the connection is a local peer.
    pub(super) fn is_local(&self, conn: ConnId) -> bool {
        self.conns.get(&conn).is_some_and(|c| c.local)
    }

    /// Relay: answers `join` with `peer`, or with `error` and a close.
    pub(super) fn join(
        &mut self,
        conn: ConnId,
        sender: PeerId,
        metadata: Option<PeerMetadata>,
        versions: Option<Vec<String>>,
        out: &mut Output,
    ) {
        let Some(state) = self.conns.get(&conn) else {
            return;
        };
        if !matches!(state.stage, Stage::Handshake) {
            return self.reject(conn, "this connection has already joined", out);
        }
        if let Some(versions) = &versions
            && !versions.iter().any(|v| v == PROTOCOL_VERSION)
        {
            return self.reject(conn, "unsupported protocol version", out);
        }
        if let Some(expected) = &state.policy.expected_peer
            && expected != &sender
        {
            let reason = format!("this device must join with peer id {expected}");
            return self.reject(conn, &reason, out);
        }
        if let Some(old) = self.peers.get(&sender).copied()
            && old != conn
        {
            self.close(old, out);
            out.closes.push(old);
        }
        self.ready(conn, sender.clone(), metadata.clone(), out);
        let peer = Message::Peer {
            sender: self.config.peer_id.clone(),
            target: sender,
            metadata: Some(self.config.metadata.clone()),
            selected_version: PROTOCOL_VERSION.to_string(),
        };
        out.sends.push((conn, peer.encode()));
    }

    /// Client: the relay answered our `join`.
    pub(super) fn peer_answered(
        &mut self,
        now: std::time::Instant,
        conn: ConnId,
        sender: PeerId,
        metadata: Option<PeerMetadata>,
        batch: &mut super::apply::Batch,
        out: &mut Output,
    ) {
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        if !matches!(state.stage, Stage::Handshake) {
            return;
        }
        let shares = std::mem::take(&mut state.queued_shares);
        self.ready(conn, sender, metadata, out);
        for doc in shares {
            self.share(now, conn, doc, batch, out);
        }
    }

    fn ready(
        &mut self,
        conn: ConnId,
        peer: PeerId,
        metadata: Option<PeerMetadata>,
        out: &mut Output,
    ) {
        if let Some(state) = self.conns.get_mut(&conn) {
            state.stage = Stage::Ready {
                peer: peer.clone(),
                metadata: metadata.clone(),
            };
        }
        self.peers.insert(peer.clone(), conn);
        out.events.push(Event::Joined {
            conn,
            peer,
            metadata,
        });
    }

    /// Sends `error` with the reason and asks the caller to close the connection.
    pub(super) fn reject(&mut self, conn: ConnId, reason: &str, out: &mut Output) {
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        if matches!(state.stage, Stage::Closing) {
            return;
        }
        let target = state.peer().cloned();
        state.stage = Stage::Closing;
        if !state.local {
            let error = Message::Error {
                sender: self.config.peer_id.clone(),
                target,
                message: reason.to_string(),
            };
            out.sends.push((conn, error.encode()));
        }
        out.closes.push(conn);
        out.events.push(Event::Rejected {
            conn,
            reason: reason.to_string(),
        });
        self.detach_all(conn, out);
    }

    /// Forgets a connection, saving the sync state of every document it was attached to.
    pub(super) fn close(&mut self, conn: ConnId, out: &mut Output) {
        self.detach_all(conn, out);
        if let Some(state) = self.conns.remove(&conn)
            && !state.local
            && let Some(peer) = state.peer()
            && self.peers.get(peer) == Some(&conn)
        {
            self.seen.forget_sender(peer);
            self.peers.remove(peer);
        }
    }

    /// Detaches the connection from its documents, saving each sync state.
    fn detach_all(&mut self, conn: ConnId, out: &mut Output) {
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        let docs: Vec<DocumentId> = state.docs.drain().collect();
        let waiting: Vec<DocumentId> = state.waiting.drain(..).collect();
        let key = state.storage_key().map(str::to_string);
        for doc in docs {
            self.detach(conn, doc, key.as_deref(), out);
        }
        for doc in waiting {
            self.stop_waiting(conn, doc);
        }
    }
}
