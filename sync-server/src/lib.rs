//! quaderno-server: the relay that passes a group's notes between its participants.
//!
//! The relay speaks the automerge-repo WebSocket protocol on `/v1/groups/{group}/sync`, keeps
//! each group's documents in its own storage namespace, and answers the small HTTP API that
//! clients use to join with an invite and to find what changed.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod authors;
pub mod cli;
pub mod config;
pub mod config_file;
pub mod db;
pub mod forwarded;
pub mod lock;
pub mod relay;
pub mod usage;
