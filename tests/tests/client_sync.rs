//! Participants' `quaderno` processes syncing through a real `quaderno-server`, each with its
//! own data folder, all on 127.0.0.1.

use std::time::Duration;

use quaderno_tests::cli::Quaderno;
use quaderno_tests::proxy::RecordingProxy;
use quaderno_tests::relay::Relay;

mod http {
    /// A plain HTTP GET on 127.0.0.1 without an async runtime.
    pub fn get(url: &str) -> std::io::Result<String> {
        use std::io::{Read, Write};
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest
            .split_once('/')
            .map(|(h, p)| (h, format!("/{p}")))
            .unwrap_or((rest, "/".into()));
        let mut stream = std::net::TcpStream::connect(host)?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
        let mut out = String::new();
        stream.read_to_string(&mut out)?;
        Ok(out)
    }
}

/// A relay with groups, and participants who joined some of them.
struct Community {
    relay: Relay,
    _dir: tempfile::TempDir,
}

impl Community {
    fn new(groups: &[&str]) -> Self {
        quaderno_tests::init_tls();
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::start(dir.path(), &[]);
        for group in groups {
            relay.create_group(group);
        }
        Self { relay, _dir: dir }
    }

    /// A participant on their own machine, joined to `groups` as editor.
    fn participant(&self, name: &str, city: &str, groups: &[&str]) -> Quaderno {
        self.participant_as(name, city, groups, "editor")
    }

    fn participant_as(&self, name: &str, city: &str, groups: &[&str], role: &str) -> Quaderno {
        let q = Quaderno::fresh();
        q.ok(&["init", "--name", name, "--city", city]);
        for group in groups {
            let code = self.relay.invite(group, role);
            q.ok(&["join", &self.relay.url, &code, "--device", "laptop"]);
        }
        q
    }
}

fn note_id(q: &Quaderno, args: &[&str]) -> String {
    let created = q.json(args);
    created["id"]
        .as_str()
        .expect("new prints the id")
        .to_string()
}

fn body(q: &Quaderno, note: &str) -> String {
    q.json(&["show", note])["body"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_note_written_by_anna_reaches_bruno_through_the_relay() {
    // Step 1: Anna and Bruno join the Palermo group.
    let c = Community::new(&["palermo"]);
    let anna = c.participant("Anna", "Palermo", &["palermo"]);
    let bruno = c.participant("Bruno", "Palermo", &["palermo"]);

    // Step 2: Anna writes a note for the group, offline, then syncs.
    let id = note_id(
        &anna,
        &[
            "new",
            "--group",
            "palermo",
            "--title",
            "Terzo incontro",
            "--body",
            "Presenti: 12.\nTema: casa.",
        ],
    );
    let report = anna.json(&["sync"]);
    assert_eq!(
        report["groups"][0]["outcome"]["status"], "synced",
        "{report}"
    );

    // Step 3: Bruno syncs and finds it, searchable too.
    bruno.ok(&["sync"]);
    assert_eq!(body(&bruno, &id), "Presenti: 12.\nTema: casa.");
    let hits = bruno.json(&["search", "casa"]);
    assert_eq!(hits.as_array().map(Vec::len), Some(1), "{hits}");
}

#[test]
fn a_sync_when_nothing_changed_costs_one_request() {
    let c = Community::new(&["prato"]);
    let anna = c.participant("Anna", "Prato", &["prato"]);
    for i in 0..20 {
        anna.ok(&[
            "new",
            "--group",
            "prato",
            "--title",
            &format!("nota {i}"),
            "--body",
            "testo",
        ]);
    }
    anna.ok(&["sync"]);
    let bruno = c.participant("Bruno", "Firenze", &["prato"]);
    let first = bruno.json(&["sync"]);
    assert_eq!(
        first["groups"][0]["pulled"].as_u64(),
        Some(21),
        "20 notes and the index: {first}"
    );

    let again = bruno.json(&["sync"]);

    assert_eq!(again["groups"][0]["checked"].as_u64(), Some(0), "{again}");
    assert_eq!(again["groups"][0]["messages"].as_u64(), Some(1), "{again}");
}

#[test]
fn an_unreachable_relay_exits_3_with_one_line_and_changes_nothing() {
    let mut c = Community::new(&["roma"]);
    let anna = c.participant("Anna", "Roma", &["roma"]);
    let id = note_id(
        &anna,
        &[
            "new", "--group", "roma", "--title", "Bozza", "--body", "testo",
        ],
    );
    c.relay.kill();

    let run = anna.run(&["sync"]);

    assert_eq!(run.code, 3, "stdout: {} stderr: {}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr.trim().lines().count(),
        1,
        "one line: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("cannot reach the relay"),
        "{}",
        run.stderr
    );
    assert_eq!(body(&anna, &id), "testo");
    let status = anna.json(&["status", "--offline"]);
    assert_eq!(
        status["groups"][0]["waiting"][0]["id"],
        id.as_str(),
        "{status}"
    );
}

#[test]
fn the_watch_of_one_client_shows_the_edit_of_another_without_any_command() {
    let c = Community::new(&["trieste"]);
    let anna = c.participant("Anna", "Trieste", &["trieste"]);
    let bruno = c.participant("Bruno", "Trieste", &["trieste"]);
    let _anna_watch = watch(&anna);
    let _bruno_watch = watch(&bruno);

    let id = note_id(
        &anna,
        &[
            "new",
            "--group",
            "trieste",
            "--title",
            "In diretta",
            "--body",
            "prima",
        ],
    );

    let arrived = wait_until(Duration::from_secs(20), || {
        let run = bruno.run(&["--json", "show", &id]);
        run.code == 0 && run.stdout.contains("prima")
    });
    assert!(arrived, "Bruno's watch never received Anna's note");
    // Anna's watch recorded the relay's acknowledgement: nothing is waiting.
    let acknowledged = wait_until(Duration::from_secs(10), || {
        anna.json(&["status", "--offline"])["groups"][0]["waiting"] == serde_json::json!([])
    });
    assert!(acknowledged, "status still shows the note waiting");
}

/// A running `quaderno sync --watch`, stopped when dropped.
struct Watching(std::process::Child);

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn watch(q: &Quaderno) -> Watching {
    let child = q
        .command(&["sync", "--watch"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("quaderno sync --watch starts");
    Watching(child)
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}

/// An editor script that appends a line to the body of the note being edited.
fn appending_editor(dir: &std::path::Path, line: &str) -> std::path::PathBuf {
    let script = dir.join(format!("editor-{}.sh", line.len()));
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' '{line}' >> \"$1\"\n"),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    script
}

/// Replaces one line of the body with another (a different paragraph for each person).
fn replacing_editor(dir: &std::path::Path, name: &str, from: &str, to: &str) -> std::path::PathBuf {
    let script = dir.join(format!("editor-{name}.sh"));
    std::fs::write(
        &script,
        format!("#!/bin/sh\nsed -i 's/^{from}$/{to}/' \"$1\"\n"),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    script
}

fn edit_with(q: &Quaderno, editor: &std::path::Path, note: &str) {
    let mut command = q.command(&["edit", note]);
    command.env("EDITOR", editor);
    let run = q.run_command(command, "");
    assert_eq!(run.code, 0, "edit failed: {}", run.stderr);
}

#[test]
fn three_participants_edit_one_note_offline_and_converge_whatever_the_order() {
    let orders: [[usize; 3]; 3] = [[0, 1, 2], [2, 0, 1], [1, 2, 0]];
    for order in orders {
        // Step 1: the three share a note with three paragraphs, then go offline.
        let c = Community::new(&["bologna"]);
        let people = [
            c.participant("Anna", "Bologna", &["bologna"]),
            c.participant("Bruno", "Ravenna", &["bologna"]),
            c.participant("Carla", "Rimini", &["bologna"]),
        ];
        let id = note_id(
            &people[0],
            &[
                "new",
                "--group",
                "bologna",
                "--title",
                "Verbale",
                "--body",
                "uno\n\ndue\n\ntre",
            ],
        );
        for p in &people {
            p.ok(&["sync"]);
        }
        let dir = tempfile::tempdir().unwrap();

        // Step 2: offline, each changes something different.
        people[0].ok(&["tag", &id, "+approvato"]);
        edit_with(
            &people[0],
            &replacing_editor(dir.path(), "anna", "uno", "UNO di Anna"),
            &id,
        );
        edit_with(
            &people[1],
            &replacing_editor(dir.path(), "bruno", "due", "DUE di Bruno"),
            &id,
        );
        people[1].ok(&["tag", &id, "+casa"]);
        let retitle = dir.path().join("retitle.sh");
        std::fs::write(
            &retitle,
            "#!/bin/sh\nsed -i 's/^title: .*/title: Verbale del laboratorio/' \"$1\"\n",
        )
        .unwrap();
        std::os::unix::fs::PermissionsExt::set_mode(
            &mut std::fs::metadata(&retitle).unwrap().permissions(),
            0o755,
        );
        let mut perms = std::fs::metadata(&retitle).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&retitle, perms).unwrap();
        edit_with(&people[2], &retitle, &id);
        edit_with(
            &people[2],
            &replacing_editor(dir.path(), "carla", "tre", "TRE di Carla"),
            &id,
        );

        // Step 3: they sync in this order, then once more each.
        for &i in order.iter().chain(order.iter()) {
            people[i].ok(&["sync"]);
        }

        let shown: Vec<serde_json::Value> = people.iter().map(|p| p.json(&["show", &id])).collect();
        for s in &shown[1..] {
            assert_eq!(s["title"], shown[0]["title"], "order {order:?}");
            assert_eq!(s["body"], shown[0]["body"], "order {order:?}");
            assert_eq!(s["tags"], shown[0]["tags"], "order {order:?}");
        }
        assert_eq!(
            shown[0]["title"], "Verbale del laboratorio",
            "order {order:?}"
        );
        assert_eq!(
            shown[0]["body"], "UNO di Anna\n\nDUE di Bruno\n\nTRE di Carla",
            "order {order:?}"
        );
        assert_eq!(
            shown[0]["tags"],
            serde_json::json!(["approvato", "casa"]),
            "order {order:?}"
        );
        // The index agrees with the merged text.
        let hits = people[1].json(&["search", "Carla"]);
        assert_eq!(
            hits.as_array().map(Vec::len),
            Some(1),
            "order {order:?}: {hits}"
        );
    }
}

#[test]
fn a_participant_offline_for_hundreds_of_edits_converges() {
    let c = Community::new(&["reggio"]);
    let anna = c.participant("Anna", "Reggio Calabria", &["reggio"]);
    let bruno = c.participant("Bruno", "Rimini", &["reggio"]);
    let id = note_id(
        &anna,
        &[
            "new", "--group", "reggio", "--title", "Diario", "--body", "inizio",
        ],
    );
    anna.ok(&["sync"]);
    bruno.ok(&["sync"]);
    let dir = tempfile::tempdir().unwrap();

    // Both keep writing while apart: 120 edits each (a line, or a tag every tenth time).
    for i in 0..120 {
        for (who, q) in [("anna", &anna), ("bruno", &bruno)] {
            if i % 10 == 0 {
                q.ok(&["tag", &id, &format!("+{who}{i}")]);
            } else {
                edit_with(q, &appending_editor(dir.path(), &format!("{who} {i}")), &id);
            }
        }
    }
    anna.ok(&["sync"]);
    bruno.ok(&["sync"]);
    anna.ok(&["sync"]);

    let (a, b) = (anna.json(&["show", &id]), bruno.json(&["show", &id]));
    assert_eq!(a["body"], b["body"]);
    assert_eq!(a["tags"], b["tags"]);
    let text = a["body"].as_str().unwrap();
    for i in (0..120).filter(|i| i % 10 != 0) {
        assert!(
            text.contains(&format!("anna {i}\n")) && text.contains(&format!("bruno {i}\n")),
            "edit {i} missing"
        );
    }
    assert_eq!(a["tags"].as_array().unwrap().len(), 24);
}

#[test]
fn after_a_relay_killed_mid_sync_everyone_converges_and_nothing_acknowledged_is_lost() {
    // Anna imports 300 notes into the group and starts pushing them.
    let mut c = Community::new(&["ravenna"]);
    let anna = c.participant("Anna", "Ravenna", &["ravenna"]);
    let bruno = c.participant("Bruno", "Rimini", &["ravenna"]);
    let first = note_id(
        &anna,
        &[
            "new",
            "--group",
            "ravenna",
            "--title",
            "Prima",
            "--body",
            "gia' sul relay",
        ],
    );
    anna.ok(&["sync"]);
    let folder = tempfile::tempdir().unwrap();
    for i in 0..300 {
        let text = format!(
            "---\ntitle: Nota {i}\n---\n{}\n",
            "Testo del verbale. ".repeat(40)
        );
        std::fs::write(folder.path().join(format!("{i}.md")), text).unwrap();
    }
    anna.ok(&[
        "import",
        folder.path().to_str().unwrap(),
        "--group",
        "ravenna",
    ]);
    let mut push = anna
        .command(&["sync"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    // The relay is killed (SIGKILL) once it has received part of the push.
    let started = wait_until(Duration::from_secs(30), || messages_in(&c.relay) > 60);
    c.relay.kill();
    let status = push.wait().unwrap();
    assert!(started, "the push never got going");
    assert_ne!(
        status.code(),
        Some(0),
        "the sync cannot have finished: the relay died under it"
    );

    // It comes back on the same data folder; everyone syncs.
    c.relay.restart();
    anna.ok(&["sync"]);
    bruno.ok(&["sync"]);

    let anna_notes = anna.json(&["list"]);
    let bruno_notes = bruno.json(&["list"]);
    assert_eq!(
        bruno_notes.as_array().unwrap().len(),
        301,
        "Bruno has every note"
    );
    assert_eq!(anna_notes.as_array().unwrap().len(), 301);
    assert_eq!(
        body(&bruno, &first),
        "gia' sul relay",
        "the note acknowledged before the crash survived"
    );
    assert_eq!(
        anna.json(&["status", "--offline"])["groups"][0]["waiting"],
        serde_json::json!([])
    );
}

fn messages_in(relay: &Relay) -> u64 {
    let url = format!("{}/metrics", relay.url);
    let Ok(response) = http::get(&url) else {
        return 0;
    };
    response
        .lines()
        .find_map(|l| l.strip_prefix("quaderno_messages_in_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0) as u64
}

#[test]
fn a_member_of_only_one_group_never_sees_the_other_groups_notes_in_its_store_or_on_the_wire() {
    // Anna is in Palermo and Trieste; Teo only in Trieste, and his traffic is recorded.
    let c = Community::new(&["palermo", "trieste"]);
    let anna = c.participant("Anna", "Palermo", &["palermo", "trieste"]);
    let proxy = RecordingProxy::start(&c.relay.url);
    let teo = Quaderno::fresh();
    teo.ok(&["init", "--name", "Teo", "--city", "Trieste"]);
    let code = c.relay.invite("trieste", "editor");
    teo.ok(&["join", &proxy.url, &code]);

    let secret = note_id(
        &anna,
        &[
            "new",
            "--group",
            "palermo",
            "--title",
            "Caso riservato",
            "--body",
            "SEGRETO-PALERMO-1234",
        ],
    );
    let shared = note_id(
        &anna,
        &[
            "new",
            "--group",
            "trieste",
            "--title",
            "Verbale comune",
            "--body",
            "per tutti",
        ],
    );
    let personal = note_id(
        &anna,
        &["new", "--title", "Mio", "--body", "PERSONALE-5678"],
    );
    anna.ok(&["sync"]);
    teo.ok(&["sync"]);

    // Teo has Trieste's note and nothing else.
    assert_eq!(body(&teo, &shared), "per tutti");
    let listed = teo.json(&["list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    // Not in his store files, not in what the relay sent him.
    for file in ["quaderno.sqlite3", "quaderno.sqlite3-wal"] {
        let bytes = std::fs::read(teo.data_dir().join(file)).unwrap_or_default();
        for needle in [
            secret.as_bytes(),
            b"SEGRETO-PALERMO",
            personal.as_bytes(),
            b"PERSONALE-5678",
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{file} holds {}",
                String::from_utf8_lossy(needle)
            );
        }
    }
    assert!(
        proxy.saw(shared.as_bytes()),
        "the recording works: the shared note crossed it"
    );
    assert!(
        !proxy.saw(secret.as_bytes()),
        "a Palermo note id reached Teo"
    );
    assert!(
        !proxy.saw(personal.as_bytes()),
        "a personal note id reached Teo"
    );
    assert!(!proxy.saw(b"SEGRETO-PALERMO"), "Palermo's text reached Teo");
    // And the relay itself never received Anna's personal note.
    let relay_db = std::fs::read(c.relay.data_dir.join("relay.sqlite3")).unwrap();
    assert!(
        !relay_db
            .windows(personal.len())
            .any(|w| w == personal.as_bytes())
    );
}

#[test]
fn a_group_whose_relay_refuses_the_device_stops_with_a_clear_message_while_the_others_go_on() {
    let c = Community::new(&["prato", "firenze"]);
    let anna = c.participant("Anna", "Prato", &["prato", "firenze"]);
    anna.ok(&["sync"]);
    let members = c
        .relay
        .admin(&["--json", "member", "list", "--group", "prato"]);
    let members: serde_json::Value = serde_json::from_str(&members).unwrap();
    let list = members
        .as_array()
        .or_else(|| members["members"].as_array())
        .expect("a member list");
    let anna_id = list[0]["participant_id"]
        .as_i64()
        .or_else(|| list[0]["id"].as_i64())
        .expect("an id")
        .to_string();
    c.relay
        .admin(&["member", "remove", "--group", "prato", &anna_id]);
    let id = note_id(
        &anna,
        &[
            "new",
            "--group",
            "firenze",
            "--title",
            "Ancora qui",
            "--body",
            "si",
        ],
    );

    let run = anna.run(&["sync"]);

    assert_eq!(run.code, 2, "stdout: {} stderr: {}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("refused this device for group `prato`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("firenze") && run.stdout.contains("synced"),
        "{}",
        run.stdout
    );
    let bruno = c.participant("Bruno", "Firenze", &["firenze"]);
    bruno.ok(&["sync"]);
    assert_eq!(body(&bruno, &id), "si", "Firenze went on");
    // The refusal is remembered: no more attempts until a new join.
    let status = anna.json(&["status", "--offline"]);
    let prato = status["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "prato")
        .unwrap();
    assert!(prato["refused"].is_string(), "{status}");
}

#[test]
fn a_personal_note_moved_into_a_group_is_shared_from_then_on() {
    let c = Community::new(&["roma"]);
    let anna = c.participant("Anna", "Roma", &["roma"]);
    let bruno = c.participant("Bruno", "Roma", &["roma"]);
    let id = note_id(
        &anna,
        &[
            "new",
            "--title",
            "Idea",
            "--body",
            "proporre un laboratorio",
        ],
    );
    anna.ok(&["sync"]);
    bruno.ok(&["sync"]);
    assert_ne!(
        bruno.run(&["show", &id]).code,
        0,
        "a personal note stays personal"
    );

    anna.ok(&["move", &id, "--group", "roma"]);
    anna.ok(&["sync"]);
    bruno.ok(&["sync"]);

    assert_eq!(body(&bruno, &id), "proporre un laboratorio");
    let moved_again = anna.run(&["move", &id, "--group", "roma"]);
    assert_eq!(moved_again.code, 2, "{}", moved_again.stderr);
}
