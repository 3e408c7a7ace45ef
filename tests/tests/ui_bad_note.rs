//! A note Quaderno cannot read, on the page, in real Chromium: another program uploads a note
//! with `created_at` as text to Anna's group. Her page lists every other note and says, in
//! the sidebar, that one note could not be read and was reported to the coordinators, in
//! Italian and (once she picks it) in English. Screenshots go to `target/ui-screenshots/`.

use std::time::Duration;

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::{Browsers, UiProcess};
use quaderno_tests::uploads::upload_bad_note;

const SOON: Duration = Duration::from_secs(20);
const KEPT: &str = "Verbale del 3 dicembre";

#[tokio::test(flavor = "multi_thread")]
async fn the_page_says_one_note_could_not_be_read_and_lists_the_others() {
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

    // Step 1: Anna writes the minutes; Bruno's other program uploads a note she cannot read.
    let anna = Quaderno::fresh();
    anna.ok(&["init", "--name", "Anna Greco", "--city", "Palermo"]);
    anna.ok(&["join", &relay.url, &relay.invite("palermo", "editor")]);
    anna.ok(&[
        "new",
        "--group",
        "palermo",
        "--title",
        KEPT,
        "--body",
        "Presenti: 12.",
    ]);
    anna.ok(&["sync"]);
    let bruno = relay
        .join(&relay.invite("palermo", "editor"), "Bruno")
        .await;
    let (_peer, _bad) = upload_bad_note(&relay, &bruno).await;
    anna.ok(&["sync"]);

    // Step 2: her page, in Italian and in English.
    let ui = UiProcess::start(anna.data_dir());
    let mut b = Browsers::start();
    for (name, locale, says, silent) in [
        (
            "it",
            "it-IT",
            "1 nota non leggibile, segnalata al coordinamento",
            "unreadable",
        ),
        (
            "en",
            "en-US",
            "1 unreadable note, reported to the coordinators",
            "non leggibile",
        ),
    ] {
        b.launch(name, &ui.url, locale);
        b.wait(name, "body[data-ready=true]");
        if name == "en" {
            // The page speaks Italian until one picks English.
            b.click(name, "[data-lang=en]");
        }
        let (told, text) = b.until(name, "#unreadable", &[says], true, SOON);
        assert!(told, "the {locale} page says so: {text:?}");
        assert!(!text.contains(silent), "{text}");
        b.click(name, r#".group-button[data-group="palermo"]"#);
        let (listed, list) = b.until(name, "#notes", &[KEPT], true, SOON);
        assert!(listed, "the other note is listed: {list}");
        assert!(!list.contains("Nota di Bruno"), "{list}");
        b.screenshots_wide_and_narrow(name, &format!("bad-note-{name}"));
        assert_eq!(b.page_errors(name), Vec::<String>::new());
    }
}
