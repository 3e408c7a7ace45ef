//! What the relay and the `quaderno` binary write to their logs, at every level from info up,
//! during a run with joins, syncs and errors: never a token, an invite code or a note's text,
//! and never a line a client made up.

use std::time::Duration;

use quaderno_sync::{Message, PeerId};
use quaderno_tests::bystander;
use quaderno_tests::cli::Quaderno;
use quaderno_tests::peer::Peer;
use quaderno_tests::probe::{self, Credentials};
use quaderno_tests::raw::{self, RawConn};
use quaderno_tests::relay::{Joined, Relay};

/// What a note about a vulnerable person may hold.
const NOTE_TEXT: &str = "Il minore Giovanni Esposito vive con la nonna in via Maqueda";
const NOTE_TITLE: &str = "Segnalazione riservata Esposito";
/// A line a hostile client tries to slip into the relay's log through a field it echoes.
const FORGED: &str = "2026-01-01T00:00:00.000000Z ERROR quaderno_server: forged by a client";

/// Every form a secret may take in a log: as handed out, and as a person may type it.
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![
        secret.to_string(),
        secret.to_lowercase(),
        secret.replace('-', ""),
    ];
    if let Some(body) = secret.strip_prefix("qdt_") {
        forms.push(body.to_string());
    }
    forms
}

#[tokio::test(flavor = "multi_thread")]
async fn the_relays_log_holds_no_token_no_invite_code_no_note_text_and_no_forged_line() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::start(dir.path(), &[]);
    relay.create_group("palermo");
    let mut secrets = Vec::new();

    // Step 1: Anna and Rita join with their codes (Rita types hers in lower case).
    let anna_code = relay.invite("palermo", "editor");
    let rita_code = relay.invite("palermo", "reader");
    let anna = relay.join(&anna_code, "Anna").await;
    let rita = relay
        .join(&rita_code.to_lowercase().replace('-', " "), "Rita")
        .await;
    secrets.extend([&anna_code, &rita_code, &anna.token, &rita.token].map(|s| s.to_string()));

    // Step 2: Anna writes a sensitive note and shares it; Rita reads it through `?token=`.
    let mut anna_peer = connect(&relay, &anna).await;
    let note = anna_peer.create(NOTE_TEXT);
    anna_peer
        .edit(note, |doc| {
            use automerge::transaction::Transactable;
            let mut tx = doc.transaction();
            tx.put(automerge::ROOT, "title", NOTE_TITLE).unwrap();
            tx.commit();
        })
        .await;
    anna_peer.share(note).await;
    bystander::edit_once(&mut anna_peer, note).await.unwrap();
    let url = relay.sync_url("palermo");
    let mut rita_conn = probe::upgrade(&url, &Credentials::Query(rita.token.clone()))
        .await
        .expect("Rita's token opens the endpoint");
    rita_conn.send(raw::join(&rita.peer_id)).await;
    rita_conn
        .send(raw::request(&rita.peer_id, &rita.relay_peer_id, note))
        .await;
    assert!(
        rita_conn
            .read_until(Duration::from_secs(10), |c| c.received("sync") > 0)
            .await
    );
    anna_peer.broadcast(note, NOTE_TITLE.as_bytes()).await;

    // Step 3: everything that goes wrong: wrong and spent codes, wrong tokens in both places,
    // broken frames, a note's text where an id belongs, a forged log line, a revoked device.
    let used_up = relay.invite("palermo", "editor");
    relay.join(&used_up, "Bruno").await;
    // The last character changed, to one it cannot already be.
    let last = if anna.token.ends_with('x') { 'y' } else { 'x' };
    let wrong_token = format!("{}{last}", &anna.token[..anna.token.len() - 1]);
    assert_ne!(wrong_token, anna.token);
    secrets.extend([used_up.clone(), wrong_token.clone()]);
    for code in [used_up.as_str(), "ZZZZ-ZZZZ-ZZZZ-ZZZZ", &anna_code[..9]] {
        join_refused(&relay, code).await;
    }
    for credentials in [
        Credentials::Bearer(wrong_token.clone()),
        Credentials::Query(wrong_token.clone()),
        Credentials::Header(format!("Basic {}", anna.token)),
    ] {
        assert!(probe::upgrade(&url, &credentials).await.is_err());
        let me = probe::get(&format!("{}/v1/me", relay.url), &credentials).await;
        assert_eq!(me.status, 401);
    }
    let mut hostile = RawConn::joined(&url, &anna.token, &anna.peer_id).await;
    for document in [NOTE_TEXT, &format!("x\n{FORGED}\n")] {
        hostile
            .send(sync_with_document_field(&anna, document))
            .await;
        hostile.read_until_closed(Duration::from_secs(10)).await;
        hostile = RawConn::joined(&url, &anna.token, &anna.peer_id).await;
    }
    hostile.send_text(NOTE_TEXT).await;
    hostile.read_until_closed(Duration::from_secs(10)).await;
    let devices: serde_json::Value =
        serde_json::from_str(&relay.admin(&["--json", "device", "list"])).unwrap();
    let rita_device = devices
        .as_array()
        .or_else(|| devices["devices"].as_array())
        .into_iter()
        .flatten()
        .find(|d| d["peer_id"] == rita.peer_id.as_str())
        .map(|d| d["id"].to_string())
        .unwrap();
    relay.admin(&["device", "revoke", &rita_device]);
    assert!(rita_conn.read_until_closed(Duration::from_secs(5)).await);
    assert!(
        probe::upgrade(&url, &Credentials::Query(rita.token.clone()))
            .await
            .is_err()
    );

    // Step 4: the relay stops, and its whole log is read.
    drop(anna_peer);
    assert!(relay.terminate().success());
    let log = relay.log();
    for info in [
        "joined a group",
        "connected",
        "closing a connection",
        "device revoked",
    ] {
        assert!(
            log.contains(info),
            "the log lacks info lines ({info:?}):\n{log}"
        );
    }
    for secret in &secrets {
        for form in forms(secret) {
            assert!(
                !log.contains(&form),
                "the log holds a secret ({form}):\n{log}"
            );
        }
    }
    for text in [NOTE_TEXT, NOTE_TITLE, "Esposito"] {
        assert!(
            !log.contains(text),
            "the log holds note text ({text}):\n{log}"
        );
    }
    assert!(
        !log.lines().any(|line| line.starts_with(FORGED)),
        "a client wrote a line of the relay's log:\n{log}"
    );
}

async fn connect(relay: &Relay, who: &Joined) -> Peer {
    Peer::connect(&relay.sync_url("palermo"), &who.token, &who.peer_id)
        .await
        .expect("a member connects")
}

async fn join_refused(relay: &Relay, code: &str) {
    let body = serde_json::json!({ "code": code, "name": "Mallory", "city": "X", "device": "Y" });
    let response = reqwest::Client::new()
        .post(format!("{}/v1/join", relay.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{code}");
}

/// A `sync` whose `documentId` field holds `text` instead of an id.
fn sync_with_document_field(who: &Joined, text: &str) -> Vec<u8> {
    let placeholder = quaderno_model::DocumentId::from_bytes([9; 16]);
    let frame = Message::Sync {
        sender: PeerId::new(&who.peer_id),
        target: PeerId::new(&who.relay_peer_id),
        document: placeholder,
        data: raw::EMPTY_SYNC_MESSAGE.to_vec(),
    }
    .encode();
    // The id is a 28-character text string (header 0x78 0x1c); put `text` in its place.
    let id = placeholder.to_string();
    let at = frame
        .windows(id.len())
        .position(|w| w == id.as_bytes())
        .expect("the id is in the frame");
    let mut out = frame[..at - 2].to_vec();
    out.push(0x78);
    out.push(u8::try_from(text.len()).expect("a short text"));
    out.extend(text.as_bytes());
    out.extend(&frame[at + id.len()..]);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_quaderno_binary_logs_no_note_text_and_no_secret_at_info() {
    // Step 1: a relay and an invite, for `quaderno join`.
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.create_group("palermo");
    let code = relay.invite("palermo", "editor");

    // Step 2: Anna's whole offline day, and her join, with logs at info.
    let anna = Quaderno::fresh();
    let markdown = anna.data_dir().with_file_name("segnalazione.md");
    std::fs::write(
        &markdown,
        format!("---\ntitle: {NOTE_TITLE}\ntags: [riservato]\n---\n\n{NOTE_TEXT}\n"),
    )
    .unwrap();
    let out_dir = anna.data_dir().with_file_name("export");
    let markdown_path = markdown.to_str().unwrap();
    let out_path = out_dir.to_str().unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec!["init", "--name", "Anna", "--city", "Palermo"],
        vec!["new", "--title", "Esposito, appunti", "--body", NOTE_TEXT],
        vec!["import", markdown_path],
        vec!["list"],
        vec!["search", "Esposito"],
        vec!["show", NOTE_TITLE],
        vec!["tag", NOTE_TITLE, "+minori"],
        vec!["log", NOTE_TITLE],
        vec!["export", "--all", "--out", out_path],
        vec!["rm", NOTE_TITLE],
        vec!["restore", NOTE_TITLE],
        vec!["show", "does not exist"],
        vec!["join", &relay.url, &code],
    ];
    let mut stderr = String::new();
    let mut stdout = String::new();
    for args in &runs {
        let mut command = anna.command(args);
        command.env("QUADERNO_LOG", "info");
        let run = anna.run_command(command, "");
        stderr.push_str(&run.stderr);
        stdout.push_str(&run.stdout);
    }

    // Step 3: the commands did their work (the notes are there, the join went through) ...
    assert!(stdout.contains(NOTE_TEXT), "show prints the note: {stdout}");
    let joined = relay.admin(&["member", "list", "--group", "palermo"]);
    assert!(joined.contains("Anna"), "{joined}\n{stderr}");
    // ... and nothing on stderr holds the note, the code or the token the relay handed out,
    // though it did log at info.
    assert!(
        stderr.contains("migrating schema"),
        "no info lines:\n{stderr}"
    );
    for text in [NOTE_TEXT, NOTE_TITLE, "Esposito"] {
        assert!(
            !stderr.contains(text),
            "stderr holds note text ({text}):\n{stderr}"
        );
    }
    for form in forms(&code) {
        assert!(
            !stderr.contains(&form),
            "stderr holds the invite code:\n{stderr}"
        );
    }
    assert!(!stderr.contains("qdt_"), "stderr holds a token:\n{stderr}");
    assert!(!stdout.contains("qdt_"), "stdout holds a token:\n{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn at_trace_neither_the_client_nor_the_relay_logs_a_token() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start_with_env(dir.path(), &[], &[("RUST_LOG", "trace")]);
    relay.create_group("palermo");
    let anna = Quaderno::fresh();
    anna.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    anna.ok(&["join", &relay.url, &relay.invite("palermo", "editor")]);
    anna.ok(&[
        "new", "--group", "palermo", "--title", "Verbale", "--body", NOTE_TEXT,
    ]);
    let mut command = anna.command(&["sync"]);
    command.env("QUADERNO_LOG", "trace");
    let run = anna.run_command(command, "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("TRACE"),
        "the client logged at trace: {}",
        run.stderr.len()
    );
    let relays = std::fs::read_to_string(anna.data_dir().join("relays.json")).unwrap();
    let token = relays
        .split('"')
        .find(|part| part.starts_with("qdt_"))
        .expect("the device token in relays.json")
        .to_string();
    let relay_log = relay.log();
    assert!(relay_log.contains("TRACE"), "the relay logged at trace");
    for form in forms(&token) {
        assert!(
            !run.stderr.contains(&form),
            "the client's trace holds the token"
        );
        assert!(
            !relay_log.contains(&form),
            "the relay's trace holds the token"
        );
    }
}
