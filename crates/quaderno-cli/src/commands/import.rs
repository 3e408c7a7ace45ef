use std::path::PathBuf;

use quaderno_client::Notebook;
use quaderno_client::notebook::{ImportOutcome, ImportedNote};
use serde_json::json;

use crate::output::json::{ImportedJson, outcome_word};
use crate::output::{self, Format, Rendered};

/// In text mode, prints one line per note as soon as it is saved (`created ID PATH`), so that
/// whoever reads the output knows exactly which notes are safely stored.
pub fn run(
    format: Format,
    notebook: &mut Notebook,
    paths: &[PathBuf],
    group: Option<&str>,
    update: bool,
) -> anyhow::Result<Rendered> {
    let imported = notebook.import(paths, group, update, |note| {
        if format == Format::Text {
            output::line(format_args!(
                "{:9} {} {}",
                outcome_word(note.outcome),
                note.id,
                note.path.display()
            ));
        }
    })?;
    let json = || json!({ "notes": imported.iter().map(ImportedJson::from).collect::<Vec<_>>() });
    Ok(format.render(|| summary(&imported), json))
}

fn summary(imported: &[ImportedNote]) -> String {
    let count = |outcome| imported.iter().filter(|n| n.outcome == outcome).count();
    let mut text = format!(
        "imported {} files: {} new, {} updated, {} unchanged",
        imported.len(),
        count(ImportOutcome::Created),
        count(ImportOutcome::Updated),
        count(ImportOutcome::Unchanged)
    );
    let skipped = count(ImportOutcome::Skipped);
    if skipped > 0 {
        text.push_str(&format!(
            "; {skipped} skipped: they name notes of a group that are here already, which only \
             `quaderno import --update` changes"
        ));
    }
    text
}
