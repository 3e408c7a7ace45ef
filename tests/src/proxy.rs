//! A TCP proxy on 127.0.0.1 between clients and a relay that records every byte both ways, so
//! a test can say what did (and did not) cross the wire.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy; stops when dropped.
#[derive(Debug)]
pub struct RecordingProxy {
    /// `http://127.0.0.1:PORT`, to give clients instead of the relay's address.
    pub url: String,
    recorded: Arc<Mutex<Vec<u8>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RecordingProxy {
    /// Starts a proxy to `upstream` (`http://HOST:PORT`) on a runtime of its own thread, so
    /// tests that run processes synchronously can use it too.
    pub fn start(upstream: &str) -> RecordingProxy {
        let upstream = upstream.trim_start_matches("http://").to_string();
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let log = recorded.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
                tx.send(listener.local_addr().expect("addr")).expect("send");
                loop {
                    tokio::select! {
                        accepted = listener.accept() => match accepted {
                            Ok((client, _)) => {
                                tokio::spawn(relay(client, upstream.clone(), log.clone()));
                            }
                            Err(_) => return,
                        },
                        _ = &mut stopped => return,
                    }
                }
            });
        });
        let addr = rx.recv().expect("the proxy started");
        RecordingProxy {
            url: format!("http://{addr}"),
            recorded,
            stop: Some(stop),
        }
    }

    /// Everything that crossed the proxy so far, both directions.
    pub fn recorded(&self) -> Vec<u8> {
        self.recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether `needle` appears anywhere in what crossed the proxy.
    pub fn saw(&self, needle: &[u8]) -> bool {
        let haystack = self.recorded();
        !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn relay(mut client: TcpStream, upstream: String, log: Arc<Mutex<Vec<u8>>>) {
    let Ok(mut server) = TcpStream::connect(&upstream).await else {
        return;
    };
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let up = copy(&mut cr, &mut sw, &log);
    let down = copy(&mut sr, &mut cw, &log);
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}

async fn copy<R, W>(from: &mut R, to: &mut W, log: &Mutex<Vec<u8>>) -> std::io::Result<()>
where
    R: AsyncReadExt + Unpin,
    W: AsyncWriteExt + Unpin,
{
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return to.shutdown().await;
        }
        log.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(&buf[..n]);
        to.write_all(&buf[..n]).await?;
    }
}
