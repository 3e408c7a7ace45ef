//! The resolved configuration of a running relay (the second layer under `cli`'s flags).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use quaderno_sync::Limits;

use crate::forwarded::TrustedProxies;

const MB: u64 = 1024 * 1024;

/// Everything `relay::serve` needs, already validated and resolved.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Directory holding the relay's SQLite file.
    pub data_dir: PathBuf,
    /// Address the HTTP and WebSocket listener binds to.
    pub listen: SocketAddr,
    /// Largest WebSocket frame accepted; a bigger one closes that connection.
    pub max_frame_bytes: usize,
    /// A group with no connection for this long is flushed and dropped from memory.
    pub group_idle: Duration,
    /// Interval between pings; a connection that misses a pong for two intervals is closed.
    pub ping_interval: Duration,
    /// Messages a connection may send per second before it is closed for flooding.
    pub max_messages_per_sec: u32,
    /// How long a new connection may stay silent before its first message (the protocol's
    /// `join`): one that sends nothing is closed, so idle sockets cannot pile up.
    pub join_timeout: Duration,
    /// Timeouts and caps on HTTP connections, before anyone is authenticated.
    pub http: HttpLimits,
    /// WebSockets one device may hold open at once, across its groups; one more is refused
    /// with 429, so a device's token cannot pile up connections.
    pub max_connections_per_device: usize,
    /// The address participants reach the relay at, printed in the invites admins make from
    /// the page; `None`: the address each request came to.
    pub public_url: Option<String>,
    /// How much one note, one participant and one group may hold.
    pub limits: Limits,
    /// The certificate and key to serve HTTPS with; `None`: plain HTTP, for a relay behind a
    /// proxy that terminates TLS.
    pub tls: Option<TlsFiles>,
    /// The proxies whose `X-Forwarded-For` says who the client is; from any other peer the
    /// header is ignored, since anyone can send it.
    pub trusted_proxies: TrustedProxies,
}

impl ServeConfig {
    /// The defaults documented in `quaderno-server serve --help`.
    pub fn new(data_dir: PathBuf, listen: SocketAddr) -> Self {
        Self {
            data_dir,
            listen,
            max_frame_bytes: 16 * 1024 * 1024,
            group_idle: Duration::from_secs(60),
            ping_interval: Duration::from_secs(15),
            max_messages_per_sec: 2_000,
            join_timeout: Duration::from_secs(10),
            http: HttpLimits::default(),
            // One a group for a device in many groups, and room for reconnects overlapping the
            // connections they replace.
            max_connections_per_device: 64,
            public_url: None,
            limits: Limits {
                note_ops: 500_000,
                change_ops: 100_000,
                note_bytes: 8 * MB,
                member_notes: 2_000,
                member_bytes: 256 * MB,
                group_bytes: 4 * 1024 * MB,
            },
            tls: None,
            trusted_proxies: TrustedProxies::default(),
        }
    }
}

/// Where the relay's certificate chain and private key are, as PEM files: read at start, and
/// again on SIGHUP, so a renewed certificate is served without a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The server's certificate, then the intermediates that lead to a trusted root.
    pub cert: PathBuf,
    /// The private key of the certificate (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// How long an HTTP connection may take over each step, and how many the relay keeps.
///
/// A connection that has not yet sent a complete request (a new one, one whose request body
/// is still arriving, and a kept-alive one between requests) is *unproven*: it costs the relay
/// a socket and has shown nothing. When a cap is reached, the oldest unproven connection is
/// closed to make room for the new one, so half-sent requests can never lock anyone out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// From connecting to the end of the first request's head.
    pub header_timeout: Duration,
    /// From the end of a request's head to the end of its body.
    pub body_timeout: Duration,
    /// From an answer to the end of the next request's head on a kept-alive connection.
    pub idle_timeout: Duration,
    /// Open connections in all, WebSockets included; lowered at start to what the file
    /// limit allows.
    pub max_connections: usize,
    /// Open connections from one address (behind a proxy, all of the proxy's).
    pub max_connections_per_address: usize,
    /// Unproven connections; over it, the oldest is closed for each new one.
    pub max_unproven_connections: usize,
}

impl Default for HttpLimits {
    /// Generous for any client, tight for one that holds sockets without using them: a
    /// request head is sent at once by every client and proxy; a body of the API's 16 KiB
    /// takes seconds on the slowest line; the idle timeout outlasts the 90 s a `quaderno`
    /// client keeps an idle connection, so the client closes first; 1,024 unproven
    /// connections hold at most 16 MiB of unfinished heads.
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
            max_connections: 10_000,
            max_connections_per_address: 4_096,
            max_unproven_connections: 1_024,
        }
    }
}
