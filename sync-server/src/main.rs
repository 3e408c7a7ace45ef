//! `quaderno-server`: runs the relay, or one admin command on its data directory.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use clap::Parser;
use quaderno_server::admin::{self, AdminError, Operator, Report};
use quaderno_server::cli::{AdminCommand, Cli, Command, ServeArgs};
use quaderno_server::config_file;
use quaderno_server::db::Db;
use tracing_subscriber::EnvFilter;

/// jemalloc, whose background thread gives freed memory back to the system: with glibc's
/// allocator a relay that served 1,000 groups kept about 60 MB it no longer used, in the gaps
/// between live allocations, after every group had gone (BENCHMARKS.md, issue 3).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A mistake in the command: the message says what to change.
const EXIT_USER_ERROR: u8 = 2;
/// The relay or its storage failed.
const EXIT_FAILURE: u8 = 1;

fn main() -> ExitCode {
    quaderno_store::private_files();
    let args = match config_file::with_settings(
        std::env::args_os().collect(),
        std::path::Path::new(config_file::DEFAULT_FILE),
    ) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_USER_ERROR);
        }
    };
    let cli = Cli::parse_from(args);
    init_tracing(matches!(cli.command, Command::Serve(_)));
    let Some(data_dir) = cli.data_dir.clone() else {
        eprintln!("error: no data directory: pass --data-dir DIR or set QUADERNO_SERVER_DATA_DIR");
        return ExitCode::from(EXIT_USER_ERROR);
    };
    if let Some(owner) = owned_by_another(&data_dir) {
        eprintln!(
            "error: {} belongs to the user `{owner}`, who runs the relay: files written as root \
             would lock the relay out of its own data. Run the command as that user, e.g. \
             sudo -u {owner} quaderno-server ...",
            data_dir.display()
        );
        return ExitCode::from(EXIT_USER_ERROR);
    }
    match cli.command {
        Command::Serve(args) => exit_serving(serve(&args, data_dir)),
        Command::Admin(command) => exit_admin(run_admin(&command, data_dir, cli.json)),
        Command::Restore { file } => exit_admin(restore(&file, &data_dir, cli.json)),
    }
}

/// The name of the user owning `data_dir` when this process runs as root and that user is
/// not root (an installed relay's data belongs to the `quaderno` user).
fn owned_by_another(data_dir: &std::path::Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    if !rustix::process::geteuid().is_root() {
        return None;
    }
    let uid = std::fs::metadata(data_dir).ok()?.uid();
    if uid == 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_owned())
    });
    Some(name.unwrap_or_else(|| format!("#{uid}")))
}

/// Logs to stderr, at `RUST_LOG` or by default info for `serve` and warnings for commands.
fn init_tracing(serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn serve(args: &ServeArgs, data_dir: PathBuf) -> anyhow::Result<()> {
    let config = args.to_config(data_dir)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(quaderno_server::relay::serve(config))
}

fn run_admin(command: &AdminCommand, data_dir: PathBuf, json: bool) -> Result<(), AdminError> {
    let db = Db::open(&data_dir)?;
    let report = admin::run(&db, command, Utc::now(), &Operator::from_env())?;
    print_report(&report, json);
    Ok(())
}

/// `restore` opens no database on the data directory: it replaces it.
fn restore(file: &Path, data_dir: &Path, json: bool) -> Result<(), AdminError> {
    let report = admin::restore::run(data_dir, file, Utc::now())?;
    print_report(&report, json);
    Ok(())
}

fn print_report(report: &Report, json: bool) {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not a failure of the command.
    let _ = write!(stdout, "{}", report.render(json));
    if json {
        let _ = writeln!(stdout);
    }
}

fn exit_serving(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn exit_admin(result: Result<(), AdminError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            let code = if error.is_user_error() {
                EXIT_USER_ERROR
            } else {
                EXIT_FAILURE
            };
            ExitCode::from(code)
        }
    }
}
