//! The relay under test: where it listens, and who each simulated client is.
//!
//! A Quaderno relay needs a device token per client (from `quaderno-bench setup`), and each
//! group has its own sync endpoint. Any other automerge-repo server (the JavaScript reference)
//! takes every client on the URL as given, with a made-up peer id.

use std::net::IpAddr;
use std::path::Path;

use anyhow::{Context, bail};
use quaderno_sync::PeerId;
use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::http::Uri;

use crate::report::TargetInfo;

/// Device tokens for a Quaderno relay, written by `quaderno-bench setup`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tokens {
    pub devices: Vec<Device>,
}

/// One device: its token, the peer id bound to it, and the groups it is a member of.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Device {
    pub token: String,
    pub peer_id: String,
    pub groups: Vec<String>,
}

impl Tokens {
    pub fn load(path: &Path) -> anyhow::Result<Tokens> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read the tokens file {}: create it with `quaderno-bench setup`",
                path.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a tokens file", path.display()))
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// Where a simulated client connects and who it says it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub url: String,
    pub peer: PeerId,
}

/// A relay to drive.
#[derive(Debug, Clone)]
pub struct Target {
    /// `ws://HOST:PORT` plus, for a plain server, the path given.
    base: String,
    tokens: Option<Tokens>,
    /// Distinguishes this run's made-up peer ids from earlier runs' on the same server.
    run_id: String,
    pub pid: Option<u32>,
}

impl Target {
    /// `url` must be a loopback `http://` or `ws://` URL; with `tokens`, it is a Quaderno
    /// relay's base URL.
    pub fn new(url: &str, tokens: Option<Tokens>, pid: Option<u32>) -> anyhow::Result<Target> {
        let base = websocket_url(url)?;
        let run_id = format!("{:08x}", rand::random::<u32>());
        Ok(Target {
            base,
            tokens,
            run_id,
            pid,
        })
    }

    /// How many clients this target can have (devices in the tokens file; any for a plain one).
    pub fn capacity(&self) -> Option<usize> {
        self.tokens.as_ref().map(|t| t.devices.len())
    }

    /// Fails early, with what to do, when the tokens file has fewer devices than a run needs.
    pub fn check_capacity(&self, clients: usize) -> anyhow::Result<()> {
        match self.capacity() {
            Some(have) if have < clients => bail!(
                "the run needs {clients} devices but the tokens file has {have}: \
                 run `quaderno-bench setup --devices {clients}` on the relay's data directory"
            ),
            _ => Ok(()),
        }
    }

    /// Client number `client` on `group`'s sync endpoint.
    pub fn endpoint(&self, client: usize, group: &str) -> anyhow::Result<Endpoint> {
        let Some(tokens) = &self.tokens else {
            return Ok(Endpoint {
                url: self.base.clone(),
                peer: PeerId::new(format!("bench-{}-{client}", self.run_id)),
            });
        };
        let Some(device) = tokens.devices.get(client) else {
            bail!(
                "the tokens file has {} devices, client {client} has none",
                tokens.devices.len()
            );
        };
        if !device.groups.iter().any(|g| g == group) {
            bail!(
                "device {} is not a member of group {group}: run `quaderno-bench setup` for that group",
                device.peer_id
            );
        }
        let base = self.base.trim_end_matches('/');
        Ok(Endpoint {
            url: format!("{base}/v1/groups/{group}/sync?token={}", device.token),
            peer: PeerId::new(device.peer_id.clone()),
        })
    }

    /// The groups client `client`'s device belongs to (none for a plain server).
    pub fn groups_of(&self, client: usize) -> Vec<String> {
        self.tokens
            .as_ref()
            .and_then(|t| t.devices.get(client))
            .map(|d| d.groups.clone())
            .unwrap_or_default()
    }

    pub fn is_quaderno(&self) -> bool {
        self.tokens.is_some()
    }

    pub fn info(&self) -> TargetInfo {
        TargetInfo {
            kind: if self.is_quaderno() {
                "quaderno"
            } else {
                "plain"
            }
            .to_string(),
            url: self.base.clone(),
            relay_pid: self.pid,
        }
    }
}

/// Turns `http://` into `ws://` and refuses anything that is not on this machine.
pub fn websocket_url(url: &str) -> anyhow::Result<String> {
    let uri: Uri = url
        .parse()
        .with_context(|| format!("`{url}` is not a URL: use e.g. ws://127.0.0.1:7878"))?;
    let scheme = uri.scheme_str().unwrap_or("");
    let ws_scheme = match scheme {
        "ws" | "http" => "ws",
        "wss" | "https" => {
            bail!("use a plain ws:// or http:// URL: the relay under test runs on this machine")
        }
        _ => bail!("`{url}` needs a scheme: ws:// or http://"),
    };
    let host = uri.host().with_context(|| format!("`{url}` has no host"))?;
    if !is_loopback(host) {
        bail!(
            "`{host}` is not a loopback address: quaderno-bench only loads relays on this machine \
             (127.0.0.1, ::1 or localhost)"
        );
    }
    let rest = &url[scheme.len()..];
    Ok(format!("{ws_scheme}{rest}"))
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens {
            devices: vec![Device {
                token: "secret".into(),
                peer_id: "peer-a".into(),
                groups: vec!["bench".into()],
            }],
        }
    }

    #[test]
    fn only_loopback_urls_are_accepted() {
        assert_eq!(
            websocket_url("http://127.0.0.1:7878").unwrap(),
            "ws://127.0.0.1:7878"
        );
        assert_eq!(
            websocket_url("ws://localhost:3030/").unwrap(),
            "ws://localhost:3030/"
        );
        assert_eq!(websocket_url("ws://[::1]:9/x").unwrap(), "ws://[::1]:9/x");
        assert!(websocket_url("ws://127.9.9.9:1").is_ok());
        for bad in [
            "ws://10.0.0.1:7878",
            "http://example.org",
            "wss://127.0.0.1:1",
            "127.0.0.1:7878",
            "nonsense",
        ] {
            assert!(websocket_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_quaderno_client_uses_its_device_on_the_group_endpoint() {
        let target = Target::new("http://127.0.0.1:7878", Some(tokens()), None).unwrap();

        let endpoint = target.endpoint(0, "bench").unwrap();

        assert_eq!(
            endpoint.url,
            "ws://127.0.0.1:7878/v1/groups/bench/sync?token=secret"
        );
        assert_eq!(endpoint.peer, PeerId::new("peer-a"));
        assert!(target.endpoint(1, "bench").is_err(), "no second device");
        assert!(target.endpoint(0, "other").is_err(), "not a member");
        assert!(target.check_capacity(2).is_err());
        assert!(target.check_capacity(1).is_ok());
    }

    #[test]
    fn a_plain_server_takes_everyone_on_its_url_with_distinct_peer_ids() {
        let target = Target::new("ws://127.0.0.1:3030", None, None).unwrap();

        let (a, b) = (
            target.endpoint(0, "x").unwrap(),
            target.endpoint(1, "x").unwrap(),
        );

        assert_eq!(a.url, "ws://127.0.0.1:3030");
        assert_ne!(a.peer, b.peer);
        assert!(target.check_capacity(10_000).is_ok());
        assert_eq!(target.info().kind, "plain");
    }
}
