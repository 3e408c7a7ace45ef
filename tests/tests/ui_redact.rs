//! Erasing a passage from a note and its whole history from the page, in real Chromium, against
//! a real relay: Elena, the admin of the care leavers' group, and Rita, an editor, both have
//! the minutes open, where a child's name went in over a few edits. Elena erases the name from
//! her page, with a reason. Rita's page says within a second that a passage was erased and
//! offers the note as it goes on; both end on it, with «[rimosso]» in the name's place, and its
//! history starts with the erasure and holds the name nowhere. Screenshots go to
//! `target/ui-screenshots/`.

mod faults_common;

use std::time::Duration;

use faults_common::{append_line, appending_editor};
use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::json;

const SOON: Duration = Duration::from_secs(20);
const TITLE: &str = "Verbale del 3 dicembre";
/// The name written by mistake (test data).
const NAME: &str = "Mario Rossi";
const REASON: &str = "nome di un minore scritto per errore";

/// The note `name`'s page has open.
fn open_id(b: &mut Browsers, name: &str) -> String {
    b.eval(name, "document.body.dataset.openNote ?? ''")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Whether `name`'s page has note `id` open, its text holding «[rimosso]» and not the name.
fn on_successor(b: &mut Browsers, name: &str, id: &str) -> bool {
    b.until_true(
        name,
        &format!(
            "document.body.dataset.openNote === {id:?} && !!document.querySelector('#note-body') && document.querySelector('#note-body').value.includes('[rimosso]') && !document.querySelector('#note-body').value.toLowerCase().includes('mario rossi')"
        ),
        SOON,
    )
}

#[test]
fn an_admin_erases_a_passage_from_a_note_and_its_history_from_her_page() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.admin(&["group", "create", "prato", "--title", "Care leaver Prato"]);

    // Step 1: Elena, the group's admin, writes the minutes; the name goes in over three edits.
    // Rita, an editor, has them.
    let elena = Quaderno::fresh();
    elena.ok(&["init", "--name", "Elena Rossi", "--city", "Prato"]);
    elena.ok(&["join", &relay.url, &relay.invite("prato", "admin")]);
    let created = elena.json(&[
        "new",
        "--group",
        "prato",
        "--title",
        TITLE,
        "--body",
        "Presenti: 9.\n",
    ]);
    let minutes = created["id"].as_str().unwrap().to_string();
    let editor = appending_editor(dir.path());
    for line in [
        "Caso di Mario Rossi, 15 anni.",
        "Visita domiciliare da Mario Rossi il 10.",
        "Prossimo incontro con MARIO ROSSI e la famiglia.",
    ] {
        append_line(&elena, &editor, &minutes, line);
    }
    elena.ok(&["sync"]);
    let rita = Quaderno::fresh();
    rita.ok(&["init", "--name", "Rita Bruni", "--city", "Firenze"]);
    rita.ok(&["join", &relay.url, &relay.invite("prato", "editor")]);
    rita.ok(&["sync"]);

    // Step 2: both have the minutes open in their pages; only Elena is offered the redaction.
    let rita_ui = UiProcess::start(rita.data_dir());
    let elena_ui = UiProcess::start(elena.data_dir());
    let mut b = Browsers::start();
    b.launch("rita", &rita_ui.url, "it-IT");
    b.launch("elena", &elena_ui.url, "it-IT");
    b.open_note("rita", "prato", TITLE, SOON);
    b.open_note("elena", "prato", TITLE, SOON);
    assert_eq!(open_id(&mut b, "elena"), minutes);
    for name in ["rita", "elena"] {
        assert!(b.until_true(name, "document.body.dataset.access === 'known'", SOON));
    }
    assert!(
        b.until_true(
            "elena",
            "document.querySelector('#note-redact') !== null",
            SOON
        ),
        "the admin is offered to erase a passage among the note's actions"
    );
    assert_eq!(
        b.eval("rita", "document.querySelector('#note-redact')"),
        json!(null),
        "an editor is not"
    );

    // Step 3: Elena asks to erase a passage; the dialog says what happens, counts the text in
    // the note, and will not erase without a passage found there and a reason.
    b.click("elena", "#note-actions");
    b.wait("elena", "#note-redact");
    let (offered, menu) = b.until(
        "elena",
        "#note-redact",
        &["Cancella un passaggio…", "tutta la sua storia"],
        true,
        SOON,
    );
    assert!(offered, "the menu item says what it does: {menu}");
    b.screenshot("elena", "redact-it-menu-1440");
    b.click("elena", "#note-redact");
    b.wait("elena", "#redact[open]");
    let (plain, said) = b.until(
        "elena",
        "#redact-form",
        &[
            TITLE,
            "maiuscole o minuscole",
            "«[rimosso]»",
            "versioni precedenti",
            "stesso titolo",
            "ricomincia da oggi",
            "non ancora inviate",
            "Non si può annullare",
            "non viene conservato da nessuna parte",
            "Testo da cancellare",
            "Motivo",
        ],
        true,
        SOON,
    );
    assert!(plain, "the dialog says plainly what happens: {said}");
    let disabled = "document.querySelector('#redact-ok').disabled";
    let hint = "document.querySelector('#redact-count').textContent";
    assert_eq!(
        b.eval("elena", disabled),
        json!(true),
        "nothing written, nothing erased"
    );
    b.fill("elena", "#redact-reason", REASON);
    assert_eq!(
        b.eval("elena", disabled),
        json!(true),
        "a reason without a passage erases nothing"
    );
    b.fill("elena", "#redact-passage", "M");
    assert_eq!(
        b.eval("elena", disabled),
        json!(true),
        "one letter is no passage"
    );
    b.fill("elena", "#redact-passage", "Giulia Verdi");
    assert_eq!(
        b.eval("elena", disabled),
        json!(true),
        "a text not in the note"
    );
    assert!(
        b.eval("elena", hint)
            .as_str()
            .unwrap()
            .contains("Non compare nella nota"),
        "the dialog says the text is not there"
    );
    b.fill("elena", "#redact-passage", "mario rossi");
    assert_eq!(
        b.eval("elena", hint),
        json!("Compare 3 volte nella nota."),
        "whatever its case"
    );
    b.fill("elena", "#redact-reason", "  ");
    assert_eq!(
        b.eval("elena", disabled),
        json!(true),
        "a passage without a reason erases nothing"
    );
    b.fill("elena", "#redact-reason", REASON);
    b.fill("elena", "#redact-passage", NAME);
    assert_eq!(b.eval("elena", disabled), json!(false));
    b.screenshots_wide_and_narrow("elena", "redact-it-dialog");

    // Step 4: she confirms; Rita's page says so within a second (both pages read the same
    // clock).
    b.note_when("rita", "erasedAt", "document.querySelector('#note-erased')");
    let confirmed_at = b.now("elena");
    b.click("elena", "#redact-ok");
    let (told, message) = b.until(
        "rita",
        "#note-erased",
        &[
            &format!("«{TITLE}»"),
            "Un passaggio è stato cancellato",
            "passaggio",
            "Elena Rossi",
            &format!("motivo: {REASON}"),
            "Apri la nota",
        ],
        true,
        SOON,
    );
    assert!(told, "Rita's page says a passage was erased: {message}");
    let took = b.noted("rita", "erasedAt").unwrap() - confirmed_at;
    println!("Rita's page told her {took} ms after Elena confirmed");
    assert!(
        took <= 1000.0,
        "Rita's page told her {took} ms after Elena confirmed"
    );
    assert!(
        !message.contains(NAME),
        "the message does not repeat the passage"
    );

    // Step 5: Elena's page opens the note as it goes on, and says the passage was erased.
    assert!(
        b.until_true(
            "elena",
            &format!(
                "!document.querySelector('#redact').open && !!document.body.dataset.openNote && document.body.dataset.openNote !== {minutes:?}"
            ),
            SOON
        ),
        "Elena's page leaves the old note for the one that goes on"
    );
    let successor = open_id(&mut b, "elena");
    assert!(
        on_successor(&mut b, "elena", &successor),
        "Elena's page shows the note without the name"
    );
    assert_eq!(
        b.eval(
            "elena",
            &format!("document.querySelector('.note-item[data-note={successor:?}]')?.getAttribute('aria-current')")
        ),
        json!("true"),
        "and her list shows it chosen"
    );
    let (toasted, toast) = b.until(
        "elena",
        "#toasts",
        &["Il passaggio è stato cancellato", &format!("«{TITLE}»")],
        true,
        SOON,
    );
    assert!(toasted, "Elena is told: {toast}");
    assert_eq!(
        b.eval("elena", "document.querySelector('#note-erased')"),
        json!(null),
        "her own erasure is not news to her"
    );
    b.screenshots_wide_and_narrow("elena", "redact-it-opened");

    // Step 6: Rita's message, in both languages; then she opens the note as it goes on.
    b.screenshots_wide_and_narrow("rita", "redact-it-told");
    b.click("rita", r#"[data-lang="en"]"#);
    let (english, message) = b.until(
        "rita",
        "#note-erased",
        &[
            &format!("«{TITLE}»"),
            "A passage was erased",
            "Open the note",
        ],
        true,
        SOON,
    );
    assert!(english, "the message speaks English too: {message}");
    b.screenshots_wide_and_narrow("rita", "redact-en-told");
    b.click("rita", r#"[data-lang="it"]"#);
    b.click("rita", "#note-erased-open");
    assert!(
        on_successor(&mut b, "rita", &successor),
        "Rita sees the note without the name"
    );
    let body = b.value("rita", "#note-body");
    assert_eq!(
        body.matches("[rimosso]").count(),
        3,
        "every occurrence: {body}"
    );
    assert!(body.contains("Presenti: 9."), "the rest stays: {body}");
    assert_eq!(b.value("rita", "#note-title"), TITLE, "the same title");
    let (listed, list) = b.until("rita", "#notes", &[TITLE], true, SOON);
    assert!(listed, "the note stays in Rita's list: {list}");
    assert_eq!(
        b.eval(
            "rita",
            &format!("document.querySelectorAll('.note-item[data-note={minutes:?}]').length")
        ),
        json!(0),
        "the old note left her list"
    );
    b.screenshots_wide_and_narrow("rita", "redact-it-successor");

    // Step 7: its history starts with the erasure, and no step holds the name.
    b.click("rita", "#history-open");
    let (erased, steps) = b.until(
        "rita",
        ".steps",
        &[
            "storia precedente al",
            "cancellata per tutela della riservatezza da Elena Rossi",
        ],
        true,
        SOON,
    );
    assert!(erased, "the history says when it starts and why: {steps}");
    assert_eq!(
        b.eval("rita", "document.querySelectorAll('.steps li').length"),
        json!(1),
        "the history starts with one change"
    );
    assert!(!steps.contains("Mario"), "{steps}");
    let version = b.run(json!({
        "cmd": "until", "name": "rita", "selector": "#version-body",
        "contains": ["[rimosso]"], "timeout": SOON.as_millis() as u64,
    }));
    assert_eq!(version["met"], true, "the version shown: {version}");
    assert!(
        !version["value"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("mario rossi"),
        "{version}"
    );
    b.screenshots_wide_and_narrow("rita", "redact-it-history");
    b.click("rita", r#"[data-lang="en"]"#);
    let (english, _) = b.until(
        "rita",
        ".steps",
        &["history before", "erased to protect confidentiality"],
        true,
        SOON,
    );
    assert!(english, "the history speaks English too");
    b.screenshots_wide_and_narrow("rita", "redact-en-history");
    b.click("rita", "#history-close");
    b.screenshots_wide_and_narrow("rita", "redact-en-successor");

    // Step 8: the dialog in English, on the note as it goes on, cancelled: nothing changes.
    assert!(b.until_true(
        "elena",
        "document.querySelector('#toasts').textContent === ''",
        SOON
    ));
    b.click("elena", r#"[data-lang="en"]"#);
    b.click("elena", "#note-actions");
    b.click("elena", "#note-redact");
    b.wait("elena", "#redact[open]");
    let (english, said) = b.until(
        "elena",
        "#redact-form",
        &[
            TITLE,
            "in capitals or not",
            "starts again from today",
            "It cannot be undone",
            "Text to erase",
            "Reason",
        ],
        true,
        SOON,
    );
    assert!(english, "the dialog speaks English too: {said}");
    b.fill("elena", "#redact-passage", NAME);
    assert!(
        b.eval("elena", hint)
            .as_str()
            .unwrap()
            .contains("does not appear in the note"),
        "the name is no longer there"
    );
    assert_eq!(b.eval("elena", disabled), json!(true));
    b.fill("elena", "#redact-passage", "rimosso");
    b.fill("elena", "#redact-reason", REASON);
    assert_eq!(
        b.eval("elena", hint),
        json!("It appears 3 times in the note.")
    );
    b.screenshots_wide_and_narrow("elena", "redact-en-dialog");
    b.click("elena", "#redact [data-close]");
    assert!(b.until_true("elena", "!document.querySelector('#redact').open", SOON));
    assert_eq!(
        open_id(&mut b, "elena"),
        successor,
        "cancelling erases nothing"
    );

    assert_eq!(b.page_errors("elena"), Vec::<String>::new());
    assert_eq!(b.page_errors("rita"), Vec::<String>::new());
}
