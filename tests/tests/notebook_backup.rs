//! A new computer: `quaderno backup --out FILE` on the old one, `quaderno restore --backup
//! FILE` on the new one. Every note comes back with its history, the groups' included; the
//! backup carries no device token, so the new computer joins nothing until it is linked as one
//! more device of the same participant, and then syncs both ways.

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;

const GROUP: &str = "prato";

#[test]
fn a_notebook_restored_on_a_new_computer_keeps_its_history_and_is_linked_as_a_new_device() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.create_group(GROUP);
    let old = Quaderno::fresh();
    old.ok(&["init", "--name", "Giulia Neri", "--city", "Prato"]);
    let code = relay.invite(GROUP, "editor");
    old.ok(&["join", &relay.url, &code, "--device", "portatile vecchio"]);
    let minutes = old.json(&[
        "new",
        "--group",
        GROUP,
        "--title",
        "Verbale care leaver",
        "--body",
        "Presenti: sei operatori.",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let edited = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        edited.path(),
        "Presenti: sei operatori.\nDecisioni: un incontro al mese.\n",
    )
    .unwrap();
    let mut edit = old.command(&["edit", &minutes]);
    edit.env("EDITOR", format!("cp {}", edited.path().to_str().unwrap()));
    let run = old.run_command(edit, "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    old.ok(&["new", "--title", "Appunti miei", "--body", "Solo per me."]);
    old.ok(&["sync"]);
    let history = old.json(&["log", &minutes]);

    // The backup: one file, readable by its owner only, with no token in it.
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("quaderno-backup.sqlite3");
    let written = old.json(&["backup", "--out", file.to_str().unwrap()]);
    assert_eq!(written["notes"], 2, "{written}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the backup is {mode:o}");
    let relays = std::fs::read_to_string(old.data_dir().join("relays.json")).unwrap();
    let relays: serde_json::Value = serde_json::from_str(&relays).unwrap();
    let token = relays["relays"][0]["token"].as_str().unwrap();
    let bytes = std::fs::read(&file).unwrap();
    assert!(
        !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
        "the backup holds the device token"
    );
    let again = old.run(&["backup", "--out", file.to_str().unwrap()]);
    assert_eq!(
        again.code, 2,
        "a backup never replaces a file: {}",
        again.stdout
    );

    // The new computer: every note, with the same history; no group joined yet.
    let new = Quaderno::fresh();
    let restored = new.json(&["restore", "--backup", file.to_str().unwrap()]);
    assert_eq!(restored["notes"], 2, "{restored}");
    assert_eq!(
        restored["groups"],
        serde_json::json!([[GROUP, 1]]),
        "{restored}"
    );
    assert_eq!(new.json(&["log", &minutes]), history);
    let shown = new.ok(&["show", &minutes]);
    assert!(shown.contains("Decisioni: un incontro al mese."), "{shown}");
    assert!(new.ok(&["list"]).contains("Appunti miei"));
    assert!(!new.data_dir().join("relays.json").exists());
    let status = new.json(&["status", "--offline"]);
    assert_eq!(status["groups"], serde_json::json!([]), "{status}");

    // Restoring over a notebook in use is refused, and changes nothing.
    let refused = new.run(&["restore", "--backup", file.to_str().unwrap()]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("already holds a notebook"),
        "{}",
        refused.stderr
    );
    let not_a_backup = Quaderno::fresh();
    let bad = backups.path().join("appunti.txt");
    std::fs::write(&bad, "non è un backup").unwrap();
    let refused = not_a_backup.run(&["restore", "--backup", bad.to_str().unwrap()]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("is not a notebook backup"),
        "{}",
        refused.stderr
    );

    // Linked as one more device of Giulia's: the group syncs both ways.
    let link = old.json(&["device", "link"]);
    let joined = new.json(&[
        "join",
        "--link",
        link["code"].as_str().unwrap(),
        &relay.url,
        "--device",
        "portatile nuovo",
    ]);
    assert_eq!(joined["participant"]["name"], "Giulia Neri", "{joined}");
    let devices = relay.admin(&["--json", "device", "list"]);
    let devices: serde_json::Value = serde_json::from_str(&devices).unwrap();
    assert_eq!(
        devices.as_array().unwrap().len(),
        2,
        "two devices, not one cloned: {devices}"
    );
    new.ok(&[
        "new",
        "--group",
        GROUP,
        "--title",
        "Scritto sul computer nuovo",
        "--body",
        "Ciao.",
    ]);
    new.ok(&["sync"]);
    old.ok(&["sync"]);
    assert!(old.ok(&["list"]).contains("Scritto sul computer nuovo"));
    let fresh = Quaderno::fresh();
    fresh.ok(&["init", "--name", "Luca", "--city", "Firenze"]);
    let code = relay.invite(GROUP, "reader");
    fresh.ok(&["join", &relay.url, &code]);
    fresh.ok(&["sync"]);
    let shown = fresh.ok(&["show", &minutes]);
    assert!(shown.contains("Decisioni: un incontro al mese."), "{shown}");
}
