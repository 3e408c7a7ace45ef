//! One function per subcommand: call the notebook, render the result. No decisions about notes
//! are made here.

mod backup;
mod device;
mod edit;
mod erase;
mod export;
mod import;
mod init;
mod join;
mod list;
mod move_note;
mod new;
mod open;
mod service;
mod show;
mod status;
mod sync;
mod tag;
mod trash;

use crate::args::{Command, DeviceCommand, ServiceCommand};
use crate::config::Config;
use crate::output::Rendered;

/// Runs one command and returns what to print (import prints as it goes and returns a summary).
pub fn run(command: Command, config: &Config) -> anyhow::Result<Rendered> {
    let mut notebook = config.open_notebook()?;
    let format = config.format();
    match command {
        Command::Init { name, city } => init::run(format, &mut notebook, &name, &city),
        Command::New(args) => new::run(format, &mut notebook, args),
        Command::Edit { note } => edit::run(format, &mut notebook, &note),
        Command::Show { note, at } => show::show(format, &notebook, &note, at.as_deref()),
        Command::List(args) => list::list(format, &notebook, args),
        Command::Search { query, limit } => {
            list::search(format, &notebook, &query.join(" "), limit)
        }
        Command::Tag { note, changes } => tag::run(format, &mut notebook, &note, &changes),
        Command::Log { note } => show::log(format, &notebook, &note),
        Command::Rm { note } => trash::run(format, &mut notebook, &note, true),
        Command::Restore {
            note: Some(note), ..
        } => trash::run(format, &mut notebook, &note, false),
        Command::Restore {
            backup: Some(file), ..
        } => {
            drop(notebook);
            backup::restore(config, &file)
        }
        Command::Restore { .. } => unreachable!("clap requires a note or --backup"),
        Command::Backup { out } => {
            drop(notebook);
            backup::write(config, &out)
        }
        Command::Export(args) => export::run(format, &notebook, args),
        Command::Import {
            paths,
            group,
            update,
        } => import::run(format, &mut notebook, &paths, group.as_deref(), update),
        Command::Join {
            relay,
            code,
            link,
            device,
            group,
            index,
        } => match (link, code, group, index) {
            (Some(link), _, _, _) => join::with_link(config, &relay, &link, device.as_deref()),
            (None, Some(code), _, _) => join::run(config, &relay, &code, device.as_deref()),
            (None, None, Some(group), Some(index)) => {
                join::plain(config, &relay, &group, index, device.as_deref())
            }
            _ => unreachable!("clap requires a code, --link, or both --group and --index"),
        },
        Command::Device(DeviceCommand::Link { relay }) => device::link(config, relay.as_deref()),
        Command::Sync { watch: false } => sync::once(config),
        Command::Sync { watch: true } => sync::watch(config),
        Command::Status { offline } => status::run(config, offline),
        Command::Erase { note, reason } => {
            drop(notebook);
            erase::run(config, &note, &reason)
        }
        Command::Redact {
            note,
            passage,
            reason,
        } => {
            drop(notebook);
            erase::redact(config, &note, &passage, &reason)
        }
        Command::Erasures { group } => erase::list(config, &group),
        Command::Move { note, group } => move_note::run(format, &mut notebook, &note, &group),
        Command::Ui(args) => {
            drop(notebook);
            crate::ui::run(config, &args)
        }
        Command::Open => open::run(config),
        Command::Service(ServiceCommand::Install { port }) => service::install(config, port),
        Command::Service(ServiceCommand::Uninstall) => service::uninstall(config),
        Command::Service(ServiceCommand::Status) => service::status(config),
    }
}

/// The async runtime for the commands that talk to relays.
/// The runtime for a command that must reach a relay: a `QUADERNO_CA_FILE` that cannot be
/// used is said at once, as a mistake to fix (exit 2), not as a relay out of reach.
pub(crate) fn relay_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    quaderno_client::init_tls().map_err(quaderno_client::ClientError::from)?;
    runtime()
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
