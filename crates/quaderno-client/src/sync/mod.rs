//! Syncing the joined groups with their relays: once (`quaderno sync`) or live
//! (`quaderno sync --watch`, the web UI).

mod changed;
mod connect;
mod erased;
mod live;
mod machine;
pub mod owner;
mod pages;
pub mod presence;
mod refused;
mod session;
pub mod set_aside;

use quaderno_model::DocumentId;
use serde::Serialize;

use crate::ClientError;
use crate::notebook::KeptCopy;

pub use erased::{ErasedHere, ErasedNote, ListedTitle, erase_note, erased_here, redact_note};
pub use live::{Live, LiveEvent, LiveGroupStatus, sync_once};
pub use pages::{PageId, PageSender, ToPage};
pub use presence::Present;

/// Work a group's sync did since it started, for the tests and benchmarks that hold it to
/// one apply and one transaction per keystroke.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Batches of changes applied to a document.
    pub applies: u64,
    /// Write transactions committed.
    pub transactions: u64,
}

/// How far the sync of a group got, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncProgress {
    pub group: String,
    pub done: usize,
    pub total: usize,
}

/// What one `quaderno sync` did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct SyncReport {
    pub groups: Vec<GroupReport>,
}

impl SyncReport {
    /// True when no group's relay could be reached at all.
    pub fn all_unreachable(&self) -> bool {
        !self.groups.is_empty()
            && self
                .groups
                .iter()
                .all(|g| matches!(g.outcome, GroupOutcome::Unreachable { .. }))
    }
}

/// What the sync of one group did.
#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    pub group: String,
    pub relay: String,
    pub outcome: GroupOutcome,
    /// Notes (and the index) that received changes from the relay.
    pub pulled: usize,
    /// Documents whose local changes the relay now holds.
    pub pushed: usize,
    /// Documents compared with the relay.
    pub checked: usize,
    /// Notes removed here because the relay purged them.
    pub removed: usize,
    /// Notes damaged here that the relay sent back whole.
    pub recovered: usize,
    /// Protocol messages and API calls exchanged.
    pub messages: usize,
    pub seconds: f64,
    /// Notes deleted here because they were erased from the group.
    pub erased: Vec<ErasedNote>,
    /// The relay was restored from a backup since this machine last synced with it: this sync
    /// offered it every document of the group, and it took what it lacked (`pushed`).
    pub restored: bool,
    /// Documents of this group set aside unsynced: another group here (or the personal
    /// notebook) holds a note under the same id, and keeps it.
    pub conflicting: Vec<ConflictingId>,
    /// Notes of this group stored here that this client cannot read: set aside (kept, not
    /// shown) and reported to the relay's coordinators.
    pub unreadable: Vec<UnreadableNote>,
}

/// A note of the group that does not read as a note here (written by another program with a
/// field of the wrong type, say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadableNote {
    pub doc: DocumentId,
    /// Why, as far as the client can tell (never the note's content).
    pub reason: String,
}

/// A document a group's relay holds under the id of a note this computer keeps for another
/// group (or in the personal notebook): someone in the group used a known id. It is set aside,
/// and the note keeps syncing with its own group only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConflictingId {
    pub doc: DocumentId,
    /// The group the note under this id belongs to here (`personal` for the personal notebook).
    pub belongs_to: String,
}

impl GroupReport {
    /// A group that the process keeping the data folder live reported on.
    pub fn kept_live(group: String, relay: String, outcome: GroupOutcome) -> Self {
        Self {
            group,
            relay,
            outcome,
            pulled: 0,
            pushed: 0,
            checked: 0,
            removed: 0,
            recovered: 0,
            messages: 0,
            seconds: 0.0,
            erased: Vec::new(),
            restored: false,
            conflicting: Vec::new(),
            unreadable: Vec::new(),
        }
    }

    fn record(&mut self, session: &session::Session) {
        self.pulled = session.moved.pulled.len();
        self.pushed = session.moved.pushed.len();
        self.removed = session.moved.removed.len();
        self.recovered = session.moved.recovered.len();
        self.checked = session.progress.len();
        self.conflicting = session
            .conflicting
            .iter()
            .map(|(doc, belongs_to)| ConflictingId {
                doc: *doc,
                belongs_to: belongs_to.clone(),
            })
            .collect();
        self.unreadable = session
            .unreadable
            .iter()
            .map(|(doc, reason)| UnreadableNote {
                doc: *doc,
                reason: reason.clone(),
            })
            .collect();
    }
}

/// How the sync of a group ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum GroupOutcome {
    Synced,
    /// The relay could not be reached; nothing local changed.
    Unreachable {
        reason: String,
    },
    /// The relay refused this device for the group; syncing it stops until the next join.
    Refused {
        reason: String,
    },
    /// The group synced, but the relay would not take this participant's edits (`reason`:
    /// they are a reader there now): each note they changed is kept as a personal copy, and
    /// the group's notes here are as the relay holds them.
    ChangesRefused {
        reason: String,
        kept: Vec<KeptCopy>,
    },
    Failed {
        reason: String,
    },
}

impl From<Result<(), ClientError>> for GroupOutcome {
    fn from(result: Result<(), ClientError>) -> Self {
        match result {
            Ok(()) => GroupOutcome::Synced,
            Err(ClientError::Refused { reason, .. }) => GroupOutcome::Refused { reason },
            Err(e) if e.is_unreachable() => GroupOutcome::Unreachable {
                reason: e.to_string(),
            },
            Err(e) => GroupOutcome::Failed {
                reason: e.to_string(),
            },
        }
    }
}
