//! Support for Quaderno's end-to-end tests: the real `quaderno-server` and `quaderno` binaries
//! started as processes on 127.0.0.1, and a protocol peer that speaks to a relay over a real
//! WebSocket with the same sync engine the client uses.

pub mod bin;
pub mod bystander;
pub mod cli;
pub mod faults;
pub mod files;
pub mod health;
pub mod js;
pub mod peer;
pub mod probe;
pub mod proxy;
pub mod raw;
pub mod relay;
pub mod ui;
pub mod uploads;

/// Installs the TLS crypto provider once (reqwest and tungstenite are built without one).
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
