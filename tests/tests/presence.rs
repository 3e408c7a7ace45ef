//! Presence through a real relay: while a page has a note open, the pages of the other clients
//! in it are told who is there (name and city), and told again once they leave.

use std::time::{Duration, Instant};

use quaderno_client::sync::{Live, PageId, Present, ToPage};
use quaderno_model::DocumentId;
use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use tokio::sync::mpsc;
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

/// Reads what the hub sends a page until it says who is in the note and `done` holds, or
/// `limit` passes; returns the last presence heard (`None`: none at all).
async fn page_hears(
    page: &mut mpsc::UnboundedReceiver<ToPage>,
    limit: Duration,
    done: impl Fn(&[Present]) -> bool,
) -> Option<Vec<Present>> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut last = None;
    while let Ok(Some(message)) = tokio::time::timeout_at(deadline, page.recv()).await {
        if let ToPage::Presence { present, .. } = message {
            let finished = done(&present);
            last = Some(present);
            if finished {
                break;
            }
        }
    }
    last
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

    // Step 1: both are live, and both open the note in a page.
    let stop = CancellationToken::new();
    let anna_live = Live::start_serving_pages(anna.data_dir(), stop.clone()).unwrap();
    let bruno_live = Live::start_serving_pages(bruno.data_dir(), stop.clone()).unwrap();
    let (anna_tx, mut anna_page) = mpsc::unbounded_channel();
    let (bruno_tx, mut bruno_page) = mpsc::unbounded_channel();
    assert!(anna_live.open_page(PageId(1), note, anna_tx).await.unwrap());
    assert!(
        bruno_live
            .open_page(PageId(1), note, bruno_tx)
            .await
            .unwrap()
    );
    let anna_page_saw = page_hears(&mut anna_page, Duration::from_secs(10), |p| {
        p.iter().any(|x| x.name == "Bruno")
    })
    .await;
    assert!(
        anna_page_saw.is_some_and(|p| p.iter().any(|p| p.name == "Bruno")),
        "Anna's page was never told Bruno is there"
    );

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

    // Step 3: Bruno closes the note; Anna's page is told he is gone, within 2 s.
    let _ = bruno_page.try_recv();
    bruno_live.close_page(PageId(1), note).await;
    let after = page_hears(&mut anna_page, Duration::from_secs(2), |p| p.is_empty()).await;
    assert_eq!(
        after,
        Some(Vec::new()),
        "Anna's page was not told Bruno left"
    );
    assert!(anna_live.present(&note).is_empty());

    stop.cancel();
    anna_live.stopped().await;
    bruno_live.stopped().await;
}
