//! Live connections: how an actor sends to one, and how admin events find and close them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

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

/// One live WebSocket connection, as actors and admin events see it.
#[derive(Debug)]
pub struct ConnHandle {
    pub id: ConnId,
    pub device_id: i64,
    pub participant_id: i64,
    pub group: String,
    /// Unbounded as a channel: `queued` is the bound, in bytes, whatever the frames' sizes.
    outbox: mpsc::UnboundedSender<Vec<u8>>,
    /// Bytes waiting in the outbox (see [`queued_cost`]); a reader that never reads is closed
    /// when they pass `max_queued`.
    queued: Arc<AtomicUsize>,
    max_queued: usize,
    /// Cancelled to close the connection; the socket task notices and ends.
    pub closed: CancellationToken,
}

impl ConnHandle {
    pub fn new(
        id: ConnId,
        auth: &crate::accounts::DeviceAuth,
        group: String,
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
            outbox,
            queued: queued.clone(),
            max_queued,
            closed,
        };
        (handle, queued)
    }

    /// Queues a frame without waiting; a full outbox means the peer is not reading.
    pub fn send(&self, frame: Vec<u8>) -> Result<(), SlowReader> {
        let cost = queued_cost(frame.len());
        if self.queued.load(Ordering::Relaxed) + cost > self.max_queued {
            return Err(SlowReader);
        }
        self.queued.fetch_add(cost, Ordering::Relaxed);
        self.outbox.send(frame).map_err(|_| SlowReader)
    }

    /// Asks the socket task to send what is queued and close.
    pub fn close(&self) {
        self.closed.cancel();
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

    /// Closes every connection that matches; returns how many.
    pub fn close_where(&self, matches: impl Fn(&ConnHandle) -> bool) -> usize {
        let live = self.lock();
        let mut closed = 0;
        for handle in live.values().filter(|h| matches(h)) {
            handle.close();
            closed += 1;
        }
        closed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConnId, Arc<ConnHandle>>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
