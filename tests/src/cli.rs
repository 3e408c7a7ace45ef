//! Running the real `quaderno` binary against a data folder of its own.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

/// One run of `quaderno`: its exit code and what it printed.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A `quaderno` command line bound to one data folder (a fresh temporary one by default).
#[derive(Debug)]
pub struct Quaderno {
    data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Quaderno {
    /// A participant with an empty data folder of their own, deleted when dropped.
    pub fn fresh() -> Quaderno {
        let temp = tempfile::tempdir().expect("a temporary folder");
        Quaderno {
            data_dir: temp.path().join("data"),
            _temp: Some(temp),
        }
    }

    /// `quaderno` on an existing data folder (kept when dropped).
    pub fn at(data_dir: &Path) -> Quaderno {
        Quaderno {
            data_dir: data_dir.to_owned(),
            _temp: None,
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The command, ready to run: `--data-dir` set, no editor unless the test sets one, logs
    /// quiet.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(crate::bin::path("quaderno"));
        command
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(args)
            .env_remove("QUADERNO_DIR")
            .env_remove("EDITOR")
            .env_remove("VISUAL")
            .env("QUADERNO_LOG", "warn");
        command
    }

    /// Runs `quaderno ARGS` to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_command(self.command(args), "")
    }

    /// Runs `quaderno ARGS` with `stdin` as its standard input.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_command(self.command(args), stdin)
    }

    /// Runs a prepared command (e.g. with an `EDITOR` set) with `stdin` as its standard input.
    pub fn run_command(&self, mut command: Command, stdin: &str) -> Run {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("quaderno starts");
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(stdin.as_bytes())
            .expect("stdin written");
        let output = child.wait_with_output().expect("quaderno runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs `quaderno ARGS`, insists it succeeds, and returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "quaderno {args:?} failed: {}", run.stderr);
        run.stdout
    }

    /// Runs `quaderno --json ARGS`, insists it succeeds, and parses its output.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut with_json = vec!["--json"];
        with_json.extend_from_slice(args);
        let stdout = self.ok(&with_json);
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("quaderno {args:?} printed no JSON ({e}): {stdout}"))
    }

    /// Starts `quaderno ARGS` and hands over what it prints, line by line. The channel is
    /// bounded: when the test stops reading, the pipe fills and the command blocks on its
    /// output, so it cannot run far ahead of what the test has seen.
    pub fn spawn_lines(&self, args: &[&str]) -> (Child, mpsc::Receiver<String>) {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("quaderno {args:?} does not start: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (lines, received) = mpsc::sync_channel(16);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        (child, received)
    }

    /// SQLite's own check of this participant's store: `ok` when it is intact.
    pub fn integrity_check(&self) -> String {
        let conn =
            quaderno_store::rusqlite::Connection::open(self.data_dir.join("quaderno.sqlite3"))
                .expect("the store opens");
        conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("the integrity check runs")
    }
}

/// The id of a note `quaderno import` reported as saved (`created ID PATH`).
pub fn reported_id(line: &str) -> Option<String> {
    let mut words = line.split_whitespace();
    (words.next() == Some("created"))
        .then(|| words.next().map(str::to_owned))
        .flatten()
}
