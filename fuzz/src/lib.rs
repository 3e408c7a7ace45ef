//! What the relay-frame fuzz target and its seed maker share: the note every case starts
//! from, and how an input is cut into frames.

use std::sync::OnceLock;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ObjType, ROOT, ReadDoc};
use quaderno_model::DocumentId;
use quaderno_sync::{Message, PeerId};

/// libFuzzer's panic hook aborts on every panic, even one that is caught. The relay's hub
/// applies changes under `catch_unwind` because automerge 0.12 panics on some malformed changes,
/// and refuses the sender: such a panic is handled, not a crash. This hook lets panics raised
/// inside automerge unwind to that catch; every other panic still aborts, and a panic from
/// automerge that the hub does not catch is caught by libfuzzer-sys and aborts as well.
pub fn abort_on_panics_outside_automerge() {
    let aborting = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_automerge = info
            .location()
            .is_some_and(|at| at.file().contains("/automerge-"));
        if !in_automerge {
            aborting(info);
        }
    }));
}

/// The relay's peer id.
pub const RELAY: &str = "relay";

/// The frames in an input (after its first byte): each prefixed by its length, two bytes
/// big-endian; at most 64.
pub fn frames(mut rest: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while rest.len() >= 2 && out.len() < 64 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        out.push(&rest[2..2 + len]);
        rest = &rest[2 + len..];
    }
    out
}

/// An input made of a mode byte and frames, the inverse of [`frames`].
pub fn input(mode: u8, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![mode];
    for frame in frames {
        let len = u16::try_from(frame.len()).expect("a frame under 64 KiB");
        out.extend(len.to_be_bytes());
        out.extend(frame);
    }
    out
}

/// The note every test case starts from: a body typed in 30 changes, by a fixed actor at
/// fixed times, so that every run (and `examples/make_seeds.rs`) builds the same one.
pub fn note() -> &'static (DocumentId, Automerge) {
    static NOTE: OnceLock<(DocumentId, Automerge)> = OnceLock::new();
    NOTE.get_or_init(|| (DocumentId::from_bytes([7; 16]), build_note()))
}

/// Builds the note (see [`note`]).
pub fn build_note() -> Automerge {
    let mut doc = Automerge::new().with_actor(ActorId::from([1u8; 16]));
    let mut tx = doc.transaction();
    let body = tx.put_object(ROOT, "body", ObjType::Text).unwrap();
    tx.commit_with(CommitOptions::default().with_time(0));
    for i in 0..30 {
        let mut tx = doc.transaction();
        let len = tx.length(&body);
        tx.splice_text(&body, len, 0, &format!("riga {i}\n"))
            .unwrap();
        tx.commit_with(CommitOptions::default().with_time(i));
    }
    doc
}

/// A `sync` about the note from `sender` to the relay, carrying `data`.
pub fn sync_frame(sender: &str, data: Vec<u8>) -> Vec<u8> {
    Message::Sync {
        sender: PeerId::new(sender),
        target: PeerId::new(RELAY),
        document: note().0,
        data,
    }
    .encode()
}
