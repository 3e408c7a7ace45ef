use quaderno_client::{JoinOutcome, join, join_plain};
use quaderno_model::DocumentId;
use serde_json::json;

use crate::config::Config;
use crate::output::Rendered;

pub fn run(
    config: &Config,
    relay: &str,
    code: &str,
    device: Option<&str>,
) -> anyhow::Result<Rendered> {
    let outcome = super::runtime()?.block_on(join(&config.data_dir, relay, code, device))?;
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
        format!(
            "Joined group `{}` ({}) on {} as {}.\n{device}\nRun `quaderno sync` to fetch its notes, or `quaderno sync --watch` to stay in sync.",
            outcome.group, outcome.title, outcome.relay_url, outcome.role
        )
    };
    let json = || {
        json!({
            "relay": outcome.relay_url, "group": outcome.group, "title": outcome.title,
            "role": outcome.role, "device": outcome.device, "new_device": outcome.new_device,
            "plain": outcome.plain,
        })
    };
    config.format().render(text, json)
}
