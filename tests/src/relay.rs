//! A real `quaderno-server` process on 127.0.0.1, on a port the OS picked.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// A relay process and its data directory.
#[derive(Debug)]
pub struct Relay {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`, or `https://` when started with `--tls-cert`.
    pub url: String,
    pub data_dir: PathBuf,
    /// Extra `serve` flags, kept for restarts.
    flags: Vec<String>,
    /// Extra environment variables, kept for restarts.
    env: Vec<(String, String)>,
    /// Everything the relay logged (stderr), collected when it stops.
    log_path: PathBuf,
}

/// What `POST /v1/join` answers.
#[derive(Debug, Clone, Deserialize)]
pub struct Joined {
    /// Empty when a device that already had a token joined one more group.
    #[serde(default)]
    pub token: String,
    pub peer_id: String,
    pub relay_peer_id: String,
    pub group: JoinedGroup,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JoinedGroup {
    pub slug: String,
    pub role: String,
    pub index_doc: String,
}

impl Relay {
    /// Starts a relay on a data directory with extra `serve` flags and waits until it answers.
    pub fn start(data_dir: &Path, flags: &[&str]) -> Relay {
        Relay::start_with_env(data_dir, flags, &[])
    }

    /// Starts a relay with extra environment variables as well.
    pub fn start_with_env(data_dir: &Path, flags: &[&str], env: &[(&str, &str)]) -> Relay {
        let flags: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let log_path = data_dir.join(format!("relay-{}.log", std::process::id()));
        let (child, url) = spawn(data_dir, &flags, &env, &log_path, "127.0.0.1:0");
        Relay {
            child: Some(child),
            url,
            data_dir: data_dir.to_owned(),
            flags,
            env,
            log_path,
        }
    }

    /// `ws://127.0.0.1:PORT/v1/groups/{group}/sync` (`wss://` over TLS)
    pub fn sync_url(&self, group: &str) -> String {
        format!(
            "{}/v1/groups/{group}/sync",
            self.url.replacen("http", "ws", 1)
        )
    }

    /// The process id, for reading its memory from /proc.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Runs an admin command on the relay's data directory and checks it succeeded.
    pub fn admin(&self, args: &[&str]) -> String {
        let out = self.admin_output(args);
        assert!(
            out.status.success(),
            "quaderno-server {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Runs an admin command and returns whatever happened.
    pub fn admin_output(&self, args: &[&str]) -> Output {
        Command::new(crate::bin::path("quaderno-server"))
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .expect("quaderno-server runs")
    }

    /// Creates a group (slug = name).
    pub fn create_group(&self, name: &str) {
        self.admin(&["group", "create", name]);
    }

    /// An invite code for a group and role.
    pub fn invite(&self, group: &str, role: &str) -> String {
        let json = self.admin(&[
            "--json", "invite", "create", "--group", group, "--role", role,
        ]);
        let value: serde_json::Value =
            serde_json::from_str(&json).expect("invite create --json prints JSON");
        value["code"]
            .as_str()
            .expect("the invite has a code")
            .to_string()
    }

    /// Redeems an invite through the HTTP API, as a new participant and device.
    pub async fn join(&self, code: &str, name: &str) -> Joined {
        let body = serde_json::json!({ "code": code, "name": name, "city": "Palermo", "device": "laptop" });
        let response = reqwest::Client::new()
            .post(format!("{}/v1/join", self.url))
            .json(&body)
            .send()
            .await
            .expect("the relay answers /v1/join");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "join failed with {status}: {text}");
        serde_json::from_str(&text).expect("join answers JSON")
    }

    /// Redeems an invite for a participant who already holds a token (a second group).
    pub async fn join_with_token(&self, code: &str, token: &str) -> Joined {
        let response = reqwest::Client::new()
            .post(format!("{}/v1/join", self.url))
            .bearer_auth(token)
            .json(&serde_json::json!({ "code": code }))
            .send()
            .await
            .expect("the relay answers /v1/join");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "join failed with {status}: {text}");
        serde_json::from_str(&text).expect("join answers JSON")
    }

    /// SIGHUP: the relay reads its TLS certificate and key again.
    pub fn hangup(&self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -HUP failed");
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        wait_with_deadline(&mut child, Duration::from_secs(15))
    }

    /// Starts again on the same data directory and port.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the relay before restarting it");
        let listen = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, rest)| rest)
            .to_string();
        let (child, url) = spawn(
            &self.data_dir,
            &self.flags,
            &self.env,
            &self.log_path,
            &listen,
        );
        self.child = Some(child);
        self.url = url;
    }

    /// Everything the relay wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn(
    data_dir: &Path,
    flags: &[String],
    env: &[(String, String)],
    log_path: &Path,
    listen: &str,
) -> (Child, String) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .expect("log file");
    let mut child = Command::new(crate::bin::path("quaderno-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("serve")
        .arg("--listen")
        .arg(listen)
        .args(flags)
        .env(
            "RUST_LOG",
            std::env::var("RELAY_LOG").unwrap_or_else(|_| "info".into()),
        )
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("quaderno-server starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the relay prints where it listens");
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .unwrap_or_else(|| panic!("unexpected first line from the relay: {line:?}"))
        .to_string();
    (child, url)
}

fn wait_with_deadline(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the relay did not exit within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
