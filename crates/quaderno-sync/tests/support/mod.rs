//! An in-memory network for hub tests: one relay hub, any number of client hubs, each with its
//! own storage, and frames carried between them until everyone is quiet.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ROOT, ReadDoc};
use quaderno_model::DocumentId;
use quaderno_sync::{
    Authorship, ConnId, ConnPolicy, Event, Hub, HubConfig, Input, LoadedDoc, Message, Output,
    PeerId, PeerMetadata, Side, Write,
};

/// What one side keeps on disk.
#[derive(Default)]
pub struct Storage {
    pub docs: HashMap<DocumentId, Automerge>,
    pub states: HashMap<(DocumentId, String), automerge::sync::State>,
    pub purged: Vec<DocumentId>,
    pub writes: usize,
}

impl Storage {
    fn load(&self, doc: DocumentId) -> Input {
        let found = self.docs.get(&doc).map(|d| LoadedDoc {
            doc: d.clone(),
            sync_states: self
                .states
                .iter()
                .filter(|((id, _), _)| *id == doc)
                .map(|((_, key), state)| (key.clone(), state.clone()))
                .collect(),
        });
        Input::Loaded {
            doc,
            found,
            may_create: !self.purged.contains(&doc),
        }
    }

    fn write(&mut self, write: Write) {
        self.writes += 1;
        match write {
            Write::Changes { doc, bytes } | Write::Snapshot { doc, bytes } => {
                let stored = self.docs.entry(doc).or_default();
                stored
                    .load_incremental(&bytes)
                    .expect("stored changes load");
            }
            Write::SyncState {
                doc,
                storage_id,
                state,
            } => {
                self.states.insert((doc, storage_id), state);
            }
        }
    }
}

pub struct Client {
    pub name: String,
    pub hub: Hub,
    pub storage: Storage,
    pub events: Vec<Event>,
    /// The relay's id for this client's connection, while connected.
    pub relay_conn: Option<ConnId>,
    pub policy: ConnPolicy,
    /// Frames received from the relay, by kind.
    pub received: Vec<String>,
    /// Plain sync messages the hub has for local peers, not yet taken.
    pub local: Vec<(ConnId, DocumentId, Vec<u8>)>,
}

/// The client's own id for its one connection to the relay.
pub const CLIENT_CONN: ConnId = ConnId(1);

pub struct Net {
    pub now: Instant,
    pub relay: Hub,
    pub relay_storage: Storage,
    pub relay_events: Vec<Event>,
    /// Actors the relay bound, in the order it asked to store them.
    pub relay_authors: Vec<Authorship>,
    pub clients: Vec<Client>,
    to_relay: VecDeque<(ConnId, Vec<u8>)>,
    to_client: VecDeque<(usize, Vec<u8>)>,
    next_conn: u64,
    /// Frames the relay sent, as (client index, kind).
    pub relay_sent: Vec<(usize, String)>,
    /// Bytes of every frame the relay sent.
    pub relay_sent_bytes: usize,
    /// Frames the relay received, as (client index, kind).
    pub relay_received: Vec<(usize, String)>,
    /// Every input the relay handled in one call, for batch tests.
    pub hold_relay: bool,
}

impl Net {
    pub fn new() -> Self {
        let config = HubConfig::new(
            Side::Relay,
            PeerId::new("relay"),
            PeerMetadata {
                storage_id: Some("relay-storage".into()),
                is_ephemeral: false,
            },
            "relay-session".into(),
        );
        Self {
            now: Instant::now(),
            relay: Hub::new(config),
            relay_storage: Storage::default(),
            relay_events: Vec::new(),
            relay_authors: Vec::new(),
            clients: Vec::new(),
            to_relay: VecDeque::new(),
            to_client: VecDeque::new(),
            next_conn: 100,
            relay_sent: Vec::new(),
            relay_received: Vec::new(),
            relay_sent_bytes: 0,
            hold_relay: false,
        }
    }

    /// A client with its own storage; `writer` decides whether the relay applies its changes.
    pub fn add_client(&mut self, name: &str, writer: bool) -> usize {
        let config = HubConfig::new(
            Side::Client,
            PeerId::new(name),
            PeerMetadata {
                storage_id: Some(format!("{name}-storage")),
                is_ephemeral: false,
            },
            format!("{name}-session"),
        );
        self.clients.push(Client {
            name: name.into(),
            hub: Hub::new(config),
            storage: Storage::default(),
            events: Vec::new(),
            relay_conn: None,
            policy: ConnPolicy {
                expected_peer: Some(PeerId::new(name)),
                read_only: !writer,
                device: None,
                participant: None,
            },
            received: Vec::new(),
            local: Vec::new(),
        });
        self.clients.len() - 1
    }

    /// Opens the client's connection and runs the handshake.
    pub fn connect(&mut self, c: usize) {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        self.clients[c].relay_conn = Some(conn);
        let policy = self.clients[c].policy.clone();
        self.relay_input(vec![Input::Opened { conn, policy }]);
        self.client_input(
            c,
            vec![Input::Opened {
                conn: CLIENT_CONN,
                policy: ConnPolicy::default(),
            }],
        );
        self.run();
    }

    /// Closes the client's connection on both ends.
    pub fn disconnect(&mut self, c: usize) {
        if let Some(conn) = self.clients[c].relay_conn.take() {
            self.relay_input(vec![Input::Closed { conn }]);
            self.client_input(c, vec![Input::Closed { conn: CLIENT_CONN }]);
        }
        self.to_client.retain(|(to, _)| *to != c);
        self.to_relay
            .retain(|(conn, _)| self.clients.iter().any(|cl| cl.relay_conn == Some(*conn)));
        self.run();
    }

    /// Creates a note-like document in the client's storage and returns its id.
    pub fn create_doc(&mut self, c: usize, text: &str) -> DocumentId {
        let id = DocumentId::random();
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        let body = tx.put_object(ROOT, "body", ObjType::Text).unwrap();
        tx.splice_text(&body, 0, 0, text).unwrap();
        tx.commit();
        self.clients[c].storage.docs.insert(id, doc);
        id
    }

    /// Appends text to the document in the client's storage and tells its hub.
    pub fn append(&mut self, c: usize, doc: DocumentId, text: &str) {
        let stored = self.clients[c]
            .storage
            .docs
            .get_mut(&doc)
            .expect("client has the doc");
        let before = stored.get_heads();
        let (_, body) = stored.get(ROOT, "body").unwrap().unwrap();
        let len = stored.length(&body);
        let mut tx = stored.transaction();
        tx.splice_text(&body, len, 0, text).unwrap();
        tx.commit();
        let changes = stored.save_after(&before);
        self.client_input(c, vec![Input::LocalChanges { doc, changes }]);
        self.run();
    }

    pub fn share(&mut self, c: usize, doc: DocumentId) {
        self.client_input(
            c,
            vec![Input::Share {
                conn: CLIENT_CONN,
                doc,
            }],
        );
        self.run();
    }

    /// The body text as the client's storage holds it.
    pub fn text(&self, c: usize, doc: DocumentId) -> Option<String> {
        text_of(self.clients[c].storage.docs.get(&doc)?)
    }

    pub fn relay_text(&self, doc: DocumentId) -> Option<String> {
        text_of(self.relay_storage.docs.get(&doc)?)
    }

    /// Sends raw bytes from a client to the relay, as a misbehaving peer would.
    pub fn send_raw(&mut self, c: usize, bytes: Vec<u8>) {
        let conn = self.clients[c].relay_conn.expect("connected");
        self.to_relay.push_back((conn, bytes));
        self.run();
    }

    pub fn client_input(&mut self, c: usize, inputs: Vec<Input>) {
        let out = self.clients[c].hub.handle(self.now, inputs);
        self.client_output(c, out);
    }

    pub fn relay_input(&mut self, inputs: Vec<Input>) {
        for input in &inputs {
            if let Input::Frame { conn, bytes } = input
                && let Some(c) = self
                    .clients
                    .iter()
                    .position(|cl| cl.relay_conn == Some(*conn))
            {
                let kind = Message::decode(bytes)
                    .map(|m| m.kind().to_string())
                    .unwrap_or_default();
                self.relay_received.push((c, kind));
            }
        }
        let out = self.relay.handle(self.now, inputs);
        self.relay_output(out);
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    /// Throws away every frame on its way to the relay (a relay that died before reading
    /// them); returns how many.
    pub fn lose_frames_to_relay(&mut self) -> usize {
        let lost = self.to_relay.len();
        self.to_relay.clear();
        lost
    }

    /// Delivers up to `n` frames waiting for the relay, in one relay turn.
    pub fn deliver_to_relay(&mut self, n: usize) {
        let n = n.min(self.to_relay.len());
        let inputs: Vec<Input> = self
            .to_relay
            .drain(..n)
            .map(|(conn, bytes)| Input::Frame { conn, bytes })
            .collect();
        if !inputs.is_empty() {
            self.relay_input(inputs);
        }
    }

    /// Delivers up to `n` frames waiting for client `c`, one at a time.
    pub fn deliver_to_client(&mut self, c: usize, n: usize) {
        for _ in 0..n {
            let Some(pos) = self.to_client.iter().position(|(to, _)| *to == c) else {
                return;
            };
            let (_, bytes) = self.to_client.remove(pos).unwrap();
            let kind = Message::decode(&bytes)
                .map(|m| m.kind().to_string())
                .unwrap_or_default();
            self.clients[c].received.push(kind);
            self.client_input(
                c,
                vec![Input::Frame {
                    conn: CLIENT_CONN,
                    bytes,
                }],
            );
        }
    }

    /// Delivers every frame waiting for client `c` in one client turn, as frames that arrived
    /// together are handled.
    pub fn deliver_to_client_at_once(&mut self, c: usize) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        while let Some(pos) = self.to_client.iter().position(|(to, _)| *to == c) {
            frames.push(self.to_client.remove(pos).unwrap().1);
        }
        let inputs = frames
            .iter()
            .map(|bytes| Input::Frame {
                conn: CLIENT_CONN,
                bytes: bytes.clone(),
            })
            .collect();
        self.client_input(c, inputs);
        frames
    }

    /// Makes a local edit (appends to the body) without carrying any frame.
    pub fn append_quietly(&mut self, c: usize, doc: DocumentId, text: &str) {
        let stored = self.clients[c]
            .storage
            .docs
            .get_mut(&doc)
            .expect("client has the doc");
        let before = stored.get_heads();
        let (_, body) = stored.get(ROOT, "body").unwrap().unwrap();
        let len = stored.length(&body);
        let mut tx = stored.transaction();
        tx.splice_text(&body, len, 0, text).unwrap();
        tx.commit();
        let changes = stored.save_after(&before);
        self.client_input(c, vec![Input::LocalChanges { doc, changes }]);
    }

    /// True when the relay last told client `c` it holds exactly the client's heads of `doc`.
    pub fn acknowledged(&self, c: usize, doc: DocumentId) -> bool {
        let Some(stored) = self.clients[c].storage.docs.get(&doc) else {
            return false;
        };
        let heads = stored.get_heads();
        self.clients[c]
            .events
            .iter()
            .rev()
            .find_map(|e| match e {
                Event::InSync {
                    doc: d, heads: h, ..
                } if *d == doc => Some(*h == heads),
                _ => None,
            })
            .unwrap_or(false)
    }

    /// Carries frames until nobody has anything to say. With `hold_relay`, every frame
    /// waiting for the relay is handed over in one call, as a busy relay turn would.
    pub fn run(&mut self) {
        for _ in 0..10_000 {
            if let Some((c, bytes)) = self.to_client.pop_front() {
                let kind = Message::decode(&bytes)
                    .map(|m| m.kind().to_string())
                    .unwrap_or_default();
                self.clients[c].received.push(kind);
                self.client_input(
                    c,
                    vec![Input::Frame {
                        conn: CLIENT_CONN,
                        bytes,
                    }],
                );
                continue;
            }
            if self.to_relay.is_empty() {
                return;
            }
            let inputs: Vec<Input> = if self.hold_relay {
                self.to_relay
                    .drain(..)
                    .map(|(conn, bytes)| Input::Frame { conn, bytes })
                    .collect()
            } else {
                let (conn, bytes) = self.to_relay.pop_front().unwrap();
                vec![Input::Frame { conn, bytes }]
            };
            self.relay_input(inputs);
        }
        panic!("the network never went quiet");
    }

    fn relay_output(&mut self, out: Output) {
        let Output {
            writes,
            sends,
            closes,
            loads,
            events,
            authors,
            ..
        } = out;
        for write in writes {
            self.relay_storage.write(write);
        }
        self.relay_authors.extend(authors);
        for (conn, bytes) in sends {
            if let Some(c) = self
                .clients
                .iter()
                .position(|cl| cl.relay_conn == Some(conn))
            {
                let kind = Message::decode(&bytes)
                    .map(|m| m.kind().to_string())
                    .unwrap_or_default();
                self.relay_sent.push((c, kind));
                self.relay_sent_bytes += bytes.len();
                self.to_client.push_back((c, bytes));
            }
        }
        self.relay_events.extend(events);
        for conn in closes {
            if let Some(c) = self
                .clients
                .iter()
                .position(|cl| cl.relay_conn == Some(conn))
            {
                self.clients[c].relay_conn = None;
                self.relay_input(vec![Input::Closed { conn }]);
                self.client_input(c, vec![Input::Closed { conn: CLIENT_CONN }]);
            }
        }
        if !loads.is_empty() {
            let answers = loads
                .into_iter()
                .map(|doc| self.relay_storage.load(doc))
                .collect();
            self.relay_input(answers);
        }
    }

    fn client_output(&mut self, c: usize, out: Output) {
        let Output {
            writes,
            sends,
            local,
            loads,
            events,
            ..
        } = out;
        for write in writes {
            self.clients[c].storage.write(write);
        }
        self.clients[c].local.extend(local);
        if let Some(conn) = self.clients[c].relay_conn {
            for (_, bytes) in sends {
                self.to_relay.push_back((conn, bytes));
            }
        }
        self.clients[c].events.extend(events);
        if !loads.is_empty() {
            let answers = loads
                .into_iter()
                .map(|doc| self.clients[c].storage.load(doc))
                .collect();
            self.client_input(c, answers);
        }
    }
}

pub fn text_of(doc: &Automerge) -> Option<String> {
    let (_, body) = doc.get(ROOT, "body").ok()??;
    doc.text(&body).ok()
}
