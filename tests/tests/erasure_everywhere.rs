//! Erasing a note for everyone, through the real relay, real `quaderno` processes and the
//! JavaScript automerge-repo client: Elena, an admin, erases the minutes where a child's name
//! was written by mistake. Her running watch deletes the note within a second; Rita, offline
//! with edits she never sent, and Marco, a reader, delete it at their next sync and are told;
//! every device confirms; the JavaScript client that still holds the note cannot bring it
//! back; and the name is in no file of the relay's or of anyone's data folder.

mod faults_common;

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use faults_common::{Community, GROUP, append_line, appending_editor, new_note, wait_until};
use quaderno_tests::cli::Quaderno;
use quaderno_tests::files::files_containing;
use quaderno_tests::health::metric;
use quaderno_tests::js::{JsPeer, is};
use serde_json::{Value, json};

/// The name written by mistake (test data).
const NAME: &str = "Mario Rossi";
const WAIT: Duration = Duration::from_secs(20);

/// A participant who joined the group with an invite for `role`.
fn member(c: &Community, name: &str, role: &str) -> Quaderno {
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", name, "--city", "Palermo"]);
    let code = c.relay.invite(GROUP, role);
    q.ok(&["join", &c.relay.url, &code, "--device", "portatile"]);
    q
}

/// Reads the watch's JSON lines until `wanted` accepts one, for at most `limit`; with the
/// moment it arrived.
fn wait_for_event(
    lines: &Receiver<String>,
    limit: Duration,
    wanted: impl Fn(&Value) -> bool,
) -> Option<(Value, Instant)> {
    let started = Instant::now();
    while let Some(left) = limit.checked_sub(started.elapsed()) {
        let line = lines.recv_timeout(left).ok()?;
        let event: Value = serde_json::from_str(&line).unwrap_or_default();
        if wanted(&event) {
            return Some((event, Instant::now()));
        }
    }
    None
}

/// Whether the participant's list shows the note.
fn lists(q: &Quaderno, note: &str) -> bool {
    q.json(&["list", "--group", GROUP, "--deleted"])
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["id"] == note)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erased_note_leaves_the_relay_and_every_device_and_cannot_come_back() {
    let c = Community::new();
    let elena = member(&c, "Elena Russo", "admin");
    let rita = member(&c, "Rita Bruni", "editor");
    let marco = member(&c, "Marco Neri", "reader");

    // Step 1: Elena writes the minutes, with the child's name in them, over a few edits; a
    // second note stays.
    let editor = appending_editor(c.dir.path());
    let minutes = new_note(&elena, "Verbale 12 marzo", "Presenti: 9");
    for line in [
        format!("Caso seguito: {NAME}, 9 anni"),
        "Prossimo incontro: 19 marzo".to_string(),
    ] {
        append_line(&elena, &editor, &minutes, &line);
    }
    let other = new_note(&elena, "Ordine del giorno", "Punto 1: alloggi");
    elena.ok(&["sync"]);
    rita.ok(&["sync"]);
    marco.ok(&["sync"]);
    assert!(lists(&rita, &minutes) && lists(&marco, &minutes));

    // Step 2: a JavaScript automerge-repo client of the group holds the note too.
    let js_member = c
        .relay
        .join(&c.relay.invite(GROUP, "editor"), "Paola")
        .await;
    let js_url = format!("{}?token={}", c.relay.sync_url(GROUP), js_member.token);
    let mut js = JsPeer::start(&js_url, &js_member.peer_id);
    let url = format!("automerge:{minutes}");
    js.send(json!({ "cmd": "find", "url": url })).await;
    let found = js.expect(WAIT, is("found")).await;
    assert!(found["doc"]["body"].as_str().unwrap().contains(NAME));

    // Step 3: Rita, on a train, adds a line she will never send; Elena keeps a watch open.
    append_line(&rita, &editor, &minutes, "Riga di Rita, scritta in treno");
    let (mut watching, lines) = elena.spawn_lines(&["--json", "sync", "--watch"]);
    assert!(
        wait_for_event(&lines, WAIT, |e| e["event"] == "synced").is_some(),
        "Elena's watch got in sync"
    );

    // Step 4: Elena erases the minutes. Her watch deletes them within a second.
    let erased = elena.run(&[
        "erase",
        &minutes,
        "--reason",
        "nome di un minore scritto per errore",
    ]);
    let erased_at = Instant::now();
    assert_eq!(erased.code, 0, "erase: {}", erased.stderr);
    assert!(
        erased.stdout.contains("Verbale 12 marzo"),
        "{}",
        erased.stdout
    );
    let (event, seen) = wait_for_event(&lines, WAIT, |e| e["event"] == "note_erased")
        .expect("Elena's watch deletes the erased note");
    assert_eq!(event["note"], minutes.as_str());
    let took = seen.duration_since(erased_at);
    assert!(
        took <= Duration::from_secs(1),
        "the watch deleted the note {took:?} after the erasure"
    );
    let _ = watching.kill();
    let _ = watching.wait();
    assert!(!lists(&elena, &minutes), "gone from Elena's list");

    // Step 5: Rita syncs: the note is gone, with her unsent line, and she is told so.
    let synced = rita.run(&["sync"]);
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    assert!(
        synced.stdout.contains("erased")
            && synced.stdout.contains("Verbale 12 marzo")
            && synced.stdout.contains("not yet sent were deleted"),
        "Rita is told what was erased and that her edits went with it: {}",
        synced.stdout
    );
    assert!(!lists(&rita, &minutes), "gone from Rita's list");
    let status = rita.ok(&["status", "--offline"]);
    assert!(
        status.contains("erased:")
            && status.contains("nome di un minore scritto per errore")
            && status.contains("not yet sent were deleted")
            && !status.contains("Verbale 12 marzo"),
        "status says a note was erased, without its title: {status}"
    );
    assert!(lists(&rita, &other), "the other note stays");
    let shown = rita.run(&["show", &minutes]);
    assert_ne!(shown.code, 0, "the note cannot be shown any more");

    // Step 6: Marco, a reader, syncs: gone from his computer too.
    let synced = marco.run(&["sync"]);
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    assert!(synced.stdout.contains("erased"), "{}", synced.stdout);
    assert!(!lists(&marco, &minutes), "gone from Marco's list");

    // Step 7: the receipts: the three Quaderno devices confirmed; the JavaScript client,
    // which knows nothing of erasures, has not.
    let receipts = elena.json(&["erasures", "--group", GROUP]);
    let erasure = &receipts["erasures"][0];
    assert_eq!(erasure["doc"], minutes.as_str(), "{receipts}");
    assert_eq!(erasure["reason"], "nome di un minore scritto per errore");
    let devices = erasure["devices"].as_array().unwrap();
    let confirmed: Vec<&str> = devices
        .iter()
        .filter(|d| !d["confirmed_at"].is_null())
        .map(|d| d["participant"].as_str().unwrap())
        .collect();
    assert_eq!(
        confirmed.len(),
        3,
        "three devices confirmed: {confirmed:?} in {receipts}"
    );
    for name in ["Elena Russo", "Rita Bruni", "Marco Neri"] {
        assert!(confirmed.contains(&name), "{name} confirmed: {receipts}");
    }
    assert!(
        devices
            .iter()
            .any(|d| d["participant"] == "Paola" && d["confirmed_at"].is_null()),
        "the JavaScript client's device is listed as not confirmed: {receipts}"
    );
    let text = elena.ok(&["erasures", "--group", GROUP]);
    assert!(text.contains("3 of 4 devices confirmed"), "{text}");

    // Step 8: the JavaScript client, back on the relay, writes into the note it still holds;
    // the relay takes nothing of it, and nobody can find the note there.
    let heard = metric(&c.relay.url, "quaderno_messages_in_total").await;
    js.send(json!({ "cmd": "splice", "url": url, "field": "body", "pos": 0, "del": 0, "text": "Ritorno: " }))
        .await;
    js.expect(WAIT, is("spliced")).await;
    let mut sent = false;
    for _ in 0..200 {
        if metric(&c.relay.url, "quaderno_messages_in_total").await > heard {
            sent = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(sent, "the JavaScript client sent its change to the relay");
    js.exit().await;
    let sara = c.relay.join(&c.relay.invite(GROUP, "reader"), "Sara").await;
    let sara_url = format!("{}?token={}", c.relay.sync_url(GROUP), sara.token);
    let mut fresh = JsPeer::start(&sara_url, &sara.peer_id);
    fresh.send(json!({ "cmd": "find", "url": url })).await;
    let answer = fresh
        .expect(WAIT, |e| {
            e["event"] == "found" || e["event"] == "unavailable"
        })
        .await;
    assert_eq!(
        answer["event"], "unavailable",
        "the relay does not give the erased note back: {answer}"
    );
    let index_url = format!("automerge:{}", js_member.group.index_doc);
    fresh.send(json!({ "cmd": "find", "url": index_url })).await;
    let index = fresh.expect(WAIT, is("found")).await;
    let listed = &index["doc"]["notes"];
    assert!(
        listed.get(&minutes).is_none() && listed.get(&other).is_some(),
        "the relay's index lists the other note, not the erased one: {listed}"
    );
    fresh.exit().await;
    assert!(
        elena.run(&["sync"]).code == 0 && !lists(&elena, &minutes),
        "a later sync does not bring it back"
    );

    // Step 9: the name is in no file: not the relay's database, its log or write-ahead log,
    // not any participant's data folder.
    let everywhere = || {
        let mut found = files_containing(c.dir.path(), NAME.as_bytes());
        for q in [&elena, &rita, &marco] {
            found.extend(files_containing(q.data_dir(), NAME.as_bytes()));
        }
        found
    };
    let clean = wait_until(Duration::from_secs(10), || everywhere().is_empty());
    assert!(clean, "the name is still in {:?}", everywhere());
    // The same search can find it: the other note's words are still there.
    assert!(!files_containing(rita.data_dir(), b"alloggi").is_empty());
}
