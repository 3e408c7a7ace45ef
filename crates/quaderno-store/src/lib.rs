//! Quaderno's SQLite store.
//!
//! - [`open_connection`]: the file with the pragmas every process relies on (WAL,
//!   `synchronous = NORMAL`, foreign keys, busy timeout) and the document tables.
//! - [`Checkpointer`]: the log's checkpoints on a thread of their own, for connections that sync.
//! - [`migrate`]: versioned schema migrations per component, shared with the relay.
//! - [`docs`]: documents as a snapshot plus incremental chunks, and per-peer sync states, as free
//!   functions over a connection so callers compose them in their own transactions.
//! - [`Store`]: the participant's file: documents, [`settings`] and the note [`index`] with
//!   full-text search.
//!
//! The store knows nothing about the network.

pub mod docs;
pub mod index;
pub mod settings;

mod checkpoint;
mod connection;
mod error;
mod migrate;
mod private;
mod store;

pub use checkpoint::{CHECKPOINT_EVERY, Checkpointer, checkpoint, hand_checkpoints_over};
pub use connection::{
    BUSY_TIMEOUT, COMPONENT as DOCUMENTS_COMPONENT, begin_write, open_connection,
};
pub use error::StoreError;
pub use migrate::{migrate, read_version};
pub use private::{make_private, private_files};
pub use store::{COMPONENT as NOTEBOOK_COMPONENT, Store};

pub use rusqlite;
