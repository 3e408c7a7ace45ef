//! Roles as the people who hold them meet them, through the real relay and the real CLI: a
//! reader is told, before anything is written, that the group's notes can only be read; a
//! reader promoted to editor writes after their next sync, and an editor demoted to reader
//! stops being able to.

mod faults_common;

use faults_common::{Community, GROUP, new_note};
use quaderno_tests::cli::Quaderno;

/// A participant who joined the group with `role`.
fn member(c: &Community, name: &str, role: &str) -> Quaderno {
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", name, "--city", "Prato"]);
    let code = c.relay.invite(GROUP, role);
    q.ok(&["join", &c.relay.url, &code, "--device", "laptop"]);
    q
}

/// An editor command that leaves a mark if it is ever started.
fn marking_editor(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mark = dir.join("the-editor-ran");
    let script = dir.join("editor.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ntouch '{}'\necho 'riga scritta da chi legge' >> \"$1\"\n",
            mark.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (script, mark)
}

/// Asserts a refused write: exit 2, one line naming the role and the group, nothing changed.
fn assert_refused(q: &Quaderno, args: &[&str], editor: Option<&std::path::Path>) {
    let mut command = q.command(args);
    if let Some(editor) = editor {
        command.env("EDITOR", editor).env("VISUAL", editor);
    }
    let run = q.run_command(command, "");
    assert_eq!(run.code, 2, "quaderno {args:?}: {}", run.stderr);
    assert!(
        run.stderr.contains("you are a reader in «palermo»"),
        "quaderno {args:?} says why: {}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
}

#[test]
fn a_reader_is_told_before_anything_is_written_and_their_sync_finishes() {
    let c = Community::new();
    let elena = member(&c, "Elena", "editor");
    let note = new_note(&elena, "Verbale approvato", "Presenti: 9");
    elena.ok(&["sync"]);
    let rita = member(&c, "Rita", "reader");
    rita.ok(&["sync"]);
    let before = rita.ok(&["list", "--group", GROUP, "--deleted", "--json"]);

    let (editor, mark) = marking_editor(c.dir.path());
    assert_refused(
        &rita,
        &["new", "--group", GROUP, "--title", "Mia", "--body", "testo"],
        None,
    );
    assert_refused(&rita, &["new", "--group", GROUP], Some(&editor));
    assert_refused(&rita, &["edit", &note], Some(&editor));
    assert!(
        !mark.exists(),
        "an editor opened for a write that cannot be saved"
    );
    assert_refused(&rita, &["tag", &note, "+letto"], None);
    assert_refused(&rita, &["rm", &note], None);
    let file = c.dir.path().join("appunti.md");
    std::fs::write(&file, "---\ntitle: Appunti\n---\nDa importare.\n").unwrap();
    assert_refused(
        &rita,
        &["import", file.to_str().unwrap(), "--group", GROUP],
        None,
    );
    let own = new_note_personal(&rita);
    assert_refused(&rita, &["move", &own, "--group", GROUP], None);
    let after = rita.ok(&["list", "--group", GROUP, "--deleted", "--json"]);
    assert_eq!(after, before, "the group's notes changed on Rita's machine");

    // Nothing waits for the relay, so the sync finishes at once and says so.
    rita.ok(&["sync"]);
    let status = rita.json(&["status", "--offline"]);
    assert_eq!(status["groups"][0]["waiting"], serde_json::json!([]));
}

/// A note in Rita's personal notebook.
fn new_note_personal(q: &Quaderno) -> String {
    let created = q.json(&["new", "--title", "Appunti miei", "--body", "per me"]);
    created["id"].as_str().unwrap().to_string()
}

#[test]
fn a_role_changed_on_the_relay_is_followed_after_the_next_sync() {
    let c = Community::new();
    let elena = member(&c, "Elena", "editor");
    let note = new_note(&elena, "Verbale", "Presenti: 4");
    elena.ok(&["sync"]);
    let rita = member(&c, "Rita", "reader");
    rita.ok(&["sync"]);
    assert_refused(&rita, &["tag", &note, "+letto"], None);

    // Promoted: her next sync learns it, and she writes.
    c.relay
        .admin(&["member", "set-role", "--group", GROUP, "Rita", "editor"]);
    rita.ok(&["sync"]);
    rita.ok(&["tag", &note, "+letto"]);
    rita.ok(&["sync"]);
    elena.ok(&["sync"]);
    let shown = elena.json(&["show", &note]);
    assert!(
        shown["tags"].to_string().contains("letto"),
        "Rita's tag reached Elena: {shown}"
    );

    // Demoted again: the next sync learns that too.
    c.relay
        .admin(&["member", "set-role", "--group", GROUP, "Rita", "reader"]);
    rita.ok(&["sync"]);
    assert_refused(&rita, &["tag", &note, "+ancora"], None);
}

/// Waits up to `limit` for a line of the watch's JSON output that `wanted` accepts; returns
/// how long it took.
fn wait_for_event(
    lines: &std::sync::mpsc::Receiver<String>,
    limit: std::time::Duration,
    wanted: impl Fn(&serde_json::Value) -> bool,
) -> Option<std::time::Duration> {
    let started = std::time::Instant::now();
    while let Some(left) = limit.checked_sub(started.elapsed()) {
        let Ok(line) = lines.recv_timeout(left) else {
            return None;
        };
        let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if wanted(&event) {
            return Some(started.elapsed());
        }
    }
    None
}

/// Within a second, as the issue promises: from the end of the admin's call to the watch's
/// report of the new role.
const ONE_SECOND: std::time::Duration = std::time::Duration::from_secs(1);

/// The admin's device token, read from the data folder the way the client keeps it.
fn token_of(q: &Quaderno) -> String {
    let relays = std::fs::read_to_string(q.data_dir().join("relays.json")).unwrap();
    let relays: serde_json::Value = serde_json::from_str(&relays).unwrap();
    relays["relays"][0]["token"].as_str().unwrap().to_owned()
}

/// Starts Rita's `sync --watch` and waits until it is in sync.
fn watching(rita: &Quaderno) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let (watch, lines) = rita.spawn_lines(&["--json", "sync", "--watch"]);
    let online = wait_for_event(&lines, std::time::Duration::from_secs(20), |e| {
        e["event"] == "synced"
    });
    assert!(online.is_some(), "the watch never reported being in sync");
    (watch, lines)
}

#[test]
fn a_running_watch_follows_a_role_change_within_a_second_and_says_so() {
    quaderno_tests::init_tls();
    let c = Community::new();
    let elena = member(&c, "Elena", "admin");
    let rita = member(&c, "Rita", "reader");
    rita.ok(&["sync"]);

    // Promoted from the relay's command line (another process).
    let (mut watch, lines) = watching(&rita);
    c.relay
        .admin(&["member", "set-role", "--group", GROUP, "Rita", "editor"]);
    let promoted = wait_for_event(&lines, ONE_SECOND, |e| {
        e["event"] == "role" && e["role"] == "editor"
    });
    let _ = watch.kill();
    let _ = watch.wait();

    // Demoted by Elena, the group's admin, over the admin API.
    let (mut watch, lines) = watching(&rita);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let admin = token_of(&elena);
    let status = runtime.block_on(async {
        let http = reqwest::Client::new();
        let members: serde_json::Value = http
            .get(format!("{}/v1/groups/{GROUP}/admin/members", c.relay.url))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rita_id = members["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "Rita")
            .map(|m| m["participant_id"].clone())
            .unwrap();
        http.put(format!(
            "{}/v1/groups/{GROUP}/admin/members/{rita_id}/role",
            c.relay.url
        ))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "role": "reader" }))
        .send()
        .await
        .unwrap()
        .status()
    });
    assert!(status.is_success(), "the admin API refused: {status}");
    let demoted = wait_for_event(&lines, ONE_SECOND, |e| {
        e["event"] == "role" && e["role"] == "reader"
    });
    let _ = watch.kill();
    let _ = watch.wait();
    eprintln!("promotion seen after {promoted:?}, demotion after {demoted:?}");
    assert!(
        promoted.is_some(),
        "the watch did not say Rita is an editor within a second"
    );
    assert!(
        demoted.is_some(),
        "the watch did not say Rita is a reader within a second"
    );
}

#[test]
fn a_promoted_reader_writes_from_the_same_watch() {
    let c = Community::new();
    let rita = member(&c, "Rita", "reader");
    rita.ok(&["sync"]);
    let (mut watch, lines) = rita.spawn_lines(&["--json", "sync", "--watch"]);
    let online = wait_for_event(&lines, std::time::Duration::from_secs(20), |e| {
        e["event"] == "synced"
    });
    assert!(online.is_some(), "the watch never reported being in sync");
    c.relay
        .admin(&["member", "set-role", "--group", GROUP, "Rita", "editor"]);
    let told = wait_for_event(&lines, std::time::Duration::from_secs(20), |e| {
        e["event"] == "role" && e["role"] == "editor"
    });
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(told.is_some(), "the watch never said Rita is an editor now");
    let note = new_note(&rita, "Verbale di Rita", "Presenti: 5");
    rita.ok(&["sync"]);
    let elena = member(&c, "Elena", "editor");
    elena.ok(&["sync"]);
    assert!(elena.ok(&["show", &note]).contains("Presenti: 5"));
}

#[test]
fn a_group_renamed_on_the_relay_shows_its_new_title_after_the_next_sync() {
    let c = Community::new();
    let rita = member(&c, "Rita", "reader");
    rita.ok(&["sync"]);
    c.relay.admin(&[
        "group",
        "rename",
        GROUP,
        "--title",
        "Housing First Ravenna e Lugo",
    ]);
    assert!(
        !rita
            .ok(&["status"])
            .contains("Housing First Ravenna e Lugo")
    );
    rita.ok(&["sync"]);
    let status = rita.ok(&["status"]);
    assert!(status.contains("Housing First Ravenna e Lugo"), "{status}");
}
