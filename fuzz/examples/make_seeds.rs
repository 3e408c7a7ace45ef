//! Writes the seed inputs of the fuzz targets into `seeds/<target>/`: frames of a real session
//! for `relay_frame`, Markdown files for `markdown_import`, codes and tokens for `secrets`.
//!
//! Run from the `fuzz` folder: `cargo +nightly run --example make_seeds`.

use std::path::Path;

use automerge::sync::{self, ChunkList, MessageVersion};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, ROOT, ReadDoc};
use quaderno_fuzz::{RELAY, input, note, sync_frame};
use quaderno_sync::{Message, PeerId};

const EDITOR: u8 = 0;
const READER: u8 = 1;
const DATA_ONLY: u8 = 2;
const TIME_PASSES: u8 = 4;

fn main() {
    let (id, _) = note();
    let asking = [0x42, 0, 0, 1, 0, 0, 0, 2, 2, 0x84].to_vec();
    let change = sync_carrying_a_change();
    let request = Message::Request {
        sender: PeerId::new("mallory"),
        target: PeerId::new(RELAY),
        document: *id,
        data: asking.clone(),
    }
    .encode();
    let presence = Message::Ephemeral {
        sender: PeerId::new("mallory"),
        target: PeerId::new(RELAY),
        document: *id,
        session_id: "s1".into(),
        count: 1,
        data: b"Mallory (Roma)".to_vec(),
    }
    .encode();
    let relay_frame = [
        ("request", input(EDITOR, &[request.clone()])),
        (
            "ask-with-sync",
            input(EDITOR, &[sync_frame("mallory", asking.clone())]),
        ),
        (
            "edit",
            input(
                EDITOR,
                &[request.clone(), sync_frame("mallory", change.clone())],
            ),
        ),
        (
            "reader-edit",
            input(READER, &[sync_frame("mallory", change.clone())]),
        ),
        ("presence", input(EDITOR, &[request.clone(), presence])),
        (
            "idle",
            input(
                TIME_PASSES,
                &[request, sync_frame("mallory", asking.clone())],
            ),
        ),
        ("data-asking", input(DATA_ONLY, &[asking])),
        ("data-edit", input(DATA_ONLY, &[change])),
    ];
    write("relay_frame", &relay_frame);

    let markdown: [(&str, &[u8]); 5] = [
        ("exported", EXPORTED.as_bytes()),
        ("plain", b"Appunti sparsi\n\n# Incontro di Ravenna\n\nTesto.\n"),
        ("hand-written", b"---\ntitle: 2024\ntags: [a, b]\ndate: '2024-03-05'\nplace:\ndeleted: false\n---\nCorpo\n"),
        ("windows", b"---\r\ntitle: x\r\n---\r\n\r\nwindows\r\n"),
        ("empty-front-matter", b"---\n---\n"),
    ];
    write("markdown_import", &markdown.map(|(n, b)| (n, b.to_vec())));

    let secrets: [(&str, &[u8]); 5] = [
        ("code", b"7K2M-QX9D-4HNP-RT3V"),
        ("code-typed", b"7k2m qx9d 4hnp rt3v"),
        ("code-look-alikes", b"IOL0-0000-0000-0000"),
        ("token", b"qdt_4vJ9tN1Z7m2Lr8QeW3xYb5KcHd6Pf2Gs9Tu1Vw3Xy"),
        (
            "bearer",
            b"Bearer qdt_4vJ9tN1Z7m2Lr8QeW3xYb5KcHd6Pf2Gs9Tu1Vw3Xy",
        ),
    ];
    write("secrets", &secrets.map(|(n, b)| (n, b.to_vec())));
}

/// A V1 sync message carrying one change on top of the note, by a third actor.
fn sync_carrying_a_change() -> Vec<u8> {
    let mut doc = note().1.clone().with_actor(ActorId::from([3u8; 16]));
    let before = doc.get_heads();
    let mut tx = doc.transaction();
    let (_, body) = tx.get(ROOT, "body").unwrap().unwrap();
    tx.splice_text(&body, 0, 0, "Presenti: 12\n").unwrap();
    tx.commit_with(CommitOptions::default().with_time(100));
    let change = doc.get_changes(&before).pop().unwrap().raw_bytes().to_vec();
    sync::Message {
        heads: doc.get_heads(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(vec![change]),
        flags: None,
        version: MessageVersion::V1,
    }
    .encode()
}

fn write(target: &str, seeds: &[(&str, Vec<u8>)]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

const EXPORTED: &str = "---
id: 3uQUjbaDfGKoHMh8XGHx7c9jNxyU
title: Terzo incontro
group: integrazione
tags:
- minori
- rete
date: 2024-03-05
place: Palermo
participants:
- Anna
- Marco
created_at: 2024-03-05T10:00:00Z
created_by: Anna (Palermo)
---

Primo punto: accoglienza.
";
