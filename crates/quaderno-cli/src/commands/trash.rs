use quaderno_client::Notebook;
use serde_json::json;

use crate::output::text::short_id;
use crate::output::{Format, Rendered};

/// `rm` (`deleted` = true) and `restore` (false).
pub fn run(
    format: Format,
    notebook: &mut Notebook,
    note: &str,
    deleted: bool,
) -> anyhow::Result<Rendered> {
    let (listed, changed) = notebook.set_deleted(note, deleted)?;
    let id = short_id(&listed.id);
    let text = || match (deleted, changed) {
        (true, true) => format!(
            "moved \"{}\" to the bin; bring it back with `quaderno restore {id}`",
            listed.title
        ),
        (true, false) => format!("\"{}\" was already in the bin", listed.title),
        (false, true) => format!("restored \"{}\"", listed.title),
        (false, false) => format!("\"{}\" was not in the bin", listed.title),
    };
    let json = || json!({ "id": listed.id, "title": listed.title, "deleted": deleted, "changed": changed });
    Ok(format.render(text, json))
}
