//! Quaderno's participant engine.
//!
//! - [`notebook`]: the participant's notes on this machine, kept as Automerge documents in the
//!   local store with an index for listing and search, and the changes made to them (by a
//!   person who names a note, or by a program that names it by id and pushes the change at
//!   once). Everything in it works offline.
//! - [`join`](join()) and [`relays`]: redeeming an invite and keeping each relay's device token;
//!   [`link_device`] and [`join_with_link`]: one person's other computers.
//! - [`sync`]: syncing the joined groups with their relays, once or live, with presence; the
//!   pages of the local web UI are peers of each group's hub, beside its relay.
//! - [`backup`]: the whole notebook in one file, with history, for a new computer.
//! - [`status`](status()): what is synced and what is waiting; the [`overview`] adds who is
//!   here and what the live sync knows.
//!
//! This crate never prints to the terminal: it returns values and errors, and the `quaderno`
//! command decides how to show them.

pub mod backup;
mod error;
pub mod groups;
mod join;
pub mod notebook;
pub mod relays;
mod status;
pub mod sync;
mod tls;
pub mod vouched;

pub use error::ClientError;
pub use join::{
    DeviceLink, JoinOutcome, LinkOutcome, join, join_plain, join_with_link, link_device,
};
pub use notebook::{Notebook, NotebookError};
pub use status::{GroupStatus, GroupView, Identity, Overview, Status, overview, status};
pub use tls::{CA_FILE_VAR, CaFileError, init_tls};
