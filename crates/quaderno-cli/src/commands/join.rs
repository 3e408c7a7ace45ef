use quaderno_client::{JoinOutcome, LinkOutcome, join, join_plain, join_with_link};
use quaderno_model::DocumentId;
use serde_json::json;

use crate::config::Config;
use crate::output::{Rendered, text};

/// Where an operator governs the relay: the page's section of that name.
const GOVERN_HINT: &str = "Open the page (`quaderno ui`) and go to \"Gestione dei gruppi\" to create groups, appoint their admins and govern them.";

const SYNC_HINT: &str =
    "Run `quaderno sync` to fetch the notes, or `quaderno sync --watch` to stay in sync.";

pub fn run(
    config: &Config,
    relay: &str,
    code: &str,
    device: Option<&str>,
) -> anyhow::Result<Rendered> {
    let outcome = super::relay_runtime()?.block_on(join(&config.data_dir, relay, code, device))?;
    Ok(render(config, &outcome))
}

/// Joins a group kept on a plain automerge-repo relay, by its index document.
pub fn plain(
    config: &Config,
    relay: &str,
    group: &str,
    index: DocumentId,
    device: Option<&str>,
) -> anyhow::Result<Rendered> {
    let outcome = join_plain(&config.data_dir, relay, group, index, device)?;
    Ok(render(config, &outcome))
}

/// Makes this computer one more device of the person who made the link code elsewhere.
pub fn with_link(
    config: &Config,
    relay: &str,
    code: &str,
    device: Option<&str>,
) -> anyhow::Result<Rendered> {
    let outcome =
        super::relay_runtime()?.block_on(join_with_link(&config.data_dir, relay, code, device))?;
    Ok(render_linked(config, &outcome))
}

fn render(config: &Config, outcome: &JoinOutcome) -> Rendered {
    let text = || {
        let device = if outcome.plain {
            "It is a plain automerge-repo relay: notes are found through the group's index."
                .to_string()
        } else if outcome.new_device {
            format!(
                "This computer is registered there as \"{}\".",
                outcome.device
            )
        } else {
            format!(
                "This computer (\"{}\") was already registered there.",
                outcome.device
            )
        };
        match &outcome.group {
            Some(group) => format!(
                "Joined group `{}` ({}) on {} as {}.\n{device}\n{SYNC_HINT}",
                group.slug, group.title, outcome.relay_url, group.role
            ),
            None => format!(
                "This device is now an operator of the relay {}.\n{device}\n{GOVERN_HINT}",
                outcome.relay_url
            ),
        }
    };
    let json = || {
        let group = outcome.group.as_ref();
        json!({
            "relay": outcome.relay_url, "group": group.map(|g| &g.slug),
            "title": group.map(|g| &g.title), "role": group.map(|g| &g.role),
            "operator": outcome.operator, "device": outcome.device,
            "new_device": outcome.new_device, "plain": outcome.plain,
        })
    };
    config.format().render(text, json)
}

fn render_linked(config: &Config, outcome: &LinkOutcome) -> Rendered {
    let text = || {
        let mut lines = vec![format!(
            "This computer is now one more device of {} on {}, named \"{}\".",
            outcome.participant, outcome.relay_url, outcome.device
        )];
        if outcome.groups.is_empty() {
            lines.push("You are in no group there yet.".into());
        } else {
            lines.push("It is in all of your groups there, with your roles:".into());
            let rows: Vec<Vec<String>> = outcome
                .groups
                .iter()
                .map(|g| vec![format!("  {}", g.slug), g.title.clone(), g.role.clone()])
                .collect();
            lines.push(text::table(&rows).trim_end().to_string());
        }
        if outcome.identity_set {
            lines.push(format!(
                "It signs what you write as {}, as your other computers do.",
                outcome.identity
            ));
        } else if outcome.identity != outcome.participant {
            lines.push(format!(
                "It signs as {} (set with `quaderno init`), while the relay knows you as {}: `quaderno init` changes it.",
                outcome.identity, outcome.participant
            ));
        }
        if outcome.operator {
            lines.push(format!("You are an operator of this relay. {GOVERN_HINT}"));
        }
        if !outcome.groups.is_empty() {
            lines.push(SYNC_HINT.into());
        }
        lines.join("\n")
    };
    let json = || {
        let groups: Vec<_> = outcome
            .groups
            .iter()
            .map(|g| json!({ "group": g.slug, "title": g.title, "role": g.role }))
            .collect();
        json!({
            "relay": outcome.relay_url, "device": outcome.device,
            "participant": { "name": outcome.participant.name, "city": outcome.participant.city },
            "identity_set": outcome.identity_set, "groups": groups,
            "operator": outcome.operator,
        })
    };
    config.format().render(text, json)
}
