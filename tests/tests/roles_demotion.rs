//! An editor made a reader while holding edits the relay never took, through the real relay
//! and the real CLI: `quaderno sync` returns at once and says the edits were refused (not that
//! the relay is offline), every edit survives on that computer as a personal copy, and the
//! group's notes there go back to what the relay holds, the same as on everyone else's.

mod faults_common;

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use faults_common::{
    Community, GROUP, append_line, appending_editor, body, new_note, snapshot, wait_until,
};
use quaderno_tests::cli::Quaderno;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::{Value, json};

/// A refused sync must answer well within this, relay round trips included.
const ANSWERS_WITHIN: Duration = Duration::from_secs(10);
/// How long a watch may take to come back to a restarted relay (its backoff included).
const RECONNECTS_WITHIN: Duration = Duration::from_secs(40);

/// Makes the participant named `name` a reader of the group, on the relay.
fn demote(c: &Community, name: &str) {
    c.relay
        .admin(&["member", "set-role", "--group", GROUP, name, "reader"]);
}

/// The personal copies a participant holds, as `list --json` shows them.
fn personal_copies(q: &Quaderno) -> Vec<Value> {
    let listed = q.json(&["list", "--group", "personal", "--tag", "copia-personale"]);
    listed.as_array().cloned().unwrap_or_default()
}

/// The one personal copy titled `title`; its id.
fn copy_titled(q: &Quaderno, title: &str) -> String {
    let copies = personal_copies(q);
    let found: Vec<&Value> = copies.iter().filter(|c| c["title"] == title).collect();
    assert_eq!(found.len(), 1, "one copy titled {title:?}: {copies:?}");
    found[0]["id"].as_str().unwrap().to_string()
}

/// Reads the watch's JSON lines until `wanted` accepts one, for at most `limit`.
fn wait_for_event(
    lines: &Receiver<String>,
    limit: Duration,
    wanted: impl Fn(&Value) -> bool,
) -> Option<Value> {
    let started = Instant::now();
    while let Some(left) = limit.checked_sub(started.elapsed()) {
        let line = lines.recv_timeout(left).ok()?;
        let event: Value = serde_json::from_str(&line).unwrap_or_default();
        if wanted(&event) {
            return Some(event);
        }
    }
    None
}

#[test]
fn an_editor_demoted_while_offline_is_told_at_once_and_keeps_every_edit_as_a_personal_copy() {
    // Step 1: Elena and Rita edit the group's minutes; both hold them.
    let c = Community::new();
    let elena = c.participant("Elena", &c.relay.url);
    let rita = c.participant("Rita", &c.relay.url);
    let minutes = new_note(&elena, "Verbale", "Presenti: 9");
    elena.ok(&["sync"]);
    rita.ok(&["sync"]);

    // Step 2: on a train, Rita adds a line to the minutes and writes a note of her own.
    let editor = appending_editor(c.dir.path());
    append_line(&rita, &editor, &minutes, "Riga di Rita, scritta in treno");
    let own = new_note(&rita, "Appunti di Rita", "Solo sul mio portatile");

    // Step 3: meanwhile an admin makes Rita a reader, and Elena goes on writing.
    demote(&c, "Rita");
    append_line(&elena, &editor, &minutes, "Riga di Elena");
    elena.ok(&["sync"]);

    // Step 4: Rita syncs. It answers at once: her edits were refused, the relay is not offline.
    let started = Instant::now();
    let run = rita.run(&["sync"]);
    let took = started.elapsed();
    eprintln!(
        "the refused sync took {took:?}:\n{}{}",
        run.stdout, run.stderr
    );
    assert!(
        took < ANSWERS_WITHIN,
        "the sync took {took:?}: {}",
        run.stdout
    );
    assert_eq!(run.code, 2, "exit code for refused edits: {run:?}");
    assert!(
        run.stdout
            .contains("refused: you are a reader in «palermo»"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("offline"), "{}", run.stdout);
    assert!(
        run.stderr.contains("did not accept your edits") && run.stderr.trim().lines().count() == 1,
        "{}",
        run.stderr
    );

    // Step 5: both edits survive on Rita's computer as personal copies.
    let copy = copy_titled(&rita, "Verbale (copia personale)");
    let kept = body(&rita, &copy);
    assert!(
        kept.contains("Presenti: 9") && kept.contains("Riga di Rita, scritta in treno"),
        "the copy holds Rita's version: {kept:?}"
    );
    let own_copy = copy_titled(&rita, "Appunti di Rita (copia personale)");
    assert_eq!(body(&rita, &own_copy), "Solo sul mio portatile");

    // Step 6: the group's notes on Rita's computer are the relay's: Elena's line, not Rita's,
    // and not the note the relay never had.
    let on_rita = body(&rita, &minutes);
    assert!(on_rita.contains("Riga di Elena"), "{on_rita:?}");
    assert!(!on_rita.contains("Riga di Rita"), "{on_rita:?}");
    assert_eq!(rita.run(&["show", &own]).code, 2, "the note left the group");
    elena.ok(&["sync"]);
    assert_eq!(snapshot(&rita), snapshot(&elena));
    assert!(!body(&elena, &minutes).contains("Riga di Rita"));

    // Step 7: `status` says what was refused and kept, and nothing waits for the relay.
    let status = rita.json(&["status", "--offline"]);
    let group = &status["groups"][0];
    assert_eq!(group["role"], "reader");
    assert_eq!(group["waiting"], serde_json::json!([]), "{group}");
    let kept_ids: Vec<&str> = group["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["copy"].as_str().unwrap())
        .collect();
    assert_eq!(kept_ids.len(), 2, "{group}");
    assert!(kept_ids.contains(&copy.as_str()) && kept_ids.contains(&own_copy.as_str()));
    assert!(
        group["kept"][0]["reason"] == "you are a reader in «palermo»",
        "{group}"
    );
    let text = rita.ok(&["status", "--offline"]);
    eprintln!("{text}");
    assert!(text.contains("refused edits:"), "{text}");

    // Step 8: the next sync has nothing to refuse, and the copies stay.
    let again = rita.run(&["sync"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(personal_copies(&rita).len(), 2);
    assert!(body(&rita, &copy).contains("Riga di Rita, scritta in treno"));

    // Step 9: a newcomer finds the group as Elena holds it.
    let bruno = c.participant("Bruno", &c.relay.url);
    bruno.ok(&["sync"]);
    assert_eq!(snapshot(&bruno), snapshot(&elena));
    assert_eq!(rita.integrity_check(), "ok");
}

#[test]
fn a_watch_whose_owner_is_demoted_keeps_the_unaccepted_edit_and_says_so() {
    // Step 1: Elena and Rita hold the minutes; Rita keeps a watch running.
    let mut c = Community::new();
    let elena = c.participant("Elena", &c.relay.url);
    let rita = c.participant("Rita", &c.relay.url);
    let minutes = new_note(&elena, "Verbale", "Presenti: 9");
    elena.ok(&["sync"]);
    rita.ok(&["sync"]);
    let (watch, lines) = rita.spawn_lines(&["--json", "sync", "--watch"]);
    let watching = Watch(watch);
    assert!(
        wait_for_event(&lines, Duration::from_secs(20), |e| e["event"] == "synced").is_some(),
        "the watch never reported being in sync"
    );

    // Step 2: the relay goes away; Rita writes a line the relay never gets, and is demoted.
    c.relay.kill();
    assert!(
        wait_for_event(&lines, Duration::from_secs(20), |e| e["event"] == "offline").is_some(),
        "the watch never noticed the relay left"
    );
    let editor = appending_editor(c.dir.path());
    append_line(&rita, &editor, &minutes, "Riga di Rita, mai arrivata");
    demote(&c, "Rita");
    c.relay.restart();

    // Step 3: back online, the watch learns the role, keeps the edit and prints the event.
    let event = wait_for_event(&lines, RECONNECTS_WITHIN, |e| {
        e["event"] == "changes_refused"
    })
    .expect("the watch never said the edit was refused");
    assert_eq!(event["group"], GROUP);
    assert_eq!(event["reason"], "you are a reader in «palermo»");
    assert_eq!(event["kept"][0]["note"], minutes.as_str());
    assert_eq!(event["kept"][0]["copy_title"], "Verbale (copia personale)");
    assert!(
        wait_for_event(&lines, ANSWERS_WITHIN, |e| e["event"] == "synced").is_some(),
        "the watch never settled after setting the note back"
    );
    let copy = event["kept"][0]["copy"].as_str().unwrap().to_string();
    assert!(body(&rita, &copy).contains("Riga di Rita, mai arrivata"));

    // Step 4: a `quaderno sync` beside the watch hears of it once, then finds all in sync.
    let asked = rita.run(&["sync"]);
    assert_eq!(asked.code, 2, "{asked:?}");
    assert!(
        asked.stdout.contains("refused: you are a reader"),
        "{asked:?}"
    );
    let again = rita.run(&["sync"]);
    assert_eq!(again.code, 0, "{again:?}");

    // Step 5: the group's minutes on Rita's computer are the relay's again.
    elena.ok(&["sync"]);
    let relays = body(&elena, &minutes);
    assert!(!relays.contains("Riga di Rita"), "{relays:?}");
    assert!(
        wait_until(Duration::from_secs(10), || body(&rita, &minutes) == relays),
        "Rita's minutes: {:?}",
        body(&rita, &minutes)
    );
    drop(watching);
    assert_eq!(rita.integrity_check(), "ok");
}

#[test]
fn a_page_whose_owner_is_demoted_shows_the_relays_note_and_says_where_the_edit_is_kept() {
    // Step 1: Elena and Rita hold the minutes; Rita has them open in her page.
    let mut c = Community::new();
    let elena = c.participant("Elena", &c.relay.url);
    let rita = c.participant("Rita", &c.relay.url);
    let minutes = new_note(&elena, "Verbale", "Presenti: 9");
    elena.ok(&["sync"]);
    rita.ok(&["sync"]);
    let rita_ui = UiProcess::start(rita.data_dir());
    let mut b = Browsers::start();
    b.launch("rita", &rita_ui.url, "it-IT");
    b.click("rita", r#".group-button[data-group="palermo"]"#);
    let (listed, list) = b.until("rita", "#notes", &["Verbale"], true, RECONNECTS_WITHIN);
    assert!(listed, "the minutes are listed: {list}");
    b.click("rita", ".note-item");
    b.until(
        "rita",
        "#note-body",
        &["Presenti: 9"],
        false,
        RECONNECTS_WITHIN,
    );

    // Step 2: the relay goes away; Rita types a line, which is saved on her computer only.
    c.relay.kill();
    let offline = "fetch('/api/overview').then(r => r.json())\
        .then(o => o.groups.some(g => g.slug === 'palermo' && !g.online))";
    assert!(b.until_true("rita", offline, RECONNECTS_WITHIN));
    b.type_at("rita", "#note-body", json!("end"), " Riga di Rita.");
    assert!(
        wait_until(RECONNECTS_WITHIN, || body(&rita, &minutes)
            .contains("Riga di Rita.")),
        "the page's line was never saved"
    );

    // Step 3: an admin makes her a reader; the relay comes back.
    demote(&c, "Rita");
    c.relay.restart();

    // Step 4: the page says the edit was not accepted and where it is kept, and shows the
    // relay's minutes.
    let (told, toast) = b.until(
        "rita",
        "#toasts",
        &["non è stata accettata", "Verbale (copia personale)"],
        true,
        RECONNECTS_WITHIN,
    );
    assert!(told, "the page says where the edit is kept: {toast:?}");
    let set_back = "!document.querySelector('#note-body').value.includes('Riga di Rita')";
    assert!(
        b.until_true("rita", set_back, RECONNECTS_WITHIN),
        "the page still shows the line the relay refused: {:?}",
        b.value("rita", "#note-body")
    );
    b.screenshot("rita", "roles-demotion-it-kept");
    let copy = copy_titled(&rita, "Verbale (copia personale)");
    assert!(body(&rita, &copy).contains("Riga di Rita."));
    assert!(!body(&rita, &minutes).contains("Riga di Rita."));

    // Step 5: the copy opens from the message, and nothing went wrong in the page.
    b.click("rita", "#toasts .toast button");
    let (opened, shown) = b.until(
        "rita",
        "#note-body",
        &["Riga di Rita."],
        false,
        RECONNECTS_WITHIN,
    );
    assert!(opened, "the copy opened from the message: {shown:?}");
    assert_eq!(b.page_errors("rita"), Vec::<String>::new());
}

/// Kills the watch when the test ends, however it ends.
struct Watch(std::process::Child);

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
