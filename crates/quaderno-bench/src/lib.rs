//! Quaderno's load generator for automerge-repo relays, as a library for its binary
//! (`quaderno-bench`, see `--help`) and its benchmarks.
//!
//! Every simulated client is a real Automerge peer with its own WebSocket connection and sync
//! states ([`replica`], [`conn`]); many of them share one tokio runtime. The scenarios are
//! [`live`] (typing and meetings), [`pull`], [`idle`], [`groups`] and [`sweep`]; each turns its
//! result into a [`report::Report`]. [`pages`] is different: it starts real `quaderno ui`
//! processes and times a keystroke from one participant's page to another's.

pub mod compare;
pub mod conn;
pub mod content;
pub mod groups;
pub mod idle;
pub mod ledger;
pub mod live;
pub mod monitor;
pub mod pages;
pub mod plan;
pub mod procfs;
pub mod pull;
pub mod pump;
pub mod replica;
pub mod report;
pub mod reports;
pub mod setup;
pub mod stats;
pub mod sweep;
pub mod target;
