//! The command line: flags and their checks only; `main` turns them into runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXAMPLES: &str = "\
How a run goes:
  Every simulated client is a real Automerge peer with its own WebSocket and sync state; all of
  them run in this one process, so an edit's latency is measured on one clock, from the moment
  it is made to the moment it is applied at each other member of the document. Each scenario
  prints one JSON report on stdout (and to --out) and a table on stderr. Give --relay-pid to get
  the relay's CPU and memory from /proc. Only loopback URLs are accepted, and every run stops by
  itself (--timeout).

Examples:
  # A Quaderno relay: groups and 200 device tokens first (the relay must be serving)
  quaderno-bench setup --server-bin target/release/quaderno-server --data-dir /tmp/relay \\
      --url http://127.0.0.1:7878 --devices 200 --out tokens.json

  # Scenario 1 against it, then against the JavaScript reference (node tests/js/server.mjs)
  quaderno-bench typing --url http://127.0.0.1:7878 --tokens tokens.json --relay-pid 4242 \\
      --clients 100 --docs 100 --per-client 10 --edits 20 --interval-ms 100
  quaderno-bench typing --url ws://127.0.0.1:3030 --relay-pid 4343 --clients 100 --docs 100

  # Scenario 5, a meeting in a 50 KB note
  quaderno-bench meeting --url http://127.0.0.1:7878 --tokens tokens.json --typists 3 \\
      --watchers 10 --body-bytes 50000

  # Medians of repeated runs, side by side
  quaderno-bench compare --left ours-*.json --right reference-*.json

scripts/bench-relay.sh runs every scenario against both relays and keeps the reports in
bench-results/.";

const LIVE_FIGURES: &str = "\
How the run goes: every client connects and joins; the first member of each document creates
and uploads it; the others fetch it; then every typist edits on its schedule, and the run waits
until each edit has reached every other member of its document (or --drain-secs pass).

Figures:
  latency_p50 … latency_max   from an edit being made to it being applied at another member
  edits / deliveries          achieved per second, against what the schedule offered
  missing_deliveries          edits that never reached a member (should be 0)
  disconnects                 connections the relay closed or lost during the run
  relay_cpu_per_delivery      relay CPU from the first edit to the last delivery, divided by the
                              deliveries (needs --relay-pid)
  relay_rss_peak              the relay's largest resident memory sampled during the run
  generator_cores             this process's own CPU: near 1.0 means the generator, not the
                              relay, may be what limits the run
  edit_lag_p99                how late edits were made against their schedule (same reason)";

const PAGES_HELP: &str = "\
How the run goes, for each --body-bytes: a relay on 127.0.0.1 port 0 in a new folder under
--work-dir; participants A and B (`quaderno init`, `quaderno join` with invites from
`quaderno-server invite create`); a note of minutes written by A in --sittings (`quaderno new`,
then `quaderno edit`s), `quaderno sync` for both; `quaderno ui --no-open --port 0` for each.
One page socket connects to each ui as a browser tab (cookie from the printed address, Host and
Origin of the page), opens the note and syncs its own copy. A's page types --warmup keystrokes
and waits for them on B, then --keystrokes more, one every --interval-ms: each is one character
appended to the body in one change, sent at once as a sync message. Every step is bounded
(--step-secs; the typing by its length plus --drain-secs); the folder and every process are
removed at the end.

Figures (JSON on stdout and --out, a table on stderr):
  latency          from A's page sending the sync message that carries a keystroke to the
                   keystroke's text in B's page's copy
  from_keystroke   the same from the change itself (adds any wait to send it)
  cpu_per_keystroke  utime+stime from /proc of A's and B's `quaderno ui` and of the relay, from
                   the first measured keystroke to the last one's arrival on B, divided by the
                   keystrokes

Example (the same driver against two builds):
  quaderno-bench pages --server-bin /tmp/old/quaderno-server --quaderno-bin /tmp/old/quaderno \\
      --label old --body-bytes 5000,50000 --out old-1.json";

/// quaderno-bench: a load generator for automerge-repo relays (Quaderno's, or any other that
/// speaks the automerge-repo WebSocket protocol, such as the JavaScript reference server).
#[derive(Debug, Parser)]
#[command(name = "quaderno-bench", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Worker threads for the simulated clients. 1 keeps the generator on at most one core, so
    /// the relay always has the other.
    #[arg(long, global = true, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub threads: u16,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create groups and device tokens on a Quaderno relay (admin commands on its data
    /// directory, then `POST /v1/join` per device; the relay must be serving).
    Setup(SetupArgs),
    /// Scenario 1, live typing: N clients in M small documents, D per client, each making an
    /// edit every I ms (jittered) for K edits.
    #[command(after_help = LIVE_FIGURES)]
    Typing(TypingArgs),
    /// Scenario 2, cold pull: upload a group of notes (`prepare`), restart the relay, then let a
    /// client that never synced pull them all (`fetch`).
    #[command(subcommand)]
    Pull(PullCommand),
    /// Scenario 3, idle connections: the relay's memory per open, idle connection.
    Idle(IdleArgs),
    /// Scenario 4, many groups: touch each group once, then watch the relay's memory while
    /// everything is idle.
    Groups(GroupsArgs),
    /// Scenario 5, a meeting: typists inserting a character every 200 ms at random places of
    /// one long note, and watchers.
    #[command(after_help = LIVE_FIGURES)]
    Meeting(MeetingArgs),
    /// Scenario 1 at a growing number of clients, until p99 latency passes a threshold; writes
    /// CSV and an SVG plot.
    Sweep(SweepArgs),
    /// Median and range of each figure over repeated runs, two relays side by side, with the
    /// ratio, as a Markdown table.
    Compare(CompareArgs),
    /// Page to page: a keystroke typed in a page of one participant's `quaderno ui` until it
    /// is in a page of another's, through a relay; all real processes, started by this command.
    #[command(after_help = PAGES_HELP)]
    Pages(PagesArgs),
}

/// The relay under test.
#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// The relay's URL: ws:// or http:// on 127.0.0.1, ::1 or localhost. With --tokens it is a
    /// Quaderno relay's base URL; otherwise every client connects to exactly this URL.
    #[arg(long)]
    pub url: String,

    /// Device tokens from `quaderno-bench setup` (Quaderno relays). Omit for a server without
    /// accounts, such as the JavaScript reference.
    #[arg(long, value_name = "FILE")]
    pub tokens: Option<PathBuf>,

    /// The relay's process id: its CPU time and memory are read from /proc/PID.
    #[arg(long, value_name = "PID")]
    pub relay_pid: Option<u32>,

    /// Also write the JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// The whole run stops after this many seconds, whatever happens.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The quaderno-server binary, for the admin commands.
    #[arg(long, value_name = "PATH")]
    pub server_bin: PathBuf,
    /// The relay's data directory.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// The running relay's base URL, e.g. http://127.0.0.1:7878.
    #[arg(long)]
    pub url: String,
    /// Devices to create, each a new participant joined to every group.
    #[arg(long, default_value_t = 100)]
    pub devices: usize,
    /// Groups: one named after --group, or this many named GROUP-0001, GROUP-0002, ….
    #[arg(long, default_value_t = 1)]
    pub groups: usize,
    /// The group name, or the prefix of the numbered names.
    #[arg(long, default_value = "bench")]
    pub group: String,
    /// Where to write the tokens.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Edits on a schedule, shared by typing, meeting and sweep.
#[derive(Debug, Args, Clone)]
pub struct PaceArgs {
    /// Mean time between two edits of one client [default: 100 for typing and sweep, 200 for
    /// meeting].
    #[arg(long, value_name = "MS")]
    pub interval_ms: Option<u64>,
    /// Each gap is the interval times a random factor in 1 ± jitter.
    #[arg(long, default_value_t = 0.5)]
    pub jitter: f64,
    /// Longest wait, after the last edit, for deliveries still on their way.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub drain_secs: u64,
    /// Longest wait for each setup step (connecting, uploading, fetching).
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub setup_secs: u64,
    /// Connections opened at the same time while setting up.
    #[arg(long, default_value_t = 32)]
    pub connect_parallel: usize,
    /// The group (Quaderno relays).
    #[arg(long, default_value = "bench")]
    pub group: String,
    /// Seed for jitter and for where keystrokes land.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct TypingArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Clients (N).
    #[arg(long, default_value_t = 10)]
    pub clients: usize,
    /// Documents (M).
    #[arg(long, default_value_t = 10)]
    pub docs: usize,
    /// Documents each client syncs and edits in turn (D).
    #[arg(long, default_value_t = 10)]
    pub per_client: usize,
    /// Edits each client makes (K).
    #[arg(long, default_value_t = 100)]
    pub edits: usize,
    /// The schedule; the interval defaults to 100 ms.
    #[command(flatten)]
    pub pace: PaceArgs,
}

#[derive(Debug, Args)]
pub struct MeetingArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Participants typing (T).
    #[arg(long, default_value_t = 3)]
    pub typists: usize,
    /// Participants only watching (L).
    #[arg(long, default_value_t = 10)]
    pub watchers: usize,
    /// Size of the note's body before the meeting starts.
    #[arg(long, default_value_t = 5000, value_name = "BYTES")]
    pub body_bytes: usize,
    /// Keystrokes each typist makes.
    #[arg(long, default_value_t = 100)]
    pub edits: usize,
    /// The schedule; the interval defaults to 200 ms.
    #[command(flatten)]
    pub pace: PaceArgs,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Numbers of clients to try, in order (as many documents as clients).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,25,50,100,150,200,300,400"
    )]
    pub clients: Vec<usize>,
    /// Documents each client syncs.
    #[arg(long, default_value_t = 10)]
    pub per_client: usize,
    /// Edits each client makes per run.
    #[arg(long, default_value_t = 20)]
    pub edits: usize,
    /// Runs per number of clients; the plot shows medians.
    #[arg(long, default_value_t = 1)]
    pub repeats: usize,
    /// Stop after the first number of clients whose median p99 latency passes this.
    #[arg(long, default_value_t = 100.0, value_name = "MS")]
    pub stop_p99_ms: f64,
    /// Write the curve here as CSV.
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,
    /// Write the plot here as SVG.
    #[arg(long, value_name = "FILE")]
    pub svg: PathBuf,
    /// The schedule; the interval defaults to 100 ms.
    #[command(flatten)]
    pub pace: PaceArgs,
}

#[derive(Debug, Subcommand)]
pub enum PullCommand {
    /// Upload a group of notes and write their ids and heads to a file.
    Prepare(PullPrepareArgs),
    /// Pull every note of the file as a client that never synced.
    Fetch(PullFetchArgs),
}

#[derive(Debug, Args)]
pub struct PullPrepareArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Notes to upload.
    #[arg(long, default_value_t = 1000)]
    pub notes: usize,
    /// Size of each note's body.
    #[arg(long, default_value_t = 5000, value_name = "BYTES")]
    pub note_bytes: usize,
    /// Changes each note is written in.
    #[arg(long, default_value_t = 50)]
    pub note_changes: usize,
    /// The group (Quaderno relays).
    #[arg(long, default_value = "bench")]
    pub group: String,
    /// Which device of the tokens file uploads.
    #[arg(long, default_value_t = 0)]
    pub client: usize,
    /// Where to write the notes' ids and heads.
    #[arg(long, value_name = "FILE")]
    pub docs_out: PathBuf,
}

#[derive(Debug, Args)]
pub struct PullFetchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The file `pull prepare` wrote.
    #[arg(long, value_name = "FILE")]
    pub docs: PathBuf,
    /// Which device of the tokens file pulls; pick one that never synced this group.
    #[arg(long, default_value_t = 1)]
    pub client: usize,
}

#[derive(Debug, Args)]
pub struct IdleArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Idle connections to open (C).
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// The group (Quaderno relays).
    #[arg(long, default_value = "bench")]
    pub group: String,
    /// Connections opened at the same time.
    #[arg(long, default_value_t = 32)]
    pub connect_parallel: usize,
    /// Wait after the last connection before measuring.
    #[arg(long, default_value_t = 3, value_name = "SECS")]
    pub settle_secs: u64,
    /// How long memory is sampled with every connection open.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub hold_secs: u64,
}

#[derive(Debug, Args)]
pub struct GroupsArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Groups to touch (a plain server: documents).
    #[arg(long, default_value_t = 1000)]
    pub groups: usize,
    /// Size of the note uploaded to each group.
    #[arg(long, default_value_t = 2000, value_name = "BYTES")]
    pub note_bytes: usize,
    /// Groups touched at the same time.
    #[arg(long, default_value_t = 16)]
    pub parallel: usize,
    /// How long to watch memory after the last touch; make it longer than the relay's
    /// --group-idle-secs plus its 5 s check.
    #[arg(long, default_value_t = 90, value_name = "SECS")]
    pub idle_secs: u64,
    /// Seconds between memory samples.
    #[arg(long, default_value_t = 1, value_name = "SECS")]
    pub sample_secs: u64,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Reports of the left column (e.g. every run against Quaderno's relay).
    #[arg(long, num_args = 1.., required = true, value_name = "FILE")]
    pub left: Vec<PathBuf>,
    /// Reports of the right column (e.g. every run against the reference).
    #[arg(long, num_args = 1.., required = true, value_name = "FILE")]
    pub right: Vec<PathBuf>,
    #[arg(long, default_value = "quaderno")]
    pub left_name: String,
    #[arg(long, default_value = "reference")]
    pub right_name: String,
}

#[derive(Debug, Args)]
pub struct PagesArgs {
    /// The quaderno-server binary under test.
    #[arg(long, value_name = "PATH")]
    pub server_bin: PathBuf,
    /// The quaderno binary under test.
    #[arg(long, value_name = "PATH")]
    pub quaderno_bin: PathBuf,
    /// What the build is called in the table.
    #[arg(long, default_value = "build")]
    pub label: String,
    /// Sizes of the note's body, one run each.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "5000,50000",
        value_name = "BYTES"
    )]
    pub body_bytes: Vec<usize>,
    /// The note is written in this many sittings.
    #[arg(long, default_value_t = 20)]
    pub sittings: usize,
    /// Keystrokes measured.
    #[arg(long, default_value_t = 200)]
    pub keystrokes: usize,
    /// Keystrokes typed, and awaited on B, before the measured ones.
    #[arg(long, default_value_t = 10)]
    pub warmup: usize,
    /// Time between two keystrokes.
    #[arg(long, default_value_t = 100, value_name = "MS")]
    pub interval_ms: u64,
    /// Longest wait for each setup step.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub step_secs: u64,
    /// Longest wait, after the last keystroke, for its text on B.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub drain_secs: u64,
    /// Where the run's folder is made [default: the system's temporary folder].
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// Seed of the note's text.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also write the JSON report here.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Type in real headless Chromium with this script (crates/quaderno-bench/js/typist.mjs,
    /// run with node) and measure each key's time to A's screen, instead of typing through a
    /// page socket.
    #[arg(long, value_name = "SCRIPT")]
    pub browser: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sweep_takes_a_list_of_client_counts() {
        let cli = Cli::try_parse_from([
            "quaderno-bench",
            "sweep",
            "--url",
            "ws://127.0.0.1:1",
            "--clients",
            "10,20",
            "--csv",
            "a.csv",
            "--svg",
            "a.svg",
        ])
        .unwrap();
        let Command::Sweep(args) = cli.command else {
            panic!("expected sweep")
        };
        assert_eq!(args.clients, vec![10, 20]);
        assert_eq!(args.pace.interval_ms, None);
    }
}
