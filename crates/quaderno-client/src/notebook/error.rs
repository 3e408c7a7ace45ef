//! What can go wrong in the notebook, each error saying what to do next.

use std::fmt;
use std::path::PathBuf;

use quaderno_model::ModelError;
use quaderno_store::StoreError;

/// A note offered as a possible match for a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub title: String,
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short: String = self.id.chars().take(8).collect();
        write!(f, "{short} \"{}\"", self.title)
    }
}

fn listed(candidates: &[Candidate]) -> String {
    candidates
        .iter()
        .map(Candidate::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

fn recovery(group: &str) -> String {
    let kept = "the damaged data is kept aside in the store, and the other notes are unaffected";
    if group == super::PERSONAL_GROUP {
        format!(
            "it was never shared, so no other device holds it: restore it from a backup or an export ({kept})"
        )
    } else {
        format!("run `quaderno sync` to get it back from the relay of group `{group}` ({kept})")
    }
}

/// The group's slug in brackets, when its title does not already say it.
fn slug_if_other(title: &str, slug: &str) -> String {
    if title == slug {
        String::new()
    } else {
        format!(" (group `{slug}`)")
    }
}

fn suggestions(candidates: &[Candidate]) -> String {
    if candidates.is_empty() {
        "run `quaderno list` or `quaderno search WORDS` to find it".to_owned()
    } else {
        format!("did you mean {}?", listed(candidates))
    }
}

/// An error of the notebook.
#[derive(Debug, thiserror::Error)]
pub enum NotebookError {
    #[error(
        "no participant is set up on this machine: run `quaderno init --name NAME --city CITY` first"
    )]
    NoIdentity,

    #[error("{field} cannot be empty or span several lines: give it as one line of text")]
    InvalidIdentity { field: &'static str },

    #[error("no note matches `{reference}` (give its title, its id, or at least 4 characters of the id); {}", suggestions(.candidates))]
    UnknownNote {
        reference: String,
        /// Notes whose title contains the reference, as suggestions.
        candidates: Vec<Candidate>,
    },

    #[error("`{reference}` matches {} notes: {}; give more characters of the id", .candidates.len(), listed(.candidates))]
    AmbiguousNote {
        reference: String,
        candidates: Vec<Candidate>,
    },

    #[error(
        "the note has neither a title nor any text: give a title with --title or write something"
    )]
    Untitled,

    #[error("a note with id {id} already exists: import the file instead to update that note")]
    DuplicateId { id: String },

    #[error(
        "there is no group `{group}` on this machine: join it with `quaderno join RELAY_URL CODE`, or leave out the group to write in your personal notebook"
    )]
    UnknownGroup { group: String },

    #[error(
        "\"{title}\" is in group `{group}`; only notes of the personal notebook can be moved into a group"
    )]
    NotPersonal { title: String, group: String },

    #[error(
        "you are a reader in «{title}»{}: its notes can be read on this machine, not changed; ask one of the group's admins to make you an editor", slug_if_other(.title, .group)
    )]
    ReadOnly { group: String, title: String },

    #[error("\"{title}\" is already in group `{group}`")]
    AlreadyInGroup { title: String, group: String },

    #[error("{0}")]
    Client(Box<crate::ClientError>),

    #[error(
        "`{input}` is not a change or a time: give a change hash from `quaderno log` (at least 4 characters), a date (2025-03-12) or a date and time (2025-03-12 15:30)"
    )]
    InvalidAt { input: String },

    #[error("`{input}` is not a date: write it as YYYY-MM-DD, e.g. 2025-03-12")]
    InvalidDate { input: String },

    #[error("{}:{line}: {message}", path.display())]
    Markdown {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error("{} is not a Markdown file Quaderno can read: {reason}", path.display())]
    UnreadableFile { path: PathBuf, reason: String },

    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot use the data folder {}: {source}; choose another with --data-dir or QUADERNO_DIR", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "note {id} is listed but its document is missing from the store: export your notes and report this problem"
    )]
    MissingDocument { id: String },

    #[error("note \"{title}\" ({}) is damaged on this machine: part of its stored data cannot be read; {}", short(.id), recovery(.group))]
    Damaged {
        id: String,
        title: String,
        group: String,
    },

    #[error("{0}")]
    Model(#[from] ModelError),

    #[error(transparent)]
    Store(#[from] StoreError),
}

impl NotebookError {
    pub(crate) fn from_client(error: crate::ClientError) -> Self {
        match error {
            crate::ClientError::Notebook(e) => e,
            crate::ClientError::Store(e) => NotebookError::from(e),
            other => NotebookError::Client(Box::new(other)),
        }
    }

    /// Whether the person can fix this by changing what they asked for (bad input, an unknown
    /// note, a folder they cannot write to), as opposed to a failure of the program or the disk.
    pub fn is_user_error(&self) -> bool {
        match self {
            NotebookError::MissingDocument { .. } | NotebookError::Damaged { .. } => false,
            NotebookError::Io { .. } => true,
            NotebookError::Model(error) => !matches!(
                error,
                ModelError::Automerge(_) | ModelError::UnsupportedTextEncoding
            ),
            NotebookError::Store(error) => matches!(
                error,
                StoreError::NewerVersion { .. } | StoreError::Open { .. }
            ),
            _ => true,
        }
    }

    /// The notes worth listing to the person alongside the message.
    pub fn candidates(&self) -> &[Candidate] {
        match self {
            NotebookError::UnknownNote { candidates, .. }
            | NotebookError::AmbiguousNote { candidates, .. } => candidates,
            _ => &[],
        }
    }
}
