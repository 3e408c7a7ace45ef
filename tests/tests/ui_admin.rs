//! "Gestione del gruppo" in real Chromium, against a real relay: Elena, the admin of the care
//! leavers' group, invites from her own page (the message to send, its code and QR), sees the
//! invite listed, revokes it (a join with its code is then refused), makes Rita a reader (Rita's
//! open page turns read-only by itself) and downloads the activity log. Marco, an operator,
//! creates a group from his page and appoints its first admin with an admin invite.
//! Screenshots go to `target/ui-screenshots/`.

use std::time::Duration;

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::json;

const SOON: Duration = Duration::from_secs(20);

/// Rita's page in its reader's state: the notices shown, the editor read-only.
const READ_ONLY: &str = "!document.querySelector('#note-read-only').hidden && !document.querySelector('#list-read-only').hidden && document.querySelector('#note-body').readOnly";
/// Rita's page in its editor's state: no notice, the editor writable.
const WRITABLE: &str = "document.querySelector('#note-read-only').hidden && document.querySelector('#list-read-only').hidden && !document.querySelector('#note-body').readOnly && !document.querySelector('#note-body').disabled";

/// The admin pane scrolled back to its top, for a screenshot.
fn to_top(b: &mut Browsers, name: &str) {
    b.eval(name, "document.querySelector('#admin').scrollTop = 0");
}

/// Screenshots of what `name` sees, wide and at a phone's width.
fn both_widths(b: &mut Browsers, name: &str, file: &str) {
    to_top(b, name);
    b.screenshot(name, &format!("{file}-1440"));
    b.run(json!({ "cmd": "viewport", "name": name, "width": 390, "height": 844 }));
    to_top(b, name);
    b.screenshot(name, &format!("{file}-390"));
    b.run(json!({ "cmd": "viewport", "name": name, "width": 1440 }));
}

#[test]
fn an_admin_invites_revokes_and_makes_a_member_a_reader_from_her_page() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.admin(&["group", "create", "prato", "--title", "Care leaver Prato"]);

    // Step 1: Elena joins as the group's admin, Rita as an editor; Elena writes a note.
    let elena = Quaderno::fresh();
    elena.ok(&["init", "--name", "Elena Rossi", "--city", "Prato"]);
    elena.ok(&["join", &relay.url, &relay.invite("prato", "admin")]);
    elena.ok(&[
        "new",
        "--group",
        "prato",
        "--title",
        "Verbale di dicembre",
        "--body",
        "Presenti: 9. Tema: la casa dopo i diciotto anni.",
    ]);
    elena.ok(&["sync"]);
    let rita = Quaderno::fresh();
    rita.ok(&["init", "--name", "Rita Bruni", "--city", "Firenze"]);
    rita.ok(&["join", &relay.url, &relay.invite("prato", "editor")]);
    rita.ok(&["sync"]);

    // Step 2: Rita has the note open in her page, and governs nothing.
    let rita_ui = UiProcess::start(rita.data_dir());
    let elena_ui = UiProcess::start(elena.data_dir());
    let mut b = Browsers::start();
    b.launch("rita", &rita_ui.url, "it-IT");
    b.click("rita", r#".group-button[data-group="prato"]"#);
    let (listed, list) = b.until("rita", "#notes", &["Verbale di dicembre"], true, SOON);
    assert!(listed, "the group's note is listed for Rita: {list}");
    b.click("rita", ".note-item");
    assert!(b.until_true("rita",
        "!document.querySelector('#note-body').disabled && !document.querySelector('#note-body').readOnly",
        SOON
    ));
    assert!(b.until_true("rita", "document.body.dataset.access === 'known'", SOON));
    assert_eq!(
        b.eval("rita", "document.querySelectorAll('.group-admin').length"),
        json!(0),
        "an editor is offered no group management"
    );

    // Step 3: Elena opens "Gestione del gruppo" from the group in her sidebar.
    b.launch("elena", &elena_ui.url, "it-IT");
    b.click("elena", r#".group-button[data-group="prato"]"#);
    b.click("elena", r#".group-admin[data-admin-group="prato"]"#);
    let (members, shown) = b.until(
        "elena",
        "#member-list",
        &["Elena Rossi", "Rita Bruni", "Editor", "Tu"],
        true,
        SOON,
    );
    assert!(members, "both members are listed, once each: {shown}");
    assert_eq!(
        b.eval("elena", "document.querySelectorAll('.member').length"),
        json!(2)
    );
    both_widths(&mut b, "elena", "admin-it-members");

    // Step 4: a new invite for two editors, valid three days, with the message to send.
    b.click("elena", "#admin-tab-invites");
    b.fill("elena", "#invite-uses", "2");
    b.fill("elena", "#invite-days", "3");
    b.click("elena", "#invite-create");
    b.wait("elena", "#invite-ready");
    let code = b.text("elena", "#invite-code");
    assert!(code.len() >= 8, "a code is shown: {code:?}");
    let message = b.value("elena", "#invite-message");
    let command = format!("quaderno join {} {code}", relay.url);
    for part in ["Care leaver Prato", &relay.url, &code, &command, "editor"] {
        assert!(
            message.contains(part),
            "the message holds {part:?}: {message}"
        );
    }
    let qr = b
        .attribute("elena", "#invite-qr", "src")
        .unwrap_or_default();
    assert!(
        qr.starts_with("data:image/svg+xml"),
        "the QR code: {qr:.60}"
    );
    let invite = b
        .attribute("elena", "#invite-ready", "data-invite")
        .expect("the card names its invite");
    let row = format!(r#".invite[data-invite="{invite}"]"#);
    let (active, text) = b.until(
        "elena",
        &row,
        &["Attivo", "Usi rimasti: 2 su 2"],
        true,
        SOON,
    );
    assert!(active, "the new invite is listed as active: {text}");
    both_widths(&mut b, "elena", "admin-it-invites");

    // Step 5: revoking it, after a confirmation; its code then opens nothing.
    b.click("elena", &format!("{row} .invite-revoke"));
    b.wait("elena", "#admin-confirm[open]");
    b.click("elena", "#admin-confirm-ok");
    b.wait("elena", &format!(r#"{row}[data-state="revoked"]"#));
    let (revoked, _) = b.until("elena", &row, &["Revocato"], true, SOON);
    assert!(revoked, "the list says the invite is revoked");
    let stranger = Quaderno::fresh();
    stranger.ok(&["init", "--name", "Luca Neri", "--city", "Prato"]);
    let refused = stranger.run(&["join", &relay.url, &code]);
    assert_ne!(refused.code, 0, "a revoked code opens nothing");
    assert!(
        refused.stderr.contains("refused"),
        "the join says why: {}",
        refused.stderr
    );

    // Step 6: Rita becomes a reader; her open page turns read-only by itself.
    b.click("elena", "#admin-tab-members");
    let participant = b.eval("elena",
        "[...document.querySelectorAll('.member')].find((m) => m.querySelector('.member-name').textContent.startsWith('Rita Bruni')).dataset.participant",
    );
    let participant = participant
        .as_str()
        .expect("Rita's participant id")
        .to_string();
    let rita_row = format!(r#".member[data-participant="{participant}"]"#);
    // Rita's page notes the moment it turns read-only (both pages read the same clock).
    b.note_when("rita", "readOnlyAt", READ_ONLY);
    let changed_at = b.now("elena");
    b.run(json!({
        "cmd": "select", "name": "elena", "selector": format!("{rita_row} .member-role"), "value": "reader",
    }));
    b.wait("elena", &format!(r#"{rita_row}[data-role="reader"]"#));
    let read_only = b.until_true("rita", READ_ONLY, SOON);
    assert!(read_only, "Rita's page turned read-only after the change");
    let took = b.noted("rita", "readOnlyAt").unwrap() - changed_at;
    assert!(
        took <= 1000.0,
        "Rita's page turned read-only {took} ms after Elena changed her role"
    );
    b.screenshot("rita", "admin-it-rita-made-reader");

    // Elena changes her mind at once: Rita is an editor again, and her page says so as soon,
    // although the relay closed her connection for the demotion a moment ago.
    b.note_when("rita", "writableAt", WRITABLE);
    let changed_at = b.now("elena");
    b.run(json!({
        "cmd": "select", "name": "elena", "selector": format!("{rita_row} .member-role"), "value": "editor",
    }));
    b.wait("elena", &format!(r#"{rita_row}[data-role="editor"]"#));
    let writable = b.until_true("rita", WRITABLE, SOON);
    assert!(
        writable,
        "Rita's page is writable again after the promotion"
    );
    let took = b.noted("rita", "writableAt").unwrap() - changed_at;
    assert!(
        took <= 1000.0,
        "Rita's page turned writable {took} ms after Elena made her an editor again"
    );

    // Step 7: the activity log says so, and downloads as CSV.
    b.click("elena", "#admin-tab-activity");
    let (logged, log) = b.until(
        "elena",
        "#activity-list",
        &[
            "Ruolo cambiato",
            "Editor → Lettore",
            "Invito revocato",
            "Rita Bruni",
        ],
        true,
        SOON,
    );
    assert!(
        logged,
        "the log holds the role change and the revocation: {log}"
    );
    let csv = b.eval("elena",
        "fetch(document.querySelector('#activity-csv').href).then(async (r) => [r.status, r.headers.get('content-disposition'), await r.text()])",
    );
    assert_eq!(csv[0], json!(200), "{csv}");
    assert!(
        csv[1].as_str().unwrap_or_default().contains("attachment"),
        "{csv}"
    );
    let csv = csv[2].as_str().unwrap_or_default();
    assert!(
        csv.starts_with("seq,at,actor,action,target,detail") && csv.contains("role_changed"),
        "{csv}"
    );
    both_widths(&mut b, "elena", "admin-it-activity");

    // Step 8: the same view in English.
    b.click("elena", r#"[data-lang="en"]"#);
    b.click("elena", "#admin-tab-members");
    let (english, _) = b.until(
        "elena",
        "#member-list",
        &["Reader", "Remove from the group"],
        true,
        SOON,
    );
    assert!(english, "the view speaks English too");
    both_widths(&mut b, "elena", "admin-en-members");
    b.click("elena", "#admin-tab-invites");
    b.click("elena", "#invite-create");
    b.wait("elena", "#invite-ready");
    let message = b.value("elena", "#invite-message");
    assert!(message.contains("Join a group"), "{message}");
    both_widths(&mut b, "elena", "admin-en-invites");

    // The page never saw the device token.
    let token = std::fs::read_to_string(elena.data_dir().join("relays.json")).unwrap();
    let token: serde_json::Value = serde_json::from_str(&token).unwrap();
    let token = token["relays"][0]["token"].as_str().unwrap().to_string();
    let access = b.eval("elena", "fetch('/api/admin/access').then((r) => r.text())");
    assert!(!access.as_str().unwrap().contains(&token));
    assert_eq!(b.page_errors("elena"), Vec::<String>::new());
    assert_eq!(b.page_errors("rita"), Vec::<String>::new());
}

#[test]
fn an_operator_creates_a_group_and_appoints_its_first_admin_from_his_page() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.admin(&["group", "create", "prato", "--title", "Care leaver Prato"]);

    // Step 1: Marco becomes an operator with the code from the relay's command line.
    let added = relay.admin(&["--json", "operator", "add", "--name", "Marco Gialli"]);
    let added: serde_json::Value = serde_json::from_str(&added).expect("operator add --json");
    let operator_code = added["code"].as_str().expect("a code").to_string();
    let marco = Quaderno::fresh();
    marco.ok(&["init", "--name", "Marco Gialli", "--city", "Roma"]);
    marco.ok(&["join", &relay.url, &operator_code]);

    // Step 2: his page offers "Gestione dei gruppi", with every group of the relay.
    let marco_ui = UiProcess::start(marco.data_dir());
    let mut b = Browsers::start();
    b.launch("marco", &marco_ui.url, "it-IT");
    b.click("marco", ".relay-admin");
    let (listed, groups) = b.until("marco", "#relay-groups", &["Care leaver Prato"], true, SOON);
    assert!(listed, "the relay's groups are listed: {groups}");

    // Step 3: a new group, its short name made from its title.
    b.fill("marco", "#group-title", "Integrazione Bologna");
    assert_eq!(b.value("marco", "#group-slug"), "integrazione-bologna");
    b.click("marco", "#group-form button[type=submit]");
    let new_group = r#".relay-group[data-slug="integrazione-bologna"]"#;
    let (created, text) = b.until("marco", new_group, &["Senza amministratore"], true, SOON);
    assert!(
        created,
        "the new group is listed, without an admin yet: {text} (the form says {:?})",
        b.eval(
            "marco",
            "document.querySelector('#group-form .form-error')?.textContent"
        )
    );

    // Step 4: its first admin, appointed with an admin invite.
    b.click("marco", &format!("{new_group} .admin-invite"));
    b.wait("marco", "#invite-ready");
    let code = b.text("marco", "#invite-code");
    let message = b.value("marco", "#invite-message");
    assert!(
        message.contains("Integrazione Bologna") && message.contains("amministratore"),
        "{message}"
    );
    to_top(&mut b, "marco");
    b.screenshot("marco", "admin-it-operator-1440");
    b.run(json!({ "cmd": "viewport", "name": "marco", "width": 390, "height": 844 }));
    to_top(&mut b, "marco");
    b.screenshot("marco", "admin-it-operator-390");
    b.run(json!({ "cmd": "viewport", "name": "marco", "width": 1440 }));

    let giulia = Quaderno::fresh();
    giulia.ok(&["init", "--name", "Giulia Verdi", "--city", "Bologna"]);
    let joined = giulia.ok(&["join", &relay.url, &code]);
    assert!(joined.contains("as admin"), "{joined}");

    // Step 5: the list says the group has its admin now.
    b.click("marco", ".relay-admin");
    let (appointed, text) = b.until(
        "marco",
        new_group,
        &["1 membro", "1 amministratore"],
        true,
        SOON,
    );
    assert!(appointed, "the group has its first admin: {text}");
    assert_eq!(b.page_errors("marco"), Vec::<String>::new());
}
