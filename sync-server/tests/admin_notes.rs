//! `note purge`: every stored trace of a note leaves the relay.

mod admin_support;

use admin_support::DataDir;
use chrono::Utc;
use quaderno_model::{Author, DocumentId, NewNote, add_to_index, create_note, index_entries};
use quaderno_server::accounts::{self, AdminEventKind};
use quaderno_store::docs;

/// A text that must not survive a purge anywhere in the relay's files.
const NOTE_TITLE: &str = "Incontro con la famiglia Esposito-Marchetti";

/// Stores a note in `group` as the relay would: chunks, a sync state, a change-sequence row,
/// and an entry in the group's index document.
fn store_note(data: &DataDir, group: &str) -> DocumentId {
    let group = group.to_owned();
    let doc = DocumentId::random();
    let anna = Author::new("Anna", "Palermo");
    let new = NewNote {
        title: NOTE_TITLE.into(),
        ..NewNote::default()
    };
    let note = create_note(&new, &anna, Utc::now()).unwrap();
    data.db()
        .with_conn(move |c| {
            let id = doc.to_string();
            docs::put_snapshot(c, &group, &id, &note.save())?;
            let state = automerge::sync::State::new();
            docs::put_sync_state(c, &group, &id, "device-anna", &state)?;
            accounts::record_doc_change(c, &group, &doc)?;
            let index_doc = accounts::group(c, &group)?.unwrap().index_doc.to_string();
            let mut index = docs::load(c, &group, &index_doc)?.unwrap();
            let heads = index.get_heads();
            add_to_index(&mut index, &doc, &anna, Utc::now()).unwrap();
            docs::append_changes(c, &group, &index_doc, &index.save_after(&heads))?;
            Ok(())
        })
        .unwrap();
    doc
}

fn traces(data: &DataDir, group: &str, doc: DocumentId) -> (bool, usize, bool, bool, bool) {
    let group = group.to_owned();
    data.db()
        .with_conn(move |c| {
            let id = doc.to_string();
            let chunks = docs::exists(c, &group, &id)?;
            let states = docs::sync_states(c, &group, &id)?.len();
            let changes = accounts::changes_since(c, &group, 0)?.docs.contains(&doc);
            let index_doc = accounts::group(c, &group)?.unwrap().index_doc.to_string();
            let index = docs::load(c, &group, &index_doc)?.unwrap();
            let listed = index_entries(&index).unwrap().contains(&doc);
            let purged = accounts::is_purged(c, &group, &doc)?;
            Ok((chunks, states, changes, listed, purged))
        })
        .unwrap()
}

#[test]
fn purge_removes_every_trace_and_denies_the_note_from_then_on() {
    // Step 1: a note holds a child's name by mistake.
    let data = DataDir::new();
    data.ok(&["group", "create", "palermo"]);
    let doc = store_note(&data, "palermo");
    assert_eq!(traces(&data, "palermo", doc), (true, 1, true, true, false));

    // Step 2: the coordinator purges it, without saying which group holds it.
    let text = data.ok(&["note", "purge", "--reason", "test", &doc.to_string()]);
    assert!(
        text.contains("Purged") && text.contains("taken off the group's index"),
        "{text}"
    );

    // Step 3: no chunk, sync state, change row or index entry remains; the id is denied.
    assert_eq!(
        traces(&data, "palermo", doc),
        (false, 0, false, false, true)
    );
    let events = data
        .db()
        .with_conn(|c| Ok(accounts::admin_events_after(c, 0)?))
        .unwrap();
    let purged = AdminEventKind::NotePurged {
        group: "palermo".into(),
        doc,
    };
    assert_eq!(events.last().unwrap().kind, purged);
}

#[test]
fn purge_leaves_no_bytes_of_the_note_in_the_relay_files() {
    let data = DataDir::new();
    data.ok(&["group", "create", "palermo"]);
    let doc = store_note(&data, "palermo");
    assert!(
        files_mention(&data, NOTE_TITLE),
        "the test note is not stored in clear"
    );

    data.ok(&["note", "purge", "--reason", "test", &doc.to_string()]);

    assert!(!files_mention(&data, NOTE_TITLE));
}

/// Whether any file of the data directory (the database, its WAL) holds `text`.
fn files_mention(data: &DataDir, text: &str) -> bool {
    let dir = data.dir.path().join("relay");
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        bytes.windows(text.len()).any(|w| w == text.as_bytes())
    })
}

#[test]
fn the_changed_index_is_announced_to_clients() {
    let data = DataDir::new();
    data.ok(&["group", "create", "palermo"]);
    let doc = store_note(&data, "palermo");
    let before = data
        .db()
        .with_conn(|c| Ok(accounts::changes_since(c, "palermo", 0)?.latest))
        .unwrap();

    data.ok(&[
        "note",
        "purge",
        "--reason",
        "test",
        "--group",
        "palermo",
        &doc.url(),
    ]);

    let after = data
        .db()
        .with_conn(move |c| Ok(accounts::changes_since(c, "palermo", before)?))
        .unwrap();
    let index_doc = data
        .db()
        .with_conn(|c| Ok(accounts::group(c, "palermo")?.unwrap().index_doc))
        .unwrap();
    assert_eq!(after.docs, [index_doc]);
}

#[test]
fn purge_leaves_the_other_groups_alone() {
    let data = DataDir::new();
    data.ok(&["group", "create", "palermo"]);
    data.ok(&["group", "create", "roma"]);
    let in_palermo = store_note(&data, "palermo");
    let in_roma = store_note(&data, "roma");

    data.ok(&["note", "purge", "--reason", "test", &in_palermo.to_string()]);

    assert_eq!(traces(&data, "roma", in_roma), (true, 1, true, true, false));
}

#[test]
fn purge_refuses_the_index_an_unknown_id_and_a_malformed_one() {
    let data = DataDir::new();
    let created = data.json(&["group", "create", "palermo"]);
    let index = created["index_doc"].as_str().unwrap();
    let unknown = DocumentId::random().to_string();

    let cases = [
        (
            vec!["note", "purge", "--reason", "test", index],
            "index document",
        ),
        (
            vec!["note", "purge", "--reason", "test", &unknown],
            "no group holds",
        ),
        (
            vec!["note", "purge", "--reason", "test", "not-an-id"],
            "is not a document id",
        ),
        (
            vec![
                "note", "purge", "--reason", "test", "--group", "milano", index,
            ],
            "no group named",
        ),
    ];
    for (args, hint) in cases {
        let run = data.run(&args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(hint), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn an_erasure_names_the_backups_made_before_it_and_is_listed_with_its_reason() {
    let data = DataDir::new();
    data.ok(&["group", "create", "palermo"]);
    let doc = store_note(&data, "palermo");
    let backup = data.dir.path().join("prima.sqlite3");
    data.ok(&["backup", "--out", backup.to_str().unwrap()]);

    let text = data.ok(&[
        "note",
        "erase",
        "--reason",
        "nome di un minore",
        &doc.to_string(),
    ]);
    assert!(
        text.contains("still hold the note") && text.contains("prima.sqlite3"),
        "the erasure names the backup made before it: {text}"
    );

    let listed = data.ok(&["note", "erasures", "--group", "palermo"]);
    assert!(
        listed.contains(&doc.to_string())
            && listed.contains("nome di un minore")
            && listed.contains("prima.sqlite3"),
        "{listed}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&data.ok(&["--json", "note", "erasures"])).unwrap();
    assert_eq!(json[0]["doc"], doc.to_string(), "{json}");
    assert_eq!(json[0]["reason"], "nome di un minore");
    assert_eq!(json[0]["group"], "palermo");

    // A backup made after the erasure does not hold the note, and is not named.
    let after = data.dir.path().join("dopo.sqlite3");
    data.ok(&["backup", "--out", after.to_str().unwrap()]);
    let listed = data.ok(&["note", "erasures"]);
    assert!(!listed.contains("dopo.sqlite3"), "{listed}");
    let refused = data.run(&["note", "erasures", "--group", "milano"]);
    assert_ne!(refused.code, 0);
}
