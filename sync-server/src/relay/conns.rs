//! Live connections: how an actor sends to one, and how admin events find and close them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use quaderno_sync::ConnId;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The connection's outbox is full: it does not read what we send.
#[derive(Debug)]
pub struct SlowReader;

/// What a queued frame costs besides its bytes (its buffer and the channel's slot), so a
/// connection sent many tiny frames is bounded as surely as one sent a few big ones.
const FRAME_OVERHEAD: usize = 64;

/// The bytes a queued frame of `len` bytes counts for against the outbox's bound.
pub fn queued_cost(len: usize) -> usize {
    len + FRAME_OVERHEAD
}

/// The first entry of every `ephemeral` message as `quaderno_sync` encodes it, after the map's
/// header: `type: "ephemeral"`.
const EPHEMERAL_TYPE: &[u8] = b"\x64type\x69ephemeral";

/// Whether a frame the relay is about to send is presence (an `ephemeral` message).
fn is_presence(frame: &[u8]) -> bool {
    frame.first().is_some_and(|b| (0xa0..=0xbb).contains(b))
        && frame[1..].starts_with(EPHEMERAL_TYPE)
}

/// One live WebSocket connection, as actors and admin events see it.
#[derive(Debug)]
pub struct ConnHandle {
    pub id: ConnId,
    pub device_id: i64,
    pub participant_id: i64,
    pub group: String,
    /// The latest admin event recorded before the connection was authorized: later ones may
    /// not be reflected in its role (see `watch`), earlier ones are.
    pub events_seen: i64,
    /// Unbounded as a channel: `queued` is the bound, in bytes, whatever the frames' sizes.
    outbox: mpsc::UnboundedSender<Vec<u8>>,
    /// Bytes waiting in the outbox (see [`queued_cost`]); a reader that never reads is closed
    /// when they pass `max_queued`.
    queued: Arc<AtomicUsize>,
    max_queued: usize,
    /// Cancelled to close the connection; the socket task notices and ends.
    pub closed: CancellationToken,
    /// Set when the relay closes the connection for a reason the client acts on (see
    /// [`Because`]), which the close frame then carries.
    because: OnceLock<Because>,
}

impl ConnHandle {
    pub fn new(
        id: ConnId,
        auth: &crate::accounts::DeviceAuth,
        group: String,
        events_seen: i64,
        outbox: mpsc::UnboundedSender<Vec<u8>>,
        max_queued: usize,
        closed: CancellationToken,
    ) -> (Self, Arc<AtomicUsize>) {
        let queued = Arc::new(AtomicUsize::new(0));
        let handle = Self {
            id,
            device_id: auth.device_id,
            participant_id: auth.participant_id,
            group,
            events_seen,
            outbox,
            queued: queued.clone(),
            max_queued,
            closed,
            because: OnceLock::new(),
        };
        (handle, queued)
    }

    /// Queues a frame without waiting; a full outbox means the peer is not reading.
    ///
    /// Presence is dropped instead once an eighth of the bound is waiting: the next update
    /// replaces it anyway, and one member's presence traffic must not get another member
    /// closed as a slow reader.
    pub fn send(&self, frame: Vec<u8>) -> Result<(), SlowReader> {
        let cost = queued_cost(frame.len());
        let queued = self.queued.load(Ordering::Relaxed);
        if is_presence(&frame) && queued + cost > self.max_queued / 8 {
            return Ok(());
        }
        if queued + cost > self.max_queued {
            return Err(SlowReader);
        }
        self.queued.fetch_add(cost, Ordering::Relaxed);
        self.outbox.send(frame).map_err(|_| SlowReader)
    }

    /// Asks the socket task to send what is queued and close.
    pub fn close(&self) {
        self.closed.cancel();
    }

    /// Closes like [`ConnHandle::close`], telling the client why.
    pub fn close_because(&self, because: Because) {
        let _ = self.because.set(because);
        self.close();
    }

    /// Why the relay closed the connection, if it said.
    pub fn because(&self) -> Option<Because> {
        self.because.get().copied()
    }
}

/// Why the relay closes a connection, when the client should act on it: connect again at
/// once, and learn from that connection what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Because {
    /// The device's access to the group changed (a new role, a removal, a revoked device).
    AccessChanged,
    /// A note of the group was erased: the client deletes it.
    NoteErased,
}

impl Because {
    /// The WebSocket close code and reason.
    pub fn close_frame(self) -> (u16, &'static str) {
        match self {
            Because::AccessChanged => (quaderno_sync::wire::CLOSE_ACCESS_CHANGED, "access changed"),
            Because::NoteErased => (quaderno_sync::wire::CLOSE_NOTE_ERASED, "note erased"),
        }
    }
}

/// Every live connection, for admin events (revoked devices, removed members).
#[derive(Debug, Default)]
pub struct Connections {
    live: Mutex<HashMap<ConnId, Arc<ConnHandle>>>,
}

impl Connections {
    pub fn insert(&self, handle: Arc<ConnHandle>) {
        self.lock().insert(handle.id, handle);
    }

    pub fn remove(&self, id: ConnId) {
        self.lock().remove(&id);
    }

    /// Closes every connection that matches, saying why; returns how many.
    pub fn close_where(&self, because: Because, matches: impl Fn(&ConnHandle) -> bool) -> usize {
        let live = self.lock();
        let mut closed = 0;
        for handle in live.values().filter(|h| matches(h)) {
            handle.close_because(because);
            closed += 1;
        }
        closed
    }

    /// The devices with a live connection to `group`.
    pub fn devices_in(&self, group: &str) -> std::collections::HashSet<i64> {
        self.lock()
            .values()
            .filter(|h| h.group == group && !h.closed.is_cancelled())
            .map(|h| h.device_id)
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConnId, Arc<ConnHandle>>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl crate::api::Presence for Connections {
    fn online_devices(&self, group: &str) -> std::collections::HashSet<i64> {
        self.devices_in(group)
    }
}

#[cfg(test)]
mod tests {
    use quaderno_model::DocumentId;
    use quaderno_sync::{Message, PeerId};

    use super::*;

    #[test]
    fn presence_is_told_from_every_other_message_the_relay_sends() {
        let (peer, doc) = (PeerId::new("anna"), DocumentId::random());
        let presence = Message::Ephemeral {
            sender: peer.clone(),
            target: peer.clone(),
            document: doc,
            session_id: "ephemeral".into(),
            count: 1,
            data: b"ephemeral".to_vec(),
        };
        assert!(is_presence(&presence.encode()));
        let others = [
            Message::Sync {
                sender: peer.clone(),
                target: peer.clone(),
                document: doc,
                data: b"ephemeral".to_vec(),
            },
            Message::DocUnavailable {
                sender: peer.clone(),
                target: peer.clone(),
                document: doc,
            },
            Message::Error {
                sender: peer.clone(),
                target: None,
                message: "ephemeral".into(),
            },
            Message::Peer {
                sender: peer.clone(),
                target: peer,
                metadata: None,
                selected_version: "1".into(),
            },
        ];
        for other in others {
            assert!(!is_presence(&other.encode()), "{other:?}");
        }
    }
}
