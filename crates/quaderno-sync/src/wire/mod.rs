//! The automerge-repo WebSocket protocol, version "1": one CBOR map per binary frame.
//!
//! Decoding accepts what the JavaScript reference really sends (16-bit map headers on small
//! maps, `undefined` values, floats for large integers, indefinite-length items, tagged byte
//! strings, any key order, unknown keys). Encoding writes preferred CBOR, which the reference
//! decodes as well.

mod decode;
mod encode;
mod ids;

use quaderno_model::DocumentId;

pub use decode::DecodeError;
pub use ids::IdTexts;

/// The only protocol version this engine speaks.
pub const PROTOCOL_VERSION: &str = "1";

/// The WebSocket close code a Quaderno relay sends when it closes a connection because the
/// device's access to the group changed (a new role, a removal, a revoked device): the client
/// connects again at once, and learns its new access from that connection.
pub const CLOSE_ACCESS_CHANGED: u16 = 4001;

/// The WebSocket close code a Quaderno relay sends when a note of the group was erased: the
/// client connects again at once, and that connection's change feed names the erasure.
pub const CLOSE_NOTE_ERASED: u16 = 4002;

/// A peer's id as it appears in `senderId` and `targetId`: any string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(String);

impl PeerId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PeerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for PeerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PeerId({})", self.0)
    }
}

/// What a peer says about its storage in `join` and `peer`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerMetadata {
    /// A stable id of the peer's storage; sync states are kept per storage id.
    pub storage_id: Option<String>,
    /// An ephemeral peer keeps nothing, so there is no point remembering what it has.
    pub is_ephemeral: bool,
}

/// One protocol message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Join {
        sender: PeerId,
        metadata: Option<PeerMetadata>,
        /// `None` when the field is missing, which the reference treats as "1".
        supported_versions: Option<Vec<String>>,
    },
    Peer {
        sender: PeerId,
        target: PeerId,
        metadata: Option<PeerMetadata>,
        selected_version: String,
    },
    Error {
        sender: PeerId,
        target: Option<PeerId>,
        message: String,
    },
    /// Like `Sync`, sent by a peer that does not have the document yet.
    Request {
        sender: PeerId,
        target: PeerId,
        document: DocumentId,
        data: Vec<u8>,
    },
    Sync {
        sender: PeerId,
        target: PeerId,
        document: DocumentId,
        data: Vec<u8>,
    },
    DocUnavailable {
        sender: PeerId,
        target: PeerId,
        document: DocumentId,
    },
    Ephemeral {
        sender: PeerId,
        target: PeerId,
        document: DocumentId,
        session_id: String,
        count: u64,
        data: Vec<u8>,
    },
    /// A message this engine does not act on (`remote-heads-changed`,
    /// `remote-subscription-change`, or a type from a newer protocol), kept so it can be counted.
    Other {
        kind: String,
        sender: Option<PeerId>,
    },
}

impl Message {
    /// Decodes one frame.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode::decode(bytes, &mut IdTexts::default())
    }

    /// Decodes one frame, converting its `documentId` through `ids` (see [`IdTexts`]).
    pub fn decode_with(bytes: &[u8], ids: &mut IdTexts) -> Result<Self, DecodeError> {
        decode::decode(bytes, ids)
    }

    /// Encodes the message as one frame.
    pub fn encode(&self) -> Vec<u8> {
        encode::encode(self, &mut IdTexts::default())
    }

    /// Encodes the message as one frame, writing its `documentId` through `ids`.
    pub fn encode_with(&self, ids: &mut IdTexts) -> Vec<u8> {
        encode::encode(self, ids)
    }

    /// The `senderId`, when the message has one.
    pub fn sender(&self) -> Option<&PeerId> {
        match self {
            Message::Join { sender, .. }
            | Message::Peer { sender, .. }
            | Message::Error { sender, .. }
            | Message::Request { sender, .. }
            | Message::Sync { sender, .. }
            | Message::DocUnavailable { sender, .. }
            | Message::Ephemeral { sender, .. } => Some(sender),
            Message::Other { sender, .. } => sender.as_ref(),
        }
    }

    /// The protocol's name for this kind of message.
    pub fn kind(&self) -> &str {
        match self {
            Message::Join { .. } => "join",
            Message::Peer { .. } => "peer",
            Message::Error { .. } => "error",
            Message::Request { .. } => "request",
            Message::Sync { .. } => "sync",
            Message::DocUnavailable { .. } => "doc-unavailable",
            Message::Ephemeral { .. } => "ephemeral",
            Message::Other { kind, .. } => kind,
        }
    }
}

#[cfg(test)]
mod tests;
