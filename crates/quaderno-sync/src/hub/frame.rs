//! Routing one decoded frame.

use std::time::Instant;

use automerge::sync;

use super::apply::{Batch, Incoming};
use super::conn::Stage;
use super::{ConnId, Event, Hub, Output, Side};
use crate::wire::{Message, PeerId};

impl Hub {
    pub(super) fn frame(
        &mut self,
        now: Instant,
        conn: ConnId,
        bytes: &[u8],
        batch: &mut Batch,
        out: &mut Output,
    ) {
        let Some(state) = self.conns.get(&conn) else {
            return;
        };
        if matches!(state.stage, Stage::Closing) || state.local {
            return;
        }
        let message = match Message::decode_with(bytes, &mut self.ids) {
            Ok(message) => message,
            Err(e) => return self.reject(conn, &format!("undecodable message: {e}"), out),
        };
        match (self.config.side, message) {
            (
                Side::Relay,
                Message::Join {
                    sender,
                    metadata,
                    supported_versions,
                },
            ) => self.join(conn, sender, metadata, supported_versions, out),
            (
                Side::Client,
                Message::Peer {
                    sender, metadata, ..
                },
            ) => self.peer_answered(now, conn, sender, metadata, batch, out),
            (_, Message::Error { message, .. }) => {
                out.events.push(Event::RemoteError { conn, message });
                self.close(conn, out);
                out.closes.push(conn);
            }
            (side, message) if !self.is_from_peer(side, conn, &message) => {
                let reason = match self.peer_of(conn) {
                    None => "send `join` before anything else".to_string(),
                    Some(peer) => {
                        format!("senderId must be {peer}, the peer id this connection joined as")
                    }
                };
                self.reject(conn, &reason, out);
            }
            (_, Message::Request { document, data, .. }) => {
                self.sync_message(now, conn, document, &data, true, batch, out)
            }
            (_, Message::Sync { document, data, .. }) => {
                self.sync_message(now, conn, document, &data, false, batch, out)
            }
            (Side::Client, Message::DocUnavailable { document, .. }) => {
                self.doc_unavailable(conn, document, out)
            }
            (
                _,
                Message::Ephemeral {
                    sender,
                    document,
                    session_id,
                    count,
                    data,
                    ..
                },
            ) => self.ephemeral(conn, sender, document, session_id, count, data, out),
            // `peer` to a relay, `join` or `doc-unavailable` to a client, and the messages
            // this engine does not act on (remote heads gossip) are ignored, as the reference does.
            _ => {}
        }
    }

    /// A relay only accepts messages whose sender is the peer that joined on this connection.
    /// A client hears from its relay, and ephemeral messages keep their original sender.
    fn is_from_peer(&self, side: Side, conn: ConnId, message: &Message) -> bool {
        let joined = self.peer_of(conn);
        match side {
            Side::Relay => joined.is_some() && message.sender() == joined,
            Side::Client => joined.is_some(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn sync_message(
        &mut self,
        now: Instant,
        conn: ConnId,
        doc: quaderno_model::DocumentId,
        data: &[u8],
        request: bool,
        batch: &mut Batch,
        out: &mut Output,
    ) {
        match sync::Message::decode(data) {
            Ok(message) if let Err(reason) = super::bloom::check(&message) => {
                self.reject(conn, &reason, out)
            }
            Ok(message) => {
                tracing::trace!(
                    conn = conn.0,
                    %doc,
                    request,
                    heads = message.heads.len(),
                    need = message.need.len(),
                    have = message.have.len(),
                    changes = !message.changes.is_empty(),
                    "sync message in"
                );
                let incoming = Incoming {
                    conn,
                    request,
                    message,
                };
                self.incoming(now, doc, incoming, batch, out);
            }
            Err(e) => self.reject(
                conn,
                &format!("`data` is not an automerge sync message: {e}"),
                out,
            ),
        }
    }

    /// Relay: passes the payload on to the document's other peers, unchanged but for
    /// `targetId`. Client: reports it. Either way a repeated (sender, session, count) is dropped.
    #[allow(clippy::too_many_arguments)]
    fn ephemeral(
        &mut self,
        conn: ConnId,
        sender: PeerId,
        doc: quaderno_model::DocumentId,
        session_id: String,
        count: u64,
        data: Vec<u8>,
        out: &mut Output,
    ) {
        if !self.seen.is_new(&sender, &session_id, count) {
            return;
        }
        if self.config.side == Side::Client {
            out.events.push(Event::Ephemeral {
                conn,
                doc,
                sender,
                data,
            });
            return;
        }
        let Some(slot) = self.docs.get(&doc) else {
            return;
        };
        for other in slot.peers.keys().filter(|c| **c != conn) {
            let Some(target) = self
                .conns
                .get(other)
                .filter(|c| !c.local)
                .and_then(|c| c.peer())
            else {
                continue;
            };
            let message = Message::Ephemeral {
                sender: sender.clone(),
                target: target.clone(),
                document: doc,
                session_id: session_id.clone(),
                count,
                data: data.clone(),
            };
            out.sends.push((*other, message.encode_with(&mut self.ids)));
        }
    }

    /// Client: sends a payload to the peers of a document (presence).
    pub(super) fn broadcast(
        &mut self,
        doc: quaderno_model::DocumentId,
        data: Vec<u8>,
        out: &mut Output,
    ) {
        let Some(slot) = self.docs.get(&doc) else {
            return;
        };
        self.ephemeral_count += 1;
        for conn in slot.peers.keys() {
            let Some(target) = self
                .conns
                .get(conn)
                .filter(|c| !c.local)
                .and_then(|c| c.peer())
            else {
                continue;
            };
            let message = Message::Ephemeral {
                sender: self.config.peer_id.clone(),
                target: target.clone(),
                document: doc,
                session_id: self.config.session_id.clone(),
                count: self.ephemeral_count,
                data: data.clone(),
            };
            out.sends.push((*conn, message.encode_with(&mut self.ids)));
        }
    }
}
