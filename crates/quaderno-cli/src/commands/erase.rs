//! `quaderno erase` and `quaderno erasures`: erasing a note for everyone, and the receipts.

use quaderno_client::ClientError;
use quaderno_client::relays::{ApiError, RelayApi, account_for_group};
use quaderno_client::sync::owner::{self, Claim, OwnerKind};
use quaderno_client::sync::{erase_note, redact_note, sync_once};
use serde_json::json;

use crate::config::Config;
use crate::output::{Rendered, text};

pub fn run(config: &Config, note: &str, reason: &str) -> anyhow::Result<Rendered> {
    let erased = super::relay_runtime()?.block_on(erase_note(&config.data_dir, note, reason))?;
    let title = erased.title.clone().unwrap_or_default();
    let text = || {
        format!(
            "Erased «{title}» from group `{}`: the relay deleted it and refuses it from now on; \
             every device of the group deletes it at its next sync.\n\
             See which devices confirmed with `quaderno erasures --group {}`.",
            erased.group, erased.group
        )
    };
    let json = || {
        json!({
            "group": erased.group, "note": erased.doc.to_string(), "title": title,
            "reason": erased.reason,
        })
    };
    Ok(config.format().render(text, json))
}

pub fn redact(
    config: &Config,
    note: &str,
    passage: &str,
    reason: &str,
) -> anyhow::Result<Rendered> {
    let runtime = super::relay_runtime()?;
    let (listed, successor) =
        runtime.block_on(redact_note(&config.data_dir, note, passage, reason))?;
    // This computer follows at once, unless a page or a watch keeps the folder in sync (it
    // follows within a second by itself).
    let followed = match owner::claim(&config.data_dir, OwnerKind::Sync)? {
        Claim::Owned(ownership) => {
            drop(ownership);
            runtime
                .block_on(sync_once(&config.data_dir, &|_| {}))
                .is_ok()
        }
        Claim::Held(_) => true,
    };
    let text = || {
        let mut text = format!(
            "Erased the passage from «{}» in group `{}` and from its whole history: the note goes \
             on without it, and every device of the group follows at its next sync.",
            listed.title, listed.group
        );
        if !followed {
            text.push_str("\nThis computer follows at its next `quaderno sync`.");
        }
        text
    };
    let json =
        || json!({ "group": listed.group, "note": successor.to_string(), "reason": reason.trim() });
    Ok(config.format().render(text, json))
}

pub fn list(config: &Config, group: &str) -> anyhow::Result<Rendered> {
    let account =
        account_for_group(&config.data_dir, group)?.ok_or_else(|| ClientError::UnknownGroup {
            group: group.to_string(),
        })?;
    let api = RelayApi::new(&account.url);
    let erasures = super::relay_runtime()?
        .block_on(api.erasures(&account.token, group))
        .map_err(|e| -> anyhow::Error {
            match e {
                ApiError::Refused { status: 403, .. } => ClientError::CannotErase(format!(
                    "only an admin of group `{group}` sees its erasures"
                ))
                .into(),
                other => other.into(),
            }
        })?;
    let text = || {
        if erasures.is_empty() {
            return format!("No note was erased from group `{group}`.");
        }
        let mut lines = Vec::new();
        for e in &erasures {
            let confirmed = e
                .devices
                .iter()
                .filter(|d| d.confirmed_at.is_some())
                .count();
            lines.push(format!(
                "{}  erased {} by {}: {} ({} of {} devices confirmed)",
                text::short_id(&e.doc.to_string()),
                text::local_time(e.erased_at),
                e.erased_by,
                if e.reason.is_empty() {
                    "no reason given"
                } else {
                    &e.reason
                },
                confirmed,
                e.devices.len()
            ));
            for d in &e.devices {
                let state = match (d.confirmed_at, d.last_seen_at) {
                    (Some(at), _) => format!("confirmed {}", text::local_time(at)),
                    (None, Some(seen)) if seen > e.erased_at => {
                        format!("not confirmed yet (last seen {})", text::local_time(seen))
                    }
                    (None, Some(seen)) => {
                        format!("not seen since (last seen {})", text::local_time(seen))
                    }
                    (None, None) => "never seen".to_string(),
                };
                lines.push(format!("    {} · {}: {state}", d.participant, d.device));
            }
        }
        lines.join("\n")
    };
    let json = || json!({ "group": group, "erasures": erasures });
    Ok(config.format().render(text, json))
}
