//! Runs the real `quaderno-server` binary on a data directory in a temporary folder.

#![allow(dead_code)]

use std::process::{Command, Output};

use chrono::Utc;
use quaderno_server::accounts::{self, Joined, Joiner};
use quaderno_server::db::Db;
use serde_json::Value;
use tempfile::TempDir;

/// A data directory and the commands run on it.
pub struct DataDir {
    pub dir: TempDir,
}

/// What a command did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl DataDir {
    pub fn new() -> Self {
        DataDir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let data_dir = self.dir.path().join("relay");
        let output = bare_command()
            .arg("--data-dir")
            .arg(&data_dir)
            .args(args)
            .output()
            .unwrap();
        Run::from(output)
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
        run.stdout
    }

    /// Runs a command with `--json` that must succeed; returns its output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(&args)).unwrap()
    }

    /// The relay's database, opened from this process as the running relay would.
    pub fn db(&self) -> Db {
        Db::open(&self.dir.path().join("relay")).unwrap()
    }

    /// A newcomer redeems `code` directly on the database.
    pub fn join(&self, code: &str, name: &str, city: &str) -> Joined {
        let joiner = Joiner::Newcomer {
            name,
            city,
            device: "laptop",
        };
        self.db()
            .with_conn(|conn| Ok(accounts::join(conn, code, joiner, Utc::now())?))
            .unwrap()
    }

    /// Creates a group and an invite with the commands; returns the code.
    pub fn group_with_invite(&self, group: &str, role: &str, uses: &str) -> String {
        self.ok(&["group", "create", group]);
        let invite = self.json(&[
            "invite", "create", "--group", group, "--role", role, "--uses", uses,
        ]);
        invite["code"].as_str().unwrap().to_owned()
    }
}

/// The binary with no `QUADERNO_SERVER_*` variables from the environment.
pub fn bare_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quaderno-server"));
    for (key, _) in std::env::vars() {
        if key.starts_with("QUADERNO_SERVER_") {
            command.env_remove(key);
        }
    }
    command.env_remove("RUST_LOG");
    command
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}
