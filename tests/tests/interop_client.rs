//! The `quaderno` client and JavaScript automerge-repo peers, both ways: a note written by the
//! JavaScript client through Quaderno's relay is read with `quaderno show`, and `quaderno sync`
//! works against the JavaScript reference relay (`Repo` + `NodeWSServerAdapter`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use quaderno_tests::cli::Quaderno;
use quaderno_tests::js::{JsPeer, is};
use quaderno_tests::relay::Relay;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

/// A note in Quaderno's schema, as a JavaScript client writes it.
fn note(title: &str, body: &str) -> Value {
    json!({
        "type": "quaderno/note", "schema": 1, "title": title, "body": body,
        "tags": {}, "meeting": { "participants": {} },
        "created_at": { "$date": 1_760_000_000_000i64 }, "created_by": "Gianni (Napoli)",
        "deleted": false, "authors": {}
    })
}

fn doc_id(url: &str) -> String {
    url.trim_start_matches("automerge:").to_string()
}

/// Creates a note and lists it in the group's index, as a JavaScript client of the group would.
async fn write_note(peer: &mut JsPeer, index_url: &str, title: &str, body: &str) -> String {
    peer.send(json!({ "cmd": "create", "doc": note(title, body) }))
        .await;
    let created = peer
        .expect(WAIT, |e| e["event"] == "created" && !e["used"].is_boolean())
        .await;
    peer.events.iter_mut().for_each(|e| e["used"] = json!(true));
    let id = doc_id(created["url"].as_str().unwrap());
    let entry =
        json!({ "added_at": { "$date": 1_760_000_000_000i64 }, "added_by": "Gianni (Napoli)" });
    peer.send(json!({ "cmd": "put", "url": index_url, "path": ["notes", id], "value": entry }))
        .await;
    peer.expect(WAIT, |e| {
        e["event"] == "put" && e["doc"]["notes"].get(&id).is_some()
    })
    .await;
    id
}

/// Waits until the peer's copy of a document satisfies `done`, asking again as needed.
async fn find_until(peer: &mut JsPeer, url: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..40 {
        peer.send(json!({ "cmd": "find", "url": url })).await;
        let answer = peer
            .expect(WAIT, |e| {
                (e["event"] == "found" || e["event"] == "unavailable")
                    && e["url"] == url
                    && !e["used"].is_boolean()
            })
            .await;
        peer.events.iter_mut().for_each(|e| e["used"] = json!(true));
        if answer["event"] == "found" && done(&answer["doc"]) {
            return answer["doc"].clone();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{url} never reached the expected state");
}

fn run_async<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn a_note_written_by_the_javascript_client_through_our_relay_is_read_with_quaderno_show() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.create_group("napoli");
    let maria = Quaderno::fresh();
    maria.ok(&["init", "--name", "Maria", "--city", "Napoli"]);
    maria.ok(&["join", &relay.url, &relay.invite("napoli", "editor")]);

    run_async(async {
        // Step 1: Gianni's JavaScript client joins and writes a note into the group's index.
        let gianni = relay
            .join(&relay.invite("napoli", "editor"), "Gianni")
            .await;
        let ws = format!("{}?token={}", relay.sync_url("napoli"), gianni.token);
        let mut js = JsPeer::start(&ws, &gianni.peer_id);
        let index_url = format!("automerge:{}", gianni.group.index_doc);
        find_until(&mut js, &index_url, |_| true).await;
        let id = write_note(
            &mut js,
            &index_url,
            "Dal browser",
            "Scritto con automerge-repo.",
        )
        .await;

        // Step 2: Maria syncs and reads it with `quaderno show`.
        let shown = wait_for_note(&maria, &id);
        assert_eq!(shown["title"], "Dal browser");
        assert_eq!(shown["body"], "Scritto con automerge-repo.");

        // Step 3: and the other way: Maria's note reaches the JavaScript client.
        let created = maria.json(&[
            "new",
            "--group",
            "napoli",
            "--title",
            "Risposta",
            "--body",
            "Ricevuto.",
        ]);
        let maria_id = created["id"].as_str().unwrap().to_string();
        maria.ok(&["sync"]);
        let index = find_until(&mut js, &index_url, |d| d["notes"].get(&maria_id).is_some()).await;
        assert!(index["notes"].get(&maria_id).is_some());
        let reply = find_until(&mut js, &format!("automerge:{maria_id}"), |d| {
            d["body"] == "Ricevuto."
        })
        .await;
        assert_eq!(reply["title"], "Risposta");
        js.exit().await;
    });
}

/// Syncs until the note shows up, since the JavaScript client pushes on its own schedule.
fn wait_for_note(q: &Quaderno, id: &str) -> Value {
    for _ in 0..40 {
        q.ok(&["sync"]);
        let run = q.run(&["--json", "show", id]);
        if run.code == 0 {
            return serde_json::from_str(&run.stdout).unwrap();
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("note {id} never arrived");
}

/// The JavaScript reference relay, stopped when dropped.
struct JsRelay {
    child: Child,
    url: String,
    /// Kept open: the server must never write into a closed pipe.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl JsRelay {
    fn start(data_dir: &std::path::Path) -> JsRelay {
        let mut child = Command::new("node")
            .arg("server.mjs")
            .arg("0")
            .arg(data_dir)
            .current_dir(quaderno_tests::js::dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        JsRelay {
            child,
            url: line.trim().to_string(),
            _stdout: stdout,
        }
    }
}

impl Drop for JsRelay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn quaderno_sync_works_against_the_javascript_reference_relay() {
    let dir = tempfile::tempdir().unwrap();
    let js_relay = JsRelay::start(dir.path());
    assert!(js_relay.url.starts_with("ws://"), "{}", js_relay.url);

    run_async(async {
        // Step 1: a JavaScript client sets up the group: an index document and one note.
        let mut js = JsPeer::start(&js_relay.url, "peer-gianni");
        js.send(json!({ "cmd": "create", "doc": {
            "type": "quaderno/group-index", "schema": 1, "group": "laboratorio", "notes": {}
        }}))
        .await;
        let index_url = js.expect(WAIT, is("created")).await["url"]
            .as_str()
            .unwrap()
            .to_string();
        js.events.iter_mut().for_each(|e| e["used"] = json!(true));
        let js_note = write_note(
            &mut js,
            &index_url,
            "Appunti JS",
            "dal relay di riferimento",
        )
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;

        // Step 2: two Quaderno participants join the group by its index and sync.
        let index = doc_id(&index_url);
        let anna = Quaderno::fresh();
        anna.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
        anna.ok(&[
            "join",
            &js_relay.url,
            "--group",
            "laboratorio",
            "--index",
            &index,
        ]);
        let shown = wait_for_note(&anna, &js_note);
        assert_eq!(shown["body"], "dal relay di riferimento");
        let created = anna.json(&[
            "new",
            "--group",
            "laboratorio",
            "--title",
            "Da Quaderno",
            "--body",
            "ciao",
        ]);
        let anna_note = created["id"].as_str().unwrap().to_string();
        anna.ok(&["sync"]);

        let bruno = Quaderno::fresh();
        bruno.ok(&["init", "--name", "Bruno", "--city", "Roma"]);
        bruno.ok(&[
            "join",
            &js_relay.url,
            "--group",
            "laboratorio",
            "--index",
            &index,
        ]);
        bruno.ok(&["sync"]);
        assert_eq!(wait_for_note(&bruno, &anna_note)["body"], "ciao");
        assert_eq!(wait_for_note(&bruno, &js_note)["title"], "Appunti JS");

        // Step 3: the JavaScript client finds Anna's note through the index.
        find_until(&mut js, &index_url, |d| {
            d["notes"].get(&anna_note).is_some()
        })
        .await;
        let from_anna = find_until(&mut js, &format!("automerge:{anna_note}"), |d| {
            d["body"] == "ciao"
        })
        .await;
        assert_eq!(from_anna["title"], "Da Quaderno");
        js.exit().await;
    });
}
