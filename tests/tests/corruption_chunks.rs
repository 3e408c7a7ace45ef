//! Bytes flipped inside a stored chunk, on the relay or on a participant's machine: the damaged
//! note is named, every other note keeps working, and the note comes back from a peer that
//! still holds it. The damaged bytes are kept aside, never deleted.

use std::path::Path;

use quaderno_store::rusqlite::{Connection, params};
use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;

/// A relay with one group, "palermo".
struct Community {
    relay: Relay,
    _dir: tempfile::TempDir,
}

impl Community {
    fn new() -> Self {
        quaderno_tests::init_tls();
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::start(dir.path(), &[]);
        relay.create_group("palermo");
        Self { relay, _dir: dir }
    }

    fn participant(&self, name: &str) -> Quaderno {
        let q = Quaderno::fresh();
        q.ok(&["init", "--name", name, "--city", "Palermo"]);
        let code = self.relay.invite("palermo", "editor");
        q.ok(&["join", &self.relay.url, &code, "--device", "laptop"]);
        q
    }

    fn relay_db(&self) -> std::path::PathBuf {
        self.relay.data_dir.join("relay.sqlite3")
    }
}

fn new_note(q: &Quaderno, title: &str, body: &str) -> String {
    let created = q.json(&[
        "new", "--group", "palermo", "--title", title, "--body", body,
    ]);
    created["id"]
        .as_str()
        .expect("new prints the id")
        .to_string()
}

fn body(q: &Quaderno, note: &str) -> String {
    q.json(&["show", note])["body"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Flips bytes in the middle of the document's first chunk, as a failing disk would, while no
/// process has the file open. Returns the damaged bytes.
fn flip_bytes(db: &Path, doc: &str) -> Vec<u8> {
    let conn = Connection::open(db).unwrap();
    let (chunk, mut bytes): (i64, Vec<u8>) = conn
        .query_row(
            "SELECT id, bytes FROM chunks WHERE doc_id = ?1 ORDER BY id LIMIT 1",
            [doc],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let middle = bytes.len() / 2;
    for byte in &mut bytes[middle..middle + 8] {
        *byte ^= 0x5a;
    }
    conn.execute(
        "UPDATE chunks SET bytes = ?1 WHERE id = ?2",
        params![bytes, chunk],
    )
    .unwrap();
    bytes
}

/// The bytes set aside for a document, and whether a peer has sent it back since.
fn set_aside(db: &Path, doc: &str) -> Vec<(Vec<u8>, bool)> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT bytes, recovered_at IS NOT NULL FROM damaged_chunks WHERE doc_id = ?1")
        .unwrap();
    stmt.query_map([doc], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn sync_report(q: &Quaderno) -> serde_json::Value {
    let report = q.json(&["sync"]);
    assert_eq!(
        report["groups"][0]["outcome"]["status"], "synced",
        "{report}"
    );
    report["groups"][0].clone()
}

#[test]
fn a_note_damaged_on_the_relay_is_named_in_its_log_and_restored_from_a_member_who_has_it() {
    // Step 1: Anna writes two notes for the group and syncs them to the relay.
    let mut c = Community::new();
    let anna = c.participant("Anna");
    let damaged = new_note(&anna, "Terzo incontro", "Presenti: 12. Tema: la casa.");
    let healthy = new_note(&anna, "Quarto incontro", "Presenti: 9. Tema: il lavoro.");
    sync_report(&anna);

    // Step 2: while the relay is stopped, a disk flips bytes inside the first note's chunk.
    c.relay.terminate();
    let flipped = flip_bytes(&c.relay_db(), &damaged);
    c.relay.restart();

    // Step 3: Carla joins and syncs. She gets the healthy note; the relay names the damaged
    // one in its log, at error level, and keeps its bytes aside.
    let carla = c.participant("Carla");
    sync_report(&carla);
    assert_eq!(body(&carla, &healthy), "Presenti: 9. Tema: il lavoro.");
    let log = c.relay.log();
    let line = log
        .lines()
        .find(|l| l.contains("ERROR") && l.contains(&damaged))
        .unwrap_or_else(|| panic!("no error line names the damaged note: {log}"));
    assert!(
        line.contains("damaged") && line.contains("palermo"),
        "{line}"
    );
    assert!(!line.contains("Terzo"), "note text in the log: {line}");
    assert_eq!(set_aside(&c.relay_db(), &damaged), vec![(flipped, false)]);

    // Step 4: Anna, who still has the note, syncs: the relay gets it back from her.
    sync_report(&anna);

    // Step 5: Carla's next sync brings her the note, whole.
    sync_report(&carla);
    assert_eq!(body(&carla, &damaged), "Presenti: 12. Tema: la casa.");
    let hits = carla.json(&["search", "casa"]);
    assert_eq!(hits.as_array().map(Vec::len), Some(1), "{hits}");
}

#[test]
fn a_note_damaged_on_a_laptop_is_named_by_show_and_sync_brings_it_back_from_the_relay() {
    // Step 1: Anna and Bruno share three notes.
    let c = Community::new();
    let anna = c.participant("Anna");
    let bruno = c.participant("Bruno");
    let first = new_note(&anna, "Terzo incontro", "Presenti: 12. Tema: la casa.");
    let second = new_note(&anna, "Quarto incontro", "Presenti: 9. Tema: il lavoro.");
    let healthy = new_note(&anna, "Quinto incontro", "Presenti: 7. Tema: la scuola.");
    sync_report(&anna);
    sync_report(&bruno);
    // Once more, so that Anna's next sync has nothing new to check.
    sync_report(&anna);

    // Step 2: on Anna's laptop, a disk flips bytes inside two notes.
    let store = anna.data_dir().join("quaderno.sqlite3");
    let flipped = flip_bytes(&store, &first);
    flip_bytes(&store, &second);

    // Step 3: `show` names the first note by its title and says what to do; everything else
    // keeps working.
    let shown = anna.run(&["show", &first]);
    assert_eq!(shown.code, 1, "{}", shown.stderr);
    assert!(
        shown.stderr.contains("\"Terzo incontro\"")
            && shown.stderr.contains("damaged")
            && shown.stderr.contains("quaderno sync"),
        "{}",
        shown.stderr
    );
    assert_eq!(body(&anna, &healthy), "Presenti: 7. Tema: la scuola.");
    assert_eq!(anna.json(&["list"]).as_array().map(Vec::len), Some(3));
    assert_eq!(
        anna.json(&["search", "scuola"]).as_array().map(Vec::len),
        Some(1)
    );
    anna.json(&["status", "--offline"]);

    // Step 4: Anna syncs, with nothing else new on either side: the note `show` found damaged
    // comes back from the relay.
    let report = sync_report(&anna);
    assert_eq!(report["recovered"], 1, "{report}");
    assert_eq!(body(&anna, &first), "Presenti: 12. Tema: la casa.");
    assert_eq!(
        set_aside(&store, &first),
        vec![(flipped, true)],
        "kept aside"
    );

    // Step 5: Bruno tags the second note, and Anna writes a new one.
    bruno.ok(&["tag", &second, "+rivisto"]);
    sync_report(&bruno);
    anna.ok(&[
        "new",
        "--group",
        "palermo",
        "--title",
        "Appunti",
        "--body",
        "da rileggere",
    ]);

    // Step 6: Anna syncs. This time the sync itself finds the damage, and names the note on
    // stderr; the note comes back with Bruno's tag, and Anna's new note goes out.
    let run = anna.run(&["--json", "sync"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["groups"][0]["recovered"], 1, "{report}");
    assert!(
        run.stderr.contains(&second) && run.stderr.contains("damaged"),
        "{}",
        run.stderr
    );
    assert_eq!(
        anna.json(&["show", &second])["tags"],
        serde_json::json!(["rivisto"])
    );
    sync_report(&bruno);
    assert_eq!(bruno.json(&["list"]).as_array().map(Vec::len), Some(4));
}
