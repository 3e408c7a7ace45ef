//! What can go wrong when reading or changing a Quaderno document.

use automerge::{AutomergeError, ChangeHash};
use chrono::{DateTime, Utc};

use crate::NOTE_SCHEMA_VERSION;

/// An error from reading or changing a note or group index document.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The document has no content yet.
    #[error("the document is empty: it has not been received yet; sync and try again")]
    EmptyDocument,

    /// The document is some other kind of document.
    #[error("this document is {found}, not a Quaderno {expected}")]
    WrongKind {
        /// What was expected ("note" or "group index").
        expected: &'static str,
        /// What the document says it is.
        found: String,
    },

    /// A newer Quaderno wrote the document.
    #[error(
        "this document was written by a newer version of Quaderno (schema {found}; this version \
         understands up to {NOTE_SCHEMA_VERSION}): update Quaderno to read or change it"
    )]
    NewerSchema {
        /// The schema version found in the document.
        found: u64,
    },

    /// A field has a shape Quaderno cannot read.
    #[error(
        "field `{path}` should be {expected} but is {found}: the document was probably written \
         by another program; fix it there or restore an earlier version"
    )]
    WrongShape {
        /// Where the field is, e.g. `meeting.date`.
        path: String,
        /// What Quaderno can read there.
        expected: &'static str,
        /// What was found.
        found: String,
    },

    /// A tag that cannot be stored.
    #[error("tag {tag:?} {problem}")]
    InvalidTag {
        /// The tag as given.
        tag: String,
        /// What is wrong and what to do.
        problem: &'static str,
    },

    /// A change hash prefix that is too short to look up.
    #[error("change `{prefix}` is too short: give at least 4 hex characters of the change hash")]
    ChangePrefixTooShort {
        /// The prefix as given.
        prefix: String,
    },

    /// A change hash prefix that is not hexadecimal.
    #[error("change `{prefix}` is not a hex change hash: use the hash shown in the history")]
    ChangePrefixNotHex {
        /// The prefix as given.
        prefix: String,
    },

    /// No change of the document starts with the prefix.
    #[error("no change of this document starts with `{prefix}`: check the history for its hash")]
    UnknownChange {
        /// The prefix or hash as given.
        prefix: String,
    },

    /// More than one change starts with the prefix.
    #[error("change `{prefix}` is ambiguous: it could be {}; give more characters", list_hashes(.candidates))]
    AmbiguousChange {
        /// The prefix as given.
        prefix: String,
        /// Every change whose hash starts with the prefix.
        candidates: Vec<ChangeHash>,
    },

    /// The note was asked for at a time before it was created.
    #[error(
        "the note did not exist yet at {}: it was created at {}",
        .at.to_rfc3339(),
        .created.to_rfc3339()
    )]
    NotYetCreated {
        /// The time asked for.
        at: DateTime<Utc>,
        /// When its first change was made.
        created: DateTime<Utc>,
    },

    /// A group index entry whose key is not a document id.
    #[error("group index entry `{key}` is not a document id: remove it from the index")]
    InvalidIndexEntry {
        /// The key as found.
        key: String,
    },

    /// The text of the document is indexed in a way Quaderno cannot edit.
    #[error(
        "this build of Automerge counts text in grapheme clusters, which Quaderno cannot edit; \
         build Quaderno without that Automerge feature"
    )]
    UnsupportedTextEncoding,

    /// Automerge refused an operation.
    #[error("the Automerge document could not be read or changed: {0}")]
    Automerge(#[from] AutomergeError),
}

fn list_hashes(hashes: &[ChangeHash]) -> String {
    hashes
        .iter()
        .map(|h| h.to_string())
        .collect::<Vec<_>>()
        .join(" or ")
}
