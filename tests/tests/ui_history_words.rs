//! The history says in words what each step did to the text, and shows the difference: Anna
//! adds two decisions to the minutes in her page; the history says «ha aggiunto 2 righe in
//! «Decisioni»», and the step opened shows those two lines marked as added. Screenshots go to
//! `target/ui-screenshots/`.

use std::time::Duration;

use quaderno_tests::cli::Quaderno;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::json;

const SOON: Duration = Duration::from_secs(20);

#[test]
fn the_history_says_which_lines_a_step_added_and_where_and_shows_them() {
    quaderno_tests::init_tls();
    let anna = Quaderno::fresh();
    anna.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    anna.ok(&[
        "new",
        "--title",
        "Verbale di marzo",
        "--body",
        "## Presenti\n\nAnna, Marco.\n\n## Decisioni\n\n- Un alloggio in più.\n",
    ]);
    let ui = UiProcess::start(anna.data_dir());
    let mut b = Browsers::start();
    b.launch("anna", &ui.url, "it-IT");
    b.open_note("anna", "personal", "Verbale di marzo", SOON);
    b.type_at(
        "anna",
        "#note-body",
        json!("end"),
        "- Una riunione al mese.\n- Un verbale condiviso.\n",
    );
    let (saved, _) = b.until("anna", "#notes", &["Verbale di marzo"], true, SOON);
    assert!(saved);
    // What was typed is in the store before the history is read.
    let deadline = std::time::Instant::now() + SOON;
    let id = b.eval("anna", "decodeURIComponent(location.hash.slice(1))");
    let id = id.as_str().unwrap().to_string();
    while !anna.json(&["show", &id])["body"]
        .as_str()
        .unwrap_or_default()
        .contains("Un verbale condiviso.")
    {
        assert!(std::time::Instant::now() < deadline, "the typing is saved");
        std::thread::sleep(Duration::from_millis(100));
    }

    b.click("anna", "#history-open");
    let (told, steps) = b.until(
        "anna",
        ".steps li:first-child .step-what",
        &["ha aggiunto 2 righe in «Decisioni»"],
        true,
        SOON,
    );
    assert!(told, "the step is told in words: {steps}");
    let created = b.text("anna", ".steps li:last-child .step-what");
    assert_eq!(created, "ha creato la nota");
    let (shown, diff) = b.until(
        "anna",
        "#version-diff",
        &["Una riunione al mese.", "Un verbale condiviso."],
        true,
        SOON,
    );
    assert!(shown, "the difference is shown: {diff}");
    assert_eq!(
        b.eval(
            "anna",
            "[...document.querySelectorAll('#version-diff ins.added .diff-text')].map((e) => e.textContent)"
        ),
        json!(["- Una riunione al mese.", "- Un verbale condiviso."]),
        "exactly the two lines are marked as added"
    );
    assert_eq!(
        b.eval(
            "anna",
            "document.querySelectorAll('#version-diff del').length"
        ),
        json!(0),
        "nothing is marked as taken away"
    );
    b.screenshots_wide_and_narrow("anna", "history-it-words");

    // The first step: the whole text is new.
    b.click("anna", ".steps li:last-child .step");
    assert!(b.until_true(
        "anna",
        "document.querySelectorAll('#version-diff ins.added').length === 7",
        SOON
    ));

    b.click("anna", r#"[data-lang="en"]"#);
    let (told, steps) = b.until(
        "anna",
        ".steps li:first-child .step-what",
        &["added 2 lines in “Decisioni”"],
        true,
        SOON,
    );
    assert!(told, "and in English: {steps}");
    b.click("anna", ".steps li:first-child .step");
    b.wait("anna", "#version-diff ins");
    b.screenshots_wide_and_narrow("anna", "history-en-words");
}
