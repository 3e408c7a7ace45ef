//! Preparing a Quaderno relay for a run: groups and invites through the admin commands on its
//! data directory, then devices through `POST /v1/join`, exactly as participants join.
//!
//! The relay limits joins per client address (a burst of 20, then one every 3 s) and overall
//! (a burst of 200, then 20 a second). On a 127.0.0.1 relay the joins come from a different
//! loopback address every few devices, so only the overall limit applies: about 1,000 devices a
//! minute.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::json;

use crate::target::{Device, Tokens};

/// Joins sent from one loopback address before moving to the next.
const JOINS_PER_ADDRESS: usize = 15;
/// Most uses the relay allows on one invite.
const MAX_USES: usize = 1000;

/// What `setup` needs.
#[derive(Debug, Clone)]
pub struct SetupConfig {
    pub server_bin: PathBuf,
    pub data_dir: PathBuf,
    /// The relay's base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    pub devices: usize,
    pub groups: Vec<String>,
}

/// Group names: `prefix` alone for one group, `prefix-0001`… for more.
pub fn group_names(prefix: &str, count: usize) -> Vec<String> {
    if count == 1 {
        return vec![prefix.to_string()];
    }
    (1..=count).map(|i| format!("{prefix}-{i:04}")).collect()
}

/// Creates the groups (those that exist are kept), joins `devices` new devices to every group,
/// and returns their tokens.
pub async fn run(config: &SetupConfig) -> anyhow::Result<Tokens> {
    let admin = Admin {
        bin: &config.server_bin,
        data_dir: &config.data_dir,
    };
    let existing = admin.groups()?;
    let mut codes = Vec::new();
    for (n, group) in config.groups.iter().enumerate() {
        if !existing.contains(group) {
            admin.run(&["group", "create", group])?;
        }
        codes.push(admin.invites(group, config.devices)?);
        if (n + 1) % 100 == 0 {
            eprintln!("setup: {} of {} groups ready", n + 1, config.groups.len());
        }
    }
    let url = config.url.replacen("ws://", "http://", 1);
    let mut joiner = Joiner::new(&url)?;
    let mut devices = Vec::with_capacity(config.devices);
    for d in 0..config.devices {
        let first = codes[0][d / MAX_USES].clone();
        let joined = joiner
            .join(json!({ "code": first, "name": format!("Bench {d}"), "city": "Bologna", "device": format!("bench-{d}") }), None)
            .await?;
        let token = joined
            .token
            .context("the relay did not return a token for a new device")?;
        for (g, group_codes) in codes.iter().enumerate().skip(1) {
            let code = &group_codes[d / MAX_USES];
            joiner.join(json!({ "code": code }), Some(&token)).await?;
            if (g + 1) % 100 == 0 {
                eprintln!(
                    "setup: device {d} joined {} of {} groups",
                    g + 1,
                    codes.len()
                );
            }
        }
        devices.push(Device {
            token,
            peer_id: joined.peer_id,
            groups: config.groups.clone(),
        });
        if (d + 1) % 50 == 0 {
            eprintln!("setup: {} of {} devices joined", d + 1, config.devices);
        }
    }
    Ok(Tokens { devices })
}

struct Admin<'a> {
    bin: &'a Path,
    data_dir: &'a Path,
}

impl Admin<'_> {
    fn run(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(self.bin)
            .arg("--data-dir")
            .arg(self.data_dir)
            .arg("--json")
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .with_context(|| format!("cannot run {}", self.bin.display()))?;
        if !out.status.success() {
            bail!(
                "quaderno-server {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn groups(&self) -> anyhow::Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Group {
            slug: String,
        }
        let listed: Vec<Group> = serde_json::from_str(&self.run(&["group", "list"])?)
            .context("`group list --json` printed something unexpected")?;
        Ok(listed.into_iter().map(|g| g.slug).collect())
    }

    /// Invite codes for `devices` editors of a group, at most 1,000 uses each.
    fn invites(&self, group: &str, devices: usize) -> anyhow::Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Invite {
            code: String,
        }
        let mut codes = Vec::new();
        let mut left = devices;
        while left > 0 {
            let uses = left.min(MAX_USES).to_string();
            let args = [
                "invite",
                "create",
                "--group",
                group,
                "--role",
                "editor",
                "--uses",
                &uses,
                "--expires",
                "7d",
            ];
            let invite: Invite = serde_json::from_str(&self.run(&args)?)
                .context("`invite create --json` printed something unexpected")?;
            codes.push(invite.code);
            left -= left.min(MAX_USES);
        }
        Ok(codes)
    }
}

#[derive(Debug, Deserialize)]
struct Joined {
    token: Option<String>,
    peer_id: String,
}

/// Sends joins, moving to the next loopback address every few, and waits out rate limits.
struct Joiner {
    url: String,
    loopback_v4: bool,
    sent: usize,
    client: reqwest::Client,
}

impl Joiner {
    fn new(base: &str) -> anyhow::Result<Joiner> {
        let loopback_v4 = base.starts_with("http://127.");
        Ok(Joiner {
            url: format!("{}/v1/join", base.trim_end_matches('/')),
            loopback_v4,
            sent: 0,
            client: client_from(None)?,
        })
    }

    async fn join(
        &mut self,
        body: serde_json::Value,
        token: Option<&str>,
    ) -> anyhow::Result<Joined> {
        if self.loopback_v4 && self.sent.is_multiple_of(JOINS_PER_ADDRESS) {
            self.client = client_from(Some(source_address(self.sent / JOINS_PER_ADDRESS)))?;
        }
        self.sent += 1;
        for _ in 0..600 {
            let mut request = self.client.post(&self.url).json(&body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request
                .send()
                .await
                .with_context(|| format!("the relay at {} does not answer", self.url))?;
            let status = response.status();
            if status.as_u16() == 429 || status.as_u16() == 503 {
                let wait = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(1);
                tokio::time::sleep(Duration::from_millis(wait.clamp(1, 5) * 1000 / 4)).await;
                continue;
            }
            let text = response.text().await.unwrap_or_default();
            if !status.is_success() {
                bail!("joining failed with HTTP {status}: {text}");
            }
            return serde_json::from_str(&text).context("the join answer is not the relay's JSON");
        }
        bail!("the relay kept refusing joins for too long (rate limited)")
    }
}

/// 127.0.0.2, 127.0.0.3, …, 127.0.0.254, 127.0.1.1, …
fn source_address(n: usize) -> IpAddr {
    let n = n % (253 * 250);
    let (high, low) = (n / 253, n % 253 + 2);
    IpAddr::V4(Ipv4Addr::new(127, 0, high as u8, low as u8))
}

fn client_from(address: Option<IpAddr>) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .local_address(address)
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build an HTTP client")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_group_keeps_its_name_many_are_numbered() {
        assert_eq!(group_names("bench", 1), vec!["bench"]);
        assert_eq!(
            group_names("g", 3),
            vec!["g-0001".to_string(), "g-0002".into(), "g-0003".into()]
        );
    }

    #[test]
    fn joins_come_from_distinct_loopback_addresses() {
        assert_eq!(source_address(0), "127.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(
            source_address(252),
            "127.0.0.254".parse::<IpAddr>().unwrap()
        );
        assert_eq!(source_address(253), "127.0.1.2".parse::<IpAddr>().unwrap());
        assert!((0..2000).map(source_address).all(|a| a.is_loopback()));
    }
}
