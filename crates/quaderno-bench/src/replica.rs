//! A simulated client's documents: a real Automerge copy and a sync state per document, driven
//! directly with `automerge::sync` and the wire codec.
//!
//! This is lighter than running a `quaderno_sync::Hub` per client: the hub keeps its own copy of
//! each document and reports stored changes as writes, so a client built on it applies every
//! local edit twice (once in its storage copy, once in the hub). `benches/client_engine.rs`
//! measures both ways.
//!
//! Messages waiting for the same document are applied as one batch, as the hub does, so a client
//! that fell behind catches up at the cost of one apply.

use std::collections::HashMap;

use automerge::sync::{self, ChunkList, SyncDoc};
use automerge::{Automerge, Change, ChangeHash};
use quaderno_model::DocumentId;
use quaderno_sync::{Message, PeerId};

/// One document and its sync session with the relay.
#[derive(Debug)]
pub struct Session {
    pub doc: Automerge,
    state: sync::State,
    /// The relay said it does not have (or will not share) the document.
    pub unavailable: bool,
}

/// What a batch of incoming messages did.
#[derive(Debug, Default)]
pub struct Received {
    /// Answers to send to the relay.
    pub replies: Vec<Message>,
    /// Documents whose content changed.
    pub changed: Vec<DocumentId>,
    /// `error` messages and sync messages that could not be applied.
    pub errors: Vec<String>,
}

/// Every document of one client.
#[derive(Debug)]
pub struct Replica {
    me: PeerId,
    relay: PeerId,
    docs: HashMap<DocumentId, Session>,
}

impl Replica {
    pub fn new(me: PeerId, relay: PeerId) -> Replica {
        Replica {
            me,
            relay,
            docs: HashMap::new(),
        }
    }

    /// Starts syncing a document this client holds: a `sync` announcing its heads.
    pub fn share(&mut self, id: DocumentId, doc: Automerge) -> Option<Message> {
        self.insert(id, doc);
        self.generate(id)
    }

    /// Asks for a document this client does not have: a `request`.
    pub fn request(&mut self, id: DocumentId) -> Option<Message> {
        self.insert(id, Automerge::new());
        self.generate(id)
    }

    /// Makes a local change with `edit` and returns the `sync` that carries it.
    pub fn edit<R>(
        &mut self,
        id: DocumentId,
        edit: impl FnOnce(&mut Automerge) -> R,
    ) -> Option<(R, Option<Message>)> {
        let session = self.docs.get_mut(&id)?;
        let result = edit(&mut session.doc);
        Some((result, self.generate(id)))
    }

    pub fn session(&self, id: &DocumentId) -> Option<&Session> {
        self.docs.get(id)
    }

    pub fn doc(&self, id: &DocumentId) -> Option<&Automerge> {
        self.docs.get(id).map(|s| &s.doc)
    }

    /// True once the relay said it holds exactly our heads.
    pub fn in_sync(&self, id: &DocumentId) -> bool {
        self.docs.get(id).is_some_and(|s| {
            let ours = s.doc.get_heads();
            !ours.is_empty() && s.state.their_heads.as_deref() == Some(&ours[..])
        })
    }

    /// Handles incoming messages; messages for the same document are applied together.
    pub fn receive(&mut self, messages: Vec<Message>) -> Received {
        let mut received = Received::default();
        let mut by_doc: Vec<(DocumentId, Vec<sync::Message>)> = Vec::new();
        for message in messages {
            match message {
                Message::Sync { document, data, .. } | Message::Request { document, data, .. } => {
                    match sync::Message::decode(&data) {
                        Ok(m) => match by_doc.iter_mut().find(|(d, _)| *d == document) {
                            Some((_, list)) => list.push(m),
                            None => by_doc.push((document, vec![m])),
                        },
                        Err(e) => received.errors.push(format!("a bad sync message: {e}")),
                    }
                }
                Message::DocUnavailable { document, .. } => {
                    if let Some(session) = self.docs.get_mut(&document) {
                        session.unavailable = true;
                    }
                }
                Message::Error { message, .. } => received.errors.push(message),
                _ => {}
            }
        }
        for (id, messages) in by_doc {
            let Some(session) = self.docs.get_mut(&id) else {
                continue;
            };
            let before = session.doc.get_heads();
            if let Err(e) = apply(session, messages) {
                received.errors.push(e);
            }
            if session.doc.get_heads() != before {
                session.unavailable = false;
                received.changed.push(id);
            }
            if let Some(reply) = self.generate(id) {
                received.replies.push(reply);
            }
        }
        received
    }

    fn insert(&mut self, id: DocumentId, doc: Automerge) {
        self.docs.insert(
            id,
            Session {
                doc,
                state: sync::State::new(),
                unavailable: false,
            },
        );
    }

    /// The next message to the relay about a document, if there is anything to say.
    fn generate(&mut self, id: DocumentId) -> Option<Message> {
        let session = self.docs.get_mut(&id)?;
        let first_contact = session.state.their_heads.is_none();
        let message = session.doc.generate_sync_message(&mut session.state)?;
        let (sender, target, document, data) =
            (self.me.clone(), self.relay.clone(), id, message.encode());
        Some(if first_contact && session.doc.get_heads().is_empty() {
            Message::Request {
                sender,
                target,
                document,
                data,
            }
        } else {
            Message::Sync {
                sender,
                target,
                document,
                data,
            }
        })
    }
}

/// Receives one message as it is; several by applying all their changes in one call first,
/// then receiving each without its changes (keeping our last sent heads when the batch changed
/// the document, so the relay still gets its acknowledgement).
fn apply(session: &mut Session, mut messages: Vec<sync::Message>) -> Result<(), String> {
    if messages.len() == 1 {
        let message = messages.pop().expect("one message");
        return session
            .doc
            .receive_sync_message(&mut session.state, message)
            .map_err(|e| format!("a sync message could not be applied: {e}"));
    }
    let mut changes: Vec<Change> = Vec::new();
    for message in &messages {
        match quaderno_sync::changes::decode(&message.changes) {
            Ok(decoded) => changes.extend(decoded),
            Err(e) => return Err(e.to_string()),
        }
    }
    let before = session.doc.get_heads();
    if !changes.is_empty() {
        session
            .doc
            .apply_changes(changes)
            .map_err(|e| format!("changes could not be applied: {e}"))?;
    }
    let changed = session.doc.get_heads() != before;
    for mut message in messages {
        message.changes = ChunkList::empty();
        let last_sent: Vec<ChangeHash> = session.state.last_sent_heads.clone();
        session
            .doc
            .receive_sync_message(&mut session.state, message)
            .map_err(|e| format!("a sync message could not be applied: {e}"))?;
        if changed {
            session.state.last_sent_heads = last_sent;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    use super::*;

    /// Carries messages between two replicas, as a relay that only forwards would, until quiet.
    fn exchange(a: &mut Replica, b: &mut Replica, mut to_b: Vec<Message>) {
        for _ in 0..20 {
            if to_b.is_empty() {
                return;
            }
            let to_a = b.receive(std::mem::take(&mut to_b)).replies;
            to_b = a.receive(to_a).replies;
        }
        panic!("the replicas never went quiet");
    }

    fn pair() -> (Replica, Replica) {
        (
            Replica::new(PeerId::new("a"), PeerId::new("b")),
            Replica::new(PeerId::new("b"), PeerId::new("a")),
        )
    }

    #[test]
    fn a_shared_document_reaches_a_replica_that_requests_it() {
        let (mut a, mut b) = pair();
        let id = DocumentId::random();
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| tx.put(ROOT, "k", 1).map(|_| ()))
            .unwrap();

        let share = a.share(id, doc).unwrap();
        assert!(matches!(share, Message::Sync { .. }));
        let request = b.request(id).unwrap();
        assert!(matches!(request, Message::Request { .. }));
        let answer = a.receive(vec![request]).replies;
        exchange(&mut a, &mut b, answer);

        assert_eq!(
            b.doc(&id).unwrap().get_heads(),
            a.doc(&id).unwrap().get_heads()
        );
        assert!(a.in_sync(&id));
    }

    #[test]
    fn messages_for_one_document_are_applied_as_one_batch() {
        let (mut a, mut b) = pair();
        let id = DocumentId::random();
        let request = b.request(id).unwrap();
        a.share(id, Automerge::new());
        let answer = a.receive(vec![request]).replies;
        exchange(&mut a, &mut b, answer);

        // Three edits in a row; b gets all three sync messages at once.
        let mut burst = Vec::new();
        for n in 1..=3 {
            let (_, sync) = a
                .edit(id, |doc| {
                    let mut tx = doc.transaction();
                    tx.put(ROOT, "n", n as i64).unwrap();
                    tx.commit();
                })
                .unwrap();
            burst.extend(sync);
        }
        assert_eq!(burst.len(), 3);
        let received = b.receive(burst);

        assert_eq!(received.changed, vec![id]);
        let (value, _) = b.doc(&id).unwrap().get(ROOT, "n").unwrap().unwrap();
        assert_eq!(value.as_i64(), Some(3));
        // b still acknowledges, and a learns b is up to date.
        assert!(!received.replies.is_empty());
        exchange(&mut b, &mut a, received.replies);
        assert!(a.in_sync(&id));
    }

    #[test]
    fn an_unavailable_document_is_marked_and_errors_are_reported() {
        let (mut a, _) = pair();
        let id = DocumentId::random();
        a.request(id);

        let received = a.receive(vec![
            Message::DocUnavailable {
                sender: PeerId::new("b"),
                target: PeerId::new("a"),
                document: id,
            },
            Message::Error {
                sender: PeerId::new("b"),
                target: None,
                message: "go away".into(),
            },
        ]);

        assert!(a.session(&id).unwrap().unavailable);
        assert_eq!(received.errors, vec!["go away".to_string()]);
    }
}
