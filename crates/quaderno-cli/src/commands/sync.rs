//! `quaderno sync` (once, with a progress bar when it takes a while) and `--watch`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use quaderno_client::sync::{
    GroupOutcome, GroupReport, Live, LiveEvent, SyncProgress, SyncReport, sync_once,
};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::error::{SyncFailed, UserError};
use crate::output::{Format, Rendered};

/// A progress bar appears only when a sync takes longer than this.
const BAR_AFTER: Duration = Duration::from_millis(700);

pub fn once(config: &Config) -> anyhow::Result<Rendered> {
    let started = Instant::now();
    let bar = Mutex::new(None::<ProgressBar>);
    let show_bar = config.format() == Format::Text;
    let progress = |p: SyncProgress| {
        if !show_bar || started.elapsed() < BAR_AFTER {
            return;
        }
        let mut bar = bar
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bar = bar.get_or_insert_with(new_bar);
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        bar.set_message(p.group);
    };
    let report = super::runtime()?.block_on(sync_once(&config.data_dir, &progress))?;
    if let Some(bar) = bar
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        bar.finish_and_clear();
    }
    let rendered = config.format().render(|| text(&report), || &report);
    match failure(&report) {
        None => Ok(rendered),
        Some(failed) => {
            rendered.print();
            Err(failed)
        }
    }
}

fn new_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:12} [{bar:30}] {pos}/{len} notes")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar
}

fn text(report: &SyncReport) -> String {
    let width = report
        .groups
        .iter()
        .map(|g| g.group.len())
        .max()
        .unwrap_or(0);
    report
        .groups
        .iter()
        .map(|g| format!("{:width$}  {}", g.group, line(g)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn line(g: &GroupReport) -> String {
    match &g.outcome {
        GroupOutcome::Synced if g.checked == 0 => "up to date (nothing changed)".to_string(),
        GroupOutcome::Synced => {
            let mut parts = vec![
                format!("{} pulled", g.pulled),
                format!("{} pushed", g.pushed),
            ];
            if g.removed > 0 {
                parts.push(format!("{} removed (purged on the relay)", g.removed));
            }
            if g.recovered > 0 {
                parts.push(format!(
                    "{} recovered (damaged here, sent back by the relay)",
                    g.recovered
                ));
            }
            format!(
                "synced: {} of {} checked ({:.1} s)",
                parts.join(", "),
                g.checked,
                g.seconds
            )
        }
        GroupOutcome::Unreachable { reason } => format!("offline: {reason}"),
        GroupOutcome::Refused { reason } => format!("refused: {reason}"),
        GroupOutcome::Failed { reason } => format!("failed: {reason}"),
    }
}

/// Unreachable relays exit with code 3, refusals with 2; the report is printed either way.
fn failure(report: &SyncReport) -> Option<anyhow::Error> {
    let unreachable = report
        .groups
        .iter()
        .find(|g| matches!(g.outcome, GroupOutcome::Unreachable { .. }));
    if let Some(g) = unreachable {
        return Some(
            SyncFailed::Unreachable(format!(
                "cannot reach the relay at {}: nothing local was changed; sync again when online",
                g.relay
            ))
            .into(),
        );
    }
    let refused = report
        .groups
        .iter()
        .find(|g| matches!(g.outcome, GroupOutcome::Refused { .. }));
    if let Some(g) = refused {
        return Some(UserError(format!("the relay refused this device for group `{}`: ask for a new invite and run `quaderno join`", g.group)).into());
    }
    let failed = report
        .groups
        .iter()
        .find(|g| matches!(g.outcome, GroupOutcome::Failed { .. }));
    failed.map(|g| anyhow::anyhow!("syncing group `{}` failed", g.group))
}

/// Stays in sync until Ctrl-C, printing what happens (one JSON object per line with --json).
pub fn watch(config: &Config) -> anyhow::Result<Rendered> {
    let runtime = super::runtime()?;
    let format = config.format();
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let live = Live::start(&config.data_dir, shutdown.clone())?;
        if live.status().is_empty() {
            return Err(UserError("this machine has not joined any group yet: run `quaderno join RELAY_URL CODE` first".into()).into());
        }
        let mut events = live.subscribe();
        if format == Format::Text {
            println!("Keeping {} group(s) in sync; Ctrl-C to stop.", live.status().len());
        }
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(event) => print_event(format, &event),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), live.stopped()).await;
        if format == Format::Text {
            println!("Stopped.");
        }
        Ok(Rendered::empty())
    })
}

fn print_event(format: Format, event: &LiveEvent) {
    if format == Format::Json {
        println!(
            "{}",
            serde_json::to_string(&event_json(event)).expect("events serialize")
        );
        return;
    }
    let line = match event {
        LiveEvent::Online { group } => format!("{group}: online"),
        LiveEvent::Offline { group, reason } => format!("{group}: offline ({reason}); retrying"),
        LiveEvent::Refused { group, reason } => {
            format!("{group}: refused by the relay ({reason}); no longer syncing this group")
        }
        LiveEvent::Changed { group, doc } => format!("{group}: {doc} changed"),
        LiveEvent::Synced { group } => format!("{group}: in sync"),
        LiveEvent::Presence { .. } => return,
    };
    println!("{line}");
}

fn event_json(event: &LiveEvent) -> serde_json::Value {
    use serde_json::json;
    match event {
        LiveEvent::Online { group } => json!({ "event": "online", "group": group }),
        LiveEvent::Offline { group, reason } => {
            json!({ "event": "offline", "group": group, "reason": reason })
        }
        LiveEvent::Refused { group, reason } => {
            json!({ "event": "refused", "group": group, "reason": reason })
        }
        LiveEvent::Changed { group, doc } => {
            json!({ "event": "changed", "group": group, "note": doc.to_string() })
        }
        LiveEvent::Synced { group } => json!({ "event": "synced", "group": group }),
        LiveEvent::Presence { doc, present } => json!({
            "event": "presence", "note": doc.to_string(),
            "present": present.iter().map(|p| json!({ "name": p.name, "city": p.city })).collect::<Vec<_>>(),
        }),
    }
}
