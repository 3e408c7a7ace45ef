//! `--config FILE`: the relay's settings in a TOML file (`/etc/quaderno/server.toml` in the
//! package), for what the command line and the environment do not say.
//!
//! Each key is the long name of a flag, with `-` or `_`: `listen = "0.0.0.0:7878"`,
//! `public-url = "https://quaderno.example.org"`, `data-dir = "/var/lib/quaderno"`,
//! `max-notes-per-member = 500`. A value is used only where neither a flag nor its
//! environment variable gave one, so `QUADERNO_SERVER_LISTEN=…` or `--listen …` still win. A
//! key that is no flag is an error naming it: a misspelt setting is never silently ignored.
//!
//! The file becomes flags: the command line is parsed once to see what was given and where
//! from, the file's values for the rest are added as flags, and clap parses the result, so
//! every check and message of a flag applies to the file's value too.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command as ClapCommand, CommandFactory};

use crate::cli::Cli;

/// The flag that names the file.
pub const CONFIG_ARG: &str = "config";
/// The subcommand most settings are for.
const SERVE: &str = "serve";
/// The file read when no other is named, if it exists: where the package installs it, so that
/// admin commands on an installed relay need no flags.
pub const DEFAULT_FILE: &str = "/etc/quaderno/server.toml";

/// A setting file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("cannot read the settings file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the settings file {path} is not valid TOML: {reason}")]
    Syntax { path: PathBuf, reason: String },
    #[error(
        "the settings file {path} has `{key}`, which is not a setting of `{command}`; the settings are its flags without the dashes: {known}"
    )]
    Unknown {
        path: PathBuf,
        key: String,
        command: String,
        known: String,
    },
    #[error("the settings file {path} gives `{key}` {given}; it takes {wanted}")]
    Value {
        path: PathBuf,
        key: String,
        given: String,
        wanted: &'static str,
    },
}

/// `args` with the settings file's values added as flags, or `args` as they were when there is
/// no file (none named and no `default` file), or the command line does not parse (clap then
/// says why, as it would have).
pub fn with_settings(
    args: Vec<OsString>,
    default: &Path,
) -> Result<Vec<OsString>, ConfigFileError> {
    let command = Cli::command();
    let Ok(matches) = command.clone().try_get_matches_from(&args) else {
        return Ok(args);
    };
    let path = match matches.get_one::<PathBuf>(CONFIG_ARG) {
        Some(path) => path.clone(),
        None if default.is_file() => default.to_owned(),
        None => return Ok(args),
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigFileError::Read {
        path: path.clone(),
        source,
    })?;
    let table: toml::Table =
        text.parse()
            .map_err(|e: toml::de::Error| ConfigFileError::Syntax {
                path: path.clone(),
                reason: e.message().to_owned(),
            })?;
    let Some((name, sub_matches)) = matches.subcommand() else {
        return Ok(args);
    };
    // The file is the relay's: its `serve` settings are left out of admin commands.
    let serve = command
        .find_subcommand(SERVE)
        .expect("the command line has serve")
        .clone();
    let mut global = Vec::new();
    let mut local = Vec::new();
    for (key, value) in &table {
        let long = key.replace('_', "-");
        let (arg_command, arg_matches, into) = if command_has(&command, &long) {
            (&command, &matches, &mut global)
        } else if command_has(&serve, &long) {
            if name != SERVE {
                continue;
            }
            (&serve, sub_matches, &mut local)
        } else {
            return Err(unknown(&path, key, &command, &serve));
        };
        let arg = arg_command
            .get_arguments()
            .find(|a| a.get_long() == Some(long.as_str()))
            .expect("the argument was found by its long name");
        if given(arg_matches, arg.get_id().as_str()) {
            continue;
        }
        flags(&path, key, &long, value, arg.get_action(), into)?;
    }
    // Global flags may come anywhere; the subcommand's after its name, where nothing
    // positional follows in `serve`.
    let mut out = Vec::with_capacity(args.len() + global.len() + local.len());
    let mut args = args.into_iter();
    out.extend(args.next());
    out.extend(global);
    out.extend(args);
    out.extend(local);
    Ok(out)
}

fn command_has(command: &ClapCommand, long: &str) -> bool {
    long != CONFIG_ARG
        && long != "json"
        && command.get_arguments().any(|a| a.get_long() == Some(long))
}

/// Whether the command line or the environment gave `id` a value.
fn given(matches: &ArgMatches, id: &str) -> bool {
    matches!(
        matches.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

fn flags(
    path: &Path,
    key: &str,
    long: &str,
    value: &toml::Value,
    action: &ArgAction,
    into: &mut Vec<OsString>,
) -> Result<(), ConfigFileError> {
    let flag = OsString::from(format!("--{long}"));
    let bad = |wanted| ConfigFileError::Value {
        path: path.to_owned(),
        key: key.to_owned(),
        given: describe(value),
        wanted,
    };
    if matches!(action, ArgAction::SetTrue) {
        match value {
            toml::Value::Boolean(true) => into.push(flag),
            toml::Value::Boolean(false) => {}
            _ => return Err(bad("true or false")),
        }
        return Ok(());
    }
    let values = match value {
        toml::Value::Array(items) => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
        one => scalar(one).map(|v| vec![v]),
    }
    .ok_or_else(|| bad("a text, a number, or a list of them"))?;
    for value in values {
        into.push(flag.clone());
        into.push(value.into());
    }
    Ok(())
}

fn scalar(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(text) => Some(text.clone()),
        toml::Value::Integer(n) => Some(n.to_string()),
        toml::Value::Float(x) => Some(x.to_string()),
        _ => None,
    }
}

fn describe(value: &toml::Value) -> String {
    match value {
        toml::Value::Table(_) => "a table".into(),
        toml::Value::Array(_) => "a list holding something else".into(),
        other => format!("`{other}`"),
    }
}

fn unknown(path: &Path, key: &str, command: &ClapCommand, sub: &ClapCommand) -> ConfigFileError {
    let known: Vec<&str> = command
        .get_arguments()
        .chain(sub.get_arguments())
        .filter_map(|a| a.get_long())
        .filter(|long| !matches!(*long, CONFIG_ARG | "json" | "help" | "version"))
        .collect();
    ConfigFileError::Unknown {
        path: path.to_owned(),
        key: key.to_owned(),
        command: format!("quaderno-server {}", sub.get_name()),
        known: known.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use clap::Parser;

    use super::*;
    use crate::cli::Command;

    fn settings(toml: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(toml.as_bytes()).unwrap();
        file
    }

    fn parse(args: &[&str]) -> Result<Cli, ConfigFileError> {
        let args = args.iter().map(OsString::from).collect();
        Ok(Cli::parse_from(with_settings(
            args,
            Path::new("/nonexistent"),
        )?))
    }

    fn serve(cli: Cli) -> crate::cli::ServeArgs {
        match cli.command {
            Command::Serve(args) => args,
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn the_file_fills_what_the_command_line_does_not_say() {
        let file = settings(
            "data-dir = \"/var/lib/quaderno\"\nlisten = \"0.0.0.0:7000\"\n\
             max_notes_per_member = 12\npublic-url = \"https://quaderno.example.org\"\n",
        );
        let path = file.path().to_str().unwrap();
        let cli = parse(&["quaderno-server", "--config", path, "serve"]).unwrap();
        assert_eq!(cli.data_dir, Some(PathBuf::from("/var/lib/quaderno")));
        let args = serve(cli);
        assert_eq!(args.listen.to_string(), "0.0.0.0:7000");
        assert_eq!(args.max_notes_per_member, 12);
        assert_eq!(
            args.public_url.as_deref(),
            Some("https://quaderno.example.org")
        );
    }

    #[test]
    fn lists_and_paths_become_flags_too() {
        let file = settings(
            "trusted-proxy = [\"127.0.0.1/32\", \"::1\"]\n\
             tls-cert = \"/etc/quaderno/tls/fullchain.pem\"\n\
             tls-key = \"/etc/quaderno/tls/privkey.pem\"\n",
        );
        let path = file.path().to_str().unwrap();
        let args = serve(parse(&["quaderno-server", "--config", path, "serve"]).unwrap());
        let proxies: Vec<String> = args.trusted_proxies.iter().map(|c| c.to_string()).collect();
        assert_eq!(proxies, ["127.0.0.1/32", "::1/128"]);
        assert_eq!(
            args.tls_cert,
            Some(PathBuf::from("/etc/quaderno/tls/fullchain.pem"))
        );
        assert!(args.tls_key.is_some());
    }

    #[test]
    fn a_flag_wins_over_the_file() {
        let file = settings("listen = \"0.0.0.0:7000\"\n");
        let path = file.path().to_str().unwrap();
        let cli = parse(&[
            "quaderno-server",
            "--config",
            path,
            "--data-dir",
            "/tmp/x",
            "serve",
            "--listen",
            "127.0.0.1:9",
        ])
        .unwrap();
        assert_eq!(serve(cli).listen.to_string(), "127.0.0.1:9");
    }

    #[test]
    fn a_misspelt_setting_is_named_with_the_right_ones() {
        let file = settings("lisen = \"0.0.0.0:7000\"\n");
        let path = file.path().to_str().unwrap();
        let error = parse(&["quaderno-server", "--config", path, "serve"]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`lisen`"), "{message}");
        assert!(message.contains("listen, "), "{message}");
        assert!(message.contains("quaderno-server serve"), "{message}");
    }

    #[test]
    fn a_value_of_the_wrong_kind_says_what_it_takes() {
        let file = settings("listen = { host = \"x\" }\n");
        let path = file.path().to_str().unwrap();
        let error = parse(&["quaderno-server", "--config", path, "serve"]).unwrap_err();
        assert!(error.to_string().contains("takes a text"), "{error}");
        let file = settings("listen = [");
        let error = parse(&[
            "quaderno-server",
            "--config",
            file.path().to_str().unwrap(),
            "serve",
        ])
        .unwrap_err();
        assert!(error.to_string().contains("not valid TOML"), "{error}");
    }

    #[test]
    fn without_a_file_the_arguments_are_untouched() {
        let args: Vec<OsString> = ["quaderno-server", "serve", "--listen", "127.0.0.1:1"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            with_settings(args.clone(), Path::new("/nonexistent")).unwrap(),
            args
        );
    }

    #[test]
    fn the_default_file_is_read_when_none_is_named_and_serves_admin_commands_too() {
        let file = settings("data-dir = \"/var/lib/quaderno\"\nlisten = \"0.0.0.0:443\"\n");
        let args = ["quaderno-server", "group", "list"]
            .iter()
            .map(OsString::from)
            .collect();
        let cli = Cli::parse_from(with_settings(args, file.path()).unwrap());
        assert_eq!(cli.data_dir, Some(PathBuf::from("/var/lib/quaderno")));
    }
}
