//! What `/metrics` reports, in the Prometheus text format.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The relay's counters; shared by every task.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub connections: Gauge,
    pub groups_in_memory: Gauge,
    pub documents_in_memory: Gauge,
    pub messages_in: Counter,
    pub messages_out: Counter,
    pub bytes_in: Counter,
    pub bytes_out: Counter,
    pub sync_errors: Counter,
    pub slow_readers: Counter,
    pub message_seconds: Histogram,
    pub http_connections: Gauge,
    pub http_refused: Counter,
    pub http_evicted: Counter,
    pub http_timed_out: Counter,
    pub device_refused: Counter,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("quaderno");
        let connections = Gauge::default();
        let groups_in_memory = Gauge::default();
        let documents_in_memory = Gauge::default();
        let messages_in = Counter::default();
        let messages_out = Counter::default();
        let bytes_in = Counter::default();
        let bytes_out = Counter::default();
        let sync_errors = Counter::default();
        let slow_readers = Counter::default();
        // 0.1 ms to about 3.3 s, doubling.
        let message_seconds = Histogram::new((0..16).map(|i| 0.0001 * f64::from(1u32 << i)));
        registry.register(
            "connections",
            "Open WebSocket connections",
            connections.clone(),
        );
        registry.register(
            "groups_in_memory",
            "Groups whose sync engine is running",
            groups_in_memory.clone(),
        );
        registry.register(
            "documents_in_memory",
            "Documents whose content is in memory",
            documents_in_memory.clone(),
        );
        registry.register(
            "messages_in",
            "Protocol messages received",
            messages_in.clone(),
        );
        registry.register(
            "messages_out",
            "Protocol messages sent",
            messages_out.clone(),
        );
        registry.register(
            "bytes_in",
            "Bytes of protocol messages received",
            bytes_in.clone(),
        );
        registry.register(
            "bytes_out",
            "Bytes of protocol messages sent",
            bytes_out.clone(),
        );
        registry.register(
            "sync_errors",
            "Connections closed for breaking the protocol, and failed storage writes",
            sync_errors.clone(),
        );
        registry.register(
            "slow_readers",
            "Connections closed because they did not read what the relay sent",
            slow_readers.clone(),
        );
        registry.register(
            "message_handling_seconds",
            "Time from receiving a message (nearly always a sync message) to having queued every message it caused",
            message_seconds.clone(),
        );
        let http_connections = Gauge::default();
        let http_refused = Counter::default();
        let http_evicted = Counter::default();
        let http_timed_out = Counter::default();
        let device_refused = Counter::default();
        registry.register(
            "http_connections",
            "Open TCP connections, WebSockets included",
            http_connections.clone(),
        );
        registry.register(
            "http_connections_refused",
            "Connections refused because every connection allowed was in use",
            http_refused.clone(),
        );
        registry.register(
            "http_connections_evicted",
            "Connections that had not sent a complete request, closed to make room for new ones",
            http_evicted.clone(),
        );
        registry.register(
            "http_connections_timed_out",
            "Connections closed by the header, body or idle timeout",
            http_timed_out.clone(),
        );
        registry.register(
            "device_connections_refused",
            "WebSockets refused because their device already held as many as it may",
            device_refused.clone(),
        );
        Self {
            registry,
            connections,
            groups_in_memory,
            documents_in_memory,
            messages_in,
            messages_out,
            bytes_in,
            bytes_out,
            sync_errors,
            slow_readers,
            message_seconds,
            http_connections,
            http_refused,
            http_evicted,
            http_timed_out,
            device_refused,
        }
    }

    /// The text `/metrics` answers with.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
