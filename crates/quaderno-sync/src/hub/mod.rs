//! The sans-IO sync hub: one per group on the relay, one per group connection on a client.
//!
//! The hub owns the documents in memory and, per document, the automerge sync state of every
//! peer that asked for it or sent it. Callers feed it [`Input`]s (frames, connections opening
//! and closing, documents loaded from storage, the passing of time) and carry out the
//! [`Output`] it returns: first the storage writes, then the frames to send. It never blocks,
//! spawns or reads a clock.
//!
//! Work per input is proportional to what the input touches: a frame for one document costs
//! the members of that document, never every connection or every document. All sync messages
//! for one document in one [`Hub::handle`] call are applied as a single batch, which is what
//! lets a relay keep up with a meeting of typists (DESIGN.md, "Sync").
//!
//! Besides the automerge-repo connections, a hub takes *local* connections: peers inside the
//! caller's process (a page of the client's web UI) that exchange plain Automerge sync
//! messages, one document at a time, with no handshake and no CBOR envelope. A local peer is
//! one more member of each document it opens, so what it types is applied once, stored once,
//! and sent to the relay and to the document's other local peers in the same turn.

mod apply;
mod authors;
mod bloom;
mod conn;
mod doc;
mod ephemeral;
mod events;
mod frame;
mod limits;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use automerge::Automerge;
use quaderno_model::DocumentId;

use crate::wire::{IdTexts, PeerId, PeerMetadata};
use conn::Conn;
use doc::DocSlot;
use ephemeral::Seen;

pub use authors::{Authorship, DeviceId, Owner};
pub use events::{Event, Output, Write};
pub use limits::{Charge, Limits, ParticipantId};

/// A connection, numbered by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Which end of the protocol this hub plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Answers `join`, never announces documents, creates a document when a writer sends it.
    Relay,
    /// Sends `join`, announces the documents it is asked to share, accepts what it requested.
    Client,
}

/// Checks a document after a local peer's changes were applied to a copy of it: `Err` says
/// why the changes would leave it unreadable, and they are refused.
pub type Check = fn(&Automerge) -> Result<(), String>;

/// Settings of a hub.
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub side: Side,
    /// Our own peer id, sent as `senderId`.
    pub peer_id: PeerId,
    /// What we tell peers about our storage.
    pub metadata: PeerMetadata,
    /// A document nobody touched for this long leaves memory; its peers' sync states stay.
    pub doc_idle: Duration,
    /// How many unknown documents one connection may wait for at a time.
    pub max_waiting_per_conn: usize,
    /// Random per hub: tells peers our ephemeral counter started afresh.
    pub session_id: String,
    /// What a local peer's changes must leave readable; `None` takes anything that applies.
    pub check: Option<Check>,
    /// Relay: how much a note, a participant and the group may hold.
    pub limits: Limits,
}

impl HubConfig {
    pub fn new(side: Side, peer_id: PeerId, metadata: PeerMetadata, session_id: String) -> Self {
        Self {
            side,
            peer_id,
            metadata,
            doc_idle: Duration::from_secs(30),
            max_waiting_per_conn: 64,
            session_id,
            check: None,
            limits: Limits::NONE,
        }
    }
}

/// What a connection may do, decided by the caller from its credentials.
#[derive(Debug, Clone, Default)]
pub struct ConnPolicy {
    /// The peer id this connection must join as; `None` accepts any.
    pub expected_peer: Option<PeerId>,
    /// Changes from this peer are never applied, and it cannot create documents.
    pub read_only: bool,
    /// Relay: the device this connection speaks for. Its changes must be signed with actors
    /// of that device (see `authors`); `None` checks no author.
    pub device: Option<DeviceId>,
    /// Relay: the participant whose quota this connection's new notes and bytes count against.
    pub participant: Option<ParticipantId>,
}

/// A document read from storage, with the sync states saved for it (by peer storage id).
#[derive(Debug)]
pub struct LoadedDoc {
    pub doc: Automerge,
    pub sync_states: Vec<(String, automerge::sync::State)>,
}

/// Something that happened, for the hub to act on.
#[derive(Debug)]
pub enum Input {
    /// A connection was accepted (relay) or dialled (client, which then sends `join`).
    Opened { conn: ConnId, policy: ConnPolicy },
    /// A binary frame arrived.
    Frame { conn: ConnId, bytes: Vec<u8> },
    /// A local peer (in the caller's process) is there, as `peer`: ready at once, no handshake.
    OpenedLocal {
        conn: ConnId,
        peer: PeerId,
        policy: ConnPolicy,
    },
    /// A plain Automerge sync message from a local peer about one document.
    LocalSync {
        conn: ConnId,
        doc: DocumentId,
        data: Vec<u8>,
    },
    /// A local peer may now write, or may no longer (its participant's role changed): its
    /// changes are applied, or refused out loud, from the next message on.
    ReadOnly { conn: ConnId, read_only: bool },
    /// A local peer no longer shows the document: its sync state is dropped.
    LocalClose { conn: ConnId, doc: DocumentId },
    /// A text frame arrived; the protocol has none, so the connection is closed.
    TextFrame { conn: ConnId },
    /// The connection is gone.
    Closed { conn: ConnId },
    /// The answer to a load the hub asked for in [`Output::loads`].
    Loaded {
        doc: DocumentId,
        found: Option<LoadedDoc>,
        /// Whether a writer may create this document if it is not found (false when purged).
        may_create: bool,
    },
    /// Storage could not answer a load the hub asked for: what waited for the document is
    /// dropped, and the next message, share or change asks for it again. A load left
    /// unanswered would hold back every later share of the document for as long as the hub
    /// lives.
    LoadFailed { doc: DocumentId },
    /// Client: start syncing this document with the peer on this connection.
    Share { conn: ConnId, doc: DocumentId },
    /// Changes made outside the hub and already stored (a local edit, another process).
    LocalChanges { doc: DocumentId, changes: Vec<u8> },
    /// Drop a document at once: no more syncing, nothing saved (a purge).
    Forget { doc: DocumentId },
    /// Storage changed behind the hub's back (an admin edit): read the document again and
    /// bring its peers up to date.
    Reload { doc: DocumentId },
    /// Client: send an ephemeral payload (presence) to the peers of a document.
    Broadcast { doc: DocumentId, data: Vec<u8> },
    /// Client: the peer on this connection has stopped answering about this document (a
    /// message lost with a relay that died, say): forget what this sync assumed and start it
    /// over, so that everything the peer lacks is offered again.
    Resync { conn: ConnId, doc: DocumentId },
    /// Time passed: unload idle documents.
    Tick,
    /// Relay: who owns each actor of the group, as stored. Until it comes, every change from
    /// a connection with a device is refused.
    Authors { known: Vec<Authorship> },
    /// Relay: what each participant's writes hold of the group, as stored (see
    /// [`Output::charges`]); replaces what the hub knew.
    Usage { charges: Vec<Charge> },
}

/// The sync engine for one group.
#[derive(Debug)]
pub struct Hub {
    config: HubConfig,
    conns: HashMap<ConnId, Conn>,
    /// Batches that applied changes to a document (each costs time that grows with the text).
    applies: u64,
    /// Which connection each joined peer is on.
    peers: HashMap<PeerId, ConnId>,
    docs: HashMap<DocumentId, DocSlot>,
    seen: Seen,
    ephemeral_count: u64,
    /// The text of the document ids in this hub's messages, each converted once.
    ids: IdTexts,
    /// Who owns each actor, for connections whose changes are vetted.
    authors: authors::Authors,
    /// What each participant's writes hold, for the quotas of `config.limits`.
    usage: limits::Usage,
}

impl Hub {
    pub fn new(config: HubConfig) -> Self {
        Self {
            config,
            conns: HashMap::new(),
            peers: HashMap::new(),
            docs: HashMap::new(),
            applies: 0,
            seen: Seen::default(),
            ephemeral_count: 0,
            ids: IdTexts::default(),
            authors: authors::Authors::default(),
            usage: limits::Usage::default(),
        }
    }

    /// Acts on a batch of inputs. Sync messages for the same document are applied together.
    pub fn handle(&mut self, now: Instant, inputs: impl IntoIterator<Item = Input>) -> Output {
        let mut out = Output::default();
        let mut batch = apply::Batch::default();
        for input in inputs {
            self.dispatch(now, input, &mut batch, &mut out);
        }
        self.apply(now, batch, &mut out);
        out
    }

    /// The document, if it is in memory.
    pub fn doc(&self, id: &DocumentId) -> Option<&Automerge> {
        self.docs.get(id).and_then(|slot| slot.doc.as_ref())
    }

    /// How many times changes were applied to a document since the hub started: one per
    /// document per turn that changed it, however many changes the turn brought.
    pub fn applies(&self) -> u64 {
        self.applies
    }

    /// Number of open connections.
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// Number of documents whose content is in memory.
    pub fn docs_in_memory(&self) -> usize {
        self.docs.values().filter(|slot| slot.doc.is_some()).count()
    }

    /// True when no connection is open: the caller may drop the hub.
    pub fn is_idle(&self) -> bool {
        self.conns.is_empty()
    }

    /// The peer id a connection joined as, once the handshake is done.
    pub fn peer_of(&self, conn: ConnId) -> Option<&PeerId> {
        self.conns.get(&conn).and_then(Conn::peer)
    }

    fn dispatch(&mut self, now: Instant, input: Input, batch: &mut apply::Batch, out: &mut Output) {
        match input {
            Input::Opened { conn, policy } => self.open(conn, policy, out),
            Input::OpenedLocal { conn, peer, policy } => self.open_local(conn, peer, policy),
            Input::LocalSync { conn, doc, data } => {
                self.sync_message(now, conn, doc, &data, false, batch, out)
            }
            Input::LocalClose { conn, doc } => self.close_local(conn, doc, out),
            Input::ReadOnly { conn, read_only } => {
                if let Some(state) = self.conns.get_mut(&conn).filter(|c| c.local) {
                    state.policy.read_only = read_only;
                }
            }
            Input::Frame { conn, bytes } => self.frame(now, conn, &bytes, batch, out),
            Input::TextFrame { conn } => self.reject(
                conn,
                "text frames are not part of the protocol: send binary CBOR frames",
                out,
            ),
            Input::Closed { conn } => self.close(conn, out),
            Input::Loaded {
                doc,
                found,
                may_create,
            } => self.loaded(now, doc, found, may_create, batch, out),
            Input::LoadFailed { doc } => self.load_failed(doc),
            Input::Share { conn, doc } => self.share(now, conn, doc, batch, out),
            Input::LocalChanges { doc, changes } => self.local_changes(doc, changes, batch, out),
            Input::Forget { doc } => self.forget(doc),
            Input::Reload { doc } => self.reload(doc, out),
            Input::Broadcast { doc, data } => self.broadcast(doc, data, out),
            Input::Resync { conn, doc } => self.resync(conn, doc, batch),
            Input::Tick => self.tick(now),
            Input::Authors { known } => self.authors.know(known),
            Input::Usage { charges } => self.usage.know(&charges),
        }
    }
}
