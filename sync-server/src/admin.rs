//! The admin commands: each reads or changes the relay's database and returns a [`Report`],
//! text for people and JSON for scripts. Safe while the relay is serving: writes are single
//! SQLite transactions, and those that concern live connections record an admin event the
//! running relay acts on within a second. [`restore`] is the exception: it replaces the
//! database, so it runs only while no relay serves it.

mod activity;
mod backup;
mod devices;
mod groups;
mod invites;
mod members;
mod notes;
mod operators;
pub mod restore;
mod table;

pub(crate) use notes::{erase, redact};

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, TransactionBehavior};
use serde::Serialize;

use crate::accounts::{self, AccountsError, Actor};
use crate::cli::{
    AdminCommand, DeviceCommand, GroupCommand, InviteCommand, NoteCommand, OperatorCommand,
};
use crate::db::{Db, DbError};
use crate::lock::LockError;

/// Why an admin command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The database refused or failed.
    #[error(transparent)]
    Db(#[from] DbError),

    /// `backup --out` names a file that exists.
    #[error("{} already exists: choose a new file name, backups never overwrite", .0.display())]
    BackupExists(PathBuf),

    /// `backup --out` names a file in a folder that does not exist.
    #[error("the folder of {} does not exist: create it first", .0.display())]
    BackupFolderMissing(PathBuf),

    /// `restore` names a file that does not exist (or is not a file).
    #[error("{} does not exist: give the file `quaderno-server backup --out` wrote", .0.display())]
    RestoreMissing(PathBuf),

    /// `restore` names a file that is not a relay's backup.
    #[error("{} is not a relay backup: {reason}; give the file `quaderno-server backup --out` wrote", path.display())]
    NotABackup {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// `restore` names a backup made by a newer `quaderno-server`.
    #[error("{} was written by a newer quaderno-server ({component} is at version {found}, this one knows {known}): restore it with that version or a later one", path.display())]
    BackupTooNew {
        /// The file.
        path: PathBuf,
        /// The part of the schema that is newer.
        component: String,
        /// Its version in the backup.
        found: i64,
        /// The newest version this binary knows.
        known: i64,
    },

    /// `restore` while a relay serves the data directory (or another restore runs).
    #[error(transparent)]
    Locked(#[from] LockError),

    /// A file of the restore could not be written, moved or removed.
    #[error("cannot {what} {}: {source}; check free disk space and permissions, then restore again", path.display())]
    RestoreIo {
        /// What the restore was doing.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },

    /// The backup was written but cannot be read back.
    #[error("the backup {} cannot be read back ({source}): check the disk and try again", path.display())]
    BackupUnreadable {
        /// The backup file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl AdminError {
    /// Whether the command itself was wrong (exit code 2), not the relay's storage (exit code 1).
    pub fn is_user_error(&self) -> bool {
        match self {
            AdminError::Db(e) => e.is_user_error(),
            AdminError::BackupExists(_)
            | AdminError::BackupFolderMissing(_)
            | AdminError::RestoreMissing(_)
            | AdminError::NotABackup { .. }
            | AdminError::BackupTooNew { .. } => true,
            AdminError::Locked(LockError::Held { .. }) => true,
            AdminError::Locked(LockError::Io { .. }) => false,
            AdminError::BackupUnreadable { .. } | AdminError::RestoreIo { .. } => false,
        }
    }
}

impl From<rusqlite::Error> for AdminError {
    fn from(error: rusqlite::Error) -> Self {
        AdminError::Db(error.into())
    }
}

impl From<AccountsError> for AdminError {
    fn from(error: AccountsError) -> Self {
        AdminError::Db(error.into())
    }
}

/// What a command has to say, in both forms.
#[derive(Debug, Clone)]
pub struct Report {
    /// For people: aligned, with hints on what to type next.
    pub human: String,
    /// For scripts.
    pub json: serde_json::Value,
}

impl Report {
    /// The text to print.
    pub fn render(&self, json: bool) -> String {
        if json {
            serde_json::to_string_pretty(&self.json).unwrap_or_default()
        } else {
            self.human.clone()
        }
    }
}

/// A command's result, shown to people by `human` and to scripts as its JSON.
trait Output: Serialize {
    fn human(&self) -> String;

    fn report(&self) -> Report {
        Report {
            human: self.human(),
            json: serde_json::to_value(self).unwrap_or_default(),
        }
    }
}

/// Who runs the commands, recorded on the invites they create and in the activity log.
#[derive(Debug, Clone)]
pub struct Operator(pub String);

impl Operator {
    /// The operating-system user, as far as the environment tells.
    pub fn from_env() -> Self {
        let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME"));
        Operator(format!("cli:{}", user.unwrap_or_else(|_| "unknown".into())))
    }

    /// How the activity log names them.
    fn actor(&self) -> Actor {
        Actor::command_line(self.0.clone())
    }
}

/// Runs one admin command at `now`.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub fn run(
    db: &Db,
    command: &AdminCommand,
    now: DateTime<Utc>,
    operator: &Operator,
) -> Result<Report, AdminError> {
    let actor = &operator.actor();
    match command {
        AdminCommand::Group(GroupCommand::Create { name, title }) => {
            groups::create(db, name, title.as_deref(), actor, now)
        }
        AdminCommand::Group(GroupCommand::List) => groups::list(db),
        AdminCommand::Group(GroupCommand::Usage { name }) => groups::usage(db, name),
        AdminCommand::Group(GroupCommand::Rename { name, title }) => {
            groups::rename(db, name, title, actor, now)
        }
        AdminCommand::Invite(InviteCommand::Create {
            group,
            role,
            uses,
            expires,
        }) => {
            let new = accounts::NewInvite {
                group: group.clone(),
                role: *role,
                uses: *uses,
                expires_at: now + *expires,
                created_by: operator.0.clone(),
            };
            invites::create(db, new, actor, now)
        }
        AdminCommand::Invite(InviteCommand::List { group }) => invites::list(db, group, now),
        AdminCommand::Invite(InviteCommand::Revoke { group, id }) => {
            invites::revoke(db, group, *id, actor, now)
        }
        AdminCommand::Operator(OperatorCommand::Add { name, expires }) => {
            operators::add(db, name, now + *expires, actor, now)
        }
        AdminCommand::Operator(OperatorCommand::List) => operators::list(db),
        AdminCommand::Activity { group, csv, limit } => {
            activity::show(db, group.as_deref(), *csv, *limit)
        }
        AdminCommand::Member(command) => members::run(db, command, actor, now),
        AdminCommand::Device(DeviceCommand::List { participant }) => {
            devices::list(db, participant.as_deref())
        }
        AdminCommand::Device(DeviceCommand::Revoke { id }) => devices::revoke(db, *id, actor, now),
        AdminCommand::Note(NoteCommand::Purge {
            group,
            reason,
            doc_id,
        }) => notes::purge(db, group.as_deref(), doc_id, actor, reason, now),
        AdminCommand::Note(NoteCommand::Erasures { group }) => {
            notes::erasures(db, group.as_deref())
        }
        AdminCommand::Note(NoteCommand::Unreadable { group }) => notes::unreadable(db, group),
        AdminCommand::Backup { out } => backup::run(db, out),
    }
}

/// Runs `f` in one immediate (write-locking) transaction and commits it.
fn write<T>(
    db: &Db,
    f: impl FnOnce(&Transaction<'_>) -> accounts::Result<T>,
) -> Result<T, AdminError> {
    let value = db.with_conn(|conn| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    })?;
    Ok(value)
}

/// Runs a read.
fn read<T>(
    db: &Db,
    f: impl FnOnce(&rusqlite::Connection) -> accounts::Result<T>,
) -> Result<T, AdminError> {
    Ok(db.with_conn(|conn| Ok(f(conn)?))?)
}

/// A time as the human output shows it.
fn when(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}
