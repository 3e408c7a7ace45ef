use quaderno_client::join;
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
    let text = || {
        let device = if outcome.new_device {
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
        })
    };
    Ok(config.format().render(text, json))
}
