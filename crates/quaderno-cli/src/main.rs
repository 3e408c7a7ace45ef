//! `quaderno`: the participant's notebook on the command line.
//!
//! Exit codes: 0 done, 2 a problem with what was asked (bad input, unknown or ambiguous note,
//! malformed file, unusable data folder), 1 anything else. Errors are one line on stderr.

mod args;
mod commands;
mod config;
mod editor;
mod error;
mod output;
mod owner;
mod ui;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use crate::args::Cli;
use crate::config::Config;

fn main() -> ExitCode {
    quaderno_store::private_files();
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let json = cli.json;
    let result = Config::resolve(&cli).and_then(|config| commands::run(cli.command, &config));
    match result {
        Ok(rendered) => {
            rendered.print();
            ExitCode::SUCCESS
        }
        Err(error) => ExitCode::from(error::report(&error, json)),
    }
}

/// Help and version go to stdout with code 0; a usage error is its first line, code 2.
fn usage_error(error: &clap::Error) -> ExitCode {
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        return ExitCode::from(
            if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                error::USER_ERROR
            } else {
                0
            },
        );
    }
    let rendered = error.render().to_string();
    let first = rendered
        .lines()
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ");
    eprintln!("quaderno: {first} (see `quaderno --help`)");
    ExitCode::from(error::USER_ERROR)
}

/// Warnings and errors of the libraries on stderr; `QUADERNO_LOG=debug` for more. Note content
/// is never logged above debug level, and the device token at no level: the WebSocket
/// library prints the whole handshake, `Authorization` header included, at trace, so it is kept
/// at warn whatever `QUADERNO_LOG` asks.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("QUADERNO_LOG")
        .unwrap_or_else(|_| "warn".into())
        .add_directive(
            "tungstenite::handshake=warn"
                .parse()
                .expect("a fixed directive parses"),
        )
        // A refused certificate is said once, in the command's own error with what to do.
        .add_directive(
            "rustls_platform_verifier=off"
                .parse()
                .expect("a fixed directive parses"),
        );
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .init();
}
