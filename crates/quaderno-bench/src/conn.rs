//! One simulated client's WebSocket: the `join`/`peer` handshake, then protocol messages in
//! batches (everything already waiting is read at once, so a client that fell behind catches up
//! with one Automerge apply instead of many).

use futures_util::{FutureExt, SinkExt, StreamExt};
use quaderno_sync::wire::{IdTexts, PROTOCOL_VERSION};
use quaderno_sync::{Message, PeerId, PeerMetadata};
use serde::Serialize;
use thiserror::Error;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::target::Endpoint;

/// Most frames taken in one batch.
const MAX_BATCH: usize = 512;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Debug, Error)]
pub enum ConnError {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("the relay refused the connection with HTTP {0}")]
    Refused(u16),
    #[error("the relay sent an error: {0}")]
    Remote(String),
    #[error("the relay sent something that is not the protocol: {0}")]
    Protocol(String),
    #[error("the connection closed")]
    Closed,
}

impl ConnError {
    fn from_ws(error: tungstenite::Error) -> ConnError {
        match error {
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                ConnError::Closed
            }
            tungstenite::Error::Http(response) => ConnError::Refused(response.status().as_u16()),
            other => ConnError::Connect(other.to_string()),
        }
    }
}

/// Frames and bytes a connection carried.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Traffic {
    pub frames_in: u64,
    pub bytes_in: u64,
    pub frames_out: u64,
    pub bytes_out: u64,
}

impl std::ops::AddAssign for Traffic {
    fn add_assign(&mut self, other: Traffic) {
        self.frames_in += other.frames_in;
        self.bytes_in += other.bytes_in;
        self.frames_out += other.frames_out;
        self.bytes_out += other.bytes_out;
    }
}

/// A joined connection to the relay.
#[derive(Debug)]
pub struct Connection {
    socket: Socket,
    pub me: PeerId,
    /// The relay's peer id, from its `peer` answer.
    pub relay: PeerId,
    pub traffic: Traffic,
    /// Document ids converted to and from text once, not for every message.
    ids: IdTexts,
}

impl Connection {
    /// Connects, sends `join` with a storage id (as a client that keeps its data does) and waits
    /// for `peer`. The caller bounds the wait.
    pub async fn open(endpoint: &Endpoint) -> Result<Connection, ConnError> {
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(endpoint.url.as_str(), None, true)
                .await
                .map_err(ConnError::from_ws)?;
        let mut conn = Connection {
            socket,
            me: endpoint.peer.clone(),
            relay: PeerId::new(""),
            traffic: Traffic::default(),
            ids: IdTexts::default(),
        };
        let join = Message::Join {
            sender: endpoint.peer.clone(),
            metadata: Some(PeerMetadata {
                storage_id: Some(format!("{}-storage", endpoint.peer)),
                is_ephemeral: false,
            }),
            supported_versions: Some(vec![PROTOCOL_VERSION.to_string()]),
        };
        conn.send(vec![join]).await?;
        loop {
            for message in conn.recv().await? {
                match message {
                    Message::Peer { sender, .. } => {
                        conn.relay = sender;
                        return Ok(conn);
                    }
                    Message::Error { message, .. } => return Err(ConnError::Remote(message)),
                    _ => {}
                }
            }
        }
    }

    /// Sends messages, one frame each, flushing once.
    pub async fn send(&mut self, messages: Vec<Message>) -> Result<(), ConnError> {
        if messages.is_empty() {
            return Ok(());
        }
        for message in messages {
            let bytes = message.encode_with(&mut self.ids);
            self.traffic.frames_out += 1;
            self.traffic.bytes_out += bytes.len() as u64;
            self.socket
                .feed(WsMessage::Binary(bytes.into()))
                .await
                .map_err(ConnError::from_ws)?;
        }
        self.socket.flush().await.map_err(ConnError::from_ws)
    }

    /// Waits for the next message, then takes every message already waiting. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Vec<Message>, ConnError> {
        let first = self.socket.next().await;
        let mut messages = Vec::new();
        self.take(first, &mut messages)?;
        while messages.len() < MAX_BATCH {
            match self.socket.next().now_or_never() {
                Some(next) => self.take(next, &mut messages)?,
                None => break,
            }
        }
        Ok(messages)
    }

    fn take(
        &mut self,
        next: Option<Result<WsMessage, tungstenite::Error>>,
        into: &mut Vec<Message>,
    ) -> Result<(), ConnError> {
        match next {
            None => Err(ConnError::Closed),
            Some(Err(error)) => Err(ConnError::from_ws(error)),
            Some(Ok(WsMessage::Binary(bytes))) => {
                self.traffic.frames_in += 1;
                self.traffic.bytes_in += bytes.len() as u64;
                let message = Message::decode_with(&bytes, &mut self.ids)
                    .map_err(|e| ConnError::Protocol(e.to_string()))?;
                into.push(message);
                Ok(())
            }
            Some(Ok(WsMessage::Close(_))) => Err(ConnError::Closed),
            Some(Ok(WsMessage::Text(_))) => Err(ConnError::Protocol("a text frame".into())),
            // Pings are answered by the WebSocket library as it reads.
            Some(Ok(_)) => Ok(()),
        }
    }

    /// Says goodbye with a close frame (bounded by the caller).
    pub async fn close(mut self) -> Traffic {
        let _ = self.socket.close(None).await;
        self.traffic
    }
}
