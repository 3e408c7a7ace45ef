//! `GET /v1/groups/{group}/sync`: the WebSocket endpoint of a group.
//!
//! The token is checked and the role looked up before the upgrade (a non-member gets 403 and no
//! socket). Each socket then has a reader, which rate-limits and forwards frames to the group's
//! actor, and a writer, which drains a bounded outbox and pings. When either side ends the
//! connection, what the peer still sends is read and dropped while the last frames leave, so
//! the peer gets the `error` explaining the close rather than a reset connection.

mod devices;
mod throttle;
mod writer;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use quaderno_sync::{ConnId, ConnPolicy, Message, ParticipantId, PeerId};
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::RelayState;
use super::actor::Command;
use super::conns::{ConnHandle, queued_cost};
use crate::accounts::DeviceAuth;
use crate::api::{self, AppError};
pub use devices::DeviceSlots;
use throttle::{Admit, Throttle};
use writer::{CLOSE_GRACE, Pongs, Writer};

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
    // Read first: an admin event recorded by now is reflected in the role read next, so it
    // need not close this connection (see `watch`).
    let events_seen = state
        .api
        .db
        .call(|conn| Ok(crate::accounts::latest_admin_event(conn)?))
        .await?;
    let (auth, role, group) =
        api::authorize_group(&state.api, &headers, query.token.as_deref(), &group).await?;
    let Some(slot) = state.device_slots.claim(auth.device_id) else {
        state.metrics.device_refused.inc();
        return Err(AppError::TooManyConnections(state.device_slots.max()));
    };
    let policy = ConnPolicy {
        expected_peer: Some(PeerId::new(auth.peer_id.clone())),
        read_only: !role.can_write(),
        device: Some(auth.device_id),
        participant: Some(ParticipantId(auth.participant_id)),
    };
    let limit = state.config.max_frame_bytes;
    Ok(upgrade
        // tungstenite zero-fills its whole read buffer up front: at the default 128 KiB that
        // was most of an idle connection's 154 KB. Larger frames still grow it as they arrive.
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_frame_size(limit)
        .max_message_size(limit)
        .on_upgrade(move |socket| async move {
            connection(socket, state, auth, group.slug, policy, events_seen).await;
            drop(slot);
        }))
}

/// What each connection reads into at a time.
const READ_BUFFER_BYTES: usize = 8 * 1024;

async fn connection(
    socket: WebSocket,
    state: RelayState,
    auth: DeviceAuth,
    group: String,
    policy: ConnPolicy,
    events_seen: i64,
) {
    let conn = state.next_conn();
    let (outbox, outgoing) = mpsc::unbounded_channel();
    // The bound on what waits for the peer, and on what the group holds of its frames.
    let max_queued = (2 * state.config.max_frame_bytes).max(8 << 20);
    let closed = state.shutdown.child_token();
    let (handle, queued) = ConnHandle::new(
        conn,
        &auth,
        group.clone(),
        events_seen,
        outbox,
        max_queued,
        closed,
    );
    let handle = Arc::new(handle);
    state.connections.insert(handle.clone());
    state.metrics.connections.inc();
    tracing::info!(group, conn = conn.0, device = auth.device_id, "connected");

    let (sink, mut stream) = socket.split();
    let pongs = Pongs::new();
    let writer = Writer {
        outgoing,
        handle: handle.clone(),
        queued,
        ping_interval: state.config.ping_interval,
        pongs: pongs.clone(),
    };
    let writer = tokio::spawn(writer.run(sink));
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
    let reader = Reader {
        state: &state,
        actor: &actor,
        handle: &handle,
        peer: PeerId::new(auth.peer_id.clone()),
        pongs,
        allowance: Arc::new(Semaphore::new(max_queued)),
    };
    reader.run(&mut stream).await;

    handle.close();
    let _ = actor.send(Command::Closed { conn }).await;
    let drained = tokio::time::timeout(2 * CLOSE_GRACE, drain(&mut stream));
    let _ = tokio::join!(writer, drained);
    state.connections.remove(conn);
    state.metrics.connections.dec();
    tracing::info!(group, conn = conn.0, "disconnected");
}

/// Reads and drops what the peer still sends until it answers the close, so the socket is not
/// closed on unread bytes (which would reset it before the peer read our `error`).
async fn drain(stream: &mut SplitStream<WebSocket>) {
    while let Some(Ok(message)) = stream.next().await {
        if matches!(message, WsMessage::Close(_)) {
            return;
        }
    }
}

struct Reader<'a> {
    state: &'a RelayState,
    actor: &'a mpsc::Sender<Command>,
    handle: &'a Arc<ConnHandle>,
    peer: PeerId,
    pongs: Pongs,
    /// Bytes of this connection's frames the group may hold at once (see `Command::Frame`).
    allowance: Arc<Semaphore>,
}

impl Reader<'_> {
    async fn run(&self, stream: &mut SplitStream<WebSocket>) {
        let conn = self.handle.id;
        let mut throttle = Throttle::new(self.state.config.max_messages_per_sec, Instant::now());
        // Until its first protocol message (`join`), a connection has a deadline.
        let join_timeout = self.state.config.join_timeout;
        let join_deadline = tokio::time::sleep(join_timeout);
        tokio::pin!(join_deadline);
        let mut joined = false;
        loop {
            let next = tokio::select! {
                next = stream.next() => next,
                () = &mut join_deadline, if !joined => {
                    return self.refuse(&format!(
                        "nothing received within {} s of connecting: send `join` first",
                        join_timeout.as_secs()
                    ));
                }
                _ = self.handle.closed.cancelled() => return,
                // The group's engine stopped (it failed): a reconnect starts a fresh one.
                _ = self.actor.closed() => {
                    return self.refuse("the group's sync engine stopped: reconnect");
                }
            };
            let message = match next {
                Some(Ok(message)) => message,
                Some(Err(error)) => return self.refuse(&self.read_failure(&error)),
                None => return,
            };
            // Every frame counts, pings and pongs included: none is free to handle.
            match throttle.admit(Instant::now()) {
                Admit::Now => {}
                Admit::After(wait) => {
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = self.handle.closed.cancelled() => return,
                    }
                }
                Admit::Flooding => {
                    return self.refuse(&format!(
                        "too many messages: this relay takes at most {} a second from a \
                         connection; slow down and reconnect",
                        self.state.config.max_messages_per_sec
                    ));
                }
            }
            let command = match message {
                WsMessage::Binary(bytes) => {
                    joined = true;
                    self.state.metrics.messages_in.inc();
                    self.state.metrics.bytes_in.inc_by(bytes.len() as u64);
                    let Some(allowance) = self.allowance_for(bytes.len()).await else {
                        return;
                    };
                    Command::Frame {
                        conn,
                        bytes: bytes.to_vec(),
                        received: Instant::now(),
                        allowance,
                    }
                }
                WsMessage::Text(_) => Command::Text { conn },
                WsMessage::Pong(_) => {
                    self.pongs.answered();
                    continue;
                }
                WsMessage::Ping(_) => continue,
                WsMessage::Close(_) => return,
            };
            if self.actor.send(command).await.is_err() {
                return;
            }
        }
    }

    /// Waits until the group holds few enough of this connection's bytes to take `len` more;
    /// `None` if the connection closes meanwhile.
    async fn allowance_for(&self, len: usize) -> Option<OwnedSemaphorePermit> {
        let cost = u32::try_from(queued_cost(len)).unwrap_or(u32::MAX);
        tokio::select! {
            permit = self.allowance.clone().acquire_many_owned(cost) => permit.ok(),
            _ = self.handle.closed.cancelled() => None,
        }
    }

    /// What to tell a peer whose frame could not be read. The WebSocket layer refuses a frame
    /// over the limit before reading it, and says so only in its error's text.
    fn read_failure(&self, error: &axum::Error) -> String {
        let detail = error.to_string();
        if detail.contains("too long") || detail.contains("Space limit") {
            format!(
                "a frame is over the relay's limit of {} bytes: send smaller messages ({detail})",
                self.state.config.max_frame_bytes
            )
        } else {
            format!("the relay could not read a frame: {detail}")
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

impl super::RelayState {
    fn next_conn(&self) -> ConnId {
        ConnId(self.conn_ids.fetch_add(1, Ordering::Relaxed))
    }
}
