//! Operators, the coordinating body that governs the relay, and the one-time codes that make
//! an operator or link one more device to a person.
//!
//! A one-time code looks like an invite code and is stored the same way (only its hash). It
//! is used at most once, then kept as used, so the log and the admins can tell what happened.

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::activity::{self, Action, Actor, Entry};
use super::participants::participant;
use super::secrets::InviteCode;
use super::time::{from_millis, to_millis};
use super::{AccountsError, Result};

/// How long a code that links one more device stays valid.
pub const LINK_CODE_VALIDITY: TimeDelta = TimeDelta::minutes(10);

/// An operator of the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    pub participant_id: i64,
    pub name: String,
    pub city: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// What a one-time code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// Whoever joins with it becomes an operator.
    Operator,
    /// Makes a new device of the participant who asked for it.
    Link,
}

impl CodeKind {
    fn as_str(self) -> &'static str {
        match self {
            CodeKind::Operator => "operator",
            CodeKind::Link => "link",
        }
    }
}

/// A one-time code just made: the only time it exists in clear.
#[derive(Debug)]
pub struct IssuedCode {
    pub code: InviteCode,
    pub expires_at: DateTime<Utc>,
}

/// A one-time code as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OneTimeCode {
    pub id: i64,
    pub kind: CodeKind,
    /// For a link code, whose device it makes.
    pub participant_id: Option<i64>,
}

/// Whether the participant is an operator of the relay.
pub fn is_operator(conn: &Connection, participant_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM operators WHERE participant_id = ?1)")?
        .query_row([participant_id], |row| row.get(0))?)
}

/// The relay's operators, oldest first.
pub fn list_operators(conn: &Connection) -> Result<Vec<Operator>> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.participant_id, p.name, p.city, o.since
         FROM operators o JOIN participants p ON p.id = o.participant_id ORDER BY o.since",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get::<_, i64>(3)?))
    })?;
    rows.map(|row| {
        let (participant_id, name, city, since) = row?;
        Ok(Operator {
            participant_id,
            name,
            city,
            since: from_millis(since)?,
        })
    })
    .collect()
}

/// Makes the participant an operator. Call inside a transaction.
pub(crate) fn add_operator(
    conn: &Connection,
    participant_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    let person = participant(conn, participant_id)?
        .ok_or_else(|| AccountsError::UnknownParticipant(participant_id.to_string()))?;
    if is_operator(conn, participant_id)? {
        return Err(AccountsError::AlreadyOperator(participant_id));
    }
    conn.execute(
        "INSERT INTO operators (participant_id, since, appointed_by) VALUES (?1, ?2, ?3)",
        params![participant_id, to_millis(now), actor.label],
    )?;
    let entry = Entry {
        group: None,
        action: Action::OperatorAdded,
        target: person.name,
        detail: String::new(),
    };
    activity::record(conn, actor, entry, now)
}

/// A code that makes whoever joins with it an operator, valid until `expires_at`.
pub fn create_operator_code(
    conn: &Connection,
    expires_at: DateTime<Utc>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<IssuedCode> {
    if expires_at <= now {
        return Err(AccountsError::InvalidText {
            field: "expiry",
            problem: "must be in the future",
        });
    }
    issue(conn, CodeKind::Operator, None, expires_at, actor, now)
}

/// A code, valid for ten minutes, that makes one more device of the participant.
pub fn create_link_code(
    conn: &Connection,
    participant_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<IssuedCode> {
    issue(
        conn,
        CodeKind::Link,
        Some(participant_id),
        now + LINK_CODE_VALIDITY,
        actor,
        now,
    )
}

fn issue(
    conn: &Connection,
    kind: CodeKind,
    participant_id: Option<i64>,
    expires_at: DateTime<Utc>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<IssuedCode> {
    let code = InviteCode::generate();
    conn.execute(
        "INSERT INTO one_time_codes
             (code_hash, kind, participant_id, expires_at, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            code.hash(),
            kind.as_str(),
            participant_id,
            to_millis(expires_at),
            actor.label,
            to_millis(now)
        ],
    )?;
    Ok(IssuedCode { code, expires_at })
}

/// Takes the one-time code `typed` of `kind`, if it is one: `Ok(None)` when no code of that
/// kind matches (it may be an invite), an error when it matches but is expired or used.
/// Call inside a transaction: a code is used once even when two redeem it at the same time.
pub(crate) fn take_code(
    conn: &Connection,
    typed: &str,
    kind: CodeKind,
    now: DateTime<Utc>,
) -> Result<Option<OneTimeCode>> {
    let Some(code) = InviteCode::parse(typed) else {
        return Ok(None);
    };
    let found = conn
        .prepare_cached(
            "SELECT id, participant_id, expires_at, used_at FROM one_time_codes
             WHERE code_hash = ?1 AND kind = ?2",
        )?
        .query_row(params![code.hash().as_slice(), kind.as_str()], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Option<i64>>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, Option<i64>>(3)?,
            ))
        })
        .optional()?;
    let Some((id, participant_id, expires, used)) = found else {
        return Ok(None);
    };
    if used.is_some() {
        return Err(AccountsError::InviteUsedUp);
    }
    let expires_at = from_millis(expires)?;
    if now >= expires_at {
        return Err(AccountsError::InviteExpired(expires_at));
    }
    let updated = conn.execute(
        "UPDATE one_time_codes SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
        params![id, to_millis(now)],
    )?;
    if updated == 0 {
        return Err(AccountsError::InviteUsedUp);
    }
    Ok(Some(OneTimeCode {
        id,
        kind,
        participant_id,
    }))
}
