//! A relay hub with joined members, shared by the hub benchmarks.

#![allow(dead_code)]

use std::time::Instant;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ROOT, ReadDoc};
use quaderno_model::DocumentId;
use quaderno_sync::{
    ConnId, ConnPolicy, Hub, HubConfig, Input, LoadedDoc, Message, PeerId, PeerMetadata, Side,
};

/// One member: its copy of the document and its sync state with the relay.
pub struct Member {
    pub peer: PeerId,
    pub conn: ConnId,
    pub doc: Automerge,
    pub state: sync::State,
}

impl Member {
    pub fn frame(&mut self, id: DocumentId) -> Option<Vec<u8>> {
        let message = self.doc.generate_sync_message(&mut self.state)?;
        let frame = Message::Sync {
            sender: self.peer.clone(),
            target: PeerId::new("relay"),
            document: id,
            data: message.encode(),
        };
        Some(frame.encode())
    }

    pub fn receive(&mut self, bytes: &[u8]) {
        if let Ok(Message::Sync { data, .. }) = Message::decode(bytes) {
            let message = sync::Message::decode(&data).expect("a sync message");
            self.doc
                .receive_sync_message(&mut self.state, message)
                .expect("applies");
        }
    }
}

/// A relay hub with `members` joined peers all holding `doc`, in sync.
pub struct Room {
    pub hub: Hub,
    pub id: DocumentId,
    pub members: Vec<Member>,
}

impl Room {
    pub fn new(members: usize, doc: &Automerge) -> Room {
        let config = HubConfig::new(
            Side::Relay,
            PeerId::new("relay"),
            PeerMetadata::default(),
            "relay-session".into(),
        );
        let mut hub = Hub::new(config);
        let id = DocumentId::random();
        let now = Instant::now();
        let mut room_members = Vec::new();
        for n in 0..members {
            let conn = ConnId(n as u64 + 1);
            let peer = PeerId::new(format!("member-{n}"));
            hub.handle(
                now,
                [Input::Opened {
                    conn,
                    policy: ConnPolicy::default(),
                }],
            );
            let join = Message::Join {
                sender: peer.clone(),
                metadata: None,
                supported_versions: Some(vec!["1".into()]),
            };
            hub.handle(
                now,
                [Input::Frame {
                    conn,
                    bytes: join.encode(),
                }],
            );
            let mut copy = doc.fork();
            copy.set_actor(automerge::ActorId::random());
            room_members.push(Member {
                peer,
                conn,
                doc: copy,
                state: sync::State::new(),
            });
        }
        let mut room = Room {
            hub,
            id,
            members: room_members,
        };
        // Every member announces the document; the relay loads it once.
        let frames: Vec<Input> = room
            .members
            .iter_mut()
            .filter_map(|m| {
                let conn = m.conn;
                m.frame(id).map(|bytes| Input::Frame { conn, bytes })
            })
            .collect();
        let out = room.hub.handle(now, frames);
        assert_eq!(out.loads, vec![id], "{:?}", out.events);
        let loaded = Input::Loaded {
            doc: id,
            found: Some(LoadedDoc {
                doc: doc.clone(),
                sync_states: Vec::new(),
            }),
            may_create: true,
        };
        let out = room.hub.handle(now, [loaded]);
        room.settle(out.sends);
        room
    }

    /// Carries frames both ways until nobody has anything to say.
    pub fn settle(&mut self, mut sends: Vec<(ConnId, Vec<u8>)>) {
        for _ in 0..50 {
            if sends.is_empty() {
                return;
            }
            let mut replies = Vec::new();
            for (conn, bytes) in sends {
                let member = &mut self.members[conn.0 as usize - 1];
                member.receive(&bytes);
                if let Some(reply) = member.frame(self.id) {
                    replies.push(Input::Frame { conn, bytes: reply });
                }
            }
            sends = self.hub.handle(Instant::now(), replies).sends;
        }
        panic!("the room never went quiet");
    }

    /// Member `n` makes a change with `edit` and returns the frame carrying it.
    pub fn edit(&mut self, n: usize, edit: impl FnOnce(&mut Automerge)) -> Input {
        let member = &mut self.members[n];
        edit(&mut member.doc);
        let bytes = member.frame(self.id).expect("an edit is sent");
        Input::Frame {
            conn: member.conn,
            bytes,
        }
    }
}

pub fn small_map() -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(ROOT, "kind", "bench").unwrap();
    tx.commit();
    doc
}

/// A note whose body was written in 50 changes, as people write: a message that carries one new
/// keystroke is then far smaller than the document (automerge sends the whole document instead
/// when the changes to send are more than a third of it).
pub fn note(bytes: usize) -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    let body = tx.put_object(ROOT, "body", ObjType::Text).unwrap();
    tx.commit();
    let words = "servizi territorio comunità famiglie ";
    for part in 0..50 {
        let text: String = words.chars().cycle().skip(part).take(bytes / 50).collect();
        let mut tx = doc.transaction();
        let at = tx.length(&body);
        tx.splice_text(&body, at, 0, &text).unwrap();
        tx.commit();
    }
    doc
}

pub fn count(doc: &mut Automerge, n: i64) {
    let mut tx = doc.transaction();
    tx.put(ROOT, "n", n).unwrap();
    tx.commit();
}

pub fn keystroke(doc: &mut Automerge, at: usize) {
    let (_, body) = doc.get(ROOT, "body").unwrap().unwrap();
    let len = doc.length(&body);
    let mut tx = doc.transaction();
    tx.splice_text(&body, at % len.max(1), 0, "x").unwrap();
    tx.commit();
}
