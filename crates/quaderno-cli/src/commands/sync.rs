//! `quaderno sync` (once, with a progress bar when it takes a while) and `--watch`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Arc;

use quaderno_client::notebook::KeptCopy;
use quaderno_client::notebook::kept::COPY_TAG;
use quaderno_client::sync::owner::{self, Answer, Claim, Owner, OwnerKind, Ownership, Request};
use quaderno_client::sync::{
    GroupOutcome, GroupReport, Live, LiveEvent, SyncProgress, SyncReport, sync_once,
};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::owner::{Answering, answer_requests};

use crate::config::Config;
use crate::error::{SyncFailed, UserError};
use crate::output::{self, Format, Rendered, text};

/// A progress bar appears only when a sync takes longer than this.
const BAR_AFTER: Duration = Duration::from_millis(700);

pub fn once(config: &Config) -> anyhow::Result<Rendered> {
    super::relay_runtime()?.block_on(async {
        match owner::claim(&config.data_dir, OwnerKind::Sync)? {
            Claim::Owned(ownership) => {
                let rendered = sync_here(config).await;
                drop(ownership);
                rendered
            }
            // Another one-shot sync: this one runs once it is done.
            Claim::Held(Some(held)) if held.kind == OwnerKind::Sync => {
                let ownership =
                    owner::claim_when_free(&config.data_dir, OwnerKind::Sync, Some(WAIT_FOR_SYNC))
                        .await?;
                let rendered = sync_here(config).await;
                drop(ownership);
                rendered
            }
            Claim::Held(Some(held)) => sync_by_owner(config, held).await,
            Claim::Held(None) => Err(owner::held(None).into()),
        }
    })
}

/// How long a `quaderno sync` waits for another one to finish.
const WAIT_FOR_SYNC: Duration = Duration::from_secs(120);

/// Syncs over this process's own connections.
async fn sync_here(config: &Config) -> anyhow::Result<Rendered> {
    let started = Instant::now();
    let bar = Mutex::new(None::<ProgressBar>);
    // The groups sync side by side: the bar counts the notes of all of them.
    let groups = Mutex::new(BTreeMap::<String, SyncProgress>::new());
    let show_bar = config.format() == Format::Text;
    let progress = |p: SyncProgress| {
        let mut groups = groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        groups.insert(p.group.clone(), p);
        if !show_bar || started.elapsed() < BAR_AFTER {
            return;
        }
        let mut bar = bar
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bar = bar.get_or_insert_with(new_bar);
        bar.set_length(groups.values().map(|g| g.total as u64).sum());
        bar.set_position(groups.values().map(|g| g.done as u64).sum());
        let syncing: Vec<&str> = groups
            .values()
            .filter(|g| g.done < g.total)
            .map(|g| g.group.as_str())
            .collect();
        bar.set_message(syncing.join(", "));
    };
    let report = sync_once(&config.data_dir, &progress).await?;
    if let Some(bar) = bar
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        bar.finish_and_clear();
    }
    finish(config, &report, text(&report))
}

/// The process that keeps this data folder live (the page, a watch) syncs instead: this one
/// asks it and reports what it says.
async fn sync_by_owner(config: &Config, held: Owner) -> anyhow::Result<Rendered> {
    let groups = match owner::ask(&config.data_dir, &Request::Sync).await? {
        Answer::Synced { groups } => groups,
        Answer::Refused { reason } => return Err(UserError(reason).into()),
        Answer::HandedOver | Answer::Page { .. } => {
            return Err(owner::held(Some(held)).into());
        }
    };
    let relays: Vec<(String, String)> = quaderno_client::status(&config.data_dir, false)
        .await?
        .groups
        .into_iter()
        .map(|g| (g.group, g.relay))
        .collect();
    let report = SyncReport {
        groups: groups
            .into_iter()
            .map(|(group, outcome)| {
                let relay = relays
                    .iter()
                    .find(|(g, _)| *g == group)
                    .map(|(_, r)| r.clone())
                    .unwrap_or_default();
                GroupReport::kept_live(group, relay, outcome)
            })
            .collect(),
    };
    let text = report
        .groups
        .iter()
        .map(|g| match &g.outcome {
            GroupOutcome::Synced => format!("{}  in sync, kept live by {held}", g.group),
            _ => format!("{}  {}", g.group, line(g)),
        })
        .collect::<Vec<_>>()
        .join("\n");
    finish(config, &report, text)
}

/// The report, and the exit code its outcomes call for.
fn finish(config: &Config, report: &SyncReport, text: String) -> anyhow::Result<Rendered> {
    let rendered = config.format().render(|| text, || report);
    match failure(report) {
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
        .map(|g| {
            let mut text = format!("{:width$}  {}", g.group, line(g));
            for note in &g.erased {
                text.push_str(&format!("\n{:width$}  erased: {}", "", note.message()));
            }
            for note in &g.unreadable {
                text.push_str(&format!(
                    "\n{:width$}  unreadable, set aside and reported to the coordinators: {} ({})",
                    "", note.doc, note.reason
                ));
            }
            for conflict in &g.conflicting {
                text.push_str(&format!(
                    "\n{:width$}  set aside: {} has a document under the id {} of a note of {} here; that note stays as it is, tell the coordinators of {}",
                    "", g.group, conflict.doc, conflict.belongs_to, g.group
                ));
            }
            text
        })
        .chain(restored(report))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One line for each relay found restored from a backup, however many of its groups synced.
fn restored(report: &SyncReport) -> Vec<String> {
    let relays: BTreeSet<&str> = report
        .groups
        .iter()
        .filter(|g| g.restored)
        .map(|g| g.relay.as_str())
        .collect();
    relays
        .into_iter()
        .map(|relay| {
            format!(
                "The relay at {relay} was restored from a backup: this computer sent back what it lacked."
            )
        })
        .collect()
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
        GroupOutcome::ChangesRefused { reason, kept } => changes_refused(reason, kept),
        GroupOutcome::Failed { reason } => format!("failed: {reason}"),
    }
}

/// Edits the relay would not take, and the personal copies that keep them, one per line.
fn changes_refused(reason: &str, kept: &[KeptCopy]) -> String {
    let mut lines = vec![format!(
        "refused: {reason}; your edits to {} were not accepted and are kept in your personal notebook:",
        text::notes(kept.len())
    )];
    lines.extend(kept.iter().map(|copy| {
        let short = text::short_id(&copy.copy);
        format!(
            "    {short}  \"{}\" (your version of \"{}\")",
            copy.copy_title, copy.title
        )
    }));
    lines.join("\n")
}

/// Unreachable relays exit with code 3, refusals (of this device, or of its edits) with 2; the
/// report is printed either way.
fn failure(report: &SyncReport) -> Option<anyhow::Error> {
    // The client's words name the relay and why (a refused certificate says what to do).
    let unreachable = report.groups.iter().find_map(|g| match &g.outcome {
        GroupOutcome::Unreachable { reason } => Some(reason),
        _ => None,
    });
    if let Some(reason) = unreachable {
        return Some(SyncFailed::Unreachable(reason.clone()).into());
    }
    let refused = report
        .groups
        .iter()
        .find(|g| matches!(g.outcome, GroupOutcome::Refused { .. }));
    if let Some(g) = refused {
        return Some(UserError(format!("the relay refused this device for group `{}`: ask for a new invite and run `quaderno join`", g.group)).into());
    }
    let changes_refused = report.groups.iter().find_map(|g| match &g.outcome {
        GroupOutcome::ChangesRefused { reason, .. } => Some((g, reason)),
        _ => None,
    });
    if let Some((g, reason)) = changes_refused {
        return Some(UserError(format!("the relay did not accept your edits in group `{}`: {reason}; they are kept as personal copies (`quaderno list --tag {COPY_TAG}`), and an admin of the group can make you an editor again", g.group)).into());
    }
    let failed = report
        .groups
        .iter()
        .find(|g| matches!(g.outcome, GroupOutcome::Failed { .. }));
    failed.map(|g| anyhow::anyhow!("syncing group `{}` failed", g.group))
}

/// Stays in sync until Ctrl-C, printing what happens (one JSON object per line with --json).
/// While the page (`quaderno ui`) runs on the same data folder, the page syncs and this one
/// waits; it takes over again when the page ends.
pub fn watch(config: &Config) -> anyhow::Result<Rendered> {
    let runtime = super::relay_runtime()?;
    let format = config.format();
    runtime.block_on(async {
        let mut ownership = match owner::claim(&config.data_dir, OwnerKind::Watch)? {
            Claim::Owned(ownership) => ownership,
            Claim::Held(Some(held)) if held.kind == OwnerKind::Sync => {
                owner::claim_when_free(&config.data_dir, OwnerKind::Watch, Some(WAIT_FOR_SYNC))
                    .await?
            }
            Claim::Held(held) => return Err(owner::held(held).into()),
        };
        let mut first = true;
        loop {
            match watch_while_owner(config, ownership, first).await? {
                Watched::Stopped => break,
                Watched::HandedOver => {
                    print_note(
                        format,
                        "handed_over",
                        "the page syncs this data folder now; waiting until it closes",
                    );
                    ownership = owner::take_back(&config.data_dir).await?;
                    print_note(format, "took_over", "the page closed; syncing again");
                }
            }
            first = false;
        }
        if format == Format::Text {
            output::line("Stopped.");
        }
        Ok(Rendered::empty())
    })
}

/// How a watch that owned the connections ended.
enum Watched {
    Stopped,
    HandedOver,
}

/// Syncs live until Ctrl-C, or until the page asks for the connections (they are let go, with
/// `ownership`, before the page is told).
async fn watch_while_owner(
    config: &Config,
    ownership: Ownership,
    first: bool,
) -> anyhow::Result<Watched> {
    let format = config.format();
    let shutdown = CancellationToken::new();
    let live = Live::start(&config.data_dir, shutdown.clone())?;
    if live.status().is_empty() {
        return Err(UserError(
            "this machine has not joined any group yet: run `quaderno join RELAY_URL CODE` first"
                .into(),
        )
        .into());
    }
    let (handing_over, mut asked) = mpsc::channel::<oneshot::Sender<()>>(1);
    let answering: Answering = {
        let live = live.clone();
        Arc::new(move |request| {
            let live = live.clone();
            let handing_over = handing_over.clone();
            Box::pin(async move {
                match request {
                    Request::Sync => Answer::Synced {
                        groups: live.settle().await,
                    },
                    Request::HandOver => {
                        let (done, let_go) = oneshot::channel();
                        if handing_over.send(done).await.is_err() || let_go.await.is_err() {
                            return Answer::Refused {
                                reason: "this watch is stopping".into(),
                            };
                        }
                        Answer::HandedOver
                    }
                    Request::Page => Answer::Refused {
                        reason: "no page is open: this is `quaderno sync --watch`".into(),
                    },
                }
            })
        })
    };
    let listener = owner::listen(&ownership)?;
    // Not the live sync's token: the answer to a handover is written after the live stops.
    let answering_stops = CancellationToken::new();
    let answers = tokio::spawn(answer_requests(
        listener,
        answering,
        answering_stops.clone(),
    ));
    let mut events = live.subscribe();
    if format == Format::Text && first {
        output::line(format_args!(
            "Keeping {} group(s) in sync; Ctrl-C to stop.",
            live.status().len()
        ));
    }
    let ended = loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => print_event(format, &event),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break Watched::Stopped,
            },
            Some(done) = asked.recv() => {
                stop_live(&live, &shutdown).await;
                drop(ownership);
                let _ = done.send(());
                let _ = answers.await;
                return Ok(Watched::HandedOver);
            }
            _ = tokio::signal::ctrl_c() => break Watched::Stopped,
        }
    };
    stop_live(&live, &shutdown).await;
    answering_stops.cancel();
    let _ = answers.await;
    drop(ownership);
    Ok(ended)
}

async fn stop_live(live: &Live, shutdown: &CancellationToken) {
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), live.stopped()).await;
}

/// A line about the watch itself (text), or an event (JSON).
fn print_note(format: Format, event: &str, text: &str) {
    if format == Format::Json {
        output::line(serde_json::json!({ "event": event }));
    } else {
        output::line(text);
    }
}

fn print_event(format: Format, event: &LiveEvent) {
    if format == Format::Json {
        output::line(serde_json::to_string(&event_json(event)).expect("events serialize"));
        return;
    }
    let line = match event {
        LiveEvent::Online { group } => format!("{group}: online"),
        LiveEvent::Offline { group, reason } => format!("{group}: offline ({reason}); retrying"),
        LiveEvent::Refused { group, reason } => {
            format!("{group}: refused by the relay ({reason}); no longer syncing this group")
        }
        LiveEvent::Role { group, role } => format!("{group}: you are now {}", role_words(role)),
        LiveEvent::ChangesRefused {
            group,
            reason,
            kept,
        } => format!("{group}: {}", changes_refused(reason, kept)),
        LiveEvent::NoteErased { note } => format!("{}: erased: {}", note.group, note.message()),
        LiveEvent::Changed { group, doc } => format!("{group}: {doc} changed"),
        LiveEvent::Synced { group } => format!("{group}: in sync"),
        LiveEvent::Presence { .. } => return,
    };
    output::line(line);
}

/// A role as the watch's output says it.
fn role_words(role: &str) -> String {
    match role {
        "reader" => "a reader: the group's notes can be read here, not changed".into(),
        "editor" => "an editor: you can write the group's notes".into(),
        "admin" => "an admin: you can write and govern the group".into(),
        other => format!("`{other}`"),
    }
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
        LiveEvent::Role { group, role } => {
            json!({ "event": "role", "group": group, "role": role })
        }
        LiveEvent::ChangesRefused {
            group,
            reason,
            kept,
        } => json!({ "event": "changes_refused", "group": group, "reason": reason, "kept": kept }),
        LiveEvent::NoteErased { note } => json!({
            "event": "note_erased", "group": note.group, "note": note.doc.to_string(),
            "erased_at": note.erased_at, "erased_by": note.erased_by, "reason": note.reason,
            "lost_edits": note.lost_edits,
        }),
        LiveEvent::Changed { group, doc } => {
            json!({ "event": "changed", "group": group, "note": doc.to_string() })
        }
        LiveEvent::Synced { group } => json!({ "event": "synced", "group": group }),
        LiveEvent::Presence { doc, present } => json!({
            "event": "presence", "note": doc.to_string(),
            "present": present.iter().map(|p| json!({ "name": p.name, "city": p.city, "claimed": p.claimed })).collect::<Vec<_>>(),
        }),
    }
}
