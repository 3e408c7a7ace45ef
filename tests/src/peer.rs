//! A protocol peer for tests: the client side of the sync engine over a real WebSocket, with
//! documents kept in memory. It does only what a test tells it, step by step.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ROOT, ReadDoc};
use futures_util::{SinkExt, StreamExt};
use quaderno_model::DocumentId;
use quaderno_sync::{
    ConnId, ConnPolicy, Event, Hub, HubConfig, Input, LoadedDoc, Output, PeerId, PeerMetadata, Side,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const CONN: ConnId = ConnId(1);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why a connection could not be opened.
#[derive(Debug)]
pub enum ConnectError {
    /// The relay refused the upgrade with this HTTP status.
    Refused(StatusCode),
    Other(String),
}

/// One peer connected to a group's sync endpoint.
#[derive(Debug)]
pub struct Peer {
    socket: Option<Socket>,
    hub: Hub,
    /// The peer's storage.
    pub docs: HashMap<DocumentId, Automerge>,
    /// Everything its hub reported.
    pub events: Vec<Event>,
    /// Set once the relay closed the connection.
    pub closed: bool,
}

impl Peer {
    /// Connects with a token (as `Authorization: Bearer`) and joins with `peer_id`.
    pub async fn connect(url: &str, token: &str, peer_id: &str) -> Result<Peer, ConnectError> {
        let mut request = url
            .into_client_request()
            .map_err(|e| ConnectError::Other(e.to_string()))?;
        if !token.is_empty() {
            let value = format!("Bearer {token}").parse().expect("a valid header");
            request.headers_mut().insert("authorization", value);
        }
        let socket = match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => socket,
            Err(tungstenite::Error::Http(response)) => {
                return Err(ConnectError::Refused(response.status()));
            }
            Err(e) => return Err(ConnectError::Other(e.to_string())),
        };
        let config = HubConfig::new(
            Side::Client,
            PeerId::new(peer_id),
            PeerMetadata {
                storage_id: Some(format!("{peer_id}-storage")),
                is_ephemeral: false,
            },
            format!("{peer_id}-session"),
        );
        let mut peer = Peer {
            socket: Some(socket),
            hub: Hub::new(config),
            docs: HashMap::new(),
            events: Vec::new(),
            closed: false,
        };
        let opened = Input::Opened {
            conn: CONN,
            policy: ConnPolicy::default(),
        };
        peer.input(vec![opened]).await;
        let joined = peer
            .pump_until(Duration::from_secs(5), |p| p.joined())
            .await;
        if !joined {
            return Err(ConnectError::Other("no `peer` answer to `join`".into()));
        }
        Ok(peer)
    }

    pub fn joined(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, Event::Joined { .. }))
    }

    /// Creates a document with a `body` text in this peer's storage.
    pub fn create(&mut self, body: &str) -> DocumentId {
        let id = DocumentId::random();
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        let text = tx.put_object(ROOT, "body", ObjType::Text).expect("put");
        tx.splice_text(&text, 0, 0, body).expect("splice");
        tx.commit();
        self.docs.insert(id, doc);
        id
    }

    /// Starts syncing a document with the relay.
    pub async fn share(&mut self, doc: DocumentId) {
        self.input(vec![Input::Share { conn: CONN, doc }]).await;
    }

    /// Appends to the body in storage and tells the hub, as a local edit does.
    pub async fn append(&mut self, doc: DocumentId, more: &str) {
        let stored = self.docs.get_mut(&doc).expect("the peer has the document");
        let before = stored.get_heads();
        let (_, body) = stored.get(ROOT, "body").expect("read").expect("a body");
        let len = stored.length(&body);
        let mut tx = stored.transaction();
        tx.splice_text(&body, len, 0, more).expect("splice");
        tx.commit();
        let changes = stored.save_after(&before);
        self.input(vec![Input::LocalChanges { doc, changes }]).await;
    }

    /// Edits a document in storage with `f` and tells the hub, as a local edit does.
    pub async fn edit(&mut self, doc: DocumentId, f: impl FnOnce(&mut Automerge)) {
        let stored = self.docs.get_mut(&doc).expect("the peer has the document");
        let before = stored.get_heads();
        f(stored);
        let changes = stored.save_after(&before);
        self.input(vec![Input::LocalChanges { doc, changes }]).await;
    }

    /// Sends an ephemeral payload to the document's other peers.
    pub async fn broadcast(&mut self, doc: DocumentId, data: &[u8]) {
        self.input(vec![Input::Broadcast {
            doc,
            data: data.to_vec(),
        }])
        .await;
    }

    /// The body text as this peer's storage holds it.
    pub fn body(&self, doc: DocumentId) -> Option<String> {
        let stored = self.docs.get(&doc)?;
        let (_, body) = stored.get(ROOT, "body").ok()??;
        stored.text(&body).ok()
    }

    /// Sends raw bytes as one binary frame.
    pub async fn send_raw(&mut self, bytes: Vec<u8>) {
        if let Some(socket) = self.socket.as_mut()
            && socket.send(WsMessage::Binary(bytes.into())).await.is_err()
        {
            self.closed = true;
        }
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) {
        if let Some(socket) = self.socket.as_mut()
            && socket.send(WsMessage::Text(text.into())).await.is_err()
        {
            self.closed = true;
        }
    }

    /// Handles frames from the relay until `done` holds or `limit` passes; true if it held.
    pub async fn pump_until(&mut self, limit: Duration, done: impl Fn(&Peer) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if done(self) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.closed {
                return done(self);
            }
            let Some(socket) = self.socket.as_mut() else {
                return done(self);
            };
            match tokio::time::timeout(left, socket.next()).await {
                Err(_) => return done(self),
                Ok(Some(Ok(WsMessage::Binary(bytes)))) => {
                    let frame = Input::Frame {
                        conn: CONN,
                        bytes: bytes.to_vec(),
                    };
                    self.input(vec![frame]).await;
                }
                Ok(Some(Ok(WsMessage::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => {
                    self.closed = true;
                    self.socket = None;
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Handles frames for a while (to show that something does *not* arrive).
    pub async fn pump_for(&mut self, duration: Duration) {
        self.pump_until(duration, |_| false).await;
    }

    /// Closes the WebSocket.
    pub async fn close(mut self) {
        if let Some(mut socket) = self.socket.take() {
            let _ = socket.close(None).await;
        }
    }

    /// The `error` messages the relay sent.
    pub fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::RemoteError { message, .. } => Some(message.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn unavailable(&self, doc: DocumentId) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, Event::DocUnavailable { doc: d, .. } if *d == doc))
    }

    /// Runs inputs through the hub and carries out the output: storage, then the network.
    async fn input(&mut self, inputs: Vec<Input>) {
        let mut out = self.hub.handle(Instant::now(), inputs);
        loop {
            let loads = self.carry_out(std::mem::take(&mut out)).await;
            if loads.is_empty() {
                return;
            }
            out = self.hub.handle(Instant::now(), loads);
        }
    }

    async fn carry_out(&mut self, out: Output) -> Vec<Input> {
        for write in out.writes {
            if let quaderno_sync::Write::Changes { doc, bytes }
            | quaderno_sync::Write::Snapshot { doc, bytes } = write
            {
                self.docs
                    .entry(doc)
                    .or_default()
                    .load_incremental(&bytes)
                    .expect("changes from the relay load");
            }
        }
        for (_, bytes) in out.sends {
            self.send_raw(bytes).await;
        }
        self.events.extend(out.events);
        out.loads
            .into_iter()
            .map(|doc| Input::Loaded {
                doc,
                found: self.docs.get(&doc).map(|d| LoadedDoc {
                    doc: d.clone(),
                    sync_states: Vec::new(),
                }),
                may_create: true,
            })
            .collect()
    }
}
