//! Notes as Markdown files: YAML front matter for the fields, then the body
//! exactly as it is.
//!
//! ```text
//! ---
//! id: 3uQUjbaDfGKoHMh8XGHx7c9jNxyU
//! title: Terzo incontro
//! group: integrazione
//! tags:
//! - minori
//! date: 2024-03-05
//! place: Palermo
//! participants:
//! - Anna
//! created_at: 2024-03-05T10:00:00Z
//! created_by: Anna (Palermo)
//! ---
//!
//! The body…
//! ```
//!
//! One blank line separates the front matter from the body; it is not part
//! of the body.

mod export;
mod front_matter;
mod import;

use chrono::{DateTime, Utc};

use crate::{DocumentId, NewNote};

pub use export::to_markdown;
pub use import::{MAX_FRONT_MATTER_BYTES, MAX_TITLE_CHARS, from_markdown};

/// A note read from a Markdown file.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkdownNote {
    /// The note's id, if the file names one.
    pub id: Option<DocumentId>,
    /// The group the file says the note belongs to.
    pub group: Option<String>,
    /// The note's content.
    pub note: NewNote,
    /// When the note was created, if the file says.
    pub created_at: Option<DateTime<Utc>>,
    /// Who created it, if the file says.
    pub created_by: Option<String>,
    /// Whether the note is in the bin.
    pub deleted: bool,
}

/// Why a Markdown file could not be read, and where (1-based line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct MarkdownError {
    /// The line of the file the problem is on.
    pub line: usize,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl MarkdownError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}
