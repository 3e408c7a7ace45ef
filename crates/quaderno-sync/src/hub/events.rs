//! What the hub asks its caller to do, and what it reports.

use automerge::ChangeHash;
use quaderno_model::DocumentId;

use super::{Authorship, Charge, ConnId};
use crate::wire::{PeerId, PeerMetadata};

/// The result of one [`super::Hub::handle`] call. Carry it out in field order: commit
/// `writes`, then send `sends`, then close `closes`. Writing first is what makes an
/// acknowledgement mean the change is stored.
#[derive(Debug, Default)]
pub struct Output {
    pub writes: Vec<Write>,
    pub sends: Vec<(ConnId, Vec<u8>)>,
    /// Plain Automerge sync messages for local peers: (connection, document, message).
    pub local: Vec<(ConnId, DocumentId, Vec<u8>)>,
    /// Connections to close after their last frame (an `error`, usually) is sent.
    pub closes: Vec<ConnId>,
    /// Documents to read from storage; answer each with [`super::Input::Loaded`].
    pub loads: Vec<DocumentId>,
    pub events: Vec<Event>,
    /// Relay: actors that found their owner in this call. Store them in the same transaction
    /// as `writes`, so that no stored change is left without its author's binding.
    pub authors: Vec<Authorship>,
    /// Relay: what this call's writes charge to their participants. Store them in the same
    /// transaction as `writes`.
    pub charges: Vec<Charge>,
}

impl Output {
    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
            && self.sends.is_empty()
            && self.local.is_empty()
            && self.closes.is_empty()
            && self.loads.is_empty()
            && self.events.is_empty()
            && self.authors.is_empty()
            && self.charges.is_empty()
    }

    /// Appends another output, keeping the order of each list.
    pub fn extend(&mut self, other: Output) {
        self.writes.extend(other.writes);
        self.sends.extend(other.sends);
        self.local.extend(other.local);
        self.closes.extend(other.closes);
        self.loads.extend(other.loads);
        self.events.extend(other.events);
        self.authors.extend(other.authors);
        self.charges.extend(other.charges);
    }
}

/// A storage write.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// New changes of a document, as concatenated change chunks (`Automerge::save_after`).
    Changes { doc: DocumentId, bytes: Vec<u8> },
    /// The whole of a document new to this storage (`Automerge::save`, or the document chunk
    /// a peer sent): store it as a snapshot.
    Snapshot { doc: DocumentId, bytes: Vec<u8> },
    /// The sync state of a peer, by its storage id.
    SyncState {
        doc: DocumentId,
        storage_id: String,
        state: automerge::sync::State,
    },
}

/// Something the caller may want to know.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The handshake finished on this connection.
    Joined {
        conn: ConnId,
        peer: PeerId,
        metadata: Option<PeerMetadata>,
    },
    /// The connection broke the protocol and is being closed with this reason.
    Rejected { conn: ConnId, reason: String },
    /// A local peer's changes to a document were refused (it may not write, or they would
    /// leave the document unreadable). Its sync state starts over: the caller gives it the
    /// document as the hub holds it.
    Refused {
        conn: ConnId,
        doc: DocumentId,
        reason: String,
    },
    /// The remote peer sent an `error` message.
    RemoteError { conn: ConnId, message: String },
    /// A document changed because of what a peer sent.
    DocChanged {
        doc: DocumentId,
        heads: Vec<ChangeHash>,
    },
    /// The peer on this connection does not have (or will not share) the document.
    DocUnavailable { conn: ConnId, doc: DocumentId },
    /// After a message from this peer, both sides hold the same heads of the document.
    InSync {
        conn: ConnId,
        doc: DocumentId,
        heads: Vec<ChangeHash>,
    },
    /// An ephemeral payload from `sender` about a document.
    Ephemeral {
        conn: ConnId,
        doc: DocumentId,
        sender: PeerId,
        data: Vec<u8>,
    },
}
