//! Floods against the running relay: thousands of requests for documents that do not exist,
//! floods of tiny messages and of pings, and readers that never read. The relay answers what
//! deserves an answer, slows down and then closes whoever floods it, drops whoever does not
//! read, keeps a bystander of the same group syncing, and its memory does not follow the flood.

use std::time::{Duration, Instant};

use quaderno_model::DocumentId;
use quaderno_tests::bystander::{self, Bystander};
use quaderno_tests::health::{
    MEMORY_RETURNED_AT_ONCE, metric, mib, peak_rss_bytes, reset_peak_rss, rss_bytes,
    settled_rss_bytes,
};
use quaderno_tests::peer::Peer;
use quaderno_tests::raw::{self, RawConn};
use quaderno_tests::relay::{Joined, Relay};

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread")]
async fn thousands_of_requests_for_unknown_documents_are_each_answered_and_cost_nothing_to_keep() {
    // Step 1: Mallory asks for 6,000 made-up ids at once, as a new member of a large group
    // asks for every note, and gets an answer for each. The relay's allocator reaches the
    // high-water mark of such a burst.
    let s = Setup::new(&[]).await;
    let (bruno, note) = bystander::ready(&s.relay, "reggio", "Bruno").await;
    let mallory = s.member("Mallory").await;
    let url = s.relay.sync_url("reggio");
    let mut conn = RawConn::joined(&url, &mallory.token, &mallory.peer_id).await;
    ask_for_made_up_documents(&mut conn, &mallory, 6_000).await;
    let before = settled_rss_bytes(s.relay.pid()).await;

    // Step 2: three more bursts while Bruno edits a note. Under the default limit of 2,000
    // messages a second the relay slows Mallory down, and answers every request.
    let bystander = Bystander::start(bruno, note);
    let started = Instant::now();
    for _ in 0..3 {
        ask_for_made_up_documents(&mut conn, &mallory, 6_000).await;
    }
    let took = started.elapsed();
    assert!(
        !conn.closed,
        "bursts within the limits must not cost the connection"
    );

    // Step 3: Bruno kept syncing, and the relay kept nothing per request. The bound: each
    // unknown document Mallory waits for costs the relay a few hundred bytes and it keeps 64
    // at most; keeping 120 bytes for each of 18,000 requests would be 2 MiB.
    let report = bystander.stop().await;
    eprintln!(
        "18,000 requests answered in {took:?}; Bruno's {} edits acknowledged within {:?}",
        report.round_trips.len(),
        report.slowest()
    );
    report.assert_kept_syncing("requests for unknown documents", 10, Duration::from_secs(2));
    let after = settled_rss_bytes(s.relay.pid()).await;
    eprintln!("resident memory {} -> {}", mib(before), mib(after));
    assert!(
        after.saturating_sub(before) < 2 << 20,
        "the relay grew from {} to {} answering 18,000 requests",
        mib(before),
        mib(after)
    );
}

/// Sends `count` requests for random ids and reads until each got `doc-unavailable`.
async fn ask_for_made_up_documents(conn: &mut RawConn, who: &Joined, count: usize) {
    let answered_before = conn.received("doc-unavailable");
    let frames: Vec<Vec<u8>> = (0..count)
        .map(|_| raw::request(&who.peer_id, &who.relay_peer_id, DocumentId::random()))
        .collect();
    // The answers wait in the relay's outbox and the socket meanwhile: well under its bound.
    let sent = conn.flood(frames).await;
    assert_eq!(sent, count, "the relay stopped taking requests");
    let all = conn
        .read_until(WAIT, |c| {
            c.closed || c.received("doc-unavailable") >= answered_before + count
        })
        .await;
    assert!(
        all && !conn.closed,
        "{} of {count} requests answered, then: {:?}",
        conn.received("doc-unavailable") - answered_before,
        conn.errors()
    );
    conn.forget_received();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_tiny_messages_or_pings_is_slowed_to_the_limit_then_closed() {
    // Step 1: a relay that takes 200 messages a second from a connection; Bruno edits along.
    let s = Setup::new(&["--max-messages-per-sec", "200"]).await;
    let (bruno, note) = bystander::ready(&s.relay, "reggio", "Bruno").await;
    let mallory = s.member("Mallory").await;
    let before = rss_bytes(s.relay.pid());
    reset_peak_rss(s.relay.pid());
    let bystander = Bystander::start(bruno, note);

    for pings in [false, true] {
        // Step 2: Mallory sends 50,000 tiny frames as fast as the socket takes them: pings, or
        // requests for made-up documents (each handled one gets a `doc-unavailable`, which
        // tells how many the relay took).
        let case = if pings { "pings" } else { "tiny requests" };
        let url = s.relay.sync_url("reggio");
        let mut conn = RawConn::joined(&url, &mallory.token, &mallory.peer_id).await;
        let started = Instant::now();
        if pings {
            for _ in 0..50_000 {
                conn.send_ping(b"?").await;
            }
        } else {
            let requests = (0..50_000).map(|_| {
                raw::request(
                    &mallory.peer_id,
                    &mallory.relay_peer_id,
                    DocumentId::random(),
                )
            });
            conn.flood(requests).await;
        }

        // Step 3: the relay read them at its pace, then closed the connection saying why,
        // once it had been over the limit for five seconds straight.
        assert!(conn.read_until_closed(WAIT).await, "{case}: still open");
        let held = started.elapsed();
        let errors = conn.errors();
        assert!(
            errors.iter().any(|e| e.contains("too many messages")),
            "{case}: {errors:?}"
        );
        assert!(
            held >= Duration::from_secs(5),
            "{case}: closed after {held:?}"
        );
        let taken = conn.received("doc-unavailable") as f64;
        let allowed = 200.0 + 200.0 * held.as_secs_f64();
        eprintln!("{case}: {taken} of 50,000 handled in {held:?}");
        assert!(
            taken <= allowed,
            "{case}: the relay handled {taken} in {held:?}"
        );
    }

    // Step 4: Bruno never noticed, and the floods stayed in the sockets, not in the relay. The
    // bound: 100,000 frames of 10 to 110 bytes kept as the relay reads them (a buffer each, and
    // their place in a queue) would be 15 MiB and more; read one at a time, nothing stays.
    let report = bystander.stop().await;
    report.assert_kept_syncing("floods", 10, Duration::from_secs(2));
    let peak = peak_rss_bytes(s.relay.pid());
    eprintln!(
        "resident memory {}, at most {} during the floods",
        mib(before),
        mib(peak)
    );
    assert!(
        peak.saturating_sub(before) < 8 << 20,
        "the relay grew from {} to {} during the floods",
        mib(before),
        mib(peak)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_never_reads_is_dropped_and_what_waited_for_it_freed() {
    // Step 1: Carla shares a note; Mallory asks for it, gets it, and then never reads again.
    let s = Setup::new(&["--max-frame-bytes", "65536"]).await;
    let (bruno, note) = bystander::ready(&s.relay, "reggio", "Bruno").await;
    let carla = s.member("Carla").await;
    let mut carla_peer = Peer::connect(&s.relay.sync_url("reggio"), &carla.token, &carla.peer_id)
        .await
        .expect("Carla connects");
    let board = carla_peer.create("Chi c'è oggi");
    carla_peer.share(board).await;
    bystander::edit_once(&mut carla_peer, board)
        .await
        .expect("the relay has Carla's note");
    let mallory = s.member("Mallory").await;
    let url = s.relay.sync_url("reggio");
    let mut slow = RawConn::joined(&url, &mallory.token, &mallory.peer_id).await;
    slow.send(raw::request(
        &mallory.peer_id,
        &mallory.relay_peer_id,
        board,
    ))
    .await;
    assert!(slow.read_until(WAIT, |c| c.received("sync") > 0).await);
    let before = rss_bytes(s.relay.pid());
    reset_peak_rss(s.relay.pid());
    let bystander = Bystander::start(bruno, note);

    // Step 2: Carla sends 5,000 presence updates of 60 KB about that note: 300 MB that the
    // relay owes Mallory, who reads none of it.
    let presence = vec![b'x'; 60_000];
    for _ in 0..5_000 {
        carla_peer.broadcast(board, &presence).await;
    }

    // Step 3: the relay gave up on Mallory, freed what was waiting for her, and everyone else
    // went on. The bound: what waits for a connection is at most 8 MiB (the relay's floor for
    // the outbox), what the group holds of one connection's frames as much again (Carla's
    // allowance), and the socket's buffers are the kernel's: 16 MiB and some noise. A relay
    // that buffered what Mallory is owed, or queued what Carla sends faster than it forwards,
    // would hold up to 300 MB.
    let dropped = wait_for(&s.relay.url, "quaderno_slow_readers_total", |v| v >= 1.0).await;
    assert!(
        dropped,
        "the relay did not drop the reader that never reads"
    );
    let open = wait_for(&s.relay.url, "quaderno_connections", |v| v == 2.0).await;
    assert!(open, "Bruno and Carla should be the only connections left");
    let peak = peak_rss_bytes(s.relay.pid());
    eprintln!(
        "resident memory {}, at most {} meanwhile",
        mib(before),
        mib(peak)
    );
    assert!(
        peak.saturating_sub(before) < 24 << 20,
        "the relay grew from {} to {} for a reader that never reads",
        mib(before),
        mib(peak)
    );
    let report = bystander.stop().await;
    report.assert_kept_syncing("a reader that never reads", 10, Duration::from_secs(2));
    bystander::edit_once(&mut carla_peer, board)
        .await
        .expect("Carla is still acknowledged");
    assert!(
        slow.read_until_closed(WAIT).await,
        "Mallory finds her connection closed once she reads"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_never_reads_and_is_sent_nothing_is_dropped_when_it_misses_its_pongs() {
    // A relay that pings every second; Mallory joins and then never reads, so never pongs.
    let s = Setup::new(&["--ping-interval-secs", "1"]).await;
    let mallory = s.member("Mallory").await;
    let url = s.relay.sync_url("reggio");
    let joined_at = Instant::now();
    let silent = RawConn::joined(&url, &mallory.token, &mallory.peer_id).await;
    assert_eq!(metric(&s.relay.url, "quaderno_connections").await, 1.0);

    // The relay waits two and a half ping intervals for a pong, then closes.
    let closed = wait_for(&s.relay.url, "quaderno_connections", |v| v == 0.0).await;
    let after = joined_at.elapsed();
    assert!(closed, "the silent connection is still open");
    assert!(
        after >= Duration::from_secs(2),
        "closed after {after:?}, before missing two pongs"
    );
    silent.abandon();
}

/// Polls `/metrics` until `name` satisfies `ok` or fifteen seconds pass.
async fn wait_for(url: &str, name: &str, ok: impl Fn(f64) -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if ok(metric(url, name).await) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

struct Setup {
    relay: Relay,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn new(flags: &[&str]) -> Self {
        quaderno_tests::init_tls();
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::start_with_env(dir.path(), flags, &[MEMORY_RETURNED_AT_ONCE]);
        relay.create_group("reggio");
        Self { relay, _dir: dir }
    }

    async fn member(&self, name: &str) -> Joined {
        let code = self.relay.invite("reggio", "editor");
        self.relay.join(&code, name).await
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.relay.log();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(40)..].join("\n");
            eprintln!("the relay's log:\n{tail}");
        }
    }
}
