//! A member of one group who knows the id of another group's note (ids are in exports, in the
//! page's address, and every former member has them) uploads a document under that id in their
//! own group. Here A is Palermo and B is Roma. On a computer that is in both groups, the note stays the first group's: it is not
//! replaced, not hidden, and the participant's edits go to its own group only.

use std::path::{Path, PathBuf};
use std::time::Duration;

use automerge::ReadDoc;
use quaderno_model::{Author, DocumentId, NewNote, create_note};
use quaderno_sync::Event;
use quaderno_tests::cli::Quaderno;
use quaderno_tests::peer::Peer;
use quaderno_tests::relay::{Joined, Relay};
use quaderno_tests::uploads::upload_listed;

const WAIT: Duration = Duration::from_secs(10);

/// A participant on their own computer, joined to `groups` as editor.
fn participant(relay: &Relay, name: &str, groups: &[&str]) -> Quaderno {
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", name, "--city", "Palermo"]);
    for group in groups {
        let code = relay.invite(group, "editor");
        q.ok(&["join", &relay.url, &code, "--device", "laptop"]);
    }
    q
}

/// An editor script that appends a line to the note being edited.
fn appending_editor(dir: &Path, line: &str) -> PathBuf {
    let script = dir.join("editor.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' '{line}' >> \"$1\"\n"),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    script
}

/// The note's title and body, as `quaderno show` prints them.
fn shown(q: &Quaderno, id: &str) -> (String, String) {
    let note = q.json(&["show", id]);
    let text = |field: &str| note[field].as_str().unwrap_or_default().to_string();
    (text("title"), text("body"))
}

/// The report of one group in `quaderno --json sync`.
fn group_report<'a>(report: &'a serde_json::Value, group: &str) -> &'a serde_json::Value {
    report["groups"]
        .as_array()
        .and_then(|groups| groups.iter().find(|g| g["group"] == group))
        .unwrap_or_else(|| panic!("no report for {group}: {report}"))
}

/// Bruno, in group B only, writes a note of his own under `id` and lists it in B's index, as
/// any automerge-repo client can.
async fn upload_under(relay: &Relay, bruno: &Joined, id: DocumentId) -> Peer {
    let author = Author::new("Bruno", "Roma");
    let forged = NewNote {
        title: "Falso".into(),
        body: "Scritto da Bruno".into(),
        ..NewNote::default()
    };
    let doc = create_note(&forged, &author, chrono::Utc::now()).unwrap();
    upload_listed(relay, bruno, "roma", id, doc, &author).await
}

/// B's relay copy of the document, as a member of B who asks for it receives it.
async fn relay_copy_in_b(relay: &Relay, bruno: &Joined, id: DocumentId) -> String {
    let mut peer = Peer::connect(&relay.sync_url("roma"), &bruno.token, &bruno.peer_id)
        .await
        .expect("Bruno connects to B");
    peer.share(id).await;
    let arrived = |p: &Peer| {
        p.events
            .iter()
            .any(|e| matches!(e, Event::InSync { doc, .. } if *doc == id))
    };
    assert!(peer.pump_until(WAIT, arrived).await, "B's copy arrives");
    let doc = &peer.docs[&id];
    let (_, body) = doc.get(automerge::ROOT, "body").unwrap().unwrap();
    doc.text(&body).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_note_of_group_a_is_neither_replaced_nor_leaked_by_a_forgery_in_group_b() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.create_group("palermo");
    relay.create_group("roma");

    // Step 1: Rita, in A and B, writes a note in A; Anna, in A, has it too. Carla is in B.
    let rita = participant(&relay, "Rita", &["palermo", "roma"]);
    let anna = participant(&relay, "Anna", &["palermo"]);
    let carla = participant(&relay, "Carla", &["roma"]);
    let created = rita.json(&[
        "new",
        "--group",
        "palermo",
        "--title",
        "Verbale",
        "--body",
        "Presenti: 9",
    ]);
    let id = created["id"].as_str().unwrap().to_string();
    let doc: DocumentId = id.parse().unwrap();
    rita.ok(&["sync"]);
    anna.ok(&["sync"]);
    assert_eq!(shown(&anna, &id).0, "Verbale");

    // Step 2: Bruno, in B only, knows the id and uploads a note of his own under it in B.
    let bruno = relay.join(&relay.invite("roma", "editor"), "Bruno").await;
    let bruno_peer = upload_under(&relay, &bruno, doc).await;

    // Step 3: Rita syncs both groups. The sync succeeds, names the id in B's report, and her
    // note is A's, untouched.
    let report = rita.json(&["sync"]);
    let b = group_report(&report, "roma");
    assert_eq!(b["outcome"]["status"], "synced", "{report}");
    assert_eq!(
        b["conflicting"],
        serde_json::json!([{ "doc": id, "belongs_to": "palermo" }]),
        "{report}"
    );
    assert_eq!(
        group_report(&report, "palermo")["conflicting"],
        serde_json::json!([])
    );
    assert_eq!(
        shown(&rita, &id),
        ("Verbale".to_string(), "Presenti: 9".to_string())
    );
    assert_eq!(rita.json(&["show", &id])["group"], "palermo");
    let text = rita.ok(&["sync"]);
    assert!(
        text.contains("set aside") && text.contains(&id),
        "the human report names the id: {text}"
    );

    // Step 4: Rita edits her note and syncs: Anna, in A, gets the edit.
    let editor = appending_editor(dir.path(), "Aggiunto da Rita");
    let mut command = rita.command(&["edit", &id]);
    command.env("EDITOR", &editor);
    let run = rita.run_command(command, "");
    assert_eq!(run.code, 0, "edit failed: {}", run.stderr);
    rita.ok(&["sync"]);
    anna.ok(&["sync"]);
    assert!(shown(&anna, &id).1.contains("Aggiunto da Rita"));

    // Step 5: B never receives it: not the relay's copy in B, not Carla.
    bruno_peer.close().await;
    let in_b = relay_copy_in_b(&relay, &bruno, doc).await;
    assert_eq!(in_b, "Scritto da Bruno");
    carla.ok(&["sync"]);
    let (title, body) = shown(&carla, &id);
    assert_eq!(title, "Falso");
    assert!(!body.contains("Aggiunto da Rita") && !body.contains("Presenti"));
    assert_eq!(shown(&rita, &id).0, "Verbale", "still A's note at the end");
}
