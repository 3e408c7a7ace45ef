//! `quaderno backup --out FILE` and `quaderno restore --backup FILE`.

use std::path::Path;

use crate::config::Config;
use crate::output::Rendered;

pub fn write(config: &Config, out: &Path) -> anyhow::Result<Rendered> {
    let written = quaderno_client::backup::backup(&config.data_dir, out)?;
    Ok(config.format().render(
        || {
            format!(
                "Wrote {} notes with their history to {} ({} bytes).\n\
                 On the new computer: quaderno restore --backup FILE",
                written.notes,
                written.path.display(),
                written.bytes
            )
        },
        || &written,
    ))
}

pub fn restore(config: &Config, file: &Path) -> anyhow::Result<Rendered> {
    let restored = quaderno_client::backup::restore(&config.data_dir, file)?;
    Ok(config.format().render(
        || {
            let mut lines = vec![format!(
                "Restored {} notes with their history into {}.",
                restored.notes,
                config.data_dir.display()
            )];
            if !restored.groups.is_empty() {
                let groups: Vec<String> = restored
                    .groups
                    .iter()
                    .map(|(group, notes)| format!("{group} ({notes})"))
                    .collect();
                lines.push(format!(
                    "Notes of groups: {}. This computer is not a device of yours yet: on your old \
                     computer run `quaderno device link`, then here `quaderno join --link CODE \
                     RELAY_URL` (or join with a new invite); the groups then sync.",
                    groups.join(", ")
                ));
            }
            lines.join("\n")
        },
        || &restored,
    ))
}
