use quaderno_client::{GroupStatus, status};

use crate::config::Config;
use crate::output::{Rendered, text};

pub fn run(config: &Config, offline: bool) -> anyhow::Result<Rendered> {
    let status = super::runtime()?.block_on(status(&config.data_dir, !offline))?;
    let text = || {
        if status.groups.is_empty() {
            return "No group joined yet: your notes are in your personal notebook.\nJoin a group with `quaderno join RELAY_URL CODE`.".to_string();
        }
        status
            .groups
            .iter()
            .map(group_text)
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    Ok(config.format().render(text, || &status))
}

fn group_text(g: &GroupStatus) -> String {
    let synced = g
        .last_complete_sync
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "never".into());
    let mut lines = vec![
        format!("{} ({}), {} on {}", g.group, g.title, g.role, g.relay),
        format!("  relay:          {}", g.relay_state),
        format!("  last full sync: {synced}"),
    ];
    if let Some(reason) = &g.refused {
        lines.push(format!(
            "  refused:        {reason} (ask for a new invite, then `quaderno join`)"
        ));
    }
    if let Some(first) = g.kept.first() {
        lines.push(format!(
            "  refused edits:  {}, so the relay did not accept your edits to {}; they are kept as personal copies:",
            first.reason,
            text::notes(g.kept.len())
        ));
        for copy in &g.kept {
            let short = text::short_id(&copy.copy);
            lines.push(format!(
                "    {short}  {} (your version of \"{}\")",
                copy.copy_title, copy.title
            ));
        }
    }
    for e in &g.erased {
        let day = e.erased_at.with_timezone(&chrono::Local).format("%Y-%m-%d");
        let mut line = match &e.successor {
            Some(next) => format!(
                "  erased:         a passage of a note ({}, now {}) was erased by {} on {day}",
                text::short_id(&e.note),
                text::short_id(next),
                e.erased_by
            ),
            None => format!(
                "  erased:         a note ({}) was erased by {} on {day}",
                text::short_id(&e.note),
                e.erased_by
            ),
        };
        if !e.reason.is_empty() {
            line.push_str(&format!(" ({})", e.reason));
        }
        match (e.lost_edits, &e.successor) {
            (true, Some(_)) => line.push_str("; your changes not yet sent were carried over"),
            (true, None) => line.push_str("; your changes not yet sent were deleted with it"),
            (false, _) => {}
        }
        lines.push(line);
    }
    if g.waiting.is_empty() {
        lines.push("  waiting:        nothing, the relay holds every local change".into());
    } else {
        lines.push(format!(
            "  waiting:        {} note(s) with changes the relay has not acknowledged",
            g.waiting.len()
        ));
        for note in &g.waiting {
            let short: String = note.id.chars().take(8).collect();
            lines.push(format!("    {short}  {}", note.title));
        }
    }
    lines.join("\n")
}
