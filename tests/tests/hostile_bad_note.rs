//! A bad note is one bad note: a document that any automerge-repo client can upload, with a
//! field of the wrong type, is set aside by every member's Quaderno (kept, not shown, reported
//! to the relay), and everything else keeps syncing. The relay's coordinators see it with its
//! size and who uploaded it; once someone fixes it, it is a note again everywhere.

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{ROOT, ScalarValue};
use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::uploads::{acknowledged, upload_bad_note};

const WAIT: Duration = Duration::from_secs(10);

fn participant(relay: &Relay, name: &str) -> Quaderno {
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", name, "--city", "Palermo"]);
    let code = relay.invite("palermo", "editor");
    q.ok(&["join", &relay.url, &code, "--device", "laptop"]);
    q
}

fn listed_ids(q: &Quaderno) -> Vec<String> {
    let mut ids: Vec<String> = q
        .json(&["list"])
        .as_array()
        .expect("list prints an array")
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn a_note_with_a_field_of_the_wrong_type_is_set_aside_and_everything_else_syncs() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.create_group("palermo");

    // Step 1: Anna writes two notes in the group; Carla has them.
    let anna = participant(&relay, "Anna");
    let carla = participant(&relay, "Carla");
    for title in ["Primo incontro", "Secondo incontro"] {
        anna.ok(&[
            "new", "--group", "palermo", "--title", title, "--body", "testo",
        ]);
    }
    anna.ok(&["sync"]);
    carla.ok(&["sync"]);
    let notes = listed_ids(&anna);
    assert_eq!(notes.len(), 2);

    // Step 2: Bruno uploads a note with `created_at` as text, and Anna writes one more.
    let bruno = relay
        .join(&relay.invite("palermo", "editor"), "Bruno")
        .await;
    let (mut peer, bad) = upload_bad_note(&relay, &bruno).await;
    anna.ok(&[
        "new", "--group", "palermo", "--title", "Terzo", "--body", "x",
    ]);
    anna.ok(&["sync"]);
    let notes = listed_ids(&anna);

    // Step 3: Carla's sync exits 0 within 10 s, names the bad note, and lists every other.
    let started = Instant::now();
    let run = carla.run(&["--json", "sync"]);
    assert_eq!(run.code, 0, "sync succeeds: {}{}", run.stdout, run.stderr);
    assert!(started.elapsed() < WAIT, "took {:?}", started.elapsed());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let group = &report["groups"][0];
    assert_eq!(group["outcome"]["status"], "synced", "{report}");
    let unreadable = group["unreadable"].as_array().expect("a list");
    assert_eq!(unreadable.len(), 1, "{report}");
    assert_eq!(unreadable[0]["doc"], bad.to_string());
    assert!(
        unreadable[0]["reason"]
            .as_str()
            .unwrap()
            .contains("created_at"),
        "{report}"
    );
    assert_eq!(
        listed_ids(&carla),
        notes,
        "every other note, and only those"
    );
    let text = carla.ok(&["sync"]);
    assert!(
        text.contains("unreadable") && text.contains(&bad.to_string()),
        "{text}"
    );

    // Step 4: the relay's coordinators see it, with its uploader and size.
    let listed: serde_json::Value =
        serde_json::from_str(&relay.admin(&["--json", "note", "unreadable", "--group", "palermo"]))
            .unwrap();
    let note = &listed["notes"][0];
    assert_eq!(note["doc"], bad.to_string(), "{listed}");
    assert_eq!(
        note["reports"], 2,
        "one report per device (Anna's and Carla's), however many syncs: {listed}"
    );
    assert_eq!(note["reason"], "field `created_at` should be a timestamp");
    assert!(note["bytes"].as_i64().unwrap() > 0, "{listed}");
    assert_eq!(note["uploaders"][0]["name"], "Bruno", "{listed}");
    let human = relay.admin(&["note", "unreadable", "--group", "palermo"]);
    assert!(
        human.contains(&bad.to_string()) && human.contains("Bruno"),
        "{human}"
    );

    // Step 5: Bruno fixes the note; at Carla's next sync it is a note again.
    peer.edit(bad, |d| {
        let now = ScalarValue::Timestamp(chrono::Utc::now().timestamp_millis());
        let mut tx = d.transaction();
        tx.put(ROOT, "created_at", now).unwrap();
        tx.commit();
    })
    .await;
    acknowledged(&mut peer, &[bad]).await;
    let report = carla.json(&["sync"]);
    assert_eq!(report["groups"][0]["unreadable"], serde_json::json!([]));
    assert!(listed_ids(&carla).contains(&bad.to_string()));
    assert_eq!(
        carla.json(&["show", &bad.to_string()])["title"],
        "Nota di Bruno"
    );
}
