//! A real `quaderno ui --no-open --port 0` process on a participant's data folder.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `quaderno ui`, stopped (SIGTERM, then SIGKILL) when dropped.
#[derive(Debug)]
pub struct UiProcess {
    child: Option<Child>,
    /// The address it printed, with the per-run key: `http://127.0.0.1:PORT/?key=...`.
    pub url: String,
    pub port: u16,
}

impl UiProcess {
    /// Starts `quaderno ui` on `data_dir` and reads the address from its first line.
    pub fn start(data_dir: &Path) -> UiProcess {
        let mut child = Command::new(crate::bin::path("quaderno"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(["ui", "--no-open", "--port", "0"])
            .env_remove("QUADERNO_DIR")
            .env("QUADERNO_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("quaderno ui starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .expect("quaderno ui prints its address");
        // Keep reading what it says, as a terminal would.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let url = line.trim().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.contains("/?key="),
            "unexpected first line from quaderno ui: {line:?}"
        );
        let port = url
            .trim_start_matches("http://127.0.0.1:")
            .split('/')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the address");
        UiProcess {
            child: Some(child),
            url,
            port,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The per-run key from the address.
    pub fn key(&self) -> &str {
        self.url.rsplit("key=").next().unwrap_or_default()
    }

    /// Stops it as Ctrl-C would and returns whether it exited by itself, cleanly, in time.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for UiProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
