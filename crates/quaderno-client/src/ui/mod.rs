//! What the local web page (`quaderno ui`) needs from the participant's engine, as plain calls
//! a server can make: the page never touches the store itself.
//!
//! - [`CoEditing`]: the notes open in pages. Each page is an Automerge peer of the note it
//!   shows: it edits its own copy, and what it sends is stored (change and index row in one
//!   transaction) and handed on to the relay; what arrives from the relay, from other pages or
//!   from other processes is sent to the pages. Plain Automerge sync messages, one sync state
//!   per page and note.
//! - [`NoteQuery`] and [`list_notes`]: listing with filters and search as you type.
//! - [`history_steps`] and [`version_at`]: the history of a note as people read it.
//! - [`FieldsEdit`]: the note's tags and meeting data as a form sets them.
//! - [`actions`]: creating, moving, binning and restoring notes, exporting them.
//! - [`overview`]: who is here and how each group is syncing.

pub mod actions;
mod coedit;
mod error;
mod fields;
mod history;
mod overview;
mod query;

pub use coedit::{CoEditing, Effects, PageId, PresenceChange, ToPage};
pub use error::UiError;
pub use fields::FieldsEdit;
pub use history::{
    HistoryStep, STEP_GAP, STEP_SPAN, StepSummary, TOGETHER_GAP, history_steps, version_at,
};
pub use overview::{GroupView, Identity, Overview, overview};
pub use query::{NoteList, NoteQuery, NoteSummary, list_notes, search_terms};
