//! Handing text to the person's editor and reading it back.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use anyhow::Context;
use serde_json::json;
use tempfile::NamedTempFile;

use crate::error::UserError;
use crate::output::{Format, Rendered};

/// The text after the editor closed.
#[derive(Debug)]
pub enum Edited {
    Changed(EditedFile),
    Unchanged,
}

/// Changed text, with the temporary file it was edited in (deleted when dropped, unless kept).
#[derive(Debug)]
pub struct EditedFile {
    pub text: String,
    pub path: PathBuf,
    file: NamedTempFile,
}

impl EditedFile {
    /// Keeps the file on disk (so a person's text is not lost when it cannot be saved).
    pub fn keep(self) -> PathBuf {
        self.file.keep().map(|(_, path)| path).unwrap_or(self.path)
    }
}

/// Writes `initial` to a temporary Markdown file, runs the editor on it and reads it back.
/// An editor that fails is an error: nothing is saved.
pub fn edit(initial: &str) -> anyhow::Result<Edited> {
    let mut file = tempfile::Builder::new()
        .prefix("quaderno-")
        .suffix(".md")
        .tempfile()
        .context("cannot create a temporary file for the editor")?;
    file.write_all(initial.as_bytes())
        .and_then(|()| file.flush())
        .context("cannot write the temporary file for the editor")?;
    let editor = editor_command();
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("quaderno-editor")
        .arg(file.path())
        .status()
        .with_context(|| format!("cannot start the editor `{editor}`"))?;
    if !status.success() {
        let code = status
            .code()
            .map_or("a signal".to_owned(), |c| format!("status {c}"));
        return Err(UserError(format!("nothing saved: the editor `{editor}` exited with {code}; set EDITOR to an editor that works")).into());
    }
    let text = std::fs::read_to_string(file.path()).context("cannot read back the edited file")?;
    if text == initial {
        return Ok(Edited::Unchanged);
    }
    let path = file.path().to_owned();
    Ok(Edited::Changed(EditedFile { text, path, file }))
}

/// What to say when the editor gave nothing new.
pub fn nothing_saved(format: Format, edited: &Edited) -> Rendered {
    debug_assert!(matches!(edited, Edited::Unchanged));
    let text = || "nothing saved: the text is unchanged".to_owned();
    format.render(text, || json!({ "saved": false }))
}

/// `$EDITOR`, else `$VISUAL`, else `vi`; may carry arguments (`code --wait`).
fn editor_command() -> String {
    ["EDITOR", "VISUAL"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "vi".to_owned())
}
