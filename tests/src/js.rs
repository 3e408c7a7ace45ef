//! JavaScript automerge-repo peers (`tests/js/peer.mjs`), driven line by line from a test.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The folder with the JavaScript peers and their `node_modules`.
pub fn dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js");
    assert!(
        dir.join("node_modules/@automerge/automerge-repo").exists(),
        "{}/node_modules is missing: run `npm ci` there (.ci/run does)",
        dir.display()
    );
    dir
}

/// One `node peer.mjs` process.
#[derive(Debug)]
pub struct JsPeer {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    /// Every event it printed, in order.
    pub events: Vec<Value>,
}

impl JsPeer {
    /// Starts a peer that connects to `ws_url` (token in `?token=`) as `peer_id`.
    pub fn start(ws_url: &str, peer_id: &str) -> JsPeer {
        let mut child = Command::new("node")
            .arg("peer.mjs")
            .arg(ws_url)
            .arg(peer_id)
            .current_dir(dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (install Node.js 20 or newer)");
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        JsPeer {
            child,
            stdin,
            stdout,
            events: Vec::new(),
        }
    }

    /// Sends one command.
    pub async fn send(&mut self, command: Value) {
        let mut line = command.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("the peer reads commands");
    }

    /// Waits for an event that satisfies `wanted` (earlier ones count too).
    pub async fn expect(&mut self, limit: Duration, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(found) = self.events.iter().find(|e| wanted(e)) {
            return found.clone();
        }
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let line = tokio::time::timeout_at(deadline, self.stdout.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!("no matching event within {limit:?}; got {:?}", self.events)
                })
                .expect("reading the peer's output")
                .unwrap_or_else(|| panic!("the peer exited; events: {:?}", self.events));
            let event: Value = serde_json::from_str(&line)
                .unwrap_or_else(|_| json!({ "event": "log", "line": line }));
            self.events.push(event.clone());
            if wanted(&event) {
                return event;
            }
        }
    }

    /// Asks the peer to flush and exit.
    pub async fn exit(mut self) {
        self.send(json!({ "cmd": "exit" })).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

/// An event of this kind.
pub fn is(kind: &str) -> impl Fn(&Value) -> bool + '_ {
    move |event| event["event"] == kind
}
