//! Presence through a real relay: while a client is live in a note, the other clients in it see
//! who is there (name and city), and stop seeing them once they leave.

use std::time::{Duration, Instant};

use quaderno_client::sync::{Live, Present};
use quaderno_model::DocumentId;
use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use tokio_util::sync::CancellationToken;

async fn wait_for(
    live: &Live,
    doc: &DocumentId,
    limit: Duration,
    done: impl Fn(&[Present]) -> bool,
) -> Vec<Present> {
    let deadline = Instant::now() + limit;
    loop {
        let present = live.present(doc);
        if done(&present) || Instant::now() > deadline {
            return present;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_participant_in_a_note_sees_who_else_is_there() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.create_group("trieste");
    let anna = Quaderno::fresh();
    anna.ok(&["init", "--name", "Anna", "--city", "Trieste"]);
    anna.ok(&["join", &relay.url, &relay.invite("trieste", "editor")]);
    let bruno = Quaderno::fresh();
    bruno.ok(&["init", "--name", "Bruno", "--city", "Bologna"]);
    bruno.ok(&["join", &relay.url, &relay.invite("trieste", "editor")]);
    let created = anna.json(&[
        "new",
        "--group",
        "trieste",
        "--title",
        "Riunione",
        "--body",
        "ordine del giorno",
    ]);
    let note: DocumentId = created["id"].as_str().unwrap().parse().unwrap();
    anna.ok(&["sync"]);
    bruno.ok(&["sync"]);

    // Step 1: both are live, and both open the note.
    let stop = CancellationToken::new();
    let anna_live = Live::start(anna.data_dir(), stop.clone()).unwrap();
    let bruno_live = Live::start(bruno.data_dir(), stop.clone()).unwrap();
    anna_live.enter("trieste", note).await;
    bruno_live.enter("trieste", note).await;

    // Step 2: each sees the other, with name and city.
    let seen_by_anna = wait_for(&anna_live, &note, Duration::from_secs(10), |p| {
        p.iter().any(|x| x.name == "Bruno")
    })
    .await;
    let seen_by_bruno = wait_for(&bruno_live, &note, Duration::from_secs(10), |p| {
        p.iter().any(|x| x.name == "Anna")
    })
    .await;
    assert!(
        seen_by_anna
            .iter()
            .any(|p| p.name == "Bruno" && p.city == "Bologna"),
        "{seen_by_anna:?}"
    );
    assert!(
        seen_by_bruno
            .iter()
            .any(|p| p.name == "Anna" && p.city == "Trieste"),
        "{seen_by_bruno:?}"
    );
    assert!(
        !seen_by_anna.iter().any(|p| p.name == "Anna"),
        "one does not see oneself"
    );

    // Step 3: Bruno leaves the note; Anna sees him go.
    bruno_live.leave("trieste", note).await;
    let after = wait_for(&anna_live, &note, Duration::from_secs(10), |p| p.is_empty()).await;
    assert!(after.is_empty(), "{after:?}");

    stop.cancel();
    anna_live.stopped().await;
    bruno_live.stopped().await;
}
