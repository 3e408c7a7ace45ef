use std::path::PathBuf;

use quaderno_client::Notebook;
use quaderno_client::notebook::{ImportOutcome, ImportedNote};
use serde_json::json;

use crate::output::Rendered;
use crate::output::json::{ImportedJson, outcome_word};

/// In text mode, prints one line per note as soon as it is saved (`created ID PATH`), so that
/// whoever reads the output knows exactly which notes are safely stored.
pub fn run(notebook: &mut Notebook, paths: &[PathBuf], json: bool) -> anyhow::Result<Rendered> {
    let imported = notebook.import(paths, |note| {
        if !json {
            println!(
                "{:9} {} {}",
                outcome_word(note.outcome),
                note.id,
                note.path.display()
            );
        }
    })?;
    let text = summary(&imported);
    let notes: Vec<ImportedJson<'_>> = imported.iter().map(ImportedJson::from).collect();
    Ok(Rendered::new(text, json!({ "notes": notes })))
}

fn summary(imported: &[ImportedNote]) -> String {
    let count = |outcome| imported.iter().filter(|n| n.outcome == outcome).count();
    format!(
        "imported {} files: {} new, {} updated, {} unchanged",
        imported.len(),
        count(ImportOutcome::Created),
        count(ImportOutcome::Updated),
        count(ImportOutcome::Unchanged)
    )
}
