//! The relay as its users meet it: the real `quaderno-server` on 127.0.0.1, real admin commands,
//! real WebSockets carrying the automerge-repo protocol.

use std::time::{Duration, Instant};

use quaderno_model::DocumentId;
use quaderno_sync::{Message, PeerId};
use quaderno_tests::peer::{ConnectError, Peer};
use quaderno_tests::relay::{Joined, Relay};
use tokio_tungstenite::tungstenite::http::StatusCode;

const WAIT: Duration = Duration::from_secs(10);

struct Setup {
    relay: Relay,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn new(groups: &[&str]) -> Self {
        quaderno_tests::init_tls();
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::start(dir.path(), &[]);
        for group in groups {
            relay.create_group(group);
        }
        Self { relay, _dir: dir }
    }

    async fn member(&self, group: &str, role: &str, name: &str) -> Joined {
        let code = self.relay.invite(group, role);
        self.relay.join(&code, name).await
    }

    async fn connect(&self, group: &str, who: &Joined) -> Peer {
        Peer::connect(&self.relay.sync_url(group), &who.token, &who.peer_id)
            .await
            .expect("a member connects")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_editors_of_a_group_sync_a_note_through_the_relay() {
    // Step 1: Anna and Bruno join the group "palermo" as editors.
    let s = Setup::new(&["palermo"]);
    let anna = s.member("palermo", "editor", "Anna").await;
    let bruno = s.member("palermo", "editor", "Bruno").await;
    let mut anna_peer = s.connect("palermo", &anna).await;
    let mut bruno_peer = s.connect("palermo", &bruno).await;

    // Step 2: Anna shares a note; Bruno asks for it by id and gets it.
    let note = anna_peer.create("Verbale: accoglienza in via Maqueda");
    anna_peer.share(note).await;
    assert!(
        anna_peer
            .pump_until(WAIT, |p| p
                .events
                .iter()
                .any(|e| matches!(e, quaderno_sync::Event::InSync { .. })))
            .await
    );
    bruno_peer.share(note).await;
    assert!(
        bruno_peer
            .pump_until(WAIT, |p| p
                .body(note)
                .is_some_and(|b| b.contains("Maqueda")))
            .await
    );

    // Step 3: Anna keeps typing and Bruno sees it without asking again.
    anna_peer.append(note, " (ore 17)").await;
    assert!(
        bruno_peer
            .pump_until(WAIT, |p| p
                .body(note)
                .is_some_and(|b| b.ends_with("(ore 17)")))
            .await
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn another_groups_member_asking_for_a_note_by_id_gets_doc_unavailable_like_an_unknown_id() {
    let s = Setup::new(&["palermo", "trieste"]);
    let anna = s.member("palermo", "editor", "Anna").await;
    let teo = s.member("trieste", "editor", "Teo").await;
    let mut anna_peer = s.connect("palermo", &anna).await;
    let note = anna_peer.create("solo per il gruppo di Palermo");
    anna_peer.share(note).await;
    assert!(
        anna_peer
            .pump_until(WAIT, |p| p
                .events
                .iter()
                .any(|e| matches!(e, quaderno_sync::Event::InSync { .. })))
            .await
    );

    // Teo knows the id and asks on his own group's endpoint; then asks for a made-up id.
    let mut teo_peer = s.connect("trieste", &teo).await;
    teo_peer.share(note).await;
    let unknown = DocumentId::random();
    teo_peer.share(unknown).await;

    assert!(
        teo_peer
            .pump_until(WAIT, |p| p.unavailable(note) && p.unavailable(unknown))
            .await
    );
    assert_eq!(teo_peer.body(note), None);

    // And he cannot even open Palermo's endpoint.
    let refused = Peer::connect(&s.relay.sync_url("palermo"), &teo.token, &teo.peer_id).await;
    assert!(matches!(
        refused,
        Err(ConnectError::Refused(StatusCode::FORBIDDEN))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_readers_edit_never_reaches_the_editor() {
    let s = Setup::new(&["prato"]);
    let editor = s.member("prato", "editor", "Elena").await;
    let reader = s.member("prato", "reader", "Rita").await;
    let mut editor_peer = s.connect("prato", &editor).await;
    let mut reader_peer = s.connect("prato", &reader).await;
    let note = editor_peer.create("Verbale approvato.");
    editor_peer.share(note).await;
    assert!(
        editor_peer
            .pump_until(WAIT, |p| p
                .events
                .iter()
                .any(|e| matches!(e, quaderno_sync::Event::InSync { .. })))
            .await
    );
    reader_peer.share(note).await;
    assert!(
        reader_peer
            .pump_until(WAIT, |p| p.body(note).is_some())
            .await
    );

    reader_peer.append(note, " MODIFICATO DA RITA").await;
    reader_peer.pump_for(Duration::from_millis(500)).await;
    editor_peer.pump_for(Duration::from_millis(500)).await;

    assert_eq!(
        editor_peer.body(note).as_deref(),
        Some("Verbale approvato.")
    );
    // A fresh editor connection reads what the relay stored.
    let late = s.connect("prato", &editor).await;
    let mut late = late;
    late.share(note).await;
    assert!(late.pump_until(WAIT, |p| p.body(note).is_some()).await);
    assert_eq!(late.body(note).as_deref(), Some("Verbale approvato."));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_device_is_refused_and_its_open_connection_closed_within_a_second() {
    let s = Setup::new(&["roma"]);
    let laptop = s.member("roma", "editor", "Marco").await;
    let mut peer = s.connect("roma", &laptop).await;
    let devices = s.relay.admin(&["--json", "device", "list"]);
    let devices: serde_json::Value = serde_json::from_str(&devices).unwrap();
    let id = devices
        .as_array()
        .or_else(|| devices["devices"].as_array())
        .and_then(|list| {
            list.iter()
                .find(|d| d["peer_id"] == laptop.peer_id.as_str())
        })
        .map(|d| d["id"].to_string())
        .expect("the device is listed");

    let revoked_at = Instant::now();
    s.relay.admin(&["device", "revoke", &id]);

    assert!(peer.pump_until(Duration::from_secs(3), |p| p.closed).await);
    let took = revoked_at.elapsed();
    // The admin command itself is a process start; the relay's part is what must stay under a second.
    assert!(
        took < Duration::from_millis(2500),
        "closed {took:?} after the revoke command started"
    );
    let again = Peer::connect(&s.relay.sync_url("roma"), &laptop.token, &laptop.peer_id).await;
    assert!(matches!(
        again,
        Err(ConnectError::Refused(StatusCode::UNAUTHORIZED))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_or_missing_token_gets_401_before_any_socket() {
    let s = Setup::new(&["bologna"]);
    for token in ["", "qdt_notarealtoken", "garbage with spaces"] {
        let refused = Peer::connect(&s.relay.sync_url("bologna"), token, "peer-x").await;
        assert!(
            matches!(
                refused,
                Err(ConnectError::Refused(StatusCode::UNAUTHORIZED))
            ),
            "{token:?}: {refused:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_join_with_another_devices_peer_id_is_refused() {
    let s = Setup::new(&["ravenna"]);
    let anna = s.member("ravenna", "editor", "Anna").await;
    let bruno = s.member("ravenna", "editor", "Bruno").await;

    let spoofed = Peer::connect(&s.relay.sync_url("ravenna"), &anna.token, &bruno.peer_id).await;

    assert!(spoofed.is_err(), "joining as someone else must not work");
}

#[tokio::test(flavor = "multi_thread")]
async fn ephemeral_messages_reach_the_other_peers_of_the_note() {
    let s = Setup::new(&["firenze"]);
    let anna = s.member("firenze", "editor", "Anna").await;
    let bruno = s.member("firenze", "editor", "Bruno").await;
    let mut anna_peer = s.connect("firenze", &anna).await;
    let mut bruno_peer = s.connect("firenze", &bruno).await;
    let note = anna_peer.create("riunione");
    anna_peer.share(note).await;
    assert!(
        anna_peer
            .pump_until(WAIT, |p| p
                .events
                .iter()
                .any(|e| matches!(e, quaderno_sync::Event::InSync { .. })))
            .await
    );
    bruno_peer.share(note).await;
    assert!(
        bruno_peer
            .pump_until(WAIT, |p| p.body(note).is_some())
            .await
    );

    anna_peer.broadcast(note, b"Anna (Firenze)").await;

    let heard = |p: &Peer| {
        p.events.iter().any(|e| {
            matches!(e, quaderno_sync::Event::Ephemeral { sender, data, .. }
            if sender.as_str() == anna.peer_id && data == b"Anna (Firenze)")
        })
    };
    assert!(bruno_peer.pump_until(WAIT, heard).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn stopping_and_restarting_the_relay_loses_nothing_it_acknowledged() {
    for stop in ["SIGTERM", "SIGKILL"] {
        let mut s = Setup::new(&["trieste"]);
        let anna = s.member("trieste", "editor", "Anna").await;
        let mut peer = s.connect("trieste", &anna).await;
        let note = peer.create("prima riga");
        peer.share(note).await;
        for i in 0..20 {
            peer.append(note, &format!("\nriga {i}")).await;
        }
        // Acknowledged: the relay told us it holds exactly our heads.
        let heads = peer.docs[&note].get_heads();
        let acked = |p: &Peer| {
            p.events
                .iter()
                .any(|e| matches!(e, quaderno_sync::Event::InSync { heads: h, .. } if *h == heads))
        };
        assert!(
            peer.pump_until(WAIT, acked).await,
            "{stop}: the relay acknowledged"
        );

        if stop == "SIGTERM" {
            let status = s.relay.terminate();
            assert!(status.success(), "SIGTERM exits 0, got {status}");
        } else {
            s.relay.kill();
        }
        s.relay.restart();

        let mut fresh = Peer::connect(&s.relay.sync_url("trieste"), &anna.token, &anna.peer_id)
            .await
            .expect("reconnects");
        fresh.share(note).await;
        assert!(
            fresh
                .pump_until(WAIT, |p| p
                    .body(note)
                    .is_some_and(|b| b.ends_with("riga 19")))
                .await,
            "{stop}: the note came back whole: {:?}",
            fresh.body(note)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn health_and_metrics_answer() {
    let s = Setup::new(&["rimini"]);
    let anna = s.member("rimini", "editor", "Anna").await;
    let mut peer = s.connect("rimini", &anna).await;
    let note = peer.create("x");
    peer.share(note).await;
    assert!(
        peer.pump_until(WAIT, |p| p
            .events
            .iter()
            .any(|e| matches!(e, quaderno_sync::Event::InSync { .. })))
            .await
    );

    let health = reqwest::get(format!("{}/healthz", s.relay.url))
        .await
        .unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let metrics = reqwest::get(format!("{}/metrics", s.relay.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "quaderno_connections 1",
        "quaderno_messages_in_total",
        "quaderno_bytes_out_total",
        "quaderno_sync_errors_total",
        "quaderno_message_handling_seconds_bucket",
        "quaderno_documents_in_memory",
    ] {
        assert!(metrics.contains(name), "{name} missing from:\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misbehaving_connection_is_closed_with_an_error_while_others_keep_syncing() {
    let s = Setup::new(&["reggio"]);
    let anna = s.member("reggio", "editor", "Anna").await;
    let bruno = s.member("reggio", "editor", "Bruno").await;
    let mut bruno_peer = s.connect("reggio", &bruno).await;
    let note = bruno_peer.create("si continua");
    bruno_peer.share(note).await;

    let wrong_sender = Message::Sync {
        sender: PeerId::new("somebody-else"),
        target: PeerId::new("relay"),
        document: note,
        data: vec![0x42, 0, 0, 0, 0],
    }
    .encode();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("random bytes", vec![0xde, 0xad, 0xbe, 0xef]),
        ("a foreign sender id", wrong_sender),
    ];
    for (name, frame) in cases {
        let mut anna_peer = s.connect("reggio", &anna).await;
        anna_peer.send_raw(frame).await;
        assert!(
            anna_peer.pump_until(WAIT, |p| p.closed).await,
            "{name}: closed"
        );
        assert!(
            !anna_peer.errors().is_empty(),
            "{name}: told why: {:?}",
            anna_peer.events
        );

        bruno_peer.append(note, ".").await;
        let expected = bruno_peer.docs[&note].get_heads();
        assert!(
            bruno_peer
                .pump_until(WAIT, |p| p.events.iter().any(|e| matches!(e, quaderno_sync::Event::InSync { heads, .. } if *heads == expected)))
                .await,
            "{name}: Bruno keeps syncing"
        );
    }

    let mut texter = s.connect("reggio", &anna).await;
    texter.send_text("{\"type\":\"join\"}").await;
    assert!(
        texter.pump_until(WAIT, |p| p.closed).await,
        "a text frame closes the connection"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_purged_note_leaves_the_index_of_live_peers_and_cannot_be_uploaded_again() {
    // Anna shares a note that holds a child's name by mistake, and lists it in the group index.
    let s = Setup::new(&["palermo"]);
    let anna = s.member("palermo", "editor", "Anna").await;
    let index: DocumentId = anna.group.index_doc.parse().unwrap();
    let mut peer = s.connect("palermo", &anna).await;
    let note = peer.create("Il bambino si chiama ...");
    peer.share(note).await;
    peer.share(index).await;
    assert!(
        peer.pump_until(WAIT, |p| p
            .docs
            .get(&index)
            .is_some_and(|d| quaderno_model::index_entries(d).is_ok()))
            .await
    );
    let author = quaderno_model::Author {
        name: "Anna".into(),
        city: "Palermo".into(),
    };
    peer.edit(index, |d| {
        quaderno_model::add_to_index(d, &note, &author, chrono::Utc::now()).unwrap();
    })
    .await;
    let listed = peer.docs[&index].get_heads();
    assert!(
        peer.pump_until(WAIT, |p| p.events.iter().any(
            |e| matches!(e, quaderno_sync::Event::InSync { heads, .. } if *heads == listed)
        ))
        .await
    );

    // The coordinating body purges it while the relay is serving.
    s.relay.admin(&[
        "note",
        "purge",
        "--reason",
        "test",
        "--group",
        "palermo",
        &note.to_string(),
    ]);

    // The relay closes the group's connections (code 4002, "note erased"), so that clients
    // reconnect and learn the erasure. Anna's index, back on the relay, has lost the entry,
    // and nobody can fetch or re-upload the note.
    assert!(
        peer.pump_until(WAIT, |p| p.closed).await,
        "the relay closes the group's connections after an erasure"
    );
    let held = peer.docs.remove(&note).expect("Anna still holds the note");
    let mut peer = s.connect("palermo", &anna).await;
    peer.share(index).await;
    let gone = |p: &Peer| {
        p.docs
            .get(&index)
            .is_some_and(|d| !quaderno_model::index_entries(d).unwrap().contains(&note))
    };
    assert!(
        peer.pump_until(WAIT, gone).await,
        "the index still lists the purged note"
    );
    // Anna's client lists it in the index again: the relay takes it off at once.
    peer.edit(index, |d| {
        quaderno_model::add_to_index(d, &note, &author, chrono::Utc::now()).unwrap();
    })
    .await;
    assert!(
        peer.pump_until(WAIT, |p| {
            p.docs.get(&index).is_some_and(|d| {
                let heads = d.get_heads().len();
                heads == 1 && !quaderno_model::index_entries(d).unwrap().contains(&note)
            })
        })
        .await,
        "the relay takes an erased note off the index again"
    );

    // Anna's client still holds the note and tries to send it again, with one more edit.
    peer.docs.insert(note, held);
    peer.share(note).await;
    peer.append(note, " (ancora)").await;
    peer.pump_for(Duration::from_millis(300)).await;
    let bruno = s.member("palermo", "editor", "Bruno").await;
    let mut bruno_peer = s.connect("palermo", &bruno).await;
    bruno_peer.share(note).await;
    assert!(bruno_peer.pump_until(WAIT, |p| p.unavailable(note)).await);
    assert_eq!(bruno_peer.body(note), None);
}
