//! Damaged documents: bytes flipped inside a stored chunk are set aside, never deleted, what is
//! intact keeps loading, and a peer's copy makes the document whole again.

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, ObjType, ROOT, ReadDoc, transaction::Transactable};
use quaderno_store::docs;
use quaderno_store::rusqlite::{Connection, params};
use quaderno_store::{StoreError, open_connection};

const NS: &str = "palermo";

fn store() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = open_connection(&dir.path().join("store.sqlite3")).unwrap();
    (dir, conn)
}

/// A note with a long first paragraph, so that a few small changes never trigger compaction.
fn long_note() -> Automerge {
    let words: Vec<String> = (0..400u64)
        .map(|i| format!("{:x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        .collect();
    note(&words.join(" "))
}

fn note(text: &str) -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    let body = tx.put_object(ROOT, "body", ObjType::Text).unwrap();
    tx.splice_text(&body, 0, 0, text).unwrap();
    tx.commit();
    doc
}

fn append_line(doc: &mut Automerge, line: &str) -> Vec<u8> {
    let before = doc.get_heads();
    let mut tx = doc.transaction();
    let body = tx.get(ROOT, "body").unwrap().unwrap().1;
    let end = tx.text(&body).unwrap().chars().count();
    tx.splice_text(&body, end, 0, line).unwrap();
    tx.commit();
    doc.save_after(&before)
}

fn body(doc: &Automerge) -> String {
    match doc.get(ROOT, "body").unwrap() {
        Some((_, body)) => doc.text(&body).unwrap(),
        None => String::new(),
    }
}

/// Flips the bytes in the middle of a stored chunk, as a failing disk would.
fn flip_bytes(conn: &Connection, chunk: i64) -> Vec<u8> {
    let mut bytes: Vec<u8> = conn
        .query_row("SELECT bytes FROM chunks WHERE id = ?1", [chunk], |r| {
            r.get(0)
        })
        .unwrap();
    let middle = bytes.len() / 2;
    for byte in &mut bytes[middle..middle + 4] {
        *byte ^= 0xa5;
    }
    conn.execute(
        "UPDATE chunks SET bytes = ?1 WHERE id = ?2",
        params![bytes, chunk],
    )
    .unwrap();
    bytes
}

/// Runs the sync protocol between two documents until neither has anything to say.
fn sync_with(ours: &mut Automerge, theirs: &mut Automerge) {
    let (mut our_state, mut their_state) = (sync::State::new(), sync::State::new());
    for _ in 0..20 {
        let to_them = ours.generate_sync_message(&mut our_state);
        if let Some(message) = to_them.clone() {
            theirs
                .receive_sync_message(&mut their_state, message)
                .unwrap();
        }
        let to_us = theirs.generate_sync_message(&mut their_state);
        if let Some(message) = to_us.clone() {
            ours.receive_sync_message(&mut our_state, message).unwrap();
        }
        if to_them.is_none() && to_us.is_none() {
            return;
        }
    }
    panic!("the sync never went quiet");
}

fn set_aside_bytes(conn: &Connection, id: &str) -> Vec<(i64, Vec<u8>)> {
    let mut stmt = conn
        .prepare("SELECT chunk_id, bytes FROM damaged_chunks WHERE doc_id = ?1 ORDER BY chunk_id")
        .unwrap();
    stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_damaged_snapshot_is_set_aside_with_its_bytes_and_the_other_documents_load() {
    // Step 1: two notes, each one snapshot; a disk flips bytes inside the first.
    let (_dir, conn) = store();
    let snapshot = docs::put_snapshot(&conn, NS, "doc-a", &note("Verbale.\n").save()).unwrap();
    docs::put_snapshot(&conn, NS, "doc-b", &note("Altro.\n").save()).unwrap();
    let flipped = flip_bytes(&conn, snapshot);

    // Step 2: a plain load names the damage; a salvaging load sets the chunk aside.
    let error = docs::load(&conn, NS, "doc-a").unwrap_err();
    assert!(
        matches!(error, StoreError::CorruptDocument { chunk_id: Some(c), .. } if c == snapshot)
    );
    let salvaged = docs::load_salvaging(&conn, NS, "doc-a").unwrap();

    // Nothing of it is left to load, but its bytes are kept, and it waits for a peer.
    assert!(salvaged.doc.is_none());
    let set_aside = salvaged.set_aside.unwrap();
    assert_eq!(set_aside.chunk_ids, vec![snapshot]);
    assert_eq!(set_aside.kept, 0);
    assert_eq!(set_aside_bytes(&conn, "doc-a"), vec![(snapshot, flipped)]);
    assert_eq!(docs::awaiting_recovery(&conn, NS).unwrap(), vec!["doc-a"]);
    assert_eq!(
        body(&docs::load(&conn, NS, "doc-b").unwrap().unwrap()),
        "Altro.\n"
    );
}

#[test]
fn intact_changes_after_a_damaged_snapshot_stay_and_a_peer_fills_in_the_rest() {
    // Step 1: a snapshot and two changes are stored; a peer holds the same document.
    let (_dir, conn) = store();
    let mut doc = long_note();
    let snapshot = docs::put_snapshot(&conn, NS, "doc-a", &doc.save()).unwrap();
    docs::append_changes(&conn, NS, "doc-a", &append_line(&mut doc, "uno\n")).unwrap();
    docs::append_changes(&conn, NS, "doc-a", &append_line(&mut doc, "due\n")).unwrap();
    let mut peer = doc.clone();
    docs::put_sync_state(&conn, NS, "doc-a", "relay", &sync::State::new()).unwrap();

    // Step 2: the snapshot is damaged.
    flip_bytes(&conn, snapshot);
    let salvaged = docs::load_salvaging(&conn, NS, "doc-a").unwrap();

    // The changes stay in place, waiting for what they build on; the sync states are gone.
    let set_aside = salvaged.set_aside.unwrap();
    assert_eq!((set_aside.chunk_ids, set_aside.kept), (vec![snapshot], 2));
    let mut partial = salvaged.doc.unwrap();
    assert!(!partial.get_missing_deps(&[]).is_empty());
    assert!(docs::sync_states(&conn, NS, "doc-a").unwrap().is_empty());

    // Step 3: syncing with the peer brings the document back whole.
    let before = partial.get_heads();
    sync_with(&mut partial, &mut peer);
    docs::append_changes(&conn, NS, "doc-a", &partial.save_after(&before)).unwrap();
    docs::mark_recovered(&conn, NS, "doc-a").unwrap();

    let loaded = docs::load(&conn, NS, "doc-a").unwrap().unwrap();
    assert_eq!(body(&loaded), body(&doc));
    assert!(body(&loaded).ends_with("uno\ndue\n"));
    assert_eq!(loaded.get_heads(), doc.get_heads());
    assert!(docs::awaiting_recovery(&conn, NS).unwrap().is_empty());
    assert_eq!(
        set_aside_bytes(&conn, "doc-a").len(),
        1,
        "kept after recovery"
    );
}

#[test]
fn a_damaged_change_is_set_aside_and_the_rest_of_the_note_loads() {
    let (_dir, conn) = store();
    let mut doc = long_note();
    docs::put_snapshot(&conn, NS, "doc-a", &doc.save()).unwrap();
    let first = docs::append_changes(&conn, NS, "doc-a", &append_line(&mut doc, "uno\n")).unwrap();
    docs::append_changes(&conn, NS, "doc-a", &append_line(&mut doc, "due\n")).unwrap();
    flip_bytes(&conn, first);

    let salvaged = docs::load_salvaging(&conn, NS, "doc-a").unwrap();

    assert_eq!(salvaged.set_aside.unwrap().chunk_ids, vec![first]);
    let partial = salvaged.doc.unwrap();
    assert_eq!(
        body(&partial),
        body(&long_note()),
        "the later change waits for the lost one"
    );
    assert_eq!(partial.get_missing_deps(&[]).len(), 1);
}

#[test]
fn a_healthy_document_is_never_set_aside() {
    let (_dir, conn) = store();
    let mut doc = long_note();
    docs::put_snapshot(&conn, NS, "doc-a", &doc.save()).unwrap();
    docs::append_changes(&conn, NS, "doc-a", &append_line(&mut doc, "uno\n")).unwrap();

    assert_eq!(docs::set_aside(&conn, NS, "doc-a").unwrap(), None);
    let salvaged = docs::load_salvaging(&conn, NS, "doc-a").unwrap();

    assert!(salvaged.set_aside.is_none());
    assert_eq!(body(&salvaged.doc.unwrap()), body(&doc));
    assert!(!docs::is_awaiting_recovery(&conn, NS, "doc-a").unwrap());
}

#[test]
fn compaction_keeps_changes_that_wait_for_a_peer() {
    // A damaged snapshot leaves changes waiting; a big local change then triggers compaction.
    let (_dir, conn) = store();
    let mut doc = long_note();
    let snapshot = docs::put_snapshot(&conn, NS, "doc-a", &doc.save()).unwrap();
    docs::append_changes(&conn, NS, "doc-a", &append_line(&mut doc, "uno\n")).unwrap();
    flip_bytes(&conn, snapshot);
    let mut partial = docs::load_salvaging(&conn, NS, "doc-a")
        .unwrap()
        .doc
        .unwrap();
    let waiting = partial.get_missing_deps(&[]);
    let mut peer = doc.clone();

    docs::compact(&conn, NS, "doc-a").unwrap();

    let compacted = docs::load(&conn, NS, "doc-a").unwrap().unwrap();
    assert_eq!(compacted.get_missing_deps(&[]), waiting);
    // And the peer still completes it.
    let before = partial.get_heads();
    sync_with(&mut partial, &mut peer);
    docs::append_changes(&conn, NS, "doc-a", &partial.save_after(&before)).unwrap();
    assert_eq!(
        body(&docs::load(&conn, NS, "doc-a").unwrap().unwrap()),
        body(&doc)
    );
}

#[test]
fn a_purge_deletes_the_damaged_bytes_too_and_a_move_takes_them_along() {
    let (_dir, conn) = store();
    for id in ["doc-a", "doc-b"] {
        let chunk = docs::put_snapshot(&conn, "personal", id, &note("Nome.\n").save()).unwrap();
        flip_bytes(&conn, chunk);
        docs::set_aside(&conn, "personal", id).unwrap().unwrap();
    }

    docs::delete(&conn, "personal", "doc-a").unwrap();
    docs::move_to(&conn, "doc-b", "personal", NS).unwrap();

    assert!(set_aside_bytes(&conn, "doc-a").is_empty(), "purged");
    assert_eq!(docs::awaiting_recovery(&conn, NS).unwrap(), vec!["doc-b"]);
    assert!(
        docs::awaiting_recovery(&conn, "personal")
            .unwrap()
            .is_empty()
    );
}
