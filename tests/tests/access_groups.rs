//! Attacks on groups and their notes against the running relay: a member of one group at
//! another's door, a removed member coming back, a note id of another group, a reader writing,
//! a device joining under someone else's peer id. Each fails, and no answer tells an existing
//! group, note or device from one that does not exist.

use std::time::{Duration, Instant};

use quaderno_model::DocumentId;
use quaderno_sync::{Event, Message, PeerId};
use quaderno_tests::bystander;
use quaderno_tests::peer::Peer;
use quaderno_tests::probe::{self, Answer, Credentials};
use quaderno_tests::raw::{self, RawConn};
use quaderno_tests::relay::{Joined, Relay};

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

    /// A note shared by `who`, acknowledged by the relay.
    async fn shared_note(&self, peer: &mut Peer, text: &str) -> DocumentId {
        let note = peer.create(text);
        peer.share(note).await;
        bystander::edit_once(peer, note)
            .await
            .expect("the relay acknowledges the note");
        note
    }

    /// What the sync endpoint and the changes endpoint of `group` answer `token`.
    async fn refusals(&self, group: &str, token: &str) -> Vec<Answer> {
        let mut answers = Vec::new();
        for credentials in [
            Credentials::Bearer(token.into()),
            Credentials::Query(token.into()),
        ] {
            let url = self.relay.sync_url(group);
            match probe::upgrade(&url, &credentials).await {
                Ok(_) => panic!("{group}: the sync endpoint opened"),
                Err(answer) => answers.push(answer),
            }
        }
        let changes = format!("{}/v1/groups/{group}/changes", self.relay.url);
        answers.push(probe::get(&changes, &Credentials::Bearer(token.into())).await);
        answers
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_groups_endpoint_refuses_a_member_exactly_as_a_group_that_does_not_exist() {
    let s = Setup::new(&["palermo", "trieste"]);
    let teo = s.member("trieste", "editor", "Teo").await;

    let nowhere = s.refusals("nowhere", &teo.token).await;
    for answer in &nowhere {
        assert_eq!(answer.status, 403, "{}", answer.text());
        assert_eq!(answer.code(), "forbidden");
    }
    for group in [
        "palermo",
        "PALERMO",
        "palermo%2F..",
        "..%2Fpalermo",
        "trieste%00",
    ] {
        assert_eq!(s.refusals(group, &teo.token).await, nowhere, "{group}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_member_is_cut_off_within_a_second_and_then_refused_like_a_stranger() {
    // Rosa edits a note of Palermo's group and belongs to Trieste's too; Teo has never been a
    // member of Palermo's.
    let s = Setup::new(&["palermo", "trieste"]);
    let rosa = s.member("palermo", "editor", "Rosa").await;
    s.relay
        .join_with_token(&s.relay.invite("trieste", "editor"), &rosa.token)
        .await;
    let teo = s.member("trieste", "editor", "Teo").await;
    let mut peer = s.connect("palermo", &rosa).await;
    s.shared_note(&mut peer, "Verbale").await;
    let stranger = s.refusals("palermo", &teo.token).await;

    // The coordinator removes her from the group while she is connected.
    s.relay
        .admin(&["member", "remove", "--group", "palermo", "Rosa"]);
    let removed_at = Instant::now();
    assert!(peer.pump_until(Duration::from_secs(3), |p| p.closed).await);
    let took = removed_at.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "closed {took:?} after the removal"
    );

    // Coming back, she gets what a stranger gets, byte for byte; her token still works for the
    // group she is still in.
    assert_eq!(s.refusals("palermo", &rosa.token).await, stranger);
    let me = probe::get(
        &format!("{}/v1/me", s.relay.url),
        &Credentials::Bearer(rosa.token.clone()),
    )
    .await;
    assert_eq!(me.status, 200);
    assert!(!me.text().contains("palermo"), "{}", me.text());
    assert!(me.text().contains("trieste"), "{}", me.text());

    // Removed from her last group, her device is signed out: the answer of a revoked token.
    s.relay
        .admin(&["member", "remove", "--group", "trieste", "Rosa"]);
    let me = probe::get(
        &format!("{}/v1/me", s.relay.url),
        &Credentials::Bearer(rosa.token.clone()),
    )
    .await;
    assert_eq!(me.status, 401, "{}", me.text());
    let revoked = s.refusals("palermo", &rosa.token).await;
    assert!(revoked.iter().all(|a| a.status == 401), "{revoked:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_known_note_of_another_group_is_unavailable_exactly_like_one_that_does_not_exist() {
    // Step 1: Anna shares a note in Palermo's group. Teo, of Trieste, learns its id.
    let s = Setup::new(&["palermo", "trieste"]);
    let anna = s.member("palermo", "editor", "Anna").await;
    let teo = s.member("trieste", "editor", "Teo").await;
    let mut anna_peer = s.connect("palermo", &anna).await;
    let note = s
        .shared_note(&mut anna_peer, "Solo per il gruppo di Palermo")
        .await;

    // Step 2: on his own group's endpoint he asks for it, then for a made-up id.
    let url = s.relay.sync_url("trieste");
    let mut conn = RawConn::joined(&url, &teo.token, &teo.peer_id).await;
    conn.forget_received();
    let made_up = DocumentId::random();
    for doc in [note, made_up] {
        conn.send(raw::request(&teo.peer_id, &teo.relay_peer_id, doc))
            .await;
    }
    assert!(
        conn.read_until(WAIT, |c| c.frames.len() >= 2).await,
        "{:?}",
        conn.messages()
    );
    conn.read_until(Duration::from_millis(300), |_| false).await;

    // Step 3: two answers, each exactly what a document that does not exist gets.
    let expected = |doc| {
        Message::DocUnavailable {
            sender: PeerId::new(&teo.relay_peer_id),
            target: PeerId::new(&teo.peer_id),
            document: doc,
        }
        .encode()
    };
    assert_eq!(conn.frames, vec![expected(note), expected(made_up)]);

    // Step 4: writing under that id on Trieste's endpoint makes a note of Trieste's, as any
    // new id would; Palermo's note neither shows through nor changes.
    let mut teo_peer = s.connect("trieste", &teo).await;
    let mut own = automerge::Automerge::new();
    {
        use automerge::transaction::Transactable;
        let mut tx = own.transaction();
        let body = tx
            .put_object(automerge::ROOT, "body", automerge::ObjType::Text)
            .unwrap();
        tx.splice_text(&body, 0, 0, "Appunti di Trieste").unwrap();
        tx.commit();
    }
    teo_peer.docs.insert(note, own);
    teo_peer.share(note).await;
    bystander::edit_once(&mut teo_peer, note)
        .await
        .expect("Trieste's relay accepts a new note");
    assert_eq!(teo_peer.body(note).as_deref(), Some("Appunti di Trieste."));
    let mut fresh = s.connect("palermo", &anna).await;
    fresh.share(note).await;
    assert!(fresh.pump_until(WAIT, |p| p.body(note).is_some()).await);
    assert_eq!(
        fresh.body(note).as_deref(),
        Some("Solo per il gruppo di Palermo.")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_readers_changes_are_never_stored_nor_passed_on_and_a_reader_creates_nothing() {
    // Step 1: Elena, an editor, shares the approved minutes; Rita, a reader, reads them.
    let s = Setup::new(&["prato"]);
    let elena = s.member("prato", "editor", "Elena").await;
    let rita = s.member("prato", "reader", "Rita").await;
    let mut elena_peer = s.connect("prato", &elena).await;
    let minutes = s.shared_note(&mut elena_peer, "Verbale approvato").await;
    let mut rita_peer = s.connect("prato", &rita).await;
    rita_peer.share(minutes).await;
    assert!(
        rita_peer
            .pump_until(WAIT, |p| p.body(minutes).is_some())
            .await
    );

    // Step 2: Rita edits the minutes and shares a note of her own.
    rita_peer.append(minutes, " MODIFICATO DA RITA").await;
    let her_note = rita_peer.create("Nota di Rita");
    rita_peer.share(her_note).await;
    assert!(
        rita_peer
            .pump_until(WAIT, |p| p.unavailable(her_note))
            .await,
        "a reader's new note is refused like an unknown one"
    );
    elena_peer.pump_for(Duration::from_millis(500)).await;
    assert_eq!(
        elena_peer.body(minutes).as_deref(),
        Some("Verbale approvato.")
    );

    // Step 3: after a restart, the relay's copy is Elena's, and Rita's note does not exist.
    drop(elena_peer);
    drop(rita_peer);
    let mut relay = s.relay;
    let status = relay.terminate();
    assert!(status.success());
    relay.restart();
    let mut late = Peer::connect(&relay.sync_url("prato"), &elena.token, &elena.peer_id)
        .await
        .expect("Elena reconnects");
    late.share(minutes).await;
    late.share(her_note).await;
    assert!(
        late.pump_until(WAIT, |p| p.body(minutes).is_some()
            && p.unavailable(her_note))
            .await
    );
    assert_eq!(late.body(minutes).as_deref(), Some("Verbale approvato."));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_join_under_another_peer_id_is_refused_the_same_way_for_a_real_or_made_up_one() {
    // Bruno is connected and editing; Anna's device tries to join as Bruno, as the relay, and
    // as a device that does not exist.
    let s = Setup::new(&["ravenna"]);
    let anna = s.member("ravenna", "editor", "Anna").await;
    let bruno = s.member("ravenna", "editor", "Bruno").await;
    let mut bruno_peer = s.connect("ravenna", &bruno).await;
    let note = s.shared_note(&mut bruno_peer, "Incontro di Ravenna").await;

    let mut refusals = Vec::new();
    for claimed in [
        bruno.peer_id.as_str(),
        anna.relay_peer_id.as_str(),
        "device-3vQB7B6MrGQZaxCuFTHNKm",
    ] {
        let url = s.relay.sync_url("ravenna");
        let mut conn = RawConn::open(&url, &anna.token)
            .await
            .expect("Anna connects");
        conn.send(raw::join(claimed)).await;
        assert!(conn.read_until_closed(WAIT).await, "{claimed}: still open");
        assert_eq!(conn.received("peer"), 0, "{claimed}: joined");
        refusals.push(conn.frames);
    }
    let expected = Message::Error {
        sender: PeerId::new(&anna.relay_peer_id),
        target: None,
        message: format!("this device must join with peer id {}", anna.peer_id),
    }
    .encode();
    for frames in &refusals {
        assert_eq!(frames, &vec![expected.clone()]);
    }

    // Bruno's connection was never touched.
    bystander::edit_once(&mut bruno_peer, note)
        .await
        .expect("Bruno is still acknowledged");
    assert!(
        !bruno_peer
            .events
            .iter()
            .any(|e| matches!(e, Event::RemoteError { .. })),
        "Bruno was told of an error"
    );
}
