//! The real processes of a page-to-page run: a `quaderno-server` relay, two participants'
//! `quaderno` commands, and their `quaderno ui`. Every process started here is stopped (by its
//! own id) when its handle is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;

/// How long a process may take to print its first line (where it listens).
const FIRST_LINE: Duration = Duration::from_secs(30);

/// A child process, killed when dropped.
#[derive(Debug)]
pub struct Spawned {
    child: Child,
}

impl Spawned {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for the first line `stdout` prints, then keeps reading (and dropping) the rest, so
/// the process never blocks on a full pipe.
fn first_line(stdout: ChildStdout, what: &str) -> anyhow::Result<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let read = reader.read_line(&mut line).map(|_| line);
        let _ = tx.send(read);
        let mut sink = [0u8; 4096];
        while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
    });
    match rx.recv_timeout(FIRST_LINE) {
        Ok(Ok(line)) if !line.trim().is_empty() => Ok(line.trim().to_owned()),
        Ok(Ok(_)) => bail!("{what} exited before saying where it listens"),
        Ok(Err(e)) => bail!("cannot read what {what} printed: {e}"),
        Err(_) => bail!("{what} printed nothing within {FIRST_LINE:?}"),
    }
}

/// Everything a pipe carries, read on a thread of its own.
fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Waits for a process to exit within `limit`; past it the process is killed.
fn wait_for(mut process: Spawned, limit: Duration, what: &str) -> anyhow::Result<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = process.child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            bail!("{what} did not finish within {limit:?} and was stopped");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `command` with `stdin` within `limit`, insists it succeeds, returns its standard
/// output.
pub fn output(
    mut command: Command,
    what: &str,
    stdin: &str,
    limit: Duration,
) -> anyhow::Result<String> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {what}"))?;
    let mut input = child.stdin.take().context("stdin is piped")?;
    let stdin = stdin.to_owned();
    std::thread::spawn(move || input.write_all(stdin.as_bytes()));
    let stdout = read_all(child.stdout.take().context("stdout is piped")?);
    let stderr = read_all(child.stderr.take().context("stderr is piped")?);
    let status = wait_for(Spawned { child }, limit, what)?;
    let stdout = stdout.join().unwrap_or_default();
    if !status.success() {
        bail!(
            "{what} failed: {}{}",
            stderr.join().unwrap_or_default().trim(),
            stdout.trim()
        );
    }
    Ok(stdout)
}

/// A relay on 127.0.0.1, on a port the OS picked.
#[derive(Debug)]
pub struct Relay {
    process: Spawned,
    bin: PathBuf,
    data_dir: PathBuf,
    /// `http://127.0.0.1:PORT`
    pub url: String,
}

impl Relay {
    pub fn start(bin: &Path, data_dir: &Path) -> anyhow::Result<Relay> {
        let log = std::fs::File::create(data_dir.with_extension("log"))
            .context("cannot create the relay's log file")?;
        let mut child = Command::new(bin)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stdout = child.stdout.take().context("the relay's stdout is piped")?;
        let process = Spawned { child };
        let line = first_line(stdout, "quaderno-server")?;
        let url = line
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://"))
            .with_context(|| format!("unexpected first line from the relay: {line:?}"))?
            .to_owned();
        Ok(Relay {
            process,
            bin: bin.to_owned(),
            data_dir: data_dir.to_owned(),
            url,
        })
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Runs an admin command on the relay's data directory and returns what it printed.
    pub fn admin(&self, args: &[&str]) -> anyhow::Result<String> {
        let mut command = Command::new(&self.bin);
        command
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(args)
            .env("RUST_LOG", "warn");
        let what = format!("quaderno-server {}", args.join(" "));
        output(command, &what, "", FIRST_LINE)
    }

    /// A one-use invite code for an editor of `group`.
    pub fn invite(&self, group: &str) -> anyhow::Result<String> {
        #[derive(Deserialize)]
        struct Invite {
            code: String,
        }
        let json = self.admin(&[
            "--json", "invite", "create", "--group", group, "--role", "editor",
        ])?;
        let invite: Invite =
            serde_json::from_str(&json).context("`invite create --json` printed no code")?;
        Ok(invite.code)
    }
}

/// One participant: the `quaderno` binary on a data folder of its own.
#[derive(Debug, Clone)]
pub struct Member {
    pub bin: PathBuf,
    pub data_dir: PathBuf,
    /// Longest a command may run before it is stopped.
    pub limit: Duration,
}

impl Member {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(args)
            .env_remove("QUADERNO_DIR")
            .env_remove("VISUAL")
            .env_remove("EDITOR")
            .env("QUADERNO_LOG", "warn");
        command
    }

    /// Runs `quaderno ARGS` with `stdin`, insists it succeeds, returns its standard output.
    pub fn run(&self, args: &[&str], stdin: &str) -> anyhow::Result<String> {
        self.run_command(self.command(args), args, stdin)
    }

    /// `quaderno edit NOTE` with an editor that appends the file `append` to the note.
    pub fn append(&self, note: &str, append: &Path) -> anyhow::Result<()> {
        let mut command = self.command(&["edit", note]);
        command.env("EDITOR", format!("cat '{}' >>", append.display()));
        self.run_command(command, &["edit", note], "").map(drop)
    }

    fn run_command(&self, command: Command, args: &[&str], stdin: &str) -> anyhow::Result<String> {
        let what = format!("quaderno {}", args.first().copied().unwrap_or_default());
        output(command, &what, stdin, self.limit)
    }

    /// Starts `quaderno ui --no-open --port 0 --json` and reads where it serves the page.
    pub fn ui(&self) -> anyhow::Result<Ui> {
        let mut child = self
            .command(&["--json", "ui", "--no-open", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {} ui", self.bin.display()))?;
        let stdout = child.stdout.take().context("the ui's stdout is piped")?;
        let process = Spawned { child };
        let line = first_line(stdout, "quaderno ui")?;
        let address: UiAddress = serde_json::from_str(&line)
            .with_context(|| format!("unexpected first line from quaderno ui: {line:?}"))?;
        Ok(Ui { process, address })
    }
}

/// Where a `quaderno ui` serves its page: `url` holds the per-run key.
#[derive(Debug, Clone, Deserialize)]
pub struct UiAddress {
    pub port: u16,
    pub url: String,
}

/// A running `quaderno ui`.
#[derive(Debug)]
pub struct Ui {
    process: Spawned,
    pub address: UiAddress,
}

impl Ui {
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }
}
