//! Authors the relay vouches for, against the running relay: a member who signs a change with
//! another member's Automerge actor is refused, the change reaches neither the relay's copy
//! nor anyone else, the rightful author goes on writing, and `/authors` names the actor's
//! owner as the relay knows them.

use std::time::Duration;

use automerge::ActorId;
use quaderno_model::DocumentId;
use quaderno_sync::Event;
use quaderno_tests::bystander;
use quaderno_tests::peer::Peer;
use quaderno_tests::probe::{self, Credentials};
use quaderno_tests::relay::{Joined, Relay};
use serde::Deserialize;

const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Deserialize)]
struct Authors {
    authors: Vec<Author>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Author {
    actor: String,
    participant_id: i64,
    name: String,
    device_id: i64,
}

async fn member(relay: &Relay, name: &str) -> Joined {
    let code = relay.invite("palermo", "editor");
    relay.join(&code, name).await
}

async fn connect(relay: &Relay, who: &Joined) -> Peer {
    Peer::connect(&relay.sync_url("palermo"), &who.token, &who.peer_id)
        .await
        .expect("a member connects")
}

/// Syncs a note the peer does not hold until the relay says both sides are in sync.
async fn fetch(peer: &mut Peer, note: DocumentId) {
    peer.share(note).await;
    let in_sync = |p: &Peer| {
        p.body(note).is_some()
            && p.events
                .iter()
                .any(|e| matches!(e, Event::InSync { doc, .. } if *doc == note))
    };
    assert!(
        peer.pump_until(WAIT, in_sync).await,
        "the note reaches the peer"
    );
}

async fn authors(relay: &Relay, token: &str) -> Vec<Author> {
    let url = format!("{}/v1/groups/palermo/authors", relay.url);
    let answer = probe::get(&url, &Credentials::Bearer(token.into())).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let parsed: Authors = serde_json::from_slice(&answer.body).expect("a JSON list of authors");
    parsed.authors
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_signed_with_another_devices_actor_is_refused_and_reaches_nobody() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.create_group("palermo");
    let rita = member(&relay, "Rita Bruni").await;
    let mallory = member(&relay, "Mallory").await;
    let carla = member(&relay, "Carla Neri").await;

    // Step 1: Rita writes the minutes, signed with her actor X; the relay acknowledges them.
    let mut rita_peer = connect(&relay, &rita).await;
    let note = rita_peer.create("Verbale del terzo incontro");
    let x: ActorId = rita_peer.docs[&note].get_actor().clone();
    rita_peer.share(note).await;
    bystander::edit_once(&mut rita_peer, note)
        .await
        .expect("the relay acknowledges Rita's note");

    // Step 2: Mallory fetches the note and signs a change of his own with X.
    let mut mallory_peer = connect(&relay, &mallory).await;
    fetch(&mut mallory_peer, note).await;
    mallory_peer
        .edit(note, |doc| {
            doc.set_actor(x.clone());
        })
        .await;
    mallory_peer.append(note, " (approvato da Rita)").await;

    // Step 3: the relay refuses it with an `error` naming the actor, and closes.
    let refused = |p: &Peer| p.closed && !p.errors().is_empty();
    assert!(
        mallory_peer.pump_until(WAIT, refused).await,
        "the relay refuses Mallory's change: {:?}",
        mallory_peer.errors()
    );
    let errors = mallory_peer.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("belongs to another device") && e.contains(&x.to_hex_string())),
        "{errors:?}"
    );

    // Step 4: a third member syncing the note from the relay does not get Mallory's change.
    let mut carla_peer = connect(&relay, &carla).await;
    fetch(&mut carla_peer, note).await;
    let body = carla_peer.body(note).unwrap();
    assert_eq!(body, "Verbale del terzo incontro.");

    // Step 5: Rita's later changes, signed with X, still go through, and reach Carla.
    rita_peer.append(note, " Approvato.").await;
    let arrived = |p: &Peer| {
        p.body(note)
            .is_some_and(|b| b == "Verbale del terzo incontro. Approvato.")
    };
    assert!(
        carla_peer.pump_until(WAIT, arrived).await,
        "Rita's change reaches Carla: {:?}",
        carla_peer.body(note)
    );
    assert!(rita_peer.errors().is_empty(), "{:?}", rita_peer.errors());

    // Step 6: the relay names X's author as it knows her, to any member.
    let listed = authors(&relay, &carla.token).await;
    let x_hex = x.to_hex_string();
    let owners: Vec<&Author> = listed.iter().filter(|a| a.actor == x_hex).collect();
    assert_eq!(owners.len(), 1, "{listed:?}");
    assert_eq!(owners[0].name, "Rita Bruni");
    assert!(
        owners[0].participant_id > 0 && owners[0].device_id > 0,
        "{listed:?}"
    );
    assert!(
        listed.iter().all(|a| a.name != "Mallory"),
        "Mallory owns no actor: {listed:?}"
    );

    // And only members may ask.
    let url = format!("{}/v1/groups/palermo/authors", relay.url);
    let stranger = probe::get(&url, &Credentials::Bearer("not-a-token".into())).await;
    assert_eq!(stranger.status, 401, "{}", stranger.text());
}
