//! One person, two computers, from the page in real Chromium: Elena asks her office PC's page
//! for a code, types it into her laptop's first Quaderno page, and the laptop is her, in her
//! group, with its notes; the relay lists her once, with two devices. Screenshots go to
//! `target/ui-screenshots/`.

use std::time::Duration;

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::{Value, json};

const SOON: Duration = Duration::from_secs(20);

#[test]
fn a_code_from_one_computers_page_makes_another_the_same_person_in_the_same_groups() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.admin(&["group", "create", "prato", "--title", "Care leaver Prato"]);

    // Step 1: Elena's office PC is in the group, with a note.
    let office = Quaderno::fresh();
    office.ok(&["init", "--name", "Elena Rossi", "--city", "Prato"]);
    office.ok(&["join", &relay.url, &relay.invite("prato", "editor")]);
    office.ok(&[
        "new",
        "--group",
        "prato",
        "--title",
        "Verbale di dicembre",
        "--body",
        "Presenti: 9. Tema: la casa dopo i diciotto anni.",
    ]);
    office.ok(&["sync"]);

    // Step 2: her office page makes a code for another computer of hers.
    let office_ui = UiProcess::start(office.data_dir());
    let mut b = Browsers::start();
    b.launch("office", &office_ui.url, "it-IT");
    b.click("office", "#link-open");
    b.wait("office", "#link .link-ready:not([hidden])");
    let code = b.text("office", "#link-code");
    assert!(code.len() >= 8, "a code is shown: {code:?}");
    assert_eq!(b.text("office", "#link-relay"), relay.url);
    let until = b.text("office", "#link-until");
    assert!(until.contains("una volta sola"), "{until}");
    b.screenshot("office", "link-it-1440");
    b.run(json!({ "cmd": "viewport", "name": "office", "width": 390, "height": 844 }));
    b.screenshot("office", "link-it-390");

    // Step 3: the laptop's first page asks who she is; she has a code from her other computer,
    // so it asks neither name nor city.
    let laptop = Quaderno::fresh();
    let laptop_ui = UiProcess::start(laptop.data_dir());
    b.launch("laptop", &laptop_ui.url, "it-IT");
    b.wait("laptop", "#welcome[open]");
    b.click("laptop", "#welcome-invite");
    b.wait("laptop", "#join[open]");
    b.click("laptop", "#join-form [name=kind][value=link]");
    let asks_who = b.run(json!({
        "cmd": "eval", "name": "laptop",
        "expression": "!document.querySelector('#join-form .who').hidden",
    }));
    assert_eq!(asks_who["value"], json!(false), "no name or city asked");
    b.fill("laptop", "#join-form [name=relay]", &relay.url);
    b.fill("laptop", "#join-form [name=code]", &code);
    b.screenshot("laptop", "link-it-join");
    b.click("laptop", "#join-form button[type=submit]");
    b.run(json!({ "cmd": "wait", "name": "laptop", "selector": "#join", "state": "hidden", "timeout": 30000 }));

    // Step 4: the laptop is Elena, in her group, with its note.
    let (joined, groups) = b.until("laptop", "#groups", &["Care leaver Prato"], true, SOON);
    assert!(joined, "the group is in the sidebar: {groups}");
    let (pulled, list) = b.until(
        "laptop",
        "#notes",
        &["Verbale di dicembre"],
        true,
        Duration::from_secs(30),
    );
    assert!(pulled, "the group's note came from the relay: {list}");
    let (_, me) = b.until("laptop", "#me", &["Elena Rossi · Prato"], true, SOON);
    assert!(me.contains("Elena Rossi · Prato"), "{me}");
    let (online, pill) = b.until("laptop", "#sync-status", &["In linea"], true, SOON);
    assert!(
        online && !pill.contains("Non in linea"),
        "the laptop syncs with the relay: {pill}"
    );
    b.screenshot("laptop", "link-it-laptop-joined");

    // Step 5: the relay lists her once, with both computers.
    let listed = relay.admin(&["--json", "member", "list", "--group", "prato"]);
    let listed: Value = serde_json::from_str(&listed).expect("member list prints JSON");
    let members = listed["members"].as_array().cloned().unwrap_or_default();
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0]["name"], "Elena Rossi");
    assert_eq!(members[0]["active_devices"], 2, "{members:?}");

    // Step 6: the code worked once; the same dialog in English.
    let again = laptop.run(&["join", "--link", &code, &relay.url]);
    assert_ne!(again.code, 0, "a used code opens nothing");
    b.run(json!({ "cmd": "viewport", "name": "office", "width": 1440, "height": 900 }));
    b.click("office", "#link [data-close]");
    b.click("office", r#"[data-lang="en"]"#);
    b.click("office", "#link-open");
    b.wait("office", "#link .link-ready:not([hidden])");
    let until = b.text("office", "#link-until");
    assert!(until.contains("works once"), "{until}");
    assert_ne!(
        b.text("office", "#link-code"),
        code,
        "each opening makes a new code"
    );
    b.screenshot("office", "link-en-1440");

    assert_eq!(b.page_errors("office"), Vec::<String>::new());
    assert_eq!(b.page_errors("laptop"), Vec::<String>::new());
}
