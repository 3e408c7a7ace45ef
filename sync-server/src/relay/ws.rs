//! `GET /v1/groups/{group}/sync`: the WebSocket endpoint of a group.
//!
//! The token is checked and the role looked up before the upgrade (a non-member gets 403 and no
//! socket). Each socket then has a reader, which rate-limits and forwards frames to the group's
//! actor, and a writer, which drains a bounded outbox and pings.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use quaderno_sync::{ConnId, ConnPolicy, Message, PeerId};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::RelayState;
use super::actor::Command;
use super::conns::ConnHandle;
use crate::accounts::DeviceAuth;
use crate::api::{self, AppError};

/// Frames waiting for a slow connection before it is closed.
const OUTBOX_FRAMES: usize = 1024;
/// How long the last frames and the close get to leave when a connection is closed.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

pub async fn sync_endpoint(
    State(state): State<RelayState>,
    Path(group): Path<String>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let (auth, role, group) =
        api::authorize_group(&state.api, &headers, query.token.as_deref(), &group).await?;
    let policy = ConnPolicy {
        expected_peer: Some(PeerId::new(auth.peer_id.clone())),
        read_only: !role.can_write(),
    };
    let limit = state.config.max_frame_bytes;
    Ok(upgrade
        .max_frame_size(limit)
        .max_message_size(limit)
        .on_upgrade(move |socket| connection(socket, state, auth, group.slug, policy)))
}

async fn connection(
    socket: WebSocket,
    state: RelayState,
    auth: DeviceAuth,
    group: String,
    policy: ConnPolicy,
) {
    let conn = state.next_conn();
    let (outbox, outgoing) = mpsc::channel(OUTBOX_FRAMES);
    let max_queued = (2 * state.config.max_frame_bytes).max(8 << 20);
    let closed = state.shutdown.child_token();
    let (handle, queued) = ConnHandle::new(conn, &auth, group.clone(), outbox, max_queued, closed);
    let handle = Arc::new(handle);
    state.connections.insert(handle.clone());
    state.metrics.connections.inc();
    tracing::info!(group, conn = conn.0, device = auth.device_id, "connected");

    let (sink, stream) = socket.split();
    let last_pong = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let writer = tokio::spawn(write_loop(
        sink,
        outgoing,
        handle.clone(),
        queued,
        state.config.ping_interval,
        (started, last_pong.clone()),
    ));
    let actor = state
        .groups
        .open(
            &group,
            Command::Open {
                handle: handle.clone(),
                policy,
            },
        )
        .await;
    let peer = PeerId::new(auth.peer_id.clone());
    let reader = Reader {
        state: &state,
        actor: &actor,
        handle: &handle,
        peer,
        started,
        last_pong,
    };
    reader.run(stream).await;

    handle.close();
    let _ = actor.send(Command::Closed { conn }).await;
    let _ = writer.await;
    state.connections.remove(conn);
    state.metrics.connections.dec();
    tracing::info!(group, conn = conn.0, "disconnected");
}

struct Reader<'a> {
    state: &'a RelayState,
    actor: &'a mpsc::Sender<Command>,
    handle: &'a Arc<ConnHandle>,
    peer: PeerId,
    started: Instant,
    last_pong: Arc<AtomicU64>,
}

impl Reader<'_> {
    async fn run(&self, mut stream: SplitStream<WebSocket>) {
        let conn = self.handle.id;
        let mut bucket = TokenBucket::new(self.state.config.max_messages_per_sec);
        loop {
            let next = tokio::select! {
                next = stream.next() => next,
                _ = self.handle.closed.cancelled() => return,
            };
            let message = match next {
                Some(Ok(message)) => message,
                Some(Err(error)) => return self.refuse(&format!("the connection failed: {error}")),
                None => return,
            };
            match message {
                WsMessage::Binary(bytes) => {
                    if !bucket.take(Instant::now()) {
                        return self.refuse("too many messages: slow down and reconnect");
                    }
                    self.state.metrics.messages_in.inc();
                    self.state.metrics.bytes_in.inc_by(bytes.len() as u64);
                    let command = Command::Frame {
                        conn,
                        bytes: bytes.to_vec(),
                        received: Instant::now(),
                    };
                    if self.actor.send(command).await.is_err() {
                        return;
                    }
                }
                WsMessage::Text(_) => {
                    let _ = self.actor.send(Command::Text { conn }).await;
                }
                WsMessage::Pong(_) => {
                    let since = self.started.elapsed().as_millis() as u64;
                    self.last_pong.store(since, Ordering::Relaxed);
                }
                WsMessage::Ping(_) => {}
                WsMessage::Close(_) => return,
            }
        }
    }

    /// Tells the peer why in a protocol `error`, then closes.
    fn refuse(&self, reason: &str) {
        self.state.metrics.sync_errors.inc();
        tracing::info!(conn = self.handle.id.0, %reason, "closing a connection");
        let error = Message::Error {
            sender: self.state.peer_id.clone(),
            target: Some(self.peer.clone()),
            message: reason.to_string(),
        };
        let _ = self.handle.send(error.encode());
        self.handle.close();
    }
}

/// Allows `rate` messages per second on average, with bursts of up to `rate`.
struct TokenBucket {
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    fn new(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        Self {
            rate,
            tokens: rate,
            at: Instant::now(),
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.rate);
        self.at = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

async fn write_loop(
    mut sink: SplitSink<WebSocket, WsMessage>,
    mut outgoing: mpsc::Receiver<Vec<u8>>,
    handle: Arc<ConnHandle>,
    queued: Arc<AtomicUsize>,
    ping_interval: Duration,
    (started, last_pong): (Instant, Arc<AtomicU64>),
) {
    let mut ping = tokio::time::interval(ping_interval);
    ping.tick().await;
    loop {
        let frame = tokio::select! {
            biased;
            frame = outgoing.recv() => match frame {
                Some(frame) => frame,
                None => break,
            },
            _ = ping.tick() => {
                let pong_age = started.elapsed().saturating_sub(Duration::from_millis(last_pong.load(Ordering::Relaxed)));
                if pong_age > 2 * ping_interval + ping_interval / 2 {
                    tracing::info!(conn = handle.id.0, "closing a connection that stopped answering pings");
                    handle.close();
                    break;
                }
                if !send(&mut sink, &handle, WsMessage::Ping(Default::default())).await {
                    break;
                }
                continue;
            }
            _ = handle.closed.cancelled() => break,
        };
        queued.fetch_sub(frame.len(), Ordering::Relaxed);
        if !send(&mut sink, &handle, WsMessage::Binary(frame.into())).await {
            break;
        }
    }
    // What was queued before the close (an `error`, usually) still goes out, briefly.
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Ok(frame) = outgoing.try_recv() {
            if sink.send(WsMessage::Binary(frame.into())).await.is_err() {
                return;
            }
        }
        let close = CloseFrame {
            code: 1000,
            reason: "closed by the relay".into(),
        };
        let _ = sink.send(WsMessage::Close(Some(close))).await;
    })
    .await;
}

/// Sends one message unless the connection is closed while the send waits (a peer that never
/// reads must not hold the task forever). A send that can complete at once always does, so the
/// `error` explaining a close is not lost to the close itself.
async fn send(
    sink: &mut SplitSink<WebSocket, WsMessage>,
    handle: &ConnHandle,
    message: WsMessage,
) -> bool {
    tokio::select! {
        biased;
        sent = sink.send(message) => sent.is_ok(),
        _ = handle.closed.cancelled() => false,
    }
}

impl super::RelayState {
    fn next_conn(&self) -> ConnId {
        ConnId(self.conn_ids.fetch_add(1, Ordering::Relaxed))
    }
}
