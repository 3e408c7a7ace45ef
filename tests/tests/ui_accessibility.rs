//! The page checked by axe-core (npm) in real Chromium: the list, the editor, the history and
//! the group's administration, in Italian and in English, wide and at a phone's width. No
//! serious or critical violation of the WCAG 2.2 A and AA rules axe checks.

use std::time::Duration;

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::{Value, json};

const SOON: Duration = Duration::from_secs(20);

/// The serious and critical violations axe finds in what `name` sees.
fn serious(b: &mut Browsers, name: &str) -> Vec<Value> {
    let found = b.run(json!({ "cmd": "axe", "name": name }))["value"].clone();
    found
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|v| v["impact"] == "serious" || v["impact"] == "critical")
        .collect()
}

fn check(b: &mut Browsers, name: &str, view: &str) {
    let found = serious(b, name);
    assert!(
        found.is_empty(),
        "axe finds serious or critical problems in the {view}: {}",
        serde_json::to_string_pretty(&found).unwrap()
    );
}

#[test]
fn axe_finds_no_serious_problem_in_the_list_editor_history_or_administration() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.admin(&[
        "group",
        "create",
        "trieste",
        "--title",
        "Housing First Trieste",
    ]);
    let paola = Quaderno::fresh();
    paola.ok(&["init", "--name", "Paola", "--city", "Trieste"]);
    paola.ok(&["join", &relay.url, &relay.invite("trieste", "admin")]);
    let marco = Quaderno::fresh();
    marco.ok(&["init", "--name", "Marco", "--city", "Trieste"]);
    marco.ok(&["join", &relay.url, &relay.invite("trieste", "editor")]);
    let id = paola.ok(&[
        "new",
        "--group",
        "trieste",
        "--title",
        "Verbale di febbraio",
        "--date",
        "2025-02-20",
        "--place",
        "Trieste",
        "--tag",
        "verbale",
        "--body",
        "## Presenti\n\nPaola, Marco.\n\n## Decisioni\n\n- Due alloggi in più.",
    ]);
    let id = id.trim().to_string();
    paola.ok(&["tag", &id, "--add", "housing"]);
    paola.ok(&["sync"]);
    marco.ok(&["sync"]);

    let ui = UiProcess::start(paola.data_dir());
    let mut b = Browsers::start();
    b.launch("paola", &ui.url, "it-IT");
    b.click("paola", r#".group-button[data-group="trieste"]"#);
    let (listed, list) = b.until("paola", "#notes", &["Verbale di febbraio"], true, SOON);
    assert!(listed, "{list}");
    check(&mut b, "paola", "list");

    b.open_note("paola", "trieste", "Verbale di febbraio", SOON);
    check(&mut b, "paola", "editor");
    b.click("paola", "#note-actions");
    b.wait("paola", ".menu:visible");
    check(&mut b, "paola", "note's menu");
    b.click("paola", "#note-actions");
    b.click("paola", ".segmented button:nth-child(2)");
    b.wait("paola", "#note-preview:visible h2");
    check(&mut b, "paola", "preview");
    b.click("paola", ".segmented button:nth-child(1)");

    b.click("paola", "#history-open");
    let (steps, shown) = b.until("paola", ".steps", &["Paola (Trieste)"], true, SOON);
    assert!(steps, "{shown}");
    b.click("paola", ".steps li:last-child .step");
    b.wait("paola", "#version-body");
    check(&mut b, "paola", "history");
    b.click("paola", "#history-close");

    b.click("paola", r#".group-admin[data-admin-group="trieste"]"#);
    let (members, shown) = b.until("paola", "#member-list", &["Marco"], true, SOON);
    assert!(members, "{shown}");
    for tab in ["members", "invites", "activity", "erasures"] {
        b.click("paola", &format!("#admin-tab-{tab}"));
        b.wait("paola", &format!("#admin-panel-{tab}:visible"));
        check(&mut b, "paola", &format!("administration ({tab})"));
    }

    // In English, and at a phone's width.
    b.click("paola", r#"[data-lang="en"]"#);
    check(&mut b, "paola", "administration in English");
    b.click("paola", "#admin-back");
    b.run(json!({ "cmd": "viewport", "name": "paola", "width": 390, "height": 844 }));
    // The note she had open is what a narrow window shows.
    b.wait("paola", "#note-back:visible");
    check(&mut b, "paola", "editor at 390 px");
    b.click("paola", "#note-back");
    check(&mut b, "paola", "list at 390 px");
    b.click("paola", "#nav-open");
    check(&mut b, "paola", "groups at 390 px");
    b.click("paola", "#nav-open");
    b.click("paola", "#new-note");
    b.wait("paola", "#note-title:focus");
    check(&mut b, "paola", "new note at 390 px");
}
