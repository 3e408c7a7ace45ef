//! Quaderno's participant engine.
//!
//! [`notebook`]: the participant's notes on this machine, kept as Automerge documents in the
//! local store with an index for listing and search. Everything in it works offline.
//!
//! This crate never prints to the terminal: it returns values and errors, and the `quaderno`
//! command decides how to show them.

pub mod notebook;

pub use notebook::{Notebook, NotebookError};
