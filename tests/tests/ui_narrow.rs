//! The page in a narrow window, in real Chromium: a phone (390 px) and a window beside a video
//! call (800 px). One column at a time (the list, the note, the groups) with a way back; nothing
//! scrolls sideways; everything to touch is at least 44 px; Anna writes a note at 390 px, which
//! exists only once she types its first character. Dates read day/month/year even in a browser
//! set to American English. Screenshots go to `target/ui-screenshots/`.

use std::time::{Duration, Instant};

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::{Value, json};

const SOON: Duration = Duration::from_secs(20);

/// What can be touched and is shown, smaller than 44 px either way (described, for a message).
const SMALL_TARGETS: &str = r#"(() => {
  const small = [];
  const targets = 'button, a[href], input:not([type=checkbox]):not([type=radio]):not(.date-native), select, label.check, [role=tab], [role=menuitem]';
  for (const el of document.querySelectorAll(targets)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || el.closest('[hidden], dialog:not([open]), .visually-hidden')) continue;
    if (r.bottom < 0 || r.top > innerHeight) continue;
    if (r.width < 44 || r.height < 44) {
      small.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')} ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return small;
})()"#;

/// How far the page is wider than its window (0 when nothing scrolls sideways).
const SIDEWAYS: &str = "document.documentElement.scrollWidth - innerWidth";

/// Which of the three columns are shown.
const SHOWN: &str = "['.sidebar', '.list-pane', '.editor-pane'].filter((s) => document.querySelector(s).getBoundingClientRect().width > 0).join(' ')";

fn group_notes(anna: &Quaderno) -> Vec<Value> {
    anna.json(&["list", "--group", "palermo"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn check_fits(b: &mut Browsers, name: &str, width: u32, what: &str) {
    assert_eq!(
        b.eval(name, SIDEWAYS),
        json!(0),
        "at {width} px the {what} does not scroll sideways"
    );
    let small = b.eval(name, SMALL_TARGETS);
    assert_eq!(
        small,
        json!([]),
        "at {width} px every target of the {what} is at least 44 px"
    );
}

#[test]
fn a_note_is_written_at_a_phones_width_and_every_view_fits_a_narrow_window() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.admin(&[
        "group",
        "create",
        "palermo",
        "--title",
        "Housing First Palermo",
    ]);
    let anna = Quaderno::fresh();
    anna.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    anna.ok(&["join", &relay.url, &relay.invite("palermo", "editor")]);
    anna.ok(&[
        "new",
        "--group",
        "palermo",
        "--title",
        "Incontro con i servizi del quartiere",
        "--date",
        "2025-03-12",
        "--place",
        "Palermo",
        "--body",
        "## Presenti\n\nAnna, Marco, Giusi.\n\n## Decisioni\n\n- Un alloggio in più a Ballarò.",
    ]);
    anna.ok(&["sync"]);
    let before = group_notes(&anna).len();

    let ui = UiProcess::start(anna.data_dir());
    let mut b = Browsers::start();
    b.run(json!({ "cmd": "launch", "name": "anna", "url": ui.url, "locale": "it-IT", "width": 390, "height": 844 }));
    b.click("anna", "#nav-open");
    b.click("anna", r#".group-button[data-group="palermo"]"#);
    let (listed, list) = b.until(
        "anna",
        "#notes",
        &["Incontro con i servizi del quartiere"],
        true,
        SOON,
    );
    assert!(listed, "the group's note is listed: {list}");
    assert_eq!(
        b.eval("anna", SHOWN),
        json!(".list-pane"),
        "one column: the list"
    );
    check_fits(&mut b, "anna", 390, "list");
    b.screenshot("anna", "narrow-it-390-list");

    // The groups and filters, behind their button.
    b.click("anna", "#nav-open");
    assert_eq!(b.eval("anna", SHOWN), json!(".sidebar"));
    check_fits(&mut b, "anna", 390, "groups");
    b.screenshot("anna", "narrow-it-390-groups");
    b.click("anna", "#nav-open");

    // A note, then back to the list with the page's button and with the browser's.
    b.click("anna", ".note-item");
    assert!(b.until_true(
        "anna",
        "document.querySelector('#note-title')?.value === 'Incontro con i servizi del quartiere'",
        SOON
    ));
    assert_eq!(b.eval("anna", SHOWN), json!(".editor-pane"));
    check_fits(&mut b, "anna", 390, "note");
    b.screenshot("anna", "narrow-it-390-note");
    b.click("anna", "#note-back");
    assert_eq!(b.eval("anna", SHOWN), json!(".list-pane"));
    b.click("anna", ".note-item");
    assert_eq!(b.eval("anna", SHOWN), json!(".editor-pane"));
    b.eval("anna", "history.back(), true");
    assert!(
        b.until_true(
            "anna",
            &format!("{SHOWN} === '.list-pane'"),
            Duration::from_secs(5)
        ),
        "the browser's back returns to the list"
    );

    // "Nuova nota" opens a blank note; nothing is created until she types.
    b.click("anna", "#new-note");
    b.wait("anna", "#note-title:focus");
    assert_eq!(
        group_notes(&anna).len(),
        before,
        "pressing «Nuova nota» creates nothing"
    );
    let listed = b.eval(
        "anna",
        "fetch('/api/notes?group=palermo').then((r) => r.json()).then((l) => l.notes.length)",
    );
    assert_eq!(listed, json!(before), "the page lists no empty note either");
    check_fits(&mut b, "anna", 390, "new note");
    b.screenshot("anna", "narrow-it-390-new");
    b.run(json!({ "cmd": "keyboard", "name": "anna", "text": "Verbale del 19 marzo" }));
    b.type_at(
        "anna",
        "#note-body",
        json!("end"),
        "Presenti: sette operatori. Prossimo incontro ad aprile.",
    );
    b.type_at("anna", "#note-date", json!("end"), "19/03/2025");
    b.run(json!({ "cmd": "press", "name": "anna", "selector": "#note-date", "key": "Tab" }));
    let deadline = Instant::now() + SOON;
    let written = loop {
        let notes = group_notes(&anna);
        let found = notes
            .iter()
            .find(|n| n["title"] == "Verbale del 19 marzo")
            .cloned();
        if let Some(note) = found.filter(|n| n["date"] == "2025-03-19") {
            break note;
        }
        assert!(
            Instant::now() < deadline,
            "the note typed at 390 px is kept whole, with its date: {notes:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(group_notes(&anna).len(), before + 1, "one note, not two");
    let id = written["id"].as_str().unwrap().to_string();
    let shown = anna.json(&["show", &id]);
    assert_eq!(
        shown["body"], "Presenti: sette operatori. Prossimo incontro ad aprile.",
        "{shown}"
    );
    assert_eq!(b.value("anna", "#note-date"), "19/03/2025");
    b.screenshot("anna", "narrow-it-390-written");
    b.click("anna", "#note-back");
    let (listed, list) = b.until("anna", "#notes", &["Verbale del 19 marzo"], true, SOON);
    assert!(listed, "back in the list, the new note is there: {list}");

    // A date that is no day is refused where it was typed, and saves nothing.
    b.click("anna", ".note-item:has-text('Verbale del 19 marzo')");
    b.fill("anna", "#note-date", "31/02/2025");
    b.run(json!({ "cmd": "press", "name": "anna", "selector": "#note-date", "key": "Tab" }));
    b.wait("anna", "#note-date-hint:visible");
    assert_eq!(
        b.attribute("anna", "#note-date", "aria-invalid").as_deref(),
        Some("true")
    );
    let (told, hint) = b.until("anna", "#note-date-hint", &["12/03/2025"], true, SOON);
    assert!(told, "the page says how to write a date: {hint}");
    b.screenshot("anna", "narrow-it-390-bad-date");

    // At 800 px, beside a video call: the same one column, nothing sideways.
    b.run(json!({ "cmd": "viewport", "name": "anna", "width": 800, "height": 900 }));
    check_fits(&mut b, "anna", 800, "note");
    b.screenshot("anna", "narrow-it-800-note");
    b.click("anna", "#note-back");
    check_fits(&mut b, "anna", 800, "list");
    b.screenshot("anna", "narrow-it-800-list");

    // The same in English.
    b.click("anna", r#"[data-lang="en"]"#);
    check_fits(&mut b, "anna", 800, "list");
    b.screenshot("anna", "narrow-en-800-list");
    b.run(json!({ "cmd": "viewport", "name": "anna", "width": 390, "height": 844 }));
    check_fits(&mut b, "anna", 390, "list");
    b.screenshot("anna", "narrow-en-390-list");
    b.click("anna", ".note-item:has-text('Incontro con i servizi')");
    b.wait("anna", "#note-back:visible");
    check_fits(&mut b, "anna", 390, "note");
    b.screenshot("anna", "narrow-en-390-note");
    b.click("anna", "#nav-open");
    b.screenshot("anna", "narrow-en-390-groups");

    let errors = b.page_errors("anna");
    assert!(errors.is_empty(), "the page reported no errors: {errors:?}");
}

#[test]
fn dates_read_day_month_year_in_a_browser_set_to_american_english() {
    quaderno_tests::init_tls();
    let anna = Quaderno::fresh();
    anna.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    let id = anna.ok(&[
        "new",
        "--title",
        "Incontro di marzo",
        "--date",
        "2025-03-12",
        "--body",
        "Presenti: cinque operatori.",
    ]);
    let id = id.trim().to_string();
    let ui = UiProcess::start(anna.data_dir());
    let mut b = Browsers::start();
    b.launch("anna", &ui.url, "en-US");
    b.click("anna", r#"[data-lang="it"]"#);
    b.click("anna", r#".group-button[data-group="personal"]"#);
    b.click("anna", ".note-item:has-text('Incontro di marzo')");
    assert!(b.until_true(
        "anna",
        "document.querySelector('#note-date')?.value === '12/03/2025'",
        SOON
    ));
    b.click("anna", r#"[data-lang="en"]"#);
    assert_eq!(
        b.value("anna", "#note-date"),
        "12/03/2025",
        "12 March, day first, in English too"
    );
    assert_eq!(
        b.attribute("anna", "#note-date", "placeholder").as_deref(),
        Some("dd/mm/yyyy")
    );

    // Typed day first, with dashes: 3 December.
    b.fill("anna", "#note-date", "3-12-2025");
    b.run(json!({ "cmd": "press", "name": "anna", "selector": "#note-date", "key": "Tab" }));
    assert!(b.until_true(
        "anna",
        "document.querySelector('#note-date').value === '03/12/2025'",
        SOON
    ));
    let deadline = Instant::now() + SOON;
    loop {
        let shown = anna.json(&["show", &id]);
        if shown["date"] == "2025-12-03" {
            break;
        }
        assert!(Instant::now() < deadline, "saved as 3 December: {shown}");
        std::thread::sleep(Duration::from_millis(100));
    }

    // The list's filters take days the same way.
    b.fill("anna", "#filter-from", "01/12/2025");
    b.run(json!({ "cmd": "press", "name": "anna", "selector": "#filter-from", "key": "Tab" }));
    let (kept, list) = b.until("anna", "#notes", &["Incontro di marzo"], true, SOON);
    assert!(kept, "a note of 3 December is from 1 December on: {list}");
    b.fill("anna", "#filter-from", "04/12/2025");
    b.run(json!({ "cmd": "press", "name": "anna", "selector": "#filter-from", "key": "Tab" }));
    assert!(
        b.until_true(
            "anna",
            "document.querySelectorAll('.note-item').length === 0",
            SOON
        ),
        "nor from 4 December on"
    );
    b.screenshot("anna", "dates-en-us-filter");
}
