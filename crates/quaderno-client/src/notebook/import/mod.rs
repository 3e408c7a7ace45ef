//! Importing Markdown files: a file naming a note of the personal notebook that exists here
//! becomes an edit of it; one naming a note of a group is left alone unless the import was
//! asked to update (`--update`), since a file anyone sent could otherwise rewrite a note the
//! whole group shares; any other file becomes a new note of the chosen group, the personal
//! notebook by default (keeping the file's id, if any). An import never moves a note to the
//! bin, whatever the file says.
//!
//! Files are bounded before they are parsed: [`MAX_FILE_BYTES`] each, and the model's limits
//! on the front matter and the title.
//!
//! Every file is read and checked before anything is written, so a malformed file stops the
//! import before it starts, naming the file and line. Notes are then saved in batches of
//! [`BATCH`], one transaction each, and reported only once their transaction has committed:
//! a note reported as saved survives even if the process is killed right after.

mod files;
mod one;

use std::path::{Path, PathBuf};

use chrono::Utc;
use quaderno_model::markdown::{MarkdownNote, from_markdown};

pub use files::markdown_files;

use super::{Notebook, NotebookError};

/// Notes saved per transaction: large enough that committing is not the bottleneck, small
/// enough that a reported note is never far behind the work done.
pub const BATCH: usize = 100;

/// What importing a file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A new note.
    Created,
    /// An existing note, changed to match the file.
    Updated,
    /// An existing note that already matched the file.
    Unchanged,
    /// An existing note of a group, left as it is: the import was not asked to update.
    Skipped,
}

/// The largest file an import reads.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// One imported file, reported once it is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedNote {
    pub path: PathBuf,
    pub id: String,
    pub title: String,
    pub outcome: ImportOutcome,
}

impl Notebook {
    /// Imports the Markdown files among `paths` (folders are searched recursively for `.md`
    /// files) into `group` (the personal notebook when `None`), calling `saved` for each note
    /// once it is on disk. Returns every imported note.
    #[tracing::instrument(skip_all, err(level = "debug"), fields(paths = paths.len()))]
    pub fn import(
        &mut self,
        paths: &[PathBuf],
        group: Option<&str>,
        update: bool,
        mut saved: impl FnMut(&ImportedNote),
    ) -> Result<Vec<ImportedNote>, NotebookError> {
        let author = self.author()?;
        let group = self.known_group(group)?;
        let parsed = markdown_files(paths)?
            .into_iter()
            .map(|path| parse(&path).map(|note| (path, note)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut imported = Vec::with_capacity(parsed.len());
        for batch in parsed.chunks(BATCH) {
            let context = one::Context {
                actor: &self.actor,
                author: &author,
                group: &group,
                now: Utc::now(),
                update,
            };
            let done = self
                .store
                .write(|tx| {
                    batch
                        .iter()
                        .map(|(path, note)| one::import_one(tx, &context, path, note))
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(|e| self.set_damage_aside(e))?;
            tracing::debug!(notes = done.len(), "batch committed");
            done.iter().for_each(&mut saved);
            imported.extend(done);
        }
        Ok(imported)
    }
}

fn parse(path: &Path) -> Result<MarkdownNote, NotebookError> {
    let size = std::fs::metadata(path)
        .map_err(|source| NotebookError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(NotebookError::UnreadableFile {
            path: path.to_owned(),
            reason: format!(
                "it is larger than {} MB: a note is text, and this is not one",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(|source| NotebookError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| NotebookError::UnreadableFile {
        path: path.to_owned(),
        reason: "it is not UTF-8 text; save it as UTF-8 and import it again".to_owned(),
    })?;
    from_markdown(&text).map_err(|e| NotebookError::Markdown {
        path: path.to_owned(),
        line: e.line,
        message: e.message,
    })
}
