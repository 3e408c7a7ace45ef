//! `quaderno device link`: a one-time code for another computer of the same person.

use chrono::Utc;
use quaderno_client::{DeviceLink, link_device};
use serde_json::json;

use crate::config::Config;
use crate::output::{Rendered, text};

pub fn link(config: &Config, relay: Option<&str>) -> anyhow::Result<Rendered> {
    let link = super::relay_runtime()?.block_on(link_device(&config.data_dir, relay))?;
    let command = command(&link);
    let text = || {
        let minutes = ((link.expires_at - Utc::now()).num_seconds() + 59)
            .div_euclid(60)
            .max(1);
        format!(
            "A one-time code for your other computer, valid for {minutes} minutes (until {}):\n\n    {}\n\n\
             On the other computer, type:\n\n    {command}\n\n\
             It becomes one more device of yours, in all of your groups, with your name and city.\n\
             The code works once: give it to nobody else.",
            text::local_time(link.expires_at),
            link.code,
        )
    };
    let json = || {
        json!({
            "code": link.code, "expires_at": link.expires_at, "relay": link.relay_url,
            "command": command,
        })
    };
    Ok(config.format().render(text, json))
}

/// What to type on the other computer.
fn command(link: &DeviceLink) -> String {
    format!("quaderno join --link {} {}", link.code, link.relay_url)
}
