//! Committing a transaction with Quaderno's time and summary.

use automerge::ChangeHash;
use automerge::transaction::{CommitOptions, Transaction};
use chrono::{DateTime, Utc};

/// Commits `tx` as one change made at `now`, described by `summary`.
pub(crate) fn commit(tx: Transaction<'_>, summary: &str, now: DateTime<Utc>) -> Option<ChangeHash> {
    let options = CommitOptions::default()
        .with_message(summary)
        .with_time(now.timestamp());
    tx.commit_with(options).0
}
