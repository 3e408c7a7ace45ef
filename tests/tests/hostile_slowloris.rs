//! Holding the relay's sockets without using them: thousands of half-sent requests, a body
//! sent a byte at a time, one device opening WebSocket after WebSocket. The relay closes the
//! oldest half-sent requests to make room, closes the rest when their time is up, cuts a slow
//! body, refuses a device over its share with a sentence saying why, and meanwhile answers
//! `/healthz` and syncs its members.

use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use quaderno_tests::cli::Quaderno;
use quaderno_tests::health::metric;
use quaderno_tests::raw::RawConn;
use quaderno_tests::relay::Relay;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

const HALF_OPEN: usize = 5_000;
/// The relay's default cap on connections that have not sent a complete request.
const UNPROVEN_CAP: usize = 1_024;

#[tokio::test(flavor = "multi_thread")]
async fn five_thousand_half_sent_requests_lock_out_neither_health_checks_nor_members() {
    // Step 1: a relay with a short header timeout (the test must end) and its other limits
    // at their defaults; Anna has joined a group and shared a note.
    quaderno_tests::init_tls();
    raise_own_file_limit(HALF_OPEN + 1_000);
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &["--header-timeout-secs", "15"]);
    relay.create_group("palermo");
    let anna = Quaderno::fresh();
    anna.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    let code = relay.invite("palermo", "editor");
    anna.ok(&["join", &relay.url, &code, "--device", "laptop"]);
    anna.ok(&[
        "new",
        "--group",
        "palermo",
        "--title",
        "Verbale",
        "--body",
        "Presenti: 9.",
    ]);
    anna.ok(&["sync"]);

    // Step 2: Mallory opens 5,000 connections from the same address, sends half a request
    // head on each and never finishes it.
    let flood_started = Instant::now();
    let addr = relay.url.trim_start_matches("http://").to_string();
    let mut half_open = Vec::with_capacity(HALF_OPEN);
    for _ in 0..HALF_OPEN {
        let mut socket = TcpStream::connect(&addr).await.expect("the relay accepts");
        // A write into a socket the relay already closed to make room may fail: that is fine.
        let _ = socket
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Slow: ")
            .await;
        half_open.push(socket);
    }
    eprintln!(
        "{HALF_OPEN} half-open connections in {:?}",
        flood_started.elapsed()
    );

    // Step 3: meanwhile `/healthz` answers and Anna syncs, each within 10 s.
    let healthz = reqwest::Client::new()
        .get(format!("{}/healthz", relay.url))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("/healthz answers during the flood");
    assert_eq!(healthz.status(), 200);
    let sync = run_within(&anna, &["sync"], Duration::from_secs(10));
    assert!(
        sync.status.success(),
        "sync failed during the flood: {}",
        String::from_utf8_lossy(&sync.stderr)
    );

    // The flood was still on: the relay held as many half-sent requests as it keeps, and had
    // closed the oldest of the rest to make room.
    let open = metric(&relay.url, "quaderno_http_connections").await;
    let evicted = metric(&relay.url, "quaderno_http_connections_evicted_total").await;
    eprintln!("{open} connections open, {evicted} closed to make room");
    assert!(
        open >= (UNPROVEN_CAP / 2) as f64 && open <= (UNPROVEN_CAP + 10) as f64,
        "{open} connections open"
    );
    assert!(
        evicted >= (HALF_OPEN - UNPROVEN_CAP) as f64,
        "{evicted} evicted"
    );

    // Step 4: once the header timeout has passed, the relay has closed every one of them.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let closed = join_all(half_open.iter_mut().map(|s| read_until_closed(s, deadline))).await;
    let still_open = closed.iter().filter(|closed| !**closed).count();
    assert_eq!(
        still_open, 0,
        "{still_open} half-open connections still open"
    );
    assert!(
        flood_started.elapsed() >= Duration::from_secs(15),
        "closed before the header timeout"
    );
    let timed_out = metric(&relay.url, "quaderno_http_connections_timed_out_total").await;
    assert!(
        timed_out >= (UNPROVEN_CAP / 2) as f64,
        "{timed_out} timed out"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_sent_a_byte_at_a_time_is_cut_at_the_body_timeout() {
    // Step 1: a relay that gives a request's body 2 s.
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &["--body-timeout-secs", "2"]);
    let addr = relay.url.trim_start_matches("http://").to_string();

    // Step 2: Mallory sends a join's head announcing 200 bytes, then one byte every 200 ms:
    // each arrives well within any timeout between reads, the whole never within 2 s.
    let mut socket = TcpStream::connect(&addr).await.unwrap();
    let head = "POST /v1/join HTTP/1.1\r\nHost: relay\r\ncontent-type: application/json\r\n\
                content-length: 200\r\n\r\n";
    socket.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(10);
    let mut closed = false;
    let mut buf = [0u8; 1024];
    while Instant::now() < deadline && !closed {
        tokio::select! {
            read = socket.read(&mut buf) => closed = matches!(read, Ok(0) | Err(_)),
            () = tokio::time::sleep(Duration::from_millis(200)) => {
                closed = socket.write_all(b" ").await.is_err();
            }
        }
    }

    // Step 3: the relay cut it after the body timeout, not before, and still serves.
    let took = started.elapsed();
    assert!(closed, "a body dribbled for {took:?} is still being read");
    assert!(
        took >= Duration::from_secs(2),
        "cut after {took:?}, before the timeout"
    );
    assert!(took < Duration::from_secs(5), "cut only after {took:?}");
    assert_eq!(
        metric(&relay.url, "quaderno_http_connections_timed_out_total").await,
        1.0
    );
    let healthz = reqwest::get(format!("{}/healthz", relay.url))
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_over_its_websocket_cap_is_refused_with_a_reason() {
    // Step 1: a relay that lets a device hold two WebSockets; Anna's device opens two.
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &["--max-connections-per-device", "2"]);
    relay.create_group("palermo");
    let anna = relay.join(&relay.invite("palermo", "editor"), "Anna").await;
    let url = relay.sync_url("palermo");
    let first = RawConn::open(&url, &anna.token).await.expect("the first");
    let _second = RawConn::open(&url, &anna.token).await.expect("the second");

    // Step 2: the third is refused before the upgrade, with 429 and a sentence saying why.
    let (status, body) = refusal(&url, &anna.token).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body.contains("already holds 2 connections"),
        "the refusal says why: {body}"
    );
    assert_eq!(
        metric(&relay.url, "quaderno_device_connections_refused_total").await,
        1.0
    );

    // Step 3: another member is not affected, and once Anna closes one she may open one.
    let bruno = relay
        .join(&relay.invite("palermo", "editor"), "Bruno")
        .await;
    RawConn::open(&url, &bruno.token)
        .await
        .expect("Bruno connects");
    first.abandon();
    let deadline = Instant::now() + Duration::from_secs(10);
    let reopened = loop {
        match RawConn::open(&url, &anna.token).await {
            Ok(conn) => break Some(conn),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(_) => break None,
        }
    };
    assert!(reopened.is_some(), "a closed WebSocket did not make room");
}

/// What the relay answers a WebSocket upgrade it refuses: the status and the body.
async fn refusal(url: &str, token: &str) -> (u16, String) {
    let mut request = url.into_client_request().unwrap();
    let value = format!("Bearer {token}").parse().unwrap();
    request.headers_mut().insert("authorization", value);
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => panic!("the upgrade was accepted"),
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            (
                response.status().as_u16(),
                String::from_utf8_lossy(&body).into_owned(),
            )
        }
        Err(error) => panic!("the upgrade failed without an answer: {error}"),
    }
}

/// Runs `quaderno ARGS`, killed (and the test failed) if it takes longer than `limit`.
fn run_within(q: &Quaderno, args: &[&str], limit: Duration) -> std::process::Output {
    let child = q
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("quaderno starts");
    let pid = child.id().to_string();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match finished.recv_timeout(limit) {
        Ok(output) => output.expect("quaderno runs"),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status();
            panic!("quaderno {args:?} did not finish within {limit:?}");
        }
    }
}

/// Reads until the relay closes the socket; false if it is still open at `deadline`.
async fn read_until_closed(socket: &mut TcpStream, deadline: tokio::time::Instant) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout_at(deadline, socket.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

/// Raises this process's soft limit on open files to hold `needed` sockets.
fn raise_own_file_limit(needed: usize) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let needed = needed as u64;
    assert!(
        limit.maximum.is_none_or(|hard| hard >= needed),
        "this test holds {needed} sockets: raise the hard limit on open files (ulimit -Hn)"
    );
    if limit.current.is_some_and(|soft| soft < needed) {
        let raised = Rlimit {
            current: limit
                .maximum
                .map(|hard| hard.min(1 << 20))
                .or(Some(1 << 20)),
            maximum: limit.maximum,
        };
        setrlimit(Resource::Nofile, raised).expect("the soft limit can be raised to the hard one");
    }
}
