use quaderno_client::Notebook;
use serde_json::json;

use crate::editor::{self, Edited};
use crate::output::text::short_id;
use crate::output::{Format, Rendered};

pub fn run(format: Format, notebook: &mut Notebook, note: &str) -> anyhow::Result<Rendered> {
    let draft = notebook.draft(note)?;
    let file = match editor::edit(&draft.text)? {
        Edited::Changed(file) => file,
        unsaved => return Ok(editor::nothing_saved(format, &unsaved)),
    };
    let change = match notebook.save_draft(&draft, &file.text, &file.path) {
        Ok(change) => change,
        Err(error) => {
            eprintln!("quaderno: your text is kept in {}", file.keep().display());
            return Err(error.into());
        }
    };
    let text = match change {
        Some(_) => format!("saved {}", short_id(&draft.id)),
        None => "nothing saved: the note already says that".to_owned(),
    };
    let json = json!({ "id": draft.id, "saved": change.is_some(), "change": change.map(|c| c.to_string()) });
    Ok(format.render(|| text, || json))
}
