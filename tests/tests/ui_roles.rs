//! A reader's page, in real Chromium: Rita, a reader in the care leavers' group, sees its notes
//! marked "Sola lettura", cannot type in them and has no "Nuova nota"; once an admin makes her an
//! editor, the open page turns writable by itself. Screenshots go to `target/ui-screenshots/`.

use std::time::{Duration, Instant};

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::json;

const SOON: Duration = Duration::from_secs(20);

#[test]
fn a_readers_page_is_read_only_and_says_why_until_she_is_made_an_editor() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.admin(&["group", "create", "prato", "--title", "Care leaver Prato"]);
    let elena = Quaderno::fresh();
    elena.ok(&["init", "--name", "Elena", "--city", "Prato"]);
    elena.ok(&["join", &relay.url, &relay.invite("prato", "editor")]);
    elena.ok(&[
        "new",
        "--group",
        "prato",
        "--title",
        "Verbale di novembre",
        "--body",
        "Presenti: 7. Tema: l'uscita dalla comunità a diciotto anni.",
    ]);
    elena.ok(&["sync"]);
    let rita = Quaderno::fresh();
    rita.ok(&["init", "--name", "Rita", "--city", "Firenze"]);
    rita.ok(&["join", &relay.url, &relay.invite("prato", "reader")]);
    rita.ok(&["sync"]);

    // Rita opens the group's note in her page: read only, and told why.
    let rita_ui = UiProcess::start(rita.data_dir());
    let mut b = Browsers::start();
    b.launch("rita", &rita_ui.url, "it-IT");
    b.click("rita", r#".group-button[data-group="prato"]"#);
    let (listed, list) = b.until("rita", "#notes", &["Verbale di novembre"], true, SOON);
    assert!(listed, "the group's note is listed: {list}");
    assert!(b.until_true("rita",
        "document.querySelector('#new-note').hidden && !document.querySelector('#list-read-only').hidden",
        SOON
    ));
    b.click("rita", ".note-item");
    b.wait("rita", "#note-read-only:visible");
    let (told, banner) = b.until(
        "rita",
        "#note-read-only",
        &["Sola lettura", "lettore"],
        true,
        SOON,
    );
    assert!(told, "the page says why: {banner}");
    assert_eq!(
        b.eval("rita", "document.querySelector('#note-body').readOnly"),
        json!(true)
    );
    assert_eq!(
        b.attribute("rita", ".editor-foot", "data-state").as_deref(),
        Some("readonly")
    );
    b.screenshot("rita", "roles-it-wide-reader");
    b.type_at("rita", "#note-body", json!("end"), " Riga di Rita.");
    assert_eq!(
        b.value("rita", "#note-body"),
        "Presenti: 7. Tema: l'uscita dalla comunità a diciotto anni.",
        "a reader's keys change nothing"
    );
    b.eval(
        "rita",
        "document.querySelector('.editor-scroll').scrollTop = 0",
    );
    b.run(json!({ "cmd": "viewport", "name": "rita", "width": 800 }));
    b.screenshot("rita", "roles-it-narrow-reader");
    b.click("rita", r#"[data-lang="en"]"#);
    let (english, _) = b.until(
        "rita",
        "#note-read-only",
        &["Read only", "reader"],
        true,
        SOON,
    );
    assert!(english, "the English page says the same");
    b.screenshot("rita", "roles-en-narrow-reader");
    b.run(json!({ "cmd": "viewport", "name": "rita", "width": 390 }));
    b.screenshot("rita", "roles-en-390-reader");
    b.run(json!({ "cmd": "viewport", "name": "rita", "width": 1440 }));
    b.screenshot("rita", "roles-en-wide-reader");
    b.click("rita", r#"[data-lang="it"]"#);

    // An admin makes her an editor: the open page turns writable by itself.
    relay.admin(&["member", "set-role", "--group", "prato", "Rita", "editor"]);
    let writable = b.until_true("rita",
        "document.querySelector('#note-read-only').hidden && !document.querySelector('#note-body').readOnly && !document.querySelector('#new-note').hidden",
        SOON,
    );
    if !writable {
        let overview = b.eval("rita", "fetch('/api/overview').then(r => r.text())");
        let shown = b.eval("rita",
            "[document.querySelector('#note-read-only').hidden, document.querySelector('#note-body').readOnly, document.querySelector('#new-note').hidden]",
        );
        panic!(
            "the page is still read only after the promotion (banner hidden, body read only, \
             no new note: {shown}); the page's overview: {overview}"
        );
    }
    b.type_at("rita", "#note-body", json!("end"), " Riga di Rita.");
    let deadline = Instant::now() + SOON;
    loop {
        elena.ok(&["sync"]);
        let shown = elena.ok(&["show", "Verbale di novembre"]);
        if shown.contains("Riga di Rita.") {
            break;
        }
        assert!(Instant::now() < deadline, "Rita's line never reached Elena");
        std::thread::sleep(Duration::from_millis(300));
    }
    b.screenshot("rita", "roles-it-wide-editor");
    assert_eq!(b.page_errors("rita"), Vec::<String>::new());
}
