//! Co-editing the notes open in the local web page (`quaderno ui`), as plain calls a server
//! can make: the page never touches the store itself.
//!
//! - [`CoEditing`]: the notes open in pages. Each page is an Automerge peer of the note it
//!   shows: it edits its own copy, and what it sends is stored (change and index row in one
//!   transaction) and handed on to the relay; what arrives from the relay, from other pages or
//!   from other processes is sent to the pages. Plain Automerge sync messages, one sync state
//!   per page and note.
//!
//! What else the page shows lives with its concept: lists, fields and the page's writes in
//! [`notebook`](crate::notebook), history steps in [`quaderno_model`], the overview beside
//! [`status`](crate::status()).

mod coedit;
mod error;

pub use coedit::{CoEditing, Effects, PageId, PresenceChange, ToPage};
pub use error::UiError;
