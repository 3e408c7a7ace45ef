//! A note printed: the page's "Stampa o salva in PDF" and `quaderno export --format html`, each
//! printed to PDF by real Chromium and read back. The PDF holds the title, the meeting, the text
//! and its tasks, and none of the application around them. Screenshots go to
//! `target/ui-screenshots/`.

use std::time::Duration;

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::json;

const SOON: Duration = Duration::from_secs(20);

const BODY: &str = "## Decisioni\n\nUn **alloggio** in più a Ballarò.\n\n## Compiti\n\n- [ ] Chiamare il servizio sociale @Marco entro 2025-03-30\n- [x] Mandare il verbale ai presenti\n\n<script>alert('no')</script>";

/// What the application shows around a note, which a print must not hold.
const CHROME: [&str; 6] = [
    "Nuova nota",
    "Cerca nelle note",
    "Entra in un gruppo",
    "Filtri",
    "Cronologia",
    "In linea",
];

fn assert_printed(text: &str, what: &str) {
    // Letter case as printed (the group's line is in capitals).
    let flat = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    for expected in [
        "Verbale del 12 marzo",
        "12/03/2025",
        "Palermo",
        "Anna, Marco",
        "Decisioni",
        "Un alloggio in più a Ballarò.",
        "Chiamare il servizio sociale @Marco entro 2025-03-30",
        "Mandare il verbale ai presenti",
        "Housing First Palermo",
    ] {
        let expected = expected.to_lowercase();
        assert!(
            flat.contains(&expected),
            "{what} holds «{expected}»: {flat}"
        );
    }
    for chrome in CHROME {
        let chrome = chrome.to_lowercase();
        assert!(
            !flat.contains(&chrome),
            "{what} holds no «{chrome}»: {flat}"
        );
    }
    assert!(
        flat.contains("<script>alert('no')</script>"),
        "raw HTML in the note is printed as text: {flat}"
    );
}

#[test]
fn a_note_prints_to_pdf_from_the_page_and_from_an_exported_file() {
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
    let id = anna.ok(&[
        "new",
        "--group",
        "palermo",
        "--title",
        "Verbale del 12 marzo",
        "--date",
        "2025-03-12",
        "--place",
        "Palermo",
        "--participant",
        "Anna",
        "--participant",
        "Marco",
        "--tag",
        "verbale",
        "--body",
        BODY,
    ]);
    let id = id.trim().to_string();

    // From the page: the note's menu.
    let ui = UiProcess::start(anna.data_dir());
    let mut b = Browsers::start();
    b.launch("anna", &ui.url, "it-IT");
    b.open_note("anna", "palermo", "Verbale del 12 marzo", SOON);
    b.click("anna", "#note-actions");
    b.wait("anna", "#note-print");
    b.screenshot("anna", "print-it-menu");
    let href = b
        .attribute("anna", "#note-print", "href")
        .expect("the menu has a print view");
    assert_eq!(
        b.attribute("anna", "#note-print", "target").as_deref(),
        Some("_blank")
    );
    let url = format!("{}{href}", ui.origin());
    let printed = b.run(json!({ "cmd": "pdf", "name": "anna", "url": url }));
    assert_printed(printed["text"].as_str().unwrap(), "the page's print");
    b.run(json!({ "cmd": "goto", "name": "anna", "url": url }));
    b.wait("anna", "h1");
    assert_eq!(
        b.eval(
            "anna",
            "document.querySelectorAll('input[type=checkbox]').length"
        ),
        json!(2),
        "the tasks are checkboxes"
    );
    assert_eq!(
        b.eval(
            "anna",
            "document.querySelector('li input:checked')?.parentElement.textContent.trim()"
        ),
        json!("Mandare il verbale ai presenti"),
        "the done one is ticked"
    );
    b.screenshot("anna", "print-it-view");

    // From the command line: a file that stands alone.
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let exported = anna.json(&["export", &id, "--format", "html", "--out", out_dir]);
    let path = exported["files"][0]["path"].as_str().unwrap().to_string();
    assert!(path.ends_with(".html"), "{path}");
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(!html.contains("<script"), "an exported file runs nothing");
    assert!(
        !html.contains("<link") && !html.contains(" src="),
        "and loads nothing: {html}"
    );
    let printed = b.run(json!({ "cmd": "pdf", "name": "anna", "url": format!("file://{path}") }));
    assert_printed(
        printed["text"].as_str().unwrap(),
        "the exported file's print",
    );

    // In English, the words around the note are English.
    anna.ok(&[
        "export", &id, "--format", "html", "--lang", "en", "--out", out_dir,
    ]);
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(
        html.contains("<dt>Date</dt><dd>12/03/2025</dd>")
            && html.contains("Group · Housing First Palermo"),
        "{html}"
    );

    // Markdown export still writes Markdown.
    let exported = anna.json(&["export", &id, "--out", out_dir]);
    let md = exported["files"][0]["path"].as_str().unwrap();
    assert!(md.ends_with(".md"), "{md}");
    assert!(
        std::fs::read_to_string(md)
            .unwrap()
            .contains("## Decisioni")
    );
}
