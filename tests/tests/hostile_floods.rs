//! Floods against the running relay: thousands of requests for documents that do not exist,
//! floods of tiny messages and of pings, and readers that never read. The relay answers what
//! deserves an answer, slows down and then closes whoever floods it, drops whoever does not
//! read, keeps a bystander of the same group syncing, and its memory does not follow the flood.

use std::time::{Duration, Instant};

use quaderno_model::DocumentId;
use quaderno_sync::{Message, PeerId};
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
    // at most; keeping 180 bytes for each of 18,000 requests would be 3 MiB.
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
        after.saturating_sub(before) < 3 << 20,
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
        // The relay's timers fire on whole milliseconds (tokio's wheel), so its five seconds
        // can end a fraction of a millisecond before ours.
        assert!(
            held >= Duration::from_secs(5) - Duration::from_millis(2),
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
    // Step 1: Carla shares a large note; Bruno edits another note of the group.
    let s = Setup::new(&["--max-frame-bytes", "2097152"]).await;
    let (bruno, note) = bystander::ready(&s.relay, "reggio", "Bruno").await;
    let (mut carla_peer, large) = s.large_note("Carla").await;
    let before = rss_bytes(s.relay.pid());
    reset_peak_rss(s.relay.pid());
    let bystander = Bystander::start(bruno, note);

    // Step 2: Mallory asks for the note every 10 ms for three seconds, each time as a peer that
    // has nothing, and never reads: 300 copies of 250 KB, 75 MB that the relay owes her.
    let mallory = s.member("Mallory").await;
    let url = s.relay.sync_url("reggio");
    let mut slow = RawConn::joined(&url, &mallory.token, &mallory.peer_id).await;
    for _ in 0..300 {
        slow.send(raw::request(
            &mallory.peer_id,
            &mallory.relay_peer_id,
            large,
        ))
        .await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Step 3: the relay gave up on Mallory, freed what was waiting for her, and everyone else
    // went on. The bound: what waits for a connection is at most 8 MiB (the relay's floor for
    // its outbox) and the socket's buffers are the kernel's; the rest is a copy of the note
    // being encoded. A relay that buffered what Mallory is owed would hold 75 MB.
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
        peak.saturating_sub(before) < 16 << 20,
        "the relay grew from {} to {} for a reader that never reads",
        mib(before),
        mib(peak)
    );
    let report = bystander.stop().await;
    report.assert_kept_syncing("a reader that never reads", 10, Duration::from_secs(2));
    bystander::edit_once(&mut carla_peer, large)
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

    /// A member who shared a large note: 400 KB of letters that do not compress (250 KB on
    /// the wire), acknowledged by the relay.
    async fn large_note(&self, name: &str) -> (Peer, DocumentId) {
        let who = self.member(name).await;
        let mut peer = Peer::connect(&self.relay.sync_url("reggio"), &who.token, &who.peer_id)
            .await
            .expect("the member connects");
        let large = peer.create(&letters(400_000));
        peer.share(large).await;
        bystander::edit_once(&mut peer, large)
            .await
            .expect("the relay has the large note");
        (peer, large)
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

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_large_presence_messages_does_not_cost_the_others_their_connection() {
    // Step 1: Bruno edits a note; Mallory, a member too, asks for it, and so hears and is heard
    // by everyone syncing it.
    let s = Setup::new(&[]).await;
    let (bruno, note) = bystander::ready(&s.relay, "reggio", "Bruno").await;
    let mallory = s.member("Mallory").await;
    let url = s.relay.sync_url("reggio");
    let mut conn = RawConn::joined(&url, &mallory.token, &mallory.peer_id).await;
    conn.send(raw::request(&mallory.peer_id, &mallory.relay_peer_id, note))
        .await;
    assert!(conn.read_until(WAIT, |c| c.received("sync") > 0).await);
    let bystander = Bystander::start(bruno, note);

    // Step 2: Mallory sends 3,000 presence messages of 60 KB as fast as she can: 180 MB for
    // Bruno, who reads as fast as his machine lets him.
    let presence = vec![b'x'; 60_000];
    let frames = (1..=3_000u64).map(|count| {
        Message::Ephemeral {
            sender: PeerId::new(&mallory.peer_id),
            target: PeerId::new(&mallory.relay_peer_id),
            document: note,
            session_id: "mallory".into(),
            count,
            data: presence.clone(),
        }
        .encode()
    });
    conn.flood(frames).await;

    // Step 3: Bruno's connection survived and his edits were acknowledged throughout.
    let report = bystander.stop().await;
    report.assert_kept_syncing("presence flood", 3, Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn asking_again_and_again_for_a_large_note_does_not_starve_the_group() {
    // Step 1: Carla shares a large note; Bruno edits another note of the same group.
    let s = Setup::new(&["--max-frame-bytes", "2097152"]).await;
    let (bruno, note) = bystander::ready(&s.relay, "reggio", "Bruno").await;
    let (_carla, large) = s.large_note("Carla").await;
    let bystander = Bystander::start(bruno, note);

    // Step 2: five times over, Mallory asks for it 500 times at once, each time as a peer
    // that has nothing (which tells automerge to send everything again), then for a made-up
    // id: its answer comes after every answer to the 500.
    let mallory = s.member("Mallory").await;
    let url = s.relay.sync_url("reggio");
    let mut conn = RawConn::joined(&url, &mallory.token, &mallory.peer_id).await;
    for round in 1..=5 {
        let asks = (0..500).map(|_| raw::request(&mallory.peer_id, &mallory.relay_peer_id, large));
        conn.flood(asks).await;
        let sentinel = DocumentId::random();
        conn.send(raw::request(
            &mallory.peer_id,
            &mallory.relay_peer_id,
            sentinel,
        ))
        .await;
        assert!(
            conn.read_until(WAIT, |c| c.received("doc-unavailable") == round)
                .await,
            "{:?}",
            conn.errors()
        );
    }

    // Step 3: the relay answered in batches, not with the whole note once per request (2,500
    // copies, 600 MB), and Bruno's edits were acknowledged throughout.
    let copies = conn.received("sync");
    let bytes: usize = conn.frames.iter().map(Vec::len).sum();
    eprintln!("{copies} copies of the note sent, {bytes} bytes");
    assert!((5..=250).contains(&copies), "{copies} copies");
    let report = bystander.stop().await;
    report.assert_kept_syncing(
        "repeated requests for a large note",
        3,
        Duration::from_secs(2),
    );
}

/// Letters that do not compress, the same every run.
fn letters(len: usize) -> String {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}
