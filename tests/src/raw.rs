//! A raw connection to a group's sync endpoint: it sends exactly the bytes a test gives it (no
//! sync engine in between, so it can break every rule) and keeps what the relay answers, both
//! as the frames' bytes and as decoded protocol messages.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use quaderno_sync::{Message, PeerId, PeerMetadata};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::peer::ConnectError;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One WebSocket connection driven byte by byte.
#[derive(Debug)]
pub struct RawConn {
    socket: Option<Socket>,
    /// Every binary frame the relay sent, in order.
    pub frames: Vec<Vec<u8>>,
    /// How many of them were of each kind (`peer`, `sync`, `doc-unavailable`, …), counted as
    /// they arrive (a test waiting for thousands of answers must not decode them all again
    /// for each new one).
    counts: HashMap<String, usize>,
    /// The close frame's code and reason, if the relay sent one.
    pub close_reason: Option<(u16, String)>,
    /// Set once the connection is gone, closed by either side or broken.
    pub closed: bool,
}

impl RawConn {
    /// Opens the WebSocket with a token as `Authorization: Bearer`, without joining.
    pub async fn open(url: &str, token: &str) -> Result<RawConn, ConnectError> {
        let mut request = url
            .into_client_request()
            .map_err(|e| ConnectError::Other(e.to_string()))?;
        let value = format!("Bearer {token}").parse().expect("a valid header");
        request.headers_mut().insert("authorization", value);
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(RawConn::from_socket(socket)),
            Err(tungstenite::Error::Http(response)) => {
                Err(ConnectError::Refused(response.status()))
            }
            Err(e) => Err(ConnectError::Other(e.to_string())),
        }
    }

    /// Opens the WebSocket and joins as `peer_id`; the relay's `peer` answer is awaited.
    pub async fn joined(url: &str, token: &str, peer_id: &str) -> RawConn {
        let mut conn = RawConn::open(url, token).await.expect("a member connects");
        conn.send(join(peer_id)).await;
        let answered = conn
            .read_until(Duration::from_secs(10), |c| c.received("peer") > 0)
            .await;
        assert!(
            answered,
            "no `peer` answer to `join`: {:?}",
            conn.messages()
        );
        conn
    }

    /// A connection over a socket already open.
    pub(crate) fn from_socket(socket: Socket) -> RawConn {
        RawConn {
            socket: Some(socket),
            frames: Vec::new(),
            counts: HashMap::new(),
            close_reason: None,
            closed: false,
        }
    }

    /// Sends one binary frame.
    pub async fn send(&mut self, bytes: Vec<u8>) {
        self.send_message(WsMessage::Binary(bytes.into())).await;
    }

    /// Sends one text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.send_message(WsMessage::Text(text.into())).await;
    }

    /// Sends a WebSocket ping with a payload.
    pub async fn send_ping(&mut self, payload: &[u8]) {
        self.send_message(WsMessage::Ping(payload.to_vec().into()))
            .await;
    }

    /// Queues frames without waiting for each to be written, then flushes once: as fast as
    /// the socket takes them. Stops early if the relay closes the connection.
    pub async fn flood(&mut self, frames: impl IntoIterator<Item = Vec<u8>>) -> usize {
        let Some(socket) = self.socket.as_mut() else {
            return 0;
        };
        let mut sent = 0;
        for frame in frames {
            if socket.feed(WsMessage::Binary(frame.into())).await.is_err() {
                self.closed = true;
                return sent;
            }
            sent += 1;
        }
        if socket.flush().await.is_err() {
            self.closed = true;
        }
        sent
    }

    async fn send_message(&mut self, message: WsMessage) {
        if let Some(socket) = self.socket.as_mut()
            && socket.send(message).await.is_err()
        {
            self.closed = true;
        }
    }

    /// Reads frames until `done` holds, the connection ends or `limit` passes; true if it held.
    pub async fn read_until(&mut self, limit: Duration, done: impl Fn(&RawConn) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if done(self) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(socket) = self.socket.as_mut() else {
                return done(self);
            };
            if left.is_zero() {
                return done(self);
            }
            match tokio::time::timeout(left, socket.next()).await {
                Err(_) => return done(self),
                Ok(Some(Ok(WsMessage::Binary(bytes)))) => self.keep(bytes.to_vec()),
                Ok(Some(Ok(WsMessage::Close(frame)))) => {
                    self.close_reason = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                    self.gone();
                }
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_))) | Ok(None) => self.gone(),
            }
        }
    }

    /// Reads until the relay closes the connection; true if it did within `limit`.
    pub async fn read_until_closed(&mut self, limit: Duration) -> bool {
        self.read_until(limit, |c| c.closed).await
    }

    fn keep(&mut self, frame: Vec<u8>) {
        let kind = Message::decode(&frame).map_or_else(|_| "?".into(), |m| m.kind().to_string());
        *self.counts.entry(kind).or_default() += 1;
        self.frames.push(frame);
    }

    /// Forgets the frames received so far (and their counts).
    pub fn forget_received(&mut self) {
        self.frames.clear();
        self.counts.clear();
    }

    fn gone(&mut self) {
        self.closed = true;
        self.socket = None;
    }

    /// The relay's frames decoded; a frame that does not decode is a test failure.
    pub fn messages(&self) -> Vec<Message> {
        self.frames
            .iter()
            .map(|f| Message::decode(f).expect("the relay sends valid protocol messages"))
            .collect()
    }

    /// How many messages of this kind (`peer`, `sync`, `doc-unavailable`, …) arrived.
    pub fn received(&self, kind: &str) -> usize {
        self.counts.get(kind).copied().unwrap_or(0)
    }

    /// The texts of the `error` messages the relay sent.
    pub fn errors(&self) -> Vec<String> {
        self.messages()
            .into_iter()
            .filter_map(|m| match m {
                Message::Error { message, .. } => Some(message),
                _ => None,
            })
            .collect()
    }

    /// Drops the socket without a close handshake, as a crashed client would.
    pub fn abandon(mut self) {
        self.socket.take();
    }
}

/// A `join` as the JavaScript client sends it, offering protocol version "1".
pub fn join(peer_id: &str) -> Vec<u8> {
    join_offering(peer_id, &["1"])
}

/// A `join` offering these protocol versions.
pub fn join_offering(peer_id: &str, versions: &[&str]) -> Vec<u8> {
    Message::Join {
        sender: PeerId::new(peer_id),
        metadata: Some(PeerMetadata {
            storage_id: Some(format!("{peer_id}-storage")),
            is_ephemeral: false,
        }),
        supported_versions: Some(versions.iter().map(|v| v.to_string()).collect()),
    }
    .encode()
}

/// A `request` for a document with the empty sync message a peer without it sends.
pub fn request(sender: &str, relay: &str, doc: quaderno_model::DocumentId) -> Vec<u8> {
    Message::Request {
        sender: PeerId::new(sender),
        target: PeerId::new(relay),
        document: doc,
        data: EMPTY_SYNC_MESSAGE.to_vec(),
    }
    .encode()
}

/// A `sync` for a document carrying `data` as the automerge sync message.
pub fn sync(sender: &str, relay: &str, doc: quaderno_model::DocumentId, data: Vec<u8>) -> Vec<u8> {
    Message::Sync {
        sender: PeerId::new(sender),
        target: PeerId::new(relay),
        document: doc,
        data,
    }
    .encode()
}

/// What the JavaScript client sends when it asks for a document it does not have: V1, no
/// heads, no need, one empty `have`, no changes, flags (captured, see the protocol notes).
pub const EMPTY_SYNC_MESSAGE: [u8; 10] = [0x42, 0, 0, 1, 0, 0, 0, 2, 2, 0x84];
