//! Erasing a note for everyone from the page, in real Chromium, against a real relay: Elena,
//! the admin of the care leavers' group, and Rita, an editor, both have the minutes open where
//! a child's name was written by mistake. Elena erases them from her page, with a reason; Rita's
//! page says within a second, in plain Italian, that the coordinators erased the note, when and
//! why; the note leaves both lists; and Elena's "Cancellazioni" tab shows that both computers
//! confirmed deleting it. Screenshots go to `target/ui-screenshots/`.

use std::time::Duration;

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::json;

const SOON: Duration = Duration::from_secs(20);
const TITLE: &str = "Verbale del 3 dicembre";
const KEPT: &str = "Appunti per il prossimo incontro";
const REASON: &str = "nome di un minore scritto per errore";

/// Whether `name`'s list of the group has stopped showing `title`.
fn unlisted(b: &mut Browsers, name: &str, title: &str) -> bool {
    let answer = b.run(json!({
        "cmd": "until", "name": name, "selector": "#notes", "contains": [KEPT],
        "excludes": [title], "text": true, "timeout": SOON.as_millis() as u64,
    }));
    answer["met"] == true
}

#[test]
fn an_admin_erases_a_note_for_everyone_from_her_page_and_sees_every_device_confirm() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.admin(&["group", "create", "prato", "--title", "Care leaver Prato"]);

    // Step 1: Elena, the group's admin, writes the minutes (with a child's name in them) and a
    // second note; Rita, an editor, has both.
    let elena = Quaderno::fresh();
    elena.ok(&["init", "--name", "Elena Rossi", "--city", "Prato"]);
    elena.ok(&["join", &relay.url, &relay.invite("prato", "admin")]);
    elena.ok(&[
        "new",
        "--group",
        "prato",
        "--title",
        TITLE,
        "--body",
        "Presenti: 9. Caso di Mario R., 15 anni.",
    ]);
    elena.ok(&[
        "new",
        "--group",
        "prato",
        "--title",
        KEPT,
        "--body",
        "Ordine del giorno.",
    ]);
    elena.ok(&["sync"]);
    let rita = Quaderno::fresh();
    rita.ok(&["init", "--name", "Rita Bruni", "--city", "Firenze"]);
    rita.ok(&["join", &relay.url, &relay.invite("prato", "editor")]);
    rita.ok(&["sync"]);

    // Step 2: both have the minutes open in their pages.
    let rita_ui = UiProcess::start(rita.data_dir());
    let elena_ui = UiProcess::start(elena.data_dir());
    let mut b = Browsers::start();
    b.launch("rita", &rita_ui.url, "it-IT");
    b.launch("elena", &elena_ui.url, "it-IT");
    b.open_note("rita", "prato", TITLE, SOON);
    b.open_note("elena", "prato", TITLE, SOON);
    for name in ["rita", "elena"] {
        assert!(b.until_true(name, "document.body.dataset.access === 'known'", SOON));
    }
    assert!(
        b.until_true(
            "elena",
            "document.querySelector('#note-erase') !== null",
            SOON
        ),
        "the admin is offered the erasure among the note's actions"
    );
    assert_eq!(
        b.eval("rita", "document.querySelector('#note-erase')"),
        json!(null),
        "an editor is not"
    );

    // Step 3: Elena asks to erase the note for everyone; the dialog says what happens, and
    // will not erase without a reason.
    b.click("elena", "#note-actions");
    b.wait("elena", "#note-erase");
    b.screenshot("elena", "erase-it-menu-1440");
    b.click("elena", "#note-erase");
    b.wait("elena", "#erase[open]");
    let (plain, said) = b.until(
        "elena",
        "#erase-form",
        &[
            TITLE,
            "dai computer di tutti i partecipanti",
            "Non si può annullare",
            "Mai il contenuto",
            "Motivo",
        ],
        true,
        SOON,
    );
    assert!(plain, "the dialog says plainly what happens: {said}");
    let disabled = "document.querySelector('#erase-ok').disabled";
    assert_eq!(
        b.eval("elena", disabled),
        json!(true),
        "no reason, no erasure"
    );
    b.fill("elena", "#erase-reason", "   ");
    assert_eq!(
        b.eval("elena", disabled),
        json!(true),
        "blanks are no reason"
    );
    b.fill("elena", "#erase-reason", REASON);
    assert_eq!(b.eval("elena", disabled), json!(false));
    b.screenshots_wide_and_narrow("elena", "erase-it-dialog");

    // Step 4: she confirms; Rita's page says so within a second (both pages read the same
    // clock).
    b.note_when("rita", "erasedAt", "document.querySelector('#note-erased')");
    let confirmed_at = b.now("elena");
    b.click("elena", "#erase-ok");
    let (told, message) = b.until(
        "rita",
        "#note-erased",
        &[
            &format!("«{TITLE}»"),
            "cancellata dal coordinamento",
            "Elena Rossi",
            &format!("motivo: {REASON}"),
        ],
        true,
        SOON,
    );
    assert!(told, "Rita's page says the note was erased: {message}");
    let took = b.noted("rita", "erasedAt").unwrap() - confirmed_at;
    assert!(
        took <= 1000.0,
        "Rita's page told her {took} ms after Elena confirmed"
    );
    assert!(
        b.until_true(
            "elena",
            "document.querySelector('#erase').open === false && document.querySelector('#note-title') === null",
            SOON
        ),
        "Elena's page leaves the note once the relay recorded the erasure"
    );
    for name in ["rita", "elena"] {
        assert!(
            unlisted(&mut b, name, TITLE),
            "«{TITLE}» left {name}'s list"
        );
    }
    b.screenshots_wide_and_narrow("rita", "erase-it-told");

    // Step 5: Elena's "Cancellazioni" tab: who, when, why, and both computers confirmed.
    b.click("elena", r#".group-admin[data-admin-group="prato"]"#);
    b.click("elena", "#admin-tab-erasures");
    let (receipts, shown) = b.until(
        "elena",
        "#erasure-list",
        &[
            "Elena Rossi",
            REASON,
            "2 dispositivi su 2 hanno confermato",
            "Rita Bruni",
            "Confermato il",
        ],
        true,
        SOON,
    );
    assert!(
        receipts,
        "the erasure is listed with both devices confirmed: {shown}"
    );
    assert_eq!(
        b.eval("elena", "document.querySelectorAll('.erasure').length"),
        json!(1)
    );
    b.screenshots_wide_and_narrow("elena", "erase-it-receipts");

    // Step 6: the same in English, and the dialog of a note kept, cancelled.
    b.click("elena", r#"[data-lang="en"]"#);
    let (english, shown) = b.until(
        "elena",
        "#erasure-list",
        &["2 of 2 devices confirmed", "Confirmed on"],
        true,
        SOON,
    );
    assert!(english, "the receipts speak English too: {shown}");
    b.screenshots_wide_and_narrow("elena", "erase-en-receipts");
    b.click("rita", r#"[data-lang="en"]"#);
    let (english, message) = b.until(
        "rita",
        "#note-erased",
        &[&format!("«{TITLE}»"), "was erased by the coordinators"],
        true,
        SOON,
    );
    assert!(english, "the message speaks English too: {message}");
    b.screenshots_wide_and_narrow("rita", "erase-en-told");
    b.click("elena", "#admin-back");
    b.open_note("elena", "prato", KEPT, SOON);
    b.click("elena", "#note-actions");
    b.click("elena", "#note-erase");
    b.wait("elena", "#erase[open]");
    let (english, said) = b.until(
        "elena",
        "#erase-form",
        &[KEPT, "It cannot be undone", "Reason"],
        true,
        SOON,
    );
    assert!(english, "the dialog speaks English too: {said}");
    b.screenshots_wide_and_narrow("elena", "erase-en-dialog");
    b.click("elena", "#erase [data-close]");
    assert!(b.until_true("elena", "!document.querySelector('#erase').open", SOON));
    assert!(
        unlisted(&mut b, "elena", TITLE),
        "cancelling erases nothing: «{KEPT}» is still listed"
    );

    // Step 7: a note Rita does not have open is erased too: her page says so in a notice
    // that stays until she has read it.
    b.click("elena", "#note-actions");
    b.click("elena", "#note-erase");
    b.fill("elena", "#erase-reason", "doppione");
    b.click("elena", "#erase-ok");
    let (told, notice) = b.until(
        "rita",
        "#toasts",
        &[
            &format!("«{KEPT}»"),
            "was erased by the coordinators",
            "reason: doppione",
        ],
        true,
        SOON,
    );
    assert!(
        told,
        "Rita is told of a note she did not have open: {notice}"
    );
    b.screenshots_wide_and_narrow("rita", "erase-en-notice");
    b.click("rita", "#toasts button");
    assert!(b.until_true(
        "rita",
        "document.querySelector('#toasts').textContent === ''",
        SOON
    ));
    b.click("rita", "#note-erased-close");
    assert!(b.until_true(
        "rita",
        "document.querySelector('#note-erased') === null",
        SOON
    ));

    assert_eq!(b.page_errors("elena"), Vec::<String>::new());
    assert_eq!(b.page_errors("rita"), Vec::<String>::new());
}
