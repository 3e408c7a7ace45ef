use quaderno_client::Notebook;
use serde_json::json;

use crate::output::{Format, Rendered};

pub fn run(
    format: Format,
    notebook: &mut Notebook,
    name: &str,
    city: &str,
) -> anyhow::Result<Rendered> {
    let author = notebook.init(name, city)?.clone();
    let path = notebook.path().display().to_string();
    let text = || format!("{author} will sign the notes written here.\nNotes are kept in {path}");
    let json = || json!({ "name": author.name, "city": author.city, "store": path });
    Ok(format.render(text, json))
}
