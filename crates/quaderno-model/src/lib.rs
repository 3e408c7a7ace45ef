//! Quaderno's documents over Automerge: notes and group indexes, read as
//! plain Rust values, edited as small operations (text as splices, so
//! concurrent edits merge), with a history that names people (change by
//! change, or in steps as people read it), and Markdown export and import.
//! Pure: no I/O.
//!
//! ```
//! use chrono::Utc;
//! use quaderno_model::{Author, NewNote, NoteEdit, create_note, edit_note, history, read_note};
//!
//! let anna = Author::new("Anna", "Palermo");
//! let new = NewNote { title: "Terzo incontro".into(), ..NewNote::default() };
//! let mut doc = create_note(&new, &anna, Utc::now())?;
//! let edit = NoteEdit { body: Some("Presenti: 12".into()), ..NoteEdit::default() };
//! edit_note(&mut doc, &edit, &anna, Utc::now())?;
//! assert_eq!(read_note(&doc)?.body, "Presenti: 12");
//! assert_eq!(history(&doc)[1].author, "Anna (Palermo)");
//! # Ok::<(), quaderno_model::ModelError>(())
//! ```
//!
//! Every change records its author under the document's actor id, so a
//! caller that chooses actors (`Automerge::set_actor`) must never share one
//! actor between two people, nor between two copies of a document that are
//! edited independently.

mod authors;
mod commit;
mod create;
mod edit;
mod error;
mod group_index;
mod history;
mod id;
mod kind;
pub mod markdown;
mod note;
mod read;
mod redact;
mod schema;
mod splice;
mod tags;
mod view;

pub use create::create_note;
pub use edit::{NoteEdit, edit_note};
pub use error::ModelError;
pub use group_index::{
    add_to_index, create_group_index, index_entries, index_lists, remove_from_index,
};
pub use history::{
    DiffLine, ErasedHistory, HistoryEntry, HistoryStep, STEP_GAP, STEP_SPAN, StepSummary,
    TOGETHER_GAP, TextChange, body_after, describe_text, history, history_steps, line_diff,
    note_at, note_at_time, resolve_change, text_change, version_at, vouch,
};
pub use id::{DocumentId, InvalidDocumentId};
pub use kind::{DocKind, doc_kind};
pub use note::{Author, Meeting, NOTE_SCHEMA_VERSION, NewNote, Note};
pub use read::{check_note, read_note};
pub use redact::{REMOVED, carry_over, erased_history, redact, redact_note, redacted_successor};
pub use tags::normalize_tag;
