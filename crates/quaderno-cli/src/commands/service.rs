//! `quaderno service install | uninstall | status`: the page's process, `quaderno ui
//! --no-open`, run in the background from login to logout, so that every joined group stays
//! in sync with no terminal open and the page is always at one address.
//!
//! Where the desktop runs a systemd user session, the service is a user unit (restarted if it
//! fails, stopped at logout); elsewhere an XDG autostart entry, which the desktop runs at login,
//! and which is started at once here.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;
use quaderno_client::sync::owner::{self, OwnerKind};
use serde::Serialize;

use crate::config::Config;
use crate::error::UserError;
use crate::output::Rendered;

/// The user unit's name.
const UNIT: &str = "quaderno.service";
/// The autostart entry's file name.
const AUTOSTART: &str = "quaderno.desktop";
/// Where a page started in the background writes what it logs, in the data folder.
pub const PAGE_LOG: &str = "page.log";

/// How the service is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Manager {
    /// A systemd user unit.
    Systemd,
    /// An XDG autostart entry.
    Autostart,
}

pub fn install(config: &Config, port: u16) -> anyhow::Result<Rendered> {
    let data_dir = std::path::absolute(&config.data_dir)?;
    let exe = std::env::current_exe().context("cannot find the quaderno program")?;
    let command = service_command(&exe, &data_dir, port);
    let (manager, path) = if systemd_user_session() {
        let path = unit_path()?;
        write(&path, &unit_text(&command, port))?;
        systemctl(&["daemon-reload"])?;
        systemctl(&["enable", "--now", UNIT])?;
        (Manager::Systemd, path)
    } else {
        let path = autostart_path()?;
        write(&path, &autostart_text(&command))?;
        if owner::live_owner(&data_dir).is_none_or(|o| o.kind != OwnerKind::Page) {
            start_now(&data_dir, Some(port))?;
        }
        (Manager::Autostart, path)
    };
    let address = format!("http://127.0.0.1:{port}/");
    Ok(config.format().render(
        || {
            format!(
                "installed: {} ({})\nYour groups stay in sync in the background from now on, and \
                 at every login. `quaderno open` opens the page at {address}",
                path.display(),
                describe(manager)
            )
        },
        || serde_json::json!({ "manager": manager, "file": path, "address": address }),
    ))
}

pub fn uninstall(config: &Config) -> anyhow::Result<Rendered> {
    let mut removed = Vec::new();
    let unit = unit_path()?;
    if unit.exists() {
        if systemd_user_session() {
            systemctl(&["disable", "--now", UNIT])?;
        }
        std::fs::remove_file(&unit).with_context(|| format!("cannot remove {}", unit.display()))?;
        if systemd_user_session() {
            systemctl(&["daemon-reload"])?;
        }
        removed.push(unit);
    }
    let autostart = autostart_path()?;
    if autostart.exists() {
        std::fs::remove_file(&autostart)
            .with_context(|| format!("cannot remove {}", autostart.display()))?;
        removed.push(autostart);
    }
    // A page started by the autostart entry or by `quaderno open` is this service too.
    let stopped = stop_page(&config.data_dir);
    Ok(config.format().render(
        || {
            let mut lines: Vec<String> = removed
                .iter()
                .map(|p| format!("removed: {}", p.display()))
                .collect();
            if let Some(pid) = stopped {
                lines.push(format!("stopped the page (process {pid})"));
            }
            if lines.is_empty() {
                lines.push("the background service was not installed".into());
            }
            lines.push("Your notes are where they were; `quaderno sync` still syncs.".into());
            lines.join("\n")
        },
        || serde_json::json!({ "removed": removed, "stopped": stopped }),
    ))
}

pub fn status(config: &Config) -> anyhow::Result<Rendered> {
    let unit = unit_path()?;
    let autostart = autostart_path()?;
    let installed = if unit.exists() {
        Some((Manager::Systemd, unit))
    } else if autostart.exists() {
        Some((Manager::Autostart, autostart))
    } else {
        None
    };
    let running = owner::live_owner(&config.data_dir);
    let page = running.filter(|o| o.kind == OwnerKind::Page).map(|o| o.pid);
    Ok(config.format().render(
        || {
            let mut lines = vec![match &installed {
                Some((manager, path)) => {
                    format!("installed: {} ({})", path.display(), describe(*manager))
                }
                None => "not installed: `quaderno service install` starts it at every login".into(),
            }];
            lines.push(match running {
                Some(owner) => format!("running: {owner}"),
                None => "not running: `quaderno open` starts it".into(),
            });
            lines.push(format!("data folder: {}", config.data_dir.display()));
            lines.join("\n")
        },
        || {
            serde_json::json!({
                "installed": installed.as_ref().map(|(m, p)| serde_json::json!({ "manager": m, "file": p })),
                "page_pid": page,
                "data_dir": config.data_dir,
            })
        },
    ))
}

/// Starts the installed user unit, if there is one and systemd runs this user's session.
pub fn start_installed() -> anyhow::Result<bool> {
    if !unit_path()?.exists() || !systemd_user_session() {
        return Ok(false);
    }
    systemctl(&["start", UNIT])?;
    Ok(true)
}

fn describe(manager: Manager) -> &'static str {
    match manager {
        Manager::Systemd => "a systemd user unit",
        Manager::Autostart => "started at login by the desktop",
    }
}

/// The command the service runs.
fn service_command(exe: &Path, data_dir: &Path, port: u16) -> Vec<String> {
    vec![
        exe.display().to_string(),
        "--data-dir".into(),
        data_dir.display().to_string(),
        "ui".into(),
        "--no-open".into(),
        "--port".into(),
        port.to_string(),
    ]
}

fn unit_text(command: &[String], port: u16) -> String {
    format!(
        "# Written by `quaderno service install`; `quaderno service uninstall` removes it.\n\
         [Unit]\n\
         Description=Quaderno: keeps your groups in sync, the page at http://127.0.0.1:{port}/\n\n\
         [Service]\n\
         ExecStart={}\n\
         Restart=on-failure\n\
         RestartSec=5s\n\n\
         [Install]\n\
         WantedBy=default.target\n",
        command
            .iter()
            .map(|a| quote_systemd(a))
            .collect::<Vec<_>>()
            .join(" ")
    )
}

fn autostart_text(command: &[String]) -> String {
    format!(
        "# Written by `quaderno service install`; `quaderno service uninstall` removes it.\n\
         [Desktop Entry]\n\
         Type=Application\n\
         Name=Quaderno (sync)\n\
         Name[it]=Quaderno (sincronizzazione)\n\
         Comment=Keeps your groups in sync in the background\n\
         Comment[it]=Tiene sincronizzati i tuoi gruppi in background\n\
         Exec={}\n\
         Terminal=false\n\
         NoDisplay=true\n\
         X-GNOME-Autostart-enabled=true\n",
        command
            .iter()
            .map(|a| quote_desktop(a))
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// An argument of a unit's ExecStart: quoted when it holds a space, a quote or a backslash,
/// `$` and `%` doubled so that systemd expands neither.
fn quote_systemd(arg: &str) -> String {
    let escaped = arg
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%")
        .replace('$', "$$");
    if escaped.contains([' ', '"', '\\', '\t']) || escaped.is_empty() {
        format!("\"{escaped}\"")
    } else {
        escaped
    }
}

/// An argument of a desktop entry's Exec (the Desktop Entry Specification's quoting).
fn quote_desktop(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_alphanumeric() || "/-_.,:=+@".contains(c));
    if plain {
        return arg.to_owned();
    }
    let mut quoted = String::from("\"");
    for c in arg.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        if c == '%' {
            quoted.push('%');
        }
        quoted.push(c);
    }
    // The specification reads the entry's value with backslash escapes first.
    quoted.push('"');
    quoted.replace('\\', "\\\\")
}

fn config_home() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| UserError("cannot find your home folder (HOME is not set)".into()))?;
    Ok(PathBuf::from(home).join(".config"))
}

fn unit_path() -> anyhow::Result<PathBuf> {
    Ok(config_home()?.join("systemd/user").join(UNIT))
}

fn autostart_path() -> anyhow::Result<PathBuf> {
    Ok(config_home()?.join("autostart").join(AUTOSTART))
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let temporary = path.with_extension("new");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Whether systemd manages this user's session (`systemctl --user` reaches it).
fn systemd_user_session() -> bool {
    Command::new("systemctl")
        .args(["--user", "is-system-running"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        // "degraded" (exit 1) is a running manager too; no manager at all is another code.
        .is_ok_and(|status| matches!(status.code(), Some(0 | 1)))
        && std::env::var_os("XDG_RUNTIME_DIR").is_some()
}

fn systemctl(args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new("systemctl")
        .arg("--user")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("cannot run systemctl")?;
    if output.status.success() {
        return Ok(());
    }
    anyhow::bail!(
        "`systemctl --user {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr).trim()
    )
}

/// Starts `quaderno ui --no-open` on `data_dir` now, in a session of its own so that it
/// outlives this command and the terminal (or desktop launcher) it ran from; it logs to
/// `page.log` in the data folder. Without `port`, the page's default.
pub fn start_now(data_dir: &Path, port: Option<u16>) -> anyhow::Result<()> {
    let log_path = data_dir.join(PAGE_LOG);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("cannot write {}", log_path.display()))?;
    let exe = std::env::current_exe().context("cannot find the quaderno program")?;
    let mut process = Command::new(exe);
    process
        .arg("--data-dir")
        .arg(data_dir)
        .args(["ui", "--no-open"])
        .args(port.map(|p| format!("--port={p}")))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        process.process_group(0);
    }
    process.spawn().context("cannot start `quaderno ui`")?;
    Ok(())
}

/// Stops the page serving `data_dir`, if one does; its process id.
fn stop_page(data_dir: &Path) -> Option<u32> {
    let owner = owner::live_owner(data_dir).filter(|o| o.kind == OwnerKind::Page)?;
    let pid = rustix::process::Pid::from_raw(i32::try_from(owner.pid).ok()?)?;
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).ok()?;
    Some(owner.pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_for_systemd_and_desktop_entries() {
        assert_eq!(quote_systemd("/usr/bin/quaderno"), "/usr/bin/quaderno");
        assert_eq!(
            quote_systemd("/home/anna/I miei appunti"),
            "\"/home/anna/I miei appunti\""
        );
        assert_eq!(quote_systemd("100%$"), "100%%$$");
        assert_eq!(quote_desktop("/usr/bin/quaderno"), "/usr/bin/quaderno");
        assert_eq!(
            quote_desktop("/home/anna/I miei appunti"),
            "\"/home/anna/I miei appunti\""
        );
        assert_eq!(quote_desktop("a$b"), "\"a\\\\$b\"");
    }

    #[test]
    fn the_unit_runs_the_page_on_its_port() {
        let command = service_command(Path::new("/usr/bin/quaderno"), Path::new("/home/a/q"), 7879);
        let unit = unit_text(&command, 7879);
        assert!(
            unit.contains(
                "ExecStart=/usr/bin/quaderno --data-dir /home/a/q ui --no-open --port 7879\n"
            ),
            "{unit}"
        );
        assert!(unit.contains("WantedBy=default.target"));
    }
}
