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
