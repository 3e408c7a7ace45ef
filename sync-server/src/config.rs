//! The resolved configuration of a running relay (the second layer under `cli`'s flags).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use quaderno_sync::Limits;

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
    /// The address participants reach the relay at, printed in the invites admins make from
    /// the page; `None`: the address each request came to.
    pub public_url: Option<String>,
    /// How much one note, one participant and one group may hold.
    pub limits: Limits,
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
            public_url: None,
            limits: Limits {
                note_ops: 500_000,
                change_ops: 100_000,
                note_bytes: 8 * MB,
                member_notes: 2_000,
                member_bytes: 256 * MB,
                group_bytes: 4 * 1024 * MB,
            },
        }
    }
}
