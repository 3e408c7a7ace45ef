//! What can go wrong syncing with relays, each error saying what to do next.

use std::path::PathBuf;

use crate::notebook::NotebookError;
use crate::relays::ApiError;
use crate::tls::CaFileError;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Notebook(#[from] NotebookError),

    #[error(transparent)]
    Store(#[from] quaderno_store::StoreError),

    #[error("the local store failed: {0}; check free disk space and permissions")]
    Sqlite(#[from] quaderno_store::rusqlite::Error),

    #[error("cannot use {path}: {message}; fix the file or remove it and join again")]
    Config { path: PathBuf, message: String },

    #[error(
        "`{0}` is not a relay address: give one like https://relay.example.org or 127.0.0.1:7878"
    )]
    BadRelayUrl(String),

    #[error(
        "cannot reach the relay at {url} ({reason}); nothing local was changed, try again when online"
    )]
    Unreachable { url: String, reason: String },

    #[error(
        "the relay refused this device for group `{group}` ({reason}); ask the group's coordinator for a new invite, then run `quaderno join`"
    )]
    Refused { group: String, reason: String },

    #[error(
        "the relay at {url} closed the connection because {what}; run the command again to sync with what changed"
    )]
    GroupChanged { url: String, what: String },

    #[error("cannot erase this note: {0}")]
    CannotErase(String),

    /// A backup that cannot be written or restored, and why (the message says what to do).
    #[error("{0}")]
    Backup(String),

    #[error("cannot join: {0}")]
    Join(ApiError),

    #[error(transparent)]
    CaFile(#[from] CaFileError),

    #[error(
        "group `{group}` is already joined on {relay}; one machine cannot hold two groups of the same name"
    )]
    GroupOnAnotherRelay { group: String, relay: String },

    #[error(
        "this machine has not joined any group yet: run `quaderno join RELAY_URL CODE` with an invite from your coordinator"
    )]
    NotJoined,

    #[error(
        "group `{group}` is not joined on this machine: run `quaderno status` to see the groups, or `quaderno join` with an invite"
    )]
    UnknownGroup { group: String },

    #[error(
        "the relay at {url} broke the sync protocol ({reason}); try again later, and tell its operator if it persists"
    )]
    Protocol { url: String, reason: String },

    /// The relay answered what this device sent with an `error` (a note over its limits, say)
    /// and closed the connection.
    #[error(
        "the relay at {url} refused what this computer sent: {reason}. Nothing here was lost; ask the group's coordinators if it goes on"
    )]
    RelayRefused { url: String, reason: String },

    #[error(
        "the relay at {url} stopped answering in the middle of a sync; nothing local was lost, try again"
    )]
    Stalled { url: String },

    #[error(
        "{owner} already syncs this data folder, and a device keeps one connection per group: use that one, or stop it first"
    )]
    Owned { owner: String },

    #[error("cannot use {path}: {reason}")]
    Local { path: PathBuf, reason: String },

    #[error(
        "this computer is registered on several relays ({relays}): say which one the other computer should join, e.g. `quaderno device link --relay URL`"
    )]
    SeveralRelays { relays: String },

    #[error(
        "this computer has no account on {url} (it is registered on {relays}): name one of those relays"
    )]
    NotRegisteredOn { url: String, relays: String },

    #[error(
        "this computer is already registered on {url} as \"{device}\": a link code is for a computer that is not there yet. Here, `quaderno sync` fetches your groups' notes, and `quaderno join {url} CODE` with an invite joins one more group"
    )]
    AlreadyRegistered { url: String, device: String },

    #[error(
        "this link code has already been used: each code links one computer, once. On a computer that is already in, run `quaderno device link` for a new code"
    )]
    LinkCodeUsed,

    #[error(
        "this link code has expired: a code is valid for 10 minutes. On a computer that is already in, run `quaderno device link` for a new code"
    )]
    LinkCodeExpired,

    #[error(
        "the relay at {url} knows no such link code: check that it was typed correctly and that this is the relay `quaderno device link` named, or make a new code"
    )]
    LinkCodeUnknown { url: String },

    #[error("cannot make a link code: {0}")]
    Linking(ApiError),

    #[error(
        "the relay at {url} cannot link devices (it may run an older quaderno-server): ask its operator to update it, or join this computer with an invite"
    )]
    NoDeviceLinks { url: String },
}

impl ClientError {
    /// The relay could not be reached (or stopped answering): the command should say so and
    /// exit with its own code; nothing local changed.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            ClientError::Unreachable { .. } | ClientError::Stalled { .. }
        )
    }

    /// The person running the command can fix this (as opposed to a broken store).
    pub fn is_user_error(&self) -> bool {
        match self {
            ClientError::Notebook(e) => e.is_user_error(),
            ClientError::Store(_) | ClientError::Sqlite(_) | ClientError::Local { .. } => false,
            _ => true,
        }
    }

    pub(crate) fn from_api(error: ApiError, group: &str) -> ClientError {
        match error {
            ApiError::Unreachable { url, reason } => ClientError::Unreachable { url, reason },
            ApiError::CaFile(error) => ClientError::CaFile(error),
            e if e.is_permanent() => ClientError::Refused {
                group: group.to_string(),
                reason: e.to_string(),
            },
            ApiError::Refused { message, .. } => ClientError::Protocol {
                url: String::new(),
                reason: message,
            },
            ApiError::Unexpected { url, reason } => ClientError::Protocol { url, reason },
        }
    }
}
