//! The relay's handling of incoming frames: a relay-side `Hub` with a bystander already in sync
//! on a note, then whatever the fuzzer sends on a second, joined connection.
//!
//! The input's first byte chooses how the rest is read; the rest is a list of frames, each
//! prefixed by its length (two bytes, big-endian):
//! - bit 0: the attacker is a reader (read-only) rather than an editor;
//! - bit 1: each frame is the `data` of a well-formed `sync` for the note, so the fuzzer works
//!   on automerge sync messages rather than on CBOR;
//! - bit 2: time passes between frames (idle documents leave memory).
//!
//! Must hold, whatever the frames: no panic; everything the relay sends decodes; a frame that
//! decodes encodes back to the same message; and afterwards the bystander's next edit is still
//! applied and acknowledged.

#![no_main]

use std::time::{Duration, Instant};

use automerge::sync::{self, SyncDoc};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ROOT, ReadDoc};
use libfuzzer_sys::fuzz_target;
use quaderno_fuzz::{RELAY, frames, note, sync_frame};
use quaderno_sync::{
    ConnId, ConnPolicy, Hub, HubConfig, Input, LoadedDoc, Message, Output, PeerId, PeerMetadata,
    Side,
};

const BYSTANDER: ConnId = ConnId(1);
const ATTACKER: ConnId = ConnId(2);

fuzz_target!(init: quaderno_fuzz::abort_on_panics_outside_automerge(), |data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    check_codec(rest);
    let mut world = World::new(mode & 1 == 1);
    world.bystander_syncs();
    for frame in frames(rest) {
        let bytes = if mode & 2 == 2 {
            sync_frame("mallory", frame.to_vec())
        } else {
            frame.to_vec()
        };
        if mode & 4 == 4 {
            world.now += Duration::from_secs(31);
            world.run(vec![Input::Tick]);
        }
        world.run(vec![Input::Frame {
            conn: ATTACKER,
            bytes,
        }]);
    }
    world.bystander_syncs();
});

/// A frame that decodes is one the codec can write back, unchanged.
fn check_codec(bytes: &[u8]) {
    if let Ok(message) = Message::decode(bytes) {
        let again = Message::decode(&message.encode()).expect("our own encoding decodes");
        assert_eq!(again, message);
    }
}

/// The relay's hub, its storage, and the bystander's copy of the note.
struct World {
    hub: Hub,
    now: Instant,
    stored: Automerge,
    bystander: Automerge,
    bystander_state: sync::State,
    bystander_open: bool,
}

impl World {
    fn new(attacker_reads_only: bool) -> World {
        let config = HubConfig::new(
            Side::Relay,
            PeerId::new(RELAY),
            PeerMetadata {
                storage_id: Some("relay-storage".into()),
                is_ephemeral: false,
            },
            "session".into(),
        );
        let (_, doc) = note();
        let mut world = World {
            hub: Hub::new(config),
            now: Instant::now(),
            stored: doc.clone(),
            bystander: doc.clone().with_actor(ActorId::from([2u8; 16])),
            bystander_state: sync::State::new(),
            bystander_open: true,
        };
        for (conn, peer, read_only) in [
            (BYSTANDER, "bruno", false),
            (ATTACKER, "mallory", attacker_reads_only),
        ] {
            let policy = ConnPolicy {
                expected_peer: Some(PeerId::new(peer)),
                read_only,
                ..ConnPolicy::default()
            };
            world.run(vec![Input::Opened { conn, policy }]);
            let join = Message::Join {
                sender: PeerId::new(peer),
                metadata: None,
                supported_versions: Some(vec!["1".into()]),
            };
            let answer = world.run(vec![Input::Frame {
                conn,
                bytes: join.encode(),
            }]);
            assert!(answer.iter().any(|(c, _)| *c == conn), "no answer to join");
        }
        world
    }

    /// Runs inputs through the hub as the relay's group actor does (writes to storage,
    /// loads answered, closes fed back), returning what was sent to each connection.
    /// The bystander takes in every `sync` the relay sends it as it arrives.
    fn run(&mut self, inputs: Vec<Input>) -> Vec<(ConnId, Message)> {
        let mut sent = Vec::new();
        let mut out = self.hub.handle(self.now, inputs);
        loop {
            let next = self.carry_out(std::mem::take(&mut out), &mut sent);
            if next.is_empty() {
                return sent;
            }
            out = self.hub.handle(self.now, next);
        }
    }

    fn carry_out(&mut self, out: Output, sent: &mut Vec<(ConnId, Message)>) -> Vec<Input> {
        let (note_id, _) = note();
        for write in out.writes {
            if let quaderno_sync::Write::Changes { doc, bytes, .. } = write
                && doc == *note_id
            {
                self.stored
                    .load_incremental(&bytes)
                    .expect("the relay stores only changes that load");
            }
        }
        for (conn, bytes) in out.sends {
            let message = Message::decode(&bytes).expect("the relay sends what it can decode");
            if let (BYSTANDER, Message::Sync { data, .. }) = (conn, &message) {
                let message = sync::Message::decode(data).expect("a valid sync message");
                self.bystander
                    .receive_sync_message(&mut self.bystander_state, message)
                    .expect("the relay's sync message applies");
            }
            sent.push((conn, message));
        }
        let mut next: Vec<Input> = out
            .loads
            .into_iter()
            .map(|doc| Input::Loaded {
                doc,
                found: (doc == *note_id).then(|| LoadedDoc {
                    doc: self.stored.clone(),
                    sync_states: Vec::new(),
                }),
                may_create: true,
            })
            .collect();
        for conn in out.closes {
            if conn == BYSTANDER {
                self.bystander_open = false;
            }
            next.push(Input::Closed { conn });
        }
        next
    }

    /// The bystander adds a line and syncs until the relay holds exactly its heads.
    fn bystander_syncs(&mut self) {
        let mut tx = self.bystander.transaction();
        let (_, body) = tx.get(ROOT, "body").unwrap().unwrap();
        let len = tx.length(&body);
        tx.splice_text(&body, len, 0, "ancora\n").unwrap();
        tx.commit_with(CommitOptions::default().with_time(1_000));
        for _ in 0..16 {
            let Some(message) = self
                .bystander
                .generate_sync_message(&mut self.bystander_state)
            else {
                break;
            };
            let frame = sync_frame("bruno", message.encode());
            self.run(vec![Input::Frame {
                conn: BYSTANDER,
                bytes: frame,
            }]);
            assert!(self.bystander_open, "the bystander was disconnected");
        }
        let heads = self.bystander.get_heads();
        assert_eq!(
            self.bystander_state.their_heads.as_deref(),
            Some(&heads[..]),
            "the relay did not acknowledge the bystander's edit"
        );
        assert_eq!(self.stored.get_heads(), heads, "the edit was not stored");
        let text = self
            .stored
            .text(self.stored.get(ROOT, "body").unwrap().unwrap().1)
            .unwrap();
        assert!(text.contains("ancora\n"));
    }
}
