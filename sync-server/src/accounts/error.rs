//! What can go wrong in the accounts tables, worded for the person who has to act.

use chrono::{DateTime, Utc};

use super::{InvalidRole, InvalidSlug};

/// An error from an accounts operation.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// A group name that cannot be used.
    #[error(transparent)]
    InvalidSlug(#[from] InvalidSlug),

    /// A role that does not exist.
    #[error(transparent)]
    InvalidRole(#[from] InvalidRole),

    /// A name, city, title or device name that is empty, too long or holds control characters.
    #[error("the {field} {problem}")]
    InvalidText {
        /// Which field: "name", "city", ...
        field: &'static str,
        /// What is wrong, e.g. "must not be empty".
        problem: &'static str,
    },

    /// `group create` with a name already taken.
    #[error("a group named `{0}` already exists: pick another name, or see `group list`")]
    GroupExists(String),

    /// A group name that names no group.
    #[error("there is no group named `{0}`: see `group list`")]
    UnknownGroup(String),

    /// A participant id or name that names nobody.
    #[error("there is no participant `{0}`: see `member list --group GROUP` for their ids")]
    UnknownParticipant(String),

    /// A participant name shared by several people.
    #[error("several participants are named `{name}` (ids {ids:?}): name one by its id")]
    AmbiguousParticipant {
        /// The name typed.
        name: String,
        /// The ids of everyone with that name.
        ids: Vec<i64>,
    },

    /// A participant who is not in the group named.
    #[error(
        "participant {participant} is not a member of `{group}`: see `member list --group {group}`"
    )]
    NotAMember {
        /// The participant's id.
        participant: i64,
        /// The group's slug.
        group: String,
    },

    /// A device id that names no device.
    #[error("there is no device with id {0}: see `device list`")]
    UnknownDevice(i64),

    /// `device revoke` on a device that is already revoked.
    #[error("device {0} is already revoked")]
    AlreadyRevoked(i64),

    /// An invite code that matches no invite.
    #[error(
        "this invite code is not valid: check that it was typed correctly, or ask the group's coordinator for a new one"
    )]
    InviteUnknown,

    /// An invite past its expiry.
    #[error("this invite code expired on {}: ask the group's coordinator for a new one", .0.format("%Y-%m-%d %H:%M UTC"))]
    InviteExpired(DateTime<Utc>),

    /// An invite whose uses are all taken.
    #[error("this invite code has already been used: ask the group's coordinator for a new one")]
    InviteUsedUp,

    /// An invite an admin revoked.
    #[error("this invite code was withdrawn on {}: ask the group's coordinator for a new one", .0.format("%Y-%m-%d %H:%M UTC"))]
    InviteRevoked(DateTime<Utc>),

    /// An invite made before its holder was removed from the group.
    #[error(
        "you were removed from this group after this invite was made: only a new invite lets you back in"
    )]
    RemovedSinceInvite,

    /// An invite id that names no invite of the group.
    #[error("there is no invite {0} in this group: see `invite list --group GROUP`")]
    UnknownInvite(i64),

    /// `invite revoke` on an invite already revoked.
    #[error("invite {0} is already revoked")]
    InviteAlreadyRevoked(i64),

    /// An admin changing their own role or removing themselves.
    #[error(
        "an admin cannot change their own role or remove themselves: ask another admin or an operator"
    )]
    OwnMembership,

    /// A device that belongs to no member of the group named.
    #[error("device {device} does not belong to a member of `{group}`")]
    DeviceNotInGroup {
        /// The device's id.
        device: i64,
        /// The group's slug.
        group: String,
    },

    /// `operator add` for a participant who already is one.
    #[error("participant {0} already is an operator")]
    AlreadyOperator(i64),

    /// A join without a device token that lacks the participant's details.
    #[error("joining for the first time needs a name, a city and a device name")]
    MissingJoinDetails,

    /// `note purge` of a document no group holds.
    #[error(
        "no group holds document {0}: check the id, or pass --group GROUP to refuse it on that group anyway"
    )]
    UnknownDocument(String),

    /// `note purge` of a document found in several groups without `--group`.
    #[error("document {doc} is in several groups ({groups}): pass --group")]
    DocumentInSeveralGroups {
        /// The document id.
        doc: String,
        /// The groups, comma-separated.
        groups: String,
    },

    /// `note purge` of a group's index document.
    #[error(
        "{0} is the index document of its group and cannot be purged: purge the notes it lists instead"
    )]
    IndexNotPurgeable(String),

    /// A redaction of a passage the note does not hold.
    #[error(
        "the note does not hold that passage (it is matched whatever its case): nothing was erased"
    )]
    PassageNotFound,

    /// The store failed (documents, chunks, sync states).
    #[error(transparent)]
    Store(#[from] quaderno_store::StoreError),

    /// A stored document could not be read or changed.
    #[error("the group's index document cannot be changed: {0}")]
    Model(#[from] quaderno_model::ModelError),

    /// Any other SQLite failure.
    #[error("the relay's database failed: {0}; check free disk space and permissions")]
    Sqlite(#[from] rusqlite::Error),

    /// A stored row that this build cannot read.
    #[error("the relay's database holds a value it cannot read ({0}): restore a backup")]
    Corrupt(String),
}

impl AccountsError {
    /// Whether the person who asked can fix this themselves (a typo, a used-up invite), as
    /// opposed to a failure of the relay's storage.
    pub fn is_user_error(&self) -> bool {
        !matches!(
            self,
            Self::Store(_) | Self::Model(_) | Self::Sqlite(_) | Self::Corrupt(_)
        )
    }
}

/// The result of an accounts operation.
pub type Result<T, E = AccountsError> = std::result::Result<T, E>;
