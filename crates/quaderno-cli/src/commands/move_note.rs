use quaderno_client::Notebook;
use serde_json::json;

use crate::output::{Format, Rendered};

pub fn run(
    format: Format,
    notebook: &mut Notebook,
    note: &str,
    group: &str,
) -> anyhow::Result<Rendered> {
    let moved = notebook.move_to_group(note, group)?;
    let text = || {
        format!(
            "Moved \"{}\" into group `{}`: it is shared with the group from the next sync.",
            moved.note.title, moved.group
        )
    };
    let json = || json!({ "id": moved.id, "title": moved.note.title, "group": moved.group });
    Ok(format.render(text, json))
}
