//! `quaderno-server restore`: a relay put back from a backup gets back, from its participants'
//! computers, everything they wrote after the backup; and one data directory is served by one
//! process at a time.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;

const GROUP: &str = "palermo";

/// A participant on their own computer, joined to the group as an editor.
fn participant(relay: &Relay, name: &str) -> Quaderno {
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", name, "--city", "Palermo"]);
    let code = relay.invite(GROUP, "editor");
    q.ok(&["join", &relay.url, &code, "--device", "laptop"]);
    q
}

fn new_note(q: &Quaderno, title: &str, body: &str) -> String {
    let created = q.json(&["new", "--group", GROUP, "--title", title, "--body", body]);
    created["id"]
        .as_str()
        .expect("new prints the id")
        .to_owned()
}

/// Appends a line to a note's body through `quaderno edit`, as a person in their editor would.
fn append(q: &Quaderno, dir: &Path, note: &str, line: &str) {
    let script = dir.join(format!("append-{}.sh", line.replace(' ', "-")));
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' '{line}' >> \"$1\"\n"),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    let mut command = q.command(&["edit", note]);
    command.env("EDITOR", &script);
    let run = q.run_command(command, "");
    assert_eq!(run.code, 0, "edit failed: {}", run.stderr);
}

/// `quaderno sync`, which must succeed; returns what it printed.
fn sync(q: &Quaderno) -> String {
    let out = q.ok(&["sync"]);
    assert!(!out.contains("failed"), "{out}");
    out
}

/// The body of a note, or `None` if this computer does not have it.
fn body(q: &Quaderno, note: &str) -> Option<String> {
    let run = q.run(&["show", note, "--json"]);
    (run.code == 0).then(|| {
        let shown: serde_json::Value = serde_json::from_str(&run.stdout).expect("show prints JSON");
        shown["body"].as_str().unwrap_or_default().to_owned()
    })
}

/// `quaderno-server serve` on `data_dir` while another serves it: it must stop by itself,
/// within `limit`, and say why.
fn second_serve(data_dir: &Path, limit: Duration) -> (bool, String) {
    let mut child = Command::new(quaderno_tests::bin::path("quaderno-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("quaderno-server starts");
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.is_some_and(|s| !s.success()), stderr)
}

#[test]
fn a_restored_relay_gets_back_every_edit_made_after_its_backup() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("relay");
    std::fs::create_dir(&data_dir).unwrap();
    let mut relay = Relay::start(&data_dir, &[]);
    relay.create_group(GROUP);

    // Step 1: Anna and Bruno join the group, each writes a note, and both sync.
    let anna = participant(&relay, "Anna");
    let bruno = participant(&relay, "Bruno");
    let verbale = new_note(&anna, "Verbale", "uno");
    let agenda = new_note(&bruno, "Agenda", "punto a");
    sync(&anna);
    sync(&bruno);
    sync(&anna);

    // Step 2: the coordinating body backs the relay up while it serves.
    let backup = dir.path().join("relay-backup.sqlite3");
    relay.admin(&["backup", "--out", backup.to_str().unwrap()]);

    // Step 3: after the backup, both edit the existing notes, write new ones, and sync.
    append(&anna, dir.path(), &verbale, "anna dopo il backup");
    append(&bruno, dir.path(), &agenda, "bruno dopo il backup");
    append(&bruno, dir.path(), &verbale, "bruno nel verbale");
    let anna_new = new_note(&anna, "Nuova di Anna", "scritta dopo il backup");
    let bruno_new = new_note(&bruno, "Nuova di Bruno", "scritta dopo il backup");
    sync(&anna);
    sync(&bruno);
    sync(&anna);

    // Step 4: while the relay serves, a restore is refused, and so is a second relay; both
    // name the process that serves.
    let refused = relay.admin_output(&["restore", backup.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(said.contains("`quaderno-server serve`"), "{said}");
    assert!(said.contains(&format!("process {}", relay.pid())), "{said}");
    let (stopped, said) = second_serve(&data_dir, Duration::from_secs(20));
    assert!(
        stopped,
        "a second relay served the same data directory: {said}"
    );
    assert!(said.contains(&format!("process {}", relay.pid())), "{said}");

    // Step 5: the relay is stopped and restored from the backup; the replaced database is kept.
    relay.terminate();
    let restored = relay.admin(&["restore", backup.to_str().unwrap()]);
    assert!(restored.contains("kept at"), "{restored}");
    assert!(restored.contains("sends back"), "{restored}");
    let kept = std::fs::read_dir(&data_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("before-restore-"))
        .count();
    assert!(kept >= 1, "the replaced database was not kept");
    relay.restart();

    // The restored relay lacks what came after the backup: a newcomer does not find it.
    let early = participant(&relay, "Dario");
    sync(&early);
    assert!(
        body(&early, &anna_new).is_none(),
        "the restore did not take"
    );
    assert_eq!(body(&early, &verbale).as_deref(), Some("uno"));

    // Step 6: Anna and Bruno sync; each is told once that the relay was restored.
    for q in [&anna, &bruno] {
        let said = sync(q);
        assert_eq!(said.matches("restored from a backup").count(), 1, "{said}");
    }
    sync(&anna);
    // The next sync is an ordinary one.
    assert!(!sync(&bruno).contains("restored"));

    // Step 7: a newcomer finds every edit made after the backup, and all three agree.
    let carla = participant(&relay, "Carla");
    sync(&carla);
    sync(&early);
    let expected = [
        (
            &verbale,
            vec!["uno", "anna dopo il backup", "bruno nel verbale"],
        ),
        (&agenda, vec!["punto a", "bruno dopo il backup"]),
        (&anna_new, vec!["scritta dopo il backup"]),
        (&bruno_new, vec!["scritta dopo il backup"]),
    ];
    for (note, lines) in &expected {
        let on_carla = body(&carla, note).unwrap_or_else(|| panic!("Carla lacks {note}"));
        for line in lines {
            assert!(
                on_carla.contains(line),
                "{note} lacks {line:?}: {on_carla:?}"
            );
        }
        for q in [&anna, &bruno, &early] {
            assert_eq!(body(q, note).as_ref(), Some(&on_carla), "{note} differs");
        }
    }
}
