//! A TCP proxy on 127.0.0.1 between clients and a relay that injects network faults: it delays
//! data, cuts connections (sometimes in the middle of a WebSocket frame) and stalls them, at
//! points drawn from a seeded random generator. Faults start and stop with a switch; once they
//! stop, stalled connections resume and new ones pass untouched.
//!
//! The seed comes from `QUADERNO_FAULT_SEED` when set, else from the clock; a test prints it
//! with [`FaultyProxy::seed`] so a failing run names it. Which fault hits which byte also
//! depends on timing, so a seed makes a run likely, not certain, to repeat.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How many faults of each kind the proxy injected so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub connections: u64,
    pub delays: u64,
    pub cuts: u64,
    pub stalls: u64,
}

#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    delays: AtomicU64,
    cuts: AtomicU64,
    stalls: AtomicU64,
}

/// What every connection shares: the switch, the counters, and the seed.
#[derive(Debug)]
struct Shared {
    upstream: String,
    seed: u64,
    /// `true` while faults are on; connections watch it to end their stalls.
    faults: watch::Sender<bool>,
    /// Bumped to cut every open connection at once.
    cut_all: watch::Sender<u64>,
    /// Bumped to freeze every open connection: kept open, never forwarding again.
    freeze_all: watch::Sender<u64>,
    counters: Counters,
    accepted: AtomicUsize,
}

/// A running fault-injecting proxy; stops (and drops every connection) when dropped.
#[derive(Debug)]
pub struct FaultyProxy {
    /// `http://127.0.0.1:PORT`, to give clients instead of the relay's address.
    pub url: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FaultyProxy {
    /// Starts a proxy to `upstream` (`http://HOST:PORT`) with faults off, on a runtime of its
    /// own thread, so tests that run processes synchronously can use it.
    pub fn start(upstream: &str) -> FaultyProxy {
        let seed = std::env::var("QUADERNO_FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(clock_seed);
        let shared = Arc::new(Shared {
            upstream: upstream.trim_start_matches("http://").to_string(),
            seed,
            faults: watch::channel(false).0,
            cut_all: watch::channel(0).0,
            freeze_all: watch::channel(0).0,
            counters: Counters::default(),
            accepted: AtomicUsize::new(0),
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = shared.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(serve(serving, tx, stopped));
        });
        let addr = rx.recv().expect("the proxy started");
        FaultyProxy {
            url: format!("http://{addr}"),
            shared,
            stop: Some(stop),
        }
    }

    /// The seed of this run: set `QUADERNO_FAULT_SEED` to it to replay the same draws.
    pub fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// From now on, delay, cut and stall connections.
    pub fn start_faults(&self) {
        self.shared.faults.send_replace(true);
    }

    /// From now on, pass everything untouched; stalled connections resume.
    pub fn stop_faults(&self) {
        self.shared.faults.send_replace(false);
    }

    /// Cuts every connection open now, whether faults are on or not.
    pub fn cut_all(&self) {
        self.shared.cut_all.send_modify(|n| *n += 1);
    }

    /// Freezes every connection open now: both sockets stay open and nothing passes any more,
    /// as when a NAT forgets a connection. Connections opened afterwards pass as usual.
    pub fn freeze_all(&self) {
        self.shared.freeze_all.send_modify(|n| *n += 1);
    }

    /// How many faults were injected so far.
    pub fn counts(&self) -> FaultCounts {
        let c = &self.shared.counters;
        FaultCounts {
            connections: c.connections.load(Ordering::Relaxed),
            delays: c.delays.load(Ordering::Relaxed),
            cuts: c.cuts.load(Ordering::Relaxed),
            stalls: c.stalls.load(Ordering::Relaxed),
        }
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
}

async fn serve(
    shared: Arc<Shared>,
    started: std::sync::mpsc::Sender<std::net::SocketAddr>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    started
        .send(listener.local_addr().expect("addr"))
        .expect("send");
    // Dropping the runtime at the end of `block_on` cancels every connection task.
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    let n = shared.accepted.fetch_add(1, Ordering::Relaxed) as u64;
                    shared.counters.connections.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(connection(client, shared.clone(), n));
                }
                Err(_) => return,
            },
            _ = &mut stopped => return,
        }
    }
}

/// One client connection: both directions pumped, each with its own draws, until either ends
/// or a fault cuts them both.
async fn connection(mut client: TcpStream, shared: Arc<Shared>, n: u64) {
    let Ok(mut server) = TcpStream::connect(&shared.upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let base = shared.seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut cut = shared.cut_all.subscribe();
    cut.mark_unchanged();
    let mut freeze = shared.freeze_all.subscribe();
    freeze.mark_unchanged();
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let up = pump(&mut cr, &mut sw, &shared, StdRng::seed_from_u64(base));
    let down = pump(&mut sr, &mut cw, &shared, StdRng::seed_from_u64(!base));
    let frozen = tokio::select! {
        _ = up => false,
        _ = down => false,
        _ = cut.changed() => {
            shared.counters.cuts.fetch_add(1, Ordering::Relaxed);
            false
        }
        _ = freeze.changed() => true,
    };
    if frozen {
        // Both sockets stay open until the proxy stops; nothing is read or written.
        std::future::pending::<()>().await;
    }
}

/// What to do with the next chunk read from one side, while faults are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Pass,
    Delay(Duration),
    /// Write only the first `n` bytes, then close the connection both ways.
    Cut(usize),
    /// Forward nothing for a while (or until faults stop), then go on.
    Stall(Duration),
}

fn draw(rng: &mut StdRng, len: usize) -> Fault {
    match rng.random_range(0..100u32) {
        0..4 => Fault::Cut(rng.random_range(0..=len)),
        4..7 => Fault::Stall(Duration::from_millis(rng.random_range(300..3_000))),
        7..30 => Fault::Delay(Duration::from_millis(rng.random_range(5..250))),
        _ => Fault::Pass,
    }
}

async fn pump<R, W>(
    from: &mut R,
    to: &mut W,
    shared: &Shared,
    mut rng: StdRng,
) -> std::io::Result<()>
where
    R: AsyncReadExt + Unpin,
    W: AsyncWriteExt + Unpin,
{
    let mut faults = shared.faults.subscribe();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // Idle connections get cut too: a fault may land while nothing is being said.
        let n = tokio::select! {
            read = from.read(&mut buf) => read?,
            cut = idle_cut(&mut faults, &mut rng) => {
                if cut {
                    shared.counters.cuts.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                continue;
            }
        };
        if n == 0 {
            return to.shutdown().await;
        }
        let fault = if *faults.borrow() {
            draw(&mut rng, n)
        } else {
            Fault::Pass
        };
        match fault {
            Fault::Pass => {}
            Fault::Delay(d) => {
                shared.counters.delays.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(d).await;
            }
            Fault::Cut(keep) => {
                shared.counters.cuts.fetch_add(1, Ordering::Relaxed);
                to.write_all(&buf[..keep]).await?;
                return Ok(());
            }
            Fault::Stall(d) => {
                shared.counters.stalls.fetch_add(1, Ordering::Relaxed);
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = faults.wait_for(|on| !on) => {}
                }
            }
        }
        to.write_all(&buf[..n]).await?;
    }
}

/// Resolves `true` when an idle connection should be cut now (faults on, a random time
/// passed), `false` when the switch changed and the draw must be made again.
async fn idle_cut(faults: &mut watch::Receiver<bool>, rng: &mut StdRng) -> bool {
    if !*faults.borrow_and_update() {
        let _ = faults.changed().await;
        return false;
    }
    let after = Duration::from_millis(rng.random_range(200..4_000));
    tokio::select! {
        _ = tokio::time::sleep(after) => true,
        _ = faults.changed() => false,
    }
}

/// The faults one run drew, for a test's failure message.
pub fn describe(proxy: &FaultyProxy) -> String {
    let c = proxy.counts();
    format!(
        "seed {} (replay with QUADERNO_FAULT_SEED={}): {} connections, {} delays, {} cuts, {} stalls",
        proxy.seed(),
        proxy.seed(),
        c.connections,
        c.delays,
        c.cuts,
        c.stalls
    )
}
