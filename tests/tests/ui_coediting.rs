//! Two participants write the same note in their browsers: real `quaderno ui` processes, a real
//! relay, real headless Chromium. Screenshots of the main views go to `target/ui-screenshots/`.

use std::time::{Duration, Instant};

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::json;

const TITLE: &str = "Verbale del terzo incontro";
const NOTE: &str = r#".note-item:has-text("Verbale del terzo incontro")"#;
const BODY_FIELD: &str = "#note-body";
const BODY: &str = "# Ordine del giorno\n\nPresenti: Anna, Bruno, Carla.\n\n- Casa e lavoro\n- Minori stranieri non accompagnati\n\n**Prossimo passo**: mappa dei servizi del territorio.";
const SOON: Duration = Duration::from_secs(15);

fn participant(relay: &Relay, name: &str, city: &str) -> Quaderno {
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", name, "--city", city]);
    q.ok(&[
        "join",
        &relay.url,
        &relay.invite("palermo", "editor"),
        "--device",
        "portatile",
    ]);
    q
}

/// Waits until both browsers show the same body, and returns it.
fn same_body(b: &mut Browsers, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let (anna, bruno) = (b.value("anna", BODY_FIELD), b.value("bruno", BODY_FIELD));
        if anna == bruno {
            return anna;
        }
        assert!(
            Instant::now() < deadline,
            "the two browsers never agreed:\nanna:  {anna:?}\nbruno: {bruno:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn utf16_index(text: &str, needle: &str) -> usize {
    let byte = text.find(needle).expect("the text is there");
    text[..byte].encode_utf16().count()
}

#[test]
fn two_participants_write_the_same_note_in_their_browsers() {
    quaderno_tests::init_tls();
    // Step 1: a relay with the group of Palermo; Anna (Palermo) and Bruno (Bologna) joined it.
    let dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::start(dir.path(), &[]);
    relay.admin(&[
        "group",
        "create",
        "palermo",
        "--title",
        "Integrazione sociosanitaria",
    ]);
    let anna = participant(&relay, "Anna", "Palermo");
    let bruno = participant(&relay, "Bruno", "Bologna");
    let created = anna.json(&[
        "new",
        "--group",
        "palermo",
        "--title",
        TITLE,
        "--date",
        "2025-03-12",
        "--place",
        "Palermo",
        "--tag",
        "verbale",
        "--tag",
        "minori",
        "--participant",
        "Anna",
        "--participant",
        "Bruno",
        "--body",
        BODY,
    ]);
    let note = created["id"].as_str().unwrap().to_string();
    anna.ok(&[
        "new",
        "--group",
        "palermo",
        "--title",
        "Idee per il laboratorio",
        "--date",
        "2025-02-20",
        "--place",
        "Bologna",
        "--tag",
        "idee",
        "--body",
        "Chiedere al comune i dati.",
    ]);
    anna.ok(&["sync"]);

    // Step 2: each opens Quaderno in a browser; Bruno switches the page to English.
    let mut anna_ui = UiProcess::start(anna.data_dir());
    let bruno_ui = UiProcess::start(bruno.data_dir());
    let mut b = Browsers::start();
    b.launch("anna", &anna_ui.url, "it-IT");
    b.launch("bruno", &bruno_ui.url, "en-US");
    b.wait("anna", "body[data-ready=true]");
    b.wait("bruno", "body[data-ready=true]");
    b.click("bruno", "[data-lang=en]");
    b.run(json!({ "cmd": "reload", "name": "bruno" }));
    b.wait("bruno", "body[data-ready=true]");
    b.wait("bruno", "html[lang=en] [data-lang=en][aria-pressed=true]");
    let (listed, list) = b.until("bruno", "#notes", &[TITLE], true, Duration::from_secs(30));
    assert!(
        listed,
        "Bruno's Quaderno pulled the note from the relay: {list}"
    );
    let (_, _) = b.until("anna", "#notes", &["Idee per il laboratorio"], true, SOON);
    b.screenshot("anna", "it-1-notes");

    // Step 3: both open the note, and each sees who else is in it.
    b.click("anna", NOTE);
    b.click("bruno", NOTE);
    b.wait("anna", "#note-body:enabled");
    b.wait("bruno", "#note-body:enabled");
    assert_eq!(b.value("bruno", BODY_FIELD), BODY);
    let (seen, presence) = b.until("anna", ".presence", &["Bruno", "(Bologna)"], true, SOON);
    assert!(seen, "Anna sees Bruno in the note: {presence}");
    let (seen, presence) = b.until("bruno", ".presence", &["Anna", "(Palermo)"], true, SOON);
    assert!(seen, "Bruno sees Anna in the note: {presence}");
    b.screenshot("anna", "it-2-editor-with-presence");
    b.screenshot("bruno", "en-2-editor-with-presence");

    // Step 4: what Anna types appears in Bruno's browser.
    let typed_at = Instant::now();
    b.type_at(
        "anna",
        BODY_FIELD,
        json!("end"),
        "\nDecisione: incontro mensile.",
    );
    let (arrived, body) = b.until(
        "bruno",
        BODY_FIELD,
        &["Decisione: incontro mensile."],
        false,
        SOON,
    );
    assert!(arrived, "Anna's typing reached Bruno: {body:?}");
    eprintln!(
        "Anna's typing reached Bruno's browser in {:?}",
        typed_at.elapsed()
    );

    // One keystroke, from Anna's key to Bruno's screen.
    let typed_at = Instant::now();
    b.type_at("anna", BODY_FIELD, json!("end"), "!");
    let (arrived, _) = b.until("bruno", BODY_FIELD, &["mensile.!"], false, SOON);
    assert!(arrived);
    eprintln!(
        "one keystroke reached Bruno's browser in {:?} (driver round trips included)",
        typed_at.elapsed()
    );

    // Step 5: Bruno's caret stays by his text while Anna types before it.
    let body = b.value("bruno", BODY_FIELD);
    let caret = utf16_index(&body, "Presenti");
    b.type_at("bruno", BODY_FIELD, json!(caret), "");
    b.type_at("anna", BODY_FIELD, json!("start"), "BOZZA - ");
    let (arrived, _) = b.until("bruno", BODY_FIELD, &["BOZZA - "], false, SOON);
    assert!(arrived);
    let selection = b.run(json!({ "cmd": "selection", "name": "bruno", "selector": BODY_FIELD }));
    assert_eq!(selection["start"], json!(caret + 8), "{selection}");
    assert_eq!(selection["focused"], json!(true));
    b.run(json!({ "cmd": "keyboard", "name": "bruno", "text": "(12) " }));
    let (arrived, body) = b.until("anna", BODY_FIELD, &["(12) Presenti"], false, SOON);
    assert!(arrived, "Bruno typed where his caret was: {body:?}");

    // Step 6: both type at the same time, in different places; no keystroke is lost.
    b.run(json!({ "cmd": "together", "commands": [
        { "cmd": "type", "name": "anna", "selector": BODY_FIELD, "at": "start", "text": "Anna scrive qui. ", "delay": 30 },
        { "cmd": "type", "name": "bruno", "selector": BODY_FIELD, "at": "end", "text": " Bruno writes here.", "delay": 30 },
    ]}));
    let merged = same_body(&mut b, SOON);
    assert!(
        merged.starts_with("Anna scrive qui. BOZZA - "),
        "{merged:?}"
    );
    assert!(
        merged.ends_with("Decisione: incontro mensile.! Bruno writes here."),
        "{merged:?}"
    );
    assert!(merged.contains("(12) Presenti"), "{merged:?}");
    let stored = |q: &Quaderno| {
        q.json(&["show", &note])["body"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let deadline = Instant::now() + SOON;
    while (stored(&anna) != merged || stored(&bruno) != merged) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        stored(&anna),
        merged,
        "Anna's notebook holds what her page shows"
    );
    assert_eq!(
        stored(&bruno),
        merged,
        "Bruno's notebook holds what his page shows"
    );

    // Step 7: the relay stops. Both go on typing; the page says what waits to be sent.
    relay.kill();
    b.wait("anna", "#sync-status[data-state=offline]");
    b.wait("bruno", "#sync-status[data-state=offline]");
    b.type_at(
        "anna",
        BODY_FIELD,
        json!("end"),
        "\nScritto senza rete da Anna.",
    );
    b.type_at(
        "bruno",
        BODY_FIELD,
        json!("start"),
        "Written offline by Bruno. ",
    );
    let (waiting, pill) = b.until(
        "anna",
        "#sync-status",
        &["1 nota in attesa di invio"],
        true,
        SOON,
    );
    assert!(
        waiting,
        "Anna's page shows a note waiting for the relay: {pill}"
    );
    b.wait("anna", ".editor-foot[data-state=waiting]");
    b.screenshot("anna", "it-3-offline");
    b.screenshot("bruno", "en-3-offline");

    // ... and once the relay is back, each gets the other's offline typing.
    relay.restart();
    let within = Duration::from_secs(60);
    let (arrived, body) = b.until(
        "bruno",
        BODY_FIELD,
        &["Scritto senza rete da Anna."],
        false,
        within,
    );
    assert!(arrived, "Anna's offline typing reached Bruno: {body:?}");
    let (arrived, body) = b.until(
        "anna",
        BODY_FIELD,
        &["Written offline by Bruno."],
        false,
        within,
    );
    assert!(arrived, "Bruno's offline typing reached Anna: {body:?}");
    let merged = same_body(&mut b, SOON);
    assert!(
        merged.starts_with("Written offline by Bruno. Anna scrive qui."),
        "{merged:?}"
    );
    b.wait("anna", "#sync-status[data-state=online]");
    let (seen, presence) = b.until("anna", ".presence", &["Bruno"], true, SOON);
    assert!(seen, "Anna sees Bruno again once online: {presence}");
    let (sent, pill) = b.until("anna", "#sync-status", &["In linea"], true, within);
    assert!(
        sent && !pill.contains("attesa"),
        "nothing waits once online: {pill}"
    );

    // Step 8: the history names who wrote what; an old version can be read and taken back.
    b.click("anna", "#history-open");
    let (named, steps) = b.until(
        "anna",
        ".steps",
        &["Bruno (Bologna)", "Anna (Palermo)"],
        true,
        SOON,
    );
    assert!(named, "the history names both: {steps}");
    b.click("anna", ".steps li:last-child .step");
    let first = b.run(json!({
        "cmd": "until", "name": "anna", "selector": "#version-body",
        "equals": BODY, "timeout": SOON.as_millis() as u64,
    }));
    assert_eq!(first["met"], true, "the note as first written: {first}");
    b.screenshot("anna", "it-4-history");
    b.click("anna", "#version-restore");
    let restored = b.run(json!({
        "cmd": "until", "name": "bruno", "selector": BODY_FIELD,
        "equals": BODY, "timeout": SOON.as_millis() as u64,
    }));
    assert_eq!(restored["met"], true, "the first text is back: {restored}");

    // Step 9: the Markdown preview, in English.
    b.click("bruno", ".segmented button:nth-child(2)");
    let (shown, _) = b.until("bruno", "#note-preview", &["Ordine del giorno"], true, SOON);
    assert!(shown);
    assert_eq!(
        b.run(json!({ "cmd": "count", "name": "bruno", "selector": "#note-preview h1" }))["value"],
        1
    );
    b.screenshot("bruno", "en-5-preview");
    b.click("bruno", "#history-open");
    let (named, _) = b.until("bruno", ".steps", &["created the note"], true, SOON);
    assert!(named, "the history speaks English too");
    b.screenshot("bruno", "en-4-history");
    b.click("bruno", "#history-close");
    b.click("bruno", r#".group-button[data-group=""]"#);
    let (all, _) = b.until("bruno", "#list-title", &["All notes"], true, SOON);
    assert!(all);
    b.screenshot("bruno", "en-6-all-notes");

    assert!(
        b.page_errors("anna").is_empty(),
        "{:?}",
        b.page_errors("anna")
    );
    assert!(
        b.page_errors("bruno").is_empty(),
        "{:?}",
        b.page_errors("bruno")
    );
    drop(b);
    assert!(anna_ui.stop(), "quaderno ui stops cleanly on Ctrl-C");
}
