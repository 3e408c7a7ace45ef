//! A WebSocket that authenticates and then sends nothing is closed once the join deadline
//! passes, with an `error` saying why; one that joins stays, however quiet it is afterwards.

use std::time::Duration;

use quaderno_tests::raw::{self, RawConn};
use quaderno_tests::relay::Relay;

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_that_never_joins_is_closed_after_the_deadline() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &["--join-timeout-secs", "1"]);
    relay.create_group("palermo");
    let anna = relay.join(&relay.invite("palermo", "editor"), "Anna").await;
    let url = relay.sync_url("palermo");

    let mut silent = RawConn::open(&url, &anna.token).await.unwrap();
    assert!(
        silent.read_until_closed(Duration::from_secs(10)).await,
        "a connection that never sends `join` is closed"
    );
    assert!(
        silent
            .errors()
            .iter()
            .any(|e| e.contains("send `join` first")),
        "it is told why: {:?}",
        silent.errors()
    );

    // One that joins and then says nothing stays open past the deadline (it is pinged).
    let mut joined = RawConn::open(&url, &anna.token).await.unwrap();
    joined.send(raw::join(&anna.peer_id)).await;
    assert!(
        joined
            .read_until(Duration::from_secs(5), |c| c.received("peer") > 0)
            .await,
        "the relay answers the join"
    );
    assert!(
        !joined.read_until_closed(Duration::from_secs(3)).await,
        "a joined connection is not closed for being quiet"
    );
}
