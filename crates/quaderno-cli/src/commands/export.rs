use quaderno_client::Notebook;
use quaderno_client::notebook::ExportSelection;
use serde_json::json;

use crate::args::{ExportArgs, ExportFormat};
use crate::output::json::FileJson;
use crate::output::{Format, Rendered};
use crate::ui::print::Html;

pub fn run(format: Format, notebook: &Notebook, args: ExportArgs) -> anyhow::Result<Rendered> {
    let selection = match (&args.note, &args.group) {
        (Some(note), _) => ExportSelection::Note(note),
        (None, Some(group)) => ExportSelection::Group(group),
        (None, None) => ExportSelection::All,
    };
    let files = match args.format {
        ExportFormat::Markdown => notebook.export(selection, &args.out)?,
        ExportFormat::Html => {
            let group_title = |slug: &str| notebook.group_title(slug).ok().flatten();
            let html = Html {
                lang: args.lang,
                group_title: &group_title,
            };
            notebook.export_as(selection, &args.out, &html)?
        }
    };
    let text = || {
        let mut text: String = files
            .iter()
            .map(|f| format!("{}\n", f.path.display()))
            .collect();
        text.push_str(&format!(
            "exported {} notes to {}",
            files.len(),
            args.out.display()
        ));
        text
    };
    let json = || json!({ "files": files.iter().map(FileJson::from).collect::<Vec<_>>() });
    Ok(format.render(text, json))
}
