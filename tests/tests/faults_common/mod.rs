//! What the fault tests share: a relay with the group "palermo", participants who joined it,
//! their `quaderno sync --watch` processes, and a way to read everything a participant holds.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;

pub const GROUP: &str = "palermo";

/// A relay with one group, "palermo".
pub struct Community {
    pub relay: Relay,
    pub dir: tempfile::TempDir,
}

impl Community {
    pub fn new() -> Community {
        quaderno_tests::init_tls();
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::start(dir.path(), &[]);
        relay.create_group(GROUP);
        Community { relay, dir }
    }

    /// A participant on their own machine who joined the group at `url` (the relay's, or a
    /// proxy's in front of it).
    pub fn participant(&self, name: &str, url: &str) -> Quaderno {
        let q = Quaderno::fresh();
        q.ok(&["init", "--name", name, "--city", "Palermo"]);
        let code = self.relay.invite(GROUP, "editor");
        q.ok(&["join", url, &code, "--device", "laptop"]);
        q
    }
}

/// A running `quaderno sync --watch`, killed when dropped.
pub struct Watching(Child);

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn watch(q: &Quaderno) -> Watching {
    watch_with(q, &[])
}

/// A watch with extra environment variables.
/// With `QUADERNO_TEST_WATCH_LOGS` set to a folder, each watch logs there at debug level (in a
/// file named after the data folder), to find out afterwards why a run failed;
/// `QUADERNO_TEST_WATCH_LOG_LEVEL` sets what they log (`quaderno_sync=trace` adds every sync
/// message in and out, by document, without content).
pub fn watch_with(q: &Quaderno, envs: &[(&str, &str)]) -> Watching {
    let mut command = q.command(&["sync", "--watch"]);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    if let Some(dir) = std::env::var_os("QUADERNO_TEST_WATCH_LOGS") {
        // Each participant's data folder is `data` in a temporary folder of its own.
        let folder = q.data_dir().parent().unwrap_or(q.data_dir());
        let name = folder.file_name().unwrap_or_default().to_owned();
        let path = Path::new(&dir).join(name).with_extension("log");
        let log = std::fs::File::create(path).expect("the watch's log file");
        command
            .env(
                "QUADERNO_LOG",
                std::env::var("QUADERNO_TEST_WATCH_LOG_LEVEL")
                    .unwrap_or_else(|_| "quaderno_client=debug,quaderno_sync=debug".into()),
            )
            .stderr(log);
    }
    let child = command
        .envs(envs.iter().copied())
        .spawn()
        .expect("quaderno sync --watch starts");
    Watching(child)
}

/// Polls `done` until it holds or `limit` passes; says whether it held.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    done()
}

/// Writes a note in the group; returns its id.
pub fn new_note(q: &Quaderno, title: &str, body: &str) -> String {
    let created = q.json(&["new", "--group", GROUP, "--title", title, "--body", body]);
    created["id"]
        .as_str()
        .expect("new prints the id")
        .to_string()
}

/// Anna and Bruno in the group, and a note of Anna's that both hold (each synced once).
/// Returns them and the note's id.
pub fn two_members_with_a_note(c: &Community) -> (Quaderno, Quaderno, String) {
    let anna = c.participant("anna", &c.relay.url);
    let bruno = c.participant("bruno", &c.relay.url);
    let note = new_note(&anna, "Verbale", "Presenti: 12");
    anna.ok(&["sync"]);
    bruno.ok(&["sync"]);
    (anna, bruno, note)
}

/// `quaderno --json sync --watch`, returned once it reports being in sync. What it prints
/// afterwards is read on a thread, so that it never blocks on its output.
pub fn watch_until_synced(q: &Quaderno) -> (Child, std::thread::JoinHandle<Vec<String>>) {
    let (watching, lines) = q.spawn_lines(&["--json", "sync", "--watch"]);
    let in_sync = lines
        .iter()
        .take(10)
        .any(|line| line.contains("\"synced\""));
    assert!(in_sync, "the watch never reported being in sync");
    let rest = std::thread::spawn(move || lines.iter().collect());
    (watching, rest)
}

/// An `EDITOR` that appends the line in `$QUADERNO_TEST_LINE` to the note's body.
pub fn appending_editor(dir: &Path) -> PathBuf {
    let script = dir.join("append-line.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf '%s\\n' \"$QUADERNO_TEST_LINE\" >> \"$1\"\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    script
}

/// `quaderno edit NOTE` with an editor that appends `line` to the body.
pub fn append_line(q: &Quaderno, editor: &Path, note: &str, line: &str) {
    let mut command = q.command(&["edit", note]);
    command
        .env("EDITOR", editor)
        .env("QUADERNO_TEST_LINE", line);
    let run = q.run_command(command, "");
    assert_eq!(run.code, 0, "edit {note} failed: {}", run.stderr);
}

/// The body of a note as `show --json` prints it.
pub fn body(q: &Quaderno, note: &str) -> String {
    q.json(&["show", note])["body"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Every note of the group as Markdown (front matter: id, title, tags, author; then the body),
/// by file name: one `export` run, so cheap enough to poll.
pub fn snapshot(q: &Quaderno) -> BTreeMap<String, String> {
    let out = tempfile::tempdir().unwrap();
    q.ok(&[
        "export",
        "--group",
        GROUP,
        "--out",
        out.path().to_str().unwrap(),
    ]);
    std::fs::read_dir(out.path())
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

/// What an edit left behind, to look for on every participant.
#[derive(Debug, Clone)]
pub enum Expect {
    /// A note with this id whose body contains this text.
    Body { note: String, text: String },
    /// A note with this id carrying this tag.
    Tag { note: String, tag: String },
}

impl Expect {
    /// Whether a snapshot shows it.
    pub fn holds(&self, snapshot: &BTreeMap<String, String>) -> bool {
        let note_file = |id: &str| {
            snapshot
                .values()
                .find(|text| {
                    text.contains(&format!("\nid: {id}\n"))
                        || text.starts_with(&format!("---\nid: {id}\n"))
                })
                .cloned()
        };
        match self {
            Expect::Body { note, text } => note_file(note)
                .and_then(|t| {
                    t.split_once("\n---\n")
                        .map(|(_, body)| body.contains(text.as_str()))
                })
                .unwrap_or(false),
            Expect::Tag { note, tag } => note_file(note)
                .map(|t| t.contains(&format!("\n- {tag}\n")))
                .unwrap_or(false),
        }
    }
}

/// The edits missing from a snapshot.
pub fn missing<'a>(expected: &'a [Expect], snapshot: &BTreeMap<String, String>) -> Vec<&'a Expect> {
    expected.iter().filter(|e| !e.holds(snapshot)).collect()
}

/// Whether every participant holds the same notes and every expected edit is among them.
pub fn converged(people: &[&Quaderno], expected: &[Expect]) -> bool {
    let snaps: Vec<_> = people.iter().map(|q| snapshot(q)).collect();
    snaps.windows(2).all(|w| w[0] == w[1]) && missing(expected, &snaps[0]).is_empty()
}

/// Why participants have not converged, for a failure message.
pub fn divergence(people: &[&Quaderno], expected: &[Expect]) -> String {
    let snaps: Vec<_> = people.iter().map(|q| snapshot(q)).collect();
    let mut out = String::new();
    for (i, snap) in snaps.iter().enumerate() {
        let lacks = missing(expected, snap);
        out.push_str(&format!(
            "participant {i}: {} notes, {} expected edits missing, e.g. {:?}\n",
            snap.len(),
            lacks.len(),
            lacks.first()
        ));
        if i > 0 && *snap != snaps[0] {
            let differ: Vec<&String> = snap
                .keys()
                .chain(snaps[0].keys())
                .filter(|k| snap.get(*k) != snaps[0].get(*k))
                .take(3)
                .collect();
            out.push_str(&format!("  differs from participant 0 in {differ:?}\n"));
        }
    }
    out
}
