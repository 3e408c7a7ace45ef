//! Someone who has never used a terminal: Carla opens Quaderno, says who she is and joins her
//! group with the invite code from her coordinator, all in the page; then finds, writes, tags,
//! exports, bins and restores notes there. Screenshots go to `target/ui-screenshots/`.

use std::time::{Duration, Instant};

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::json;

const SOON: Duration = Duration::from_secs(20);

#[test]
fn a_newcomer_joins_from_the_page_and_works_there() {
    quaderno_tests::init_tls();
    // Step 1: the group of Bologna, where Anna already wrote two notes.
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.admin(&[
        "group",
        "create",
        "bologna",
        "--title",
        "Laboratorio Bologna",
    ]);
    let anna = Quaderno::fresh();
    anna.ok(&["init", "--name", "Anna", "--city", "Bologna"]);
    anna.ok(&["join", &relay.url, &relay.invite("bologna", "editor")]);
    anna.ok(&[
        "new",
        "--group",
        "bologna",
        "--title",
        "Mappa dei servizi",
        "--tag",
        "servizi",
        "--place",
        "Bologna",
        "--body",
        "Mappare i servizi del territorio: consultori, centri per l'impiego, sportelli.",
    ]);
    anna.ok(&[
        "new",
        "--group",
        "bologna",
        "--title",
        "Verbale di febbraio",
        "--date",
        "2025-02-18",
        "--tag",
        "verbale",
        "--body",
        "Presenti: 9. Tema: la casa.",
    ]);
    anna.ok(&["sync"]);

    // Step 2: Carla opens Quaderno for the first time: it asks who she is.
    let carla = Quaderno::fresh();
    let carla_ui = UiProcess::start(carla.data_dir());
    let mut b = Browsers::start();
    b.launch("carla", &carla_ui.url, "it-IT");
    b.wait("carla", "#welcome[open]");
    b.screenshot("carla", "it-0-welcome");

    // Step 3: she has an invite code: name, city, the group's address and the code, then Join.
    b.click("carla", "#welcome-invite");
    b.wait("carla", "#join[open] .who");
    b.fill("carla", "#join-form [name=relay]", &relay.url);
    b.fill(
        "carla",
        "#join-form [name=code]",
        &relay.invite("bologna", "editor"),
    );
    b.fill("carla", "#join-form [name=name]", "Carla");
    b.fill("carla", "#join-form [name=city]", "Roma");
    b.screenshot("carla", "it-0-join");
    b.click("carla", "#join-form button[type=submit]");
    b.run(json!({ "cmd": "wait", "name": "carla", "selector": "#join", "state": "hidden", "timeout": 30000 }));
    let (joined, groups) = b.until("carla", "#groups", &["Laboratorio Bologna"], true, SOON);
    assert!(joined, "the group is in the sidebar: {groups}");
    let (pulled, list) = b.until(
        "carla",
        "#notes",
        &["Mappa dei servizi", "Verbale di febbraio"],
        true,
        Duration::from_secs(30),
    );
    assert!(pulled, "the group's notes came from the relay: {list}");
    let (_, me) = b.until("carla", "#me", &["Carla · Roma"], true, SOON);
    assert!(me.contains("Carla · Roma"));

    // Step 4: search as she types, the last word half-typed.
    b.fill("carla", "#search", "servizi territ");
    let found = b.run(json!({
        "cmd": "until", "name": "carla", "selector": "#notes", "text": true,
        "contains": ["Mappa dei servizi"], "excludes": ["Verbale di febbraio"],
    }));
    assert_eq!(found["met"], true, "{found}");
    let marks = b.run(json!({ "cmd": "count", "name": "carla", "selector": "#notes mark" }));
    assert!(
        marks["value"].as_u64().unwrap() >= 1,
        "the words found are marked"
    );
    b.screenshot("carla", "it-6-search");
    b.fill("carla", "#search", "");

    // Step 5: a new note: title, text and a tag, all saved as she types.
    b.click("carla", "#new-note");
    b.wait("carla", "#note-title:focus");
    b.run(json!({ "cmd": "keyboard", "name": "carla", "text": "Appunti di Carla" }));
    b.type_at(
        "carla",
        "#note-body",
        json!("end"),
        "Idee: uno sportello unico per le famiglie.",
    );
    b.fill("carla", "#note-tag", "laboratorio");
    b.run(json!({ "cmd": "press", "name": "carla", "selector": "#note-tag", "key": "Enter" }));
    let (tagged, _) = b.until("carla", ".tag-editor", &["laboratorio"], true, SOON);
    assert!(tagged);
    let (listed, _) = b.until("carla", "#notes", &["Appunti di Carla"], true, SOON);
    assert!(listed);
    let id = b.run(json!({ "cmd": "eval", "name": "carla", "expression": "decodeURIComponent(location.hash.slice(1))" }))["value"]
        .as_str()
        .unwrap()
        .to_string();

    // ... and it reaches Anna through the relay, with its text and tag.
    let deadline = Instant::now() + SOON;
    let shown = loop {
        anna.ok(&["sync"]);
        let run = anna.run(&["--json", "show", &id]);
        if run.code == 0 {
            let shown: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            if shown["body"] == "Idee: uno sportello unico per le famiglie."
                && shown["tags"] == json!(["laboratorio"])
            {
                break shown;
            }
        }
        assert!(
            Instant::now() < deadline,
            "Carla's note never reached Anna: {}",
            run.stdout
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(shown["title"], "Appunti di Carla");

    // Step 6: the note as a Markdown file to download.
    let expression = format!(
        "fetch('/api/notes/{id}/markdown').then(async r => [r.headers.get('content-disposition'), await r.text()])"
    );
    let download =
        b.run(json!({ "cmd": "eval", "name": "carla", "expression": expression }))["value"].clone();
    assert!(
        download[0].as_str().unwrap().contains("appunti-di-carla"),
        "{download}"
    );
    assert!(
        download[1]
            .as_str()
            .unwrap()
            .contains("title: Appunti di Carla"),
        "{download}"
    );

    // Step 7: to the bin and back.
    b.click("carla", ".menu-wrap > button");
    b.wait("carla", ".menu .danger");
    b.screenshot("carla", "it-7-menu");
    b.click("carla", ".menu .danger");
    b.wait("carla", ".banner:visible");
    b.click("carla", "#filter-bin");
    let (binned, _) = b.until("carla", "#notes", &["Appunti di Carla"], true, SOON);
    assert!(binned, "the note is in the bin");
    b.screenshot("carla", "it-8-bin");
    b.click("carla", ".banner button");
    let deadline = Instant::now() + SOON;
    while b.text("carla", "#notes").contains("Appunti di Carla") {
        assert!(Instant::now() < deadline, "the note stayed in the bin");
        std::thread::sleep(Duration::from_millis(100));
    }
    b.click("carla", "#filter-bin");
    let (back, _) = b.until("carla", "#notes", &["Appunti di Carla"], true, SOON);
    assert!(back, "restored among the group's notes");

    // Step 8: the meeting's place, set in its field, reaches Anna too.
    b.fill("carla", "#note-place", "Roma");
    b.run(json!({ "cmd": "press", "name": "carla", "selector": "#note-place", "key": "Tab" }));
    let (placed, _) = b.until("carla", "#notes", &["Roma"], true, SOON);
    assert!(placed, "the list shows the place");

    // Step 9: a note of her own notebook, moved into the group, is shared from then on.
    b.click("carla", r#".group-button[data-group="personal"]"#);
    b.click("carla", "#new-note");
    b.wait("carla", "#note-title:focus");
    b.run(json!({ "cmd": "keyboard", "name": "carla", "text": "Domande per il comune" }));
    b.click("carla", ".menu-wrap > button");
    b.click("carla", ".menu button:has-text('Sposta in un gruppo')");
    b.wait("carla", "#move[open]");
    b.screenshot("carla", "it-10-move");
    b.click("carla", "#move-form button[type=submit]");
    let (moved, crumb) = b.until("carla", ".crumb", &["Laboratorio Bologna"], true, SOON);
    assert!(moved, "the note now belongs to the group: {crumb}");
    let deadline = Instant::now() + SOON;
    loop {
        anna.ok(&["sync"]);
        let titles = anna.json(&["list", "--group", "bologna"]).to_string();
        if titles.contains("Domande per il comune") && titles.contains("Roma") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the moved note never reached Anna: {titles}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }

    // Step 10: the sync status in detail.
    b.click("carla", "#sync-status");
    b.wait("carla", "#sync-details .popover-group");
    let (details, text) = b.until(
        "carla",
        "#sync-details",
        &["Laboratorio Bologna", "Tutto inviato"],
        true,
        SOON,
    );
    assert!(details, "{text}");
    b.screenshot("carla", "it-9-sync-details");
    b.click("carla", "#sync-status");

    assert!(
        b.page_errors("carla").is_empty(),
        "{:?}",
        b.page_errors("carla")
    );

    // Step 11: when Quaderno stops, the page says so instead of failing quietly.
    let mut carla_ui = carla_ui;
    assert!(carla_ui.stop(), "quaderno ui stops cleanly");
    b.run(json!({ "cmd": "wait", "name": "carla", "selector": "#closed", "timeout": 30000 }));
    b.screenshot("carla", "it-11-closed");
}
