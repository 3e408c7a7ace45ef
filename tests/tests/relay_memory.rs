//! The relay's memory follows the active groups: a group nobody uses retires, and what it held
//! is no longer counted (DESIGN.md, "The group is the unit of sync, of access and of memory").

use std::time::{Duration, Instant};

use quaderno_tests::health::metric;
use quaderno_tests::peer::Peer;
use quaderno_tests::relay::Relay;

const WAIT: Duration = Duration::from_secs(10);

/// Polls a metric until it has the wanted value or `limit` passes; returns the last value.
async fn metric_becomes(url: &str, name: &str, wanted: f64, limit: Duration) -> f64 {
    let deadline = Instant::now() + limit;
    loop {
        let value = metric(url, name).await;
        if value == wanted || Instant::now() >= deadline {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retired_group_no_longer_counts_documents_in_memory() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &["--group-idle-secs", "1"]);
    relay.create_group("ravenna");
    let code = relay.invite("ravenna", "editor");
    let anna = relay.join(&code, "Anna").await;

    // Step 1: Anna uploads a note; the group is running with it in memory.
    let mut peer = Peer::connect(&relay.sync_url("ravenna"), &anna.token, &anna.peer_id)
        .await
        .expect("a member connects");
    let note = peer.create("Verbale del gruppo di Ravenna");
    peer.share(note).await;
    assert!(
        peer.pump_until(WAIT, |p| p
            .events
            .iter()
            .any(|e| matches!(e, quaderno_sync::Event::InSync { .. })))
            .await
    );
    assert_eq!(metric(&relay.url, "quaderno_groups_in_memory").await, 1.0);

    // Step 2: she leaves; once the group is idle it retires, and nothing of it is counted.
    peer.close().await;
    let groups = metric_becomes(&relay.url, "quaderno_groups_in_memory", 0.0, 3 * WAIT).await;
    assert_eq!(groups, 0.0, "the idle group never retired");
    assert_eq!(
        metric(&relay.url, "quaderno_documents_in_memory").await,
        0.0,
        "a retired group's documents are still counted"
    );
}
