//! Serving the relay's routes over HTTP/1 with its own timeouts and caps.
//!
//! `axum::serve` has no header, body or idle timeout, nor a cap on connections: half-sent
//! requests once held every file descriptor the relay had. This is its accept loop with those
//! added, on hyper's HTTP/1 connection (upgrades for WebSockets, graceful shutdown as axum's).
//! What to keep and until when is decided in [`admission`]; this module only does it:
//!
//! - a socket is accepted only with a permit of the file budget ([`files`]), held until the
//!   socket closes, WebSockets included, so `accept` never runs out of descriptors;
//! - each connection is let in by the table, which may name an older unproven one to close;
//! - each connection task closes its socket when the table's deadline for it passes;
//! - with TLS ([`tls`]), the handshake is part of the first request's head: the same deadline,
//!   and the connection stays unproven until a request has come through it;
//! - each request carries the client's [`ClientAddr`]: the peer's, or from a trusted proxy
//!   the one its `X-Forwarded-For` names ([`crate::forwarded`]).

mod admission;
mod files;
mod tls;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use http_body::{Body as _, Frame, SizeHint};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::metrics::Metrics;
use crate::api::ClientAddr;
use crate::config::HttpLimits;
use crate::forwarded::TrustedProxies;
use admission::{Admission, Admitted, Key, Refused, Timeout};
pub use tls::Tls;

/// The longest request head read: the API's requests carry a token and little else.
const MAX_HEAD_BYTES: usize = 16 * 1024;

type Table = Arc<Mutex<Admission<CancellationToken>>>;

/// How connections are taken before the routes see them.
#[derive(Debug)]
pub struct Setup {
    pub limits: HttpLimits,
    /// HTTPS with this certificate; `None`: plain HTTP.
    pub tls: Option<Tls>,
    /// Whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
}

/// Serves `router` on `listener` until `shutdown`, then lets requests under way finish (for at
/// most `grace`). WebSockets are not waited for: they close with the relay's shutdown token.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    setup: Setup,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
    grace: Duration,
) -> anyhow::Result<()> {
    let Setup {
        limits,
        tls,
        trusted_proxies,
    } = setup;
    let file_limit = files::raise_limit();
    let sockets = files::socket_budget(file_limit).map_err(anyhow::Error::msg)?;
    let limits = HttpLimits {
        max_connections: limits.max_connections.min(sockets),
        ..limits
    };
    tracing::info!(
        max_connections = limits.max_connections,
        file_limit,
        header_timeout = ?limits.header_timeout,
        body_timeout = ?limits.body_timeout,
        idle_timeout = ?limits.idle_timeout,
        tls = tls.is_some(),
        trusted_proxies = %trusted_proxies,
        "serving HTTP"
    );
    let server = Server {
        router,
        table: Arc::new(Mutex::new(Admission::new(limits))),
        metrics,
        shutdown,
        tls,
        trusted_proxies: Arc::new(trusted_proxies),
    };
    let files = Arc::new(Semaphore::new(sockets));
    let tasks = TaskTracker::new();
    while let Some((tcp, remote, permit)) = server.accept(&listener, &files).await {
        if let Some(connection) = server.admit(tcp, remote, permit) {
            tasks.spawn(connection.run());
        }
    }
    drop(listener);
    tasks.close();
    if tokio::time::timeout(grace, tasks.wait()).await.is_err() {
        tracing::warn!("some requests did not finish within {grace:?}");
    }
    Ok(())
}

/// What the accept loop and every connection task share.
#[derive(Clone)]
struct Server {
    router: Router,
    table: Table,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
    tls: Option<Tls>,
    trusted_proxies: Arc<TrustedProxies>,
}

impl Server {
    /// The next connection and its file permit; `None` once the relay shuts down.
    async fn accept(
        &self,
        listener: &TcpListener,
        files: &Arc<Semaphore>,
    ) -> Option<(TcpStream, SocketAddr, OwnedSemaphorePermit)> {
        loop {
            // Wait for a descriptor before taking a connection: one too many and `accept`
            // itself would fail. Sockets closed to make room give theirs back in a moment.
            let permit = tokio::select! {
                permit = files.clone().acquire_owned() => permit.expect("never closed"),
                () = self.shutdown.cancelled() => return None,
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = self.shutdown.cancelled() => return None,
            };
            match accepted {
                Ok((tcp, remote)) => return Some((tcp, remote, permit)),
                Err(error) if is_connection_error(&error) => {}
                Err(error) => {
                    // Not expected within the file budget; do not spin on it.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(100)) => {}
                        () = self.shutdown.cancelled() => return None,
                    }
                }
            }
        }
    }

    /// Lets the connection in, or tells it why not and closes it.
    fn admit(
        &self,
        tcp: TcpStream,
        remote: SocketAddr,
        permit: OwnedSemaphorePermit,
    ) -> Option<Connection> {
        // Sync messages are small and interactive: send each at once rather than wait for the
        // peer to acknowledge the previous one (Nagle's algorithm).
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "cannot disable Nagle's algorithm on a connection");
        }
        let close = CancellationToken::new();
        let admitted =
            lock(&self.table).admit(remote.ip().to_canonical(), Instant::now(), close.clone());
        let Admitted { key, evicted } = match admitted {
            Ok(admitted) => admitted,
            Err(refused) => {
                self.metrics.http_refused.inc();
                tracing::debug!(%refused, "refusing a connection");
                refuse(&tcp, refused);
                return None;
            }
        };
        if let Some(evicted) = evicted {
            self.metrics.http_evicted.inc();
            evicted.cancel();
        }
        self.metrics.http_connections.inc();
        let tracker = Arc::new(Tracker {
            table: self.table.clone(),
            key,
            metrics: self.metrics.clone(),
        });
        let socket = Socket {
            tcp,
            _tracker: tracker.clone(),
            _permit: permit,
        };
        Some(Connection {
            socket,
            session: Session {
                server: self.clone(),
                remote,
                tracker,
                close,
            },
        })
    }
}

/// One accepted connection, served by its own task.
struct Connection {
    socket: Socket,
    session: Session,
}

/// What serving a connection needs beside its stream.
struct Session {
    server: Server,
    remote: SocketAddr,
    tracker: Arc<Tracker>,
    /// Cancelled when the table closes the connection to make room.
    close: CancellationToken,
}

impl Connection {
    async fn run(self) {
        let Connection { socket, session } = self;
        let Some(tls) = session.server.tls.clone() else {
            return session.serve(socket).await;
        };
        let handshake = tls.acceptor().accept(socket);
        // Unproven until its first request: the header deadline covers the handshake too.
        tokio::select! {
            result = handshake => match result {
                Ok(stream) => session.serve(stream).await,
                Err(error) => {
                    // Plain HTTP sent to the HTTPS port ends here too.
                    tracing::debug!(%error, "a TLS handshake failed");
                }
            },
            timeout = session.tracker.expired() => {
                session.server.metrics.http_timed_out.inc();
                tracing::debug!(reason = %timeout, "closing a connection during its TLS handshake");
            }
            () = session.close.cancelled() => {
                tracing::debug!("closing an unproven connection during its TLS handshake to make room");
            }
            () = session.server.shutdown.cancelled() => {}
        }
    }
}

impl Session {
    /// Serves HTTP/1 on the connection's stream (plain or TLS) until it ends.
    async fn serve<S>(self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Session {
            server,
            remote,
            tracker,
            close,
        } = self;
        let service = hyper::service::service_fn({
            let tracker = tracker.clone();
            let router = server.router.clone();
            let proxies = server.trusted_proxies.clone();
            move |request: Request<Incoming>| {
                let client = client_addr(&proxies, remote, &request);
                handle(router.clone(), tracker.clone(), client, request)
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .max_buf_size(MAX_HEAD_BYTES)
            // The table's deadlines instead: hyper's would also end idle connections.
            .header_read_timeout(None)
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::pin!(conn);
        let mut draining = false;
        loop {
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "an HTTP connection ended");
                    }
                    return;
                }
                timeout = tracker.expired() => {
                    server.metrics.http_timed_out.inc();
                    tracing::debug!(reason = %timeout, "closing an HTTP connection");
                    return;
                }
                () = close.cancelled() => {
                    tracing::debug!("closing an unproven HTTP connection to make room");
                    return;
                }
                () = server.shutdown.cancelled(), if !draining => {
                    if tracker.is_unproven() {
                        return;
                    }
                    draining = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Answers one request through the router, telling the table where the connection is.
async fn handle(
    router: Router,
    tracker: Arc<Tracker>,
    client: ClientAddr,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    tracker.request(request.body().is_end_stream());
    let mut request = request.map(|body| {
        Body::new(Watched {
            body,
            tracker: tracker.clone(),
        })
    });
    // The API limits joins by the client's address.
    request.extensions_mut().insert(client);
    let response = router.oneshot(request).await?;
    tracker.answered(response.status() == StatusCode::SWITCHING_PROTOCOLS);
    Ok(response)
}

/// Who sent the request: the peer, or the client a trusted proxy names.
fn client_addr(
    proxies: &TrustedProxies,
    remote: SocketAddr,
    request: &Request<Incoming>,
) -> ClientAddr {
    let forwarded_for = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        // A value that is not text stops the walk like any entry that is not an address.
        .map(|value| value.to_str().unwrap_or("?"));
    ClientAddr(proxies.client(remote.ip(), forwarded_for))
}

/// Tells a connection it was not let in, as far as its socket takes it at once, and closes.
fn refuse(tcp: &TcpStream, refused: Refused) {
    let status = match refused {
        Refused::Full { .. } => "503 Service Unavailable",
        Refused::AddressFull { .. } => "429 Too Many Requests",
    };
    let body = format!("{refused}\n");
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\n\
         retry-after: 60\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tcp.try_write(response.as_bytes());
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

fn lock(table: &Table) -> MutexGuard<'_, Admission<CancellationToken>> {
    table.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A connection's place in the table, for as long as its socket is open: it travels inside
/// the socket, into the WebSocket if the connection becomes one.
struct Tracker {
    table: Table,
    key: Key,
    metrics: Arc<Metrics>,
}

impl Tracker {
    fn request(&self, body_complete: bool) {
        lock(&self.table).request(self.key, Instant::now(), body_complete);
    }

    fn body_complete(&self) {
        lock(&self.table).body_complete(self.key);
    }

    fn answered(&self, upgraded: bool) {
        lock(&self.table).answered(self.key, Instant::now(), upgraded);
    }

    fn is_unproven(&self) -> bool {
        lock(&self.table).is_unproven(self.key)
    }

    /// Waits until the connection's deadline passes, and says which it was.
    async fn expired(&self) -> Timeout {
        loop {
            let now = Instant::now();
            let (deadline, recheck) = {
                let table = lock(&self.table);
                (table.deadline(self.key), table.recheck())
            };
            // A deadline set later is never sooner than `recheck` after it is set.
            let wake = match deadline {
                Some((at, timeout)) if at <= now => return timeout,
                Some((at, _)) => at.min(now + recheck),
                None => now + recheck,
            };
            tokio::time::sleep_until(wake.into()).await;
        }
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        lock(&self.table).remove(self.key);
        self.metrics.http_connections.dec();
    }
}

/// A TCP stream that keeps its file permit and its place in the table until it is closed.
struct Socket {
    tcp: TcpStream,
    _tracker: Arc<Tracker>,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// A request's body that tells the table when it has arrived in full.
struct Watched {
    body: Incoming,
    tracker: Arc<Tracker>,
}

impl http_body::Body for Watched {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let frame = ready!(Pin::new(&mut this.body).poll_frame(cx));
        if frame.is_none() || this.body.is_end_stream() {
            this.tracker.body_complete();
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
