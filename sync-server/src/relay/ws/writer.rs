//! A connection's writer: drains the outbox onto the socket and pings.
//!
//! A peer can stop reading in two ways, and both end in a close: with traffic for it, its
//! outbox passes its bound ([`super::super::conns::ConnHandle::send`]) or a frame stays unsent
//! for longer than [`stall_limit`]; without traffic, it stops answering pings.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use tokio::sync::mpsc;

use super::super::conns::{ConnHandle, queued_cost};

/// How long the last frames and the close get to leave when a connection is closed.
pub const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// The slowest reader the relay waits for: 8 KB/s, a bad mobile link.
const SLOWEST_READER_BYTES_PER_SEC: u64 = 8 * 1024;

/// When the peer last answered a ping, as time since the connection opened.
#[derive(Debug, Clone)]
pub struct Pongs {
    pub started: Instant,
    pub last: Arc<AtomicU64>,
}

impl Pongs {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            last: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Notes a pong received now.
    pub fn answered(&self) {
        let since = self.started.elapsed().as_millis() as u64;
        self.last.store(since, Ordering::Relaxed);
    }

    fn age(&self) -> Duration {
        let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }
}

/// What the writer needs besides the socket.
#[derive(Debug)]
pub struct Writer {
    pub outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
    pub handle: Arc<ConnHandle>,
    pub queued: Arc<AtomicUsize>,
    pub ping_interval: Duration,
    pub pongs: Pongs,
}

impl Writer {
    /// A peer that has not answered a ping for this long is gone.
    fn pong_deadline(&self) -> Duration {
        2 * self.ping_interval + self.ping_interval / 2
    }

    pub async fn run(mut self, mut sink: SplitSink<WebSocket, WsMessage>) {
        let mut ping = tokio::time::interval(self.ping_interval);
        ping.tick().await;
        loop {
            let frame = tokio::select! {
                biased;
                frame = self.outgoing.recv() => match frame {
                    Some(frame) => frame,
                    None => break,
                },
                _ = ping.tick() => {
                    if self.pongs.age() > self.pong_deadline() {
                        tracing::info!(conn = self.handle.id.0, "closing a connection that stopped answering pings");
                        self.handle.close();
                        break;
                    }
                    if !self.send(&mut sink, WsMessage::Ping(Default::default())).await {
                        break;
                    }
                    continue;
                }
                _ = self.handle.closed.cancelled() => break,
            };
            self.queued
                .fetch_sub(queued_cost(frame.len()), Ordering::Relaxed);
            if !self.send(&mut sink, WsMessage::Binary(frame.into())).await {
                break;
            }
        }
        self.close(sink).await;
    }

    /// Sends one message unless the connection is closed meanwhile, or the peer takes longer
    /// than [`stall_limit`] to take it (a peer that never reads must not hold the task forever).
    /// A send that can complete at once always does, so the `error` explaining a close is not
    /// lost to the close itself.
    async fn send(&self, sink: &mut SplitSink<WebSocket, WsMessage>, message: WsMessage) -> bool {
        let limit = stall_limit(message_len(&message), self.pong_deadline());
        tokio::select! {
            biased;
            sent = sink.send(message) => sent.is_ok(),
            _ = self.handle.closed.cancelled() => false,
            _ = tokio::time::sleep(limit) => {
                tracing::info!(conn = self.handle.id.0, "closing a connection that does not read what it is sent");
                self.handle.close();
                false
            }
        }
    }

    /// What was queued before the close (an `error`, usually) still goes out, briefly.
    async fn close(mut self, mut sink: SplitSink<WebSocket, WsMessage>) {
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            while let Ok(frame) = self.outgoing.try_recv() {
                if sink.send(WsMessage::Binary(frame.into())).await.is_err() {
                    return;
                }
            }
            let (code, reason) = self
                .handle
                .because()
                .map_or((1000, "closed by the relay"), |b| b.close_frame());
            let close = CloseFrame {
                code,
                reason: reason.into(),
            };
            let _ = sink.send(WsMessage::Close(Some(close))).await;
        })
        .await;
    }
}

/// How long one frame may take to leave: the pong deadline, plus the time the slowest reader
/// we wait for needs to take its bytes.
fn stall_limit(len: usize, pong_deadline: Duration) -> Duration {
    let transfer = Duration::from_secs(len as u64 / SLOWEST_READER_BYTES_PER_SEC);
    pong_deadline + transfer
}

fn message_len(message: &WsMessage) -> usize {
    match message {
        WsMessage::Binary(bytes) => bytes.len(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_frame_may_stall_as_long_as_a_missing_pong_a_big_one_longer() {
        let deadline = Duration::from_secs(37);
        assert_eq!(stall_limit(200, deadline), deadline);
        let sixteen_mib = stall_limit(16 << 20, deadline);
        assert_eq!(sixteen_mib, deadline + Duration::from_secs(2048));
    }
}
