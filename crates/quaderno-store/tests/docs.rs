//! Documents: round trips, compaction that never loses a change, sync states, polling.

use automerge::{Automerge, ObjType, ROOT, ReadDoc, sync, transaction::Transactable};
use quaderno_store::docs::{self, ChunkKind};
use quaderno_store::rusqlite::Connection;
use quaderno_store::{StoreError, open_connection};

const NS: &str = "integrazione";

struct File {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl File {
    fn new() -> File {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        File { _dir: dir, path }
    }

    fn connect(&self) -> Connection {
        open_connection(&self.path).unwrap()
    }
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
    let body = doc.get(ROOT, "body").unwrap().unwrap().1;
    doc.text(&body).unwrap()
}

#[test]
fn a_document_comes_back_as_it_was_saved() {
    let file = File::new();
    let conn = file.connect();
    let mut doc = note("Terzo incontro.\n");
    docs::put_snapshot(&conn, NS, "doc-a", &doc.save()).unwrap();
    let change = append_line(&mut doc, "Presenti: Anna, Marco.\n");
    docs::append_changes(&conn, NS, "doc-a", &change).unwrap();

    let loaded = docs::load(&conn, NS, "doc-a").unwrap().unwrap();

    assert_eq!(body(&loaded), "Terzo incontro.\nPresenti: Anna, Marco.\n");
    assert_eq!(loaded.get_heads(), doc.get_heads());
    assert!(docs::exists(&conn, NS, "doc-a").unwrap());
}

#[test]
fn an_unknown_document_is_none_and_namespaces_do_not_mix() {
    let file = File::new();
    let conn = file.connect();
    docs::put_snapshot(&conn, NS, "doc-a", &note("x").save()).unwrap();

    assert!(docs::load(&conn, NS, "doc-b").unwrap().is_none());
    assert!(
        docs::load(&conn, "another-group", "doc-a")
            .unwrap()
            .is_none()
    );
    assert!(!docs::exists(&conn, "another-group", "doc-a").unwrap());
    assert_eq!(docs::list_ids(&conn, NS).unwrap(), vec!["doc-a"]);
    assert!(docs::list_ids(&conn, "another-group").unwrap().is_empty());
}

#[test]
fn many_small_changes_are_compacted_into_one_snapshot_without_losing_any() {
    let file = File::new();
    let conn = file.connect();
    let mut doc = note("Verbale.\n");
    docs::put_snapshot(&conn, NS, "doc-a", &doc.save()).unwrap();

    for i in 0..200 {
        let change = append_line(&mut doc, &format!("riga {i}\n"));
        docs::append_changes(&conn, NS, "doc-a", &change).unwrap();
    }

    let chunks = docs::load_chunks(&conn, NS, "doc-a").unwrap();
    assert!(
        chunks.len() < 50,
        "never compacted: {} chunks",
        chunks.len()
    );
    assert_eq!(chunks[0].kind, ChunkKind::Snapshot);
    let loaded = docs::load(&conn, NS, "doc-a").unwrap().unwrap();
    assert_eq!(body(&loaded), body(&doc));
    assert_eq!(loaded.get_heads(), doc.get_heads());
}

#[test]
fn changes_appended_without_compacting_stay_apart_until_a_later_write_compacts() {
    let file = File::new();
    let conn = file.connect();
    let mut doc = note("Verbale.\n");
    docs::put_snapshot(&conn, NS, "doc-a", &doc.save()).unwrap();
    let other = docs::put_snapshot(&conn, NS, "doc-b", &note("Altro.\n").save()).unwrap();

    let mut ids = Vec::new();
    for i in 0..50 {
        let change = append_line(&mut doc, &format!("riga {i}\n"));
        ids.push(docs::append_changes_without_compacting(&conn, NS, "doc-a", &change).unwrap());
    }

    // Every change is still its own chunk, and only this document's chunks are listed.
    let first = ids[0] - 1;
    assert_eq!(
        docs::doc_chunks_since(&conn, NS, "doc-a", first).unwrap(),
        ids
    );
    assert_eq!(
        docs::doc_chunks_since(&conn, NS, "doc-b", 0).unwrap(),
        vec![other]
    );
    assert_eq!(docs::load_chunks(&conn, NS, "doc-a").unwrap().len(), 51);
    // The next ordinary append folds them all.
    let last = append_line(&mut doc, "fine\n");
    docs::append_changes(&conn, NS, "doc-a", &last).unwrap();
    assert_eq!(docs::load_chunks(&conn, NS, "doc-a").unwrap().len(), 1);
    let loaded = docs::load(&conn, NS, "doc-a").unwrap().unwrap();
    assert_eq!(loaded.get_heads(), doc.get_heads());
}

#[test]
fn compaction_keeps_a_change_another_process_appended_after_we_loaded() {
    let file = File::new();
    let ours = file.connect();
    let theirs = file.connect();
    let mut original = note("Base.\n");
    docs::put_snapshot(&ours, NS, "doc-a", &original.save()).unwrap();

    // Step 1: we load the note and keep it in memory.
    let mut our_copy = docs::load(&ours, NS, "doc-a").unwrap().unwrap();
    our_copy.set_actor(automerge::ActorId::random());
    // Step 2: another process appends a change we have not seen.
    let their_change = append_line(&mut original, "Loro.\n");
    docs::append_changes(&theirs, NS, "doc-a", &their_change).unwrap();
    // Step 3: we append a change big enough to trigger compaction, inside our transaction.
    let our_change = append_line(&mut our_copy, &"Nostro. ".repeat(200));
    ours.execute_batch("BEGIN IMMEDIATE").unwrap();
    docs::append_changes(&ours, NS, "doc-a", &our_change).unwrap();
    ours.execute_batch("COMMIT").unwrap();

    let chunks = docs::load_chunks(&theirs, NS, "doc-a").unwrap();
    assert_eq!(chunks.len(), 1, "compaction did not run");
    let merged = body(&docs::load(&theirs, NS, "doc-a").unwrap().unwrap());
    assert!(merged.contains("Loro."), "their change was lost: {merged}");
    assert!(merged.contains("Nostro."), "our change was lost: {merged}");
}

#[test]
fn a_damaged_chunk_names_its_document_and_leaves_the_others_readable() {
    let file = File::new();
    let conn = file.connect();
    let mut doc = note("Buono.\n");
    docs::put_snapshot(&conn, NS, "doc-a", &doc.save()).unwrap();
    docs::put_snapshot(&conn, NS, "doc-b", &note("Altro.\n").save()).unwrap();
    let bad = docs::append_changes(&conn, NS, "doc-a", b"not automerge at all").unwrap();
    let later = append_line(&mut doc, "Dopo.\n");
    docs::append_changes(&conn, NS, "doc-a", &later).unwrap();

    let error = docs::load(&conn, NS, "doc-a").unwrap_err();

    match &error {
        StoreError::CorruptDocument {
            ns,
            doc_id,
            chunk_id,
            ..
        } => {
            assert_eq!((ns.as_str(), doc_id.as_str()), (NS, "doc-a"));
            assert_eq!(*chunk_id, Some(bad));
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(error.to_string().contains(&format!("{NS}/doc-a")));
    assert_eq!(
        docs::load_chunks(&conn, NS, "doc-a").unwrap().len(),
        3,
        "rows kept"
    );
    assert_eq!(
        body(&docs::load(&conn, NS, "doc-b").unwrap().unwrap()),
        "Altro.\n"
    );
}

#[test]
fn delete_removes_every_trace_of_a_document() {
    let file = File::new();
    let conn = file.connect();
    docs::put_snapshot(&conn, NS, "doc-a", &note("x").save()).unwrap();
    docs::put_sync_state(&conn, NS, "doc-a", "peer-1", &sync::State::new()).unwrap();

    docs::delete(&conn, NS, "doc-a").unwrap();

    assert!(!docs::exists(&conn, NS, "doc-a").unwrap());
    assert!(docs::sync_states(&conn, NS, "doc-a").unwrap().is_empty());
}

#[test]
fn sync_states_are_kept_per_peer_and_replaced() {
    let file = File::new();
    let conn = file.connect();
    let doc = note("x");
    let mut state = sync::State::new();
    let mut peer = Automerge::new();
    let mut peer_state = sync::State::new();
    // One round of the sync protocol, so the state has shared heads worth saving.
    use automerge::sync::SyncDoc;
    for _ in 0..4 {
        if let Some(m) = doc.generate_sync_message(&mut state) {
            peer.receive_sync_message(&mut peer_state, m).unwrap();
        }
        if let Some(m) = peer.generate_sync_message(&mut peer_state) {
            let mut doc = doc.clone();
            doc.receive_sync_message(&mut state, m).unwrap();
        }
    }
    docs::put_sync_state(&conn, NS, "doc-a", "peer-1", &sync::State::new()).unwrap();
    docs::put_sync_state(&conn, NS, "doc-a", "peer-1", &state).unwrap();
    docs::put_sync_state(&conn, NS, "doc-a", "peer-2", &sync::State::new()).unwrap();

    let saved = docs::sync_state(&conn, NS, "doc-a", "peer-1")
        .unwrap()
        .unwrap();

    assert_eq!(saved.shared_heads, state.shared_heads);
    assert!(
        docs::sync_state(&conn, NS, "doc-a", "peer-3")
            .unwrap()
            .is_none()
    );
    let peers: Vec<String> = docs::sync_states(&conn, NS, "doc-a")
        .unwrap()
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(peers, vec!["peer-1", "peer-2"]);
}

#[test]
fn a_poller_sees_what_another_connection_wrote() {
    let file = File::new();
    let poller = file.connect();
    let writer = file.connect();
    docs::put_snapshot(&writer, NS, "doc-a", &note("x").save()).unwrap();
    let seen = docs::latest_chunk_id(&poller).unwrap();

    docs::put_snapshot(&writer, NS, "doc-b", &note("y").save()).unwrap();
    docs::put_snapshot(&writer, "other", "doc-c", &note("z").save()).unwrap();

    let changed = docs::changed_since(&poller, seen).unwrap();
    let names: Vec<(&str, &str)> = changed
        .iter()
        .map(|c| (c.ns.as_str(), c.doc_id.as_str()))
        .collect();
    assert_eq!(names, vec![(NS, "doc-b"), ("other", "doc-c")]);
    assert_eq!(
        changed[1].last_chunk_id,
        docs::latest_chunk_id(&poller).unwrap()
    );
}
