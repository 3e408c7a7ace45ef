//! Invites: a code for a group and a role, with a number of uses and an expiry.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use serde::Serialize;

use super::activity::{self, Action, Actor, Entry};
use super::groups::existing_group;
use super::secrets::InviteCode;
use super::time::{from_millis, from_opt_millis, to_millis};
use super::{AccountsError, Result, Role};

/// The most uses one invite may have.
pub const MAX_INVITE_USES: u32 = 1_000;

/// What an admin asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvite {
    /// The group the code lets people join.
    pub group: String,
    /// The role they get.
    pub role: Role,
    /// How many people may use the code.
    pub uses: u32,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
    /// Who made it, for the record (e.g. the operating-system user).
    pub created_by: String,
}

/// An invite as stored, without its code (which only exists as a hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// The invite's id.
    pub id: i64,
    /// Its group.
    pub group: String,
    /// The role it gives.
    pub role: Role,
    /// How many more people may use it.
    pub uses_left: u32,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When an admin revoked it, if they did.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was made: a participant removed from the group after this cannot use it.
    pub created_at: DateTime<Utc>,
}

/// Whether an invite still lets people in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteState {
    Active,
    Expired,
    UsedUp,
    Revoked,
}

/// An invite as the admins list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedInvite {
    pub id: i64,
    pub role: Role,
    /// How many uses it was made with.
    pub uses: u32,
    pub uses_left: u32,
    pub expires_at: DateTime<Utc>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub state: InviteState,
}

impl Invite {
    /// The invite's state at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> InviteState {
        if self.revoked_at.is_some() {
            InviteState::Revoked
        } else if now >= self.expires_at {
            InviteState::Expired
        } else if self.uses_left == 0 {
            InviteState::UsedUp
        } else {
            InviteState::Active
        }
    }

    /// Whether the invite can be used at `now`, and if not, why.
    pub fn check(&self, now: DateTime<Utc>) -> Result<()> {
        if let Some(revoked) = self.revoked_at {
            return Err(AccountsError::InviteRevoked(revoked));
        }
        if now >= self.expires_at {
            return Err(AccountsError::InviteExpired(self.expires_at));
        }
        if self.uses_left == 0 {
            return Err(AccountsError::InviteUsedUp);
        }
        Ok(())
    }
}

/// Creates an invite and returns its id and code: the only time the code exists in clear.
/// Call inside a transaction (the invite and its log entry are written together).
pub fn create_invite(
    conn: &Connection,
    new: &NewInvite,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(i64, InviteCode)> {
    existing_group(conn, &new.group)?;
    if !(1..=MAX_INVITE_USES).contains(&new.uses) {
        return Err(AccountsError::InvalidText {
            field: "number of uses",
            problem: "must be between 1 and 1000",
        });
    }
    if new.expires_at <= now {
        return Err(AccountsError::InvalidText {
            field: "expiry",
            problem: "must be in the future",
        });
    }
    let code = InviteCode::generate();
    conn.execute(
        "INSERT INTO invites
             (code_hash, grp, role, uses, uses_left, expires_at, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)",
        params![
            code.hash(),
            new.group,
            new.role.as_str(),
            new.uses,
            to_millis(new.expires_at),
            new.created_by,
            to_millis(now)
        ],
    )?;
    let id = conn.last_insert_rowid();
    let entry = Entry {
        group: Some(&new.group),
        action: Action::InviteCreated,
        target: format!("invite {id}"),
        detail: format!(
            "{}, {} use(s), until {}",
            new.role,
            new.uses,
            new.expires_at.format("%Y-%m-%d")
        ),
    };
    activity::record(conn, actor, entry, now)?;
    Ok((id, code))
}

/// The group's invites, newest first, with what is left of each. Codes are never listed.
pub fn list_invites(
    conn: &Connection,
    group: &str,
    now: DateTime<Utc>,
) -> Result<Vec<ListedInvite>> {
    existing_group(conn, group)?;
    let mut stmt =
        conn.prepare_cached(&format!("{INVITE_SELECT} WHERE grp = ?1 ORDER BY id DESC"))?;
    let rows = stmt.query_map([group], read_row)?;
    rows.map(|row| {
        let (invite, uses, created_by) = into_invite(row?)?;
        Ok(ListedInvite {
            id: invite.id,
            role: invite.role,
            uses,
            uses_left: invite.uses_left,
            expires_at: invite.expires_at,
            created_by,
            created_at: invite.created_at,
            revoked_at: invite.revoked_at,
            state: invite.state(now),
        })
    })
    .collect()
}

/// Revokes one of the group's invites: its code stops working at once. An invite of another
/// group is as unknown as one that does not exist. Call inside a transaction.
pub fn revoke_invite(
    conn: &Connection,
    group: &str,
    invite_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Invite> {
    existing_group(conn, group)?;
    let invite = find_invite_by_id(conn, invite_id)?
        .filter(|i| i.group == group)
        .ok_or(AccountsError::UnknownInvite(invite_id))?;
    if invite.revoked_at.is_some() {
        return Err(AccountsError::InviteAlreadyRevoked(invite_id));
    }
    conn.execute(
        "UPDATE invites SET revoked_at = ?2 WHERE id = ?1",
        params![invite_id, to_millis(now)],
    )?;
    let entry = Entry {
        group: Some(group),
        action: Action::InviteRevoked,
        target: format!("invite {invite_id}"),
        detail: format!("{}, {} use(s) left", invite.role, invite.uses_left),
    };
    activity::record(conn, actor, entry, now)?;
    Ok(Invite {
        revoked_at: Some(now),
        ..invite
    })
}

/// Revokes an invite without a log entry of its own (a removal's entry says it). Returns
/// whether it was still unrevoked.
pub(crate) fn revoke_quietly(
    conn: &Connection,
    invite_id: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let updated = conn.execute(
        "UPDATE invites SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![invite_id, to_millis(now)],
    )?;
    Ok(updated > 0)
}

/// The invite a typed code names, whether or not it is still usable.
pub fn find_invite_by_code(conn: &Connection, typed: &str) -> Result<Invite> {
    let code = InviteCode::parse(typed).ok_or(AccountsError::InviteUnknown)?;
    find_invite(conn, &code)?.ok_or(AccountsError::InviteUnknown)
}

/// The invite a typed code names, usable at `now`; otherwise why not.
pub fn find_usable_invite(conn: &Connection, typed: &str, now: DateTime<Utc>) -> Result<Invite> {
    let invite = find_invite_by_code(conn, typed)?;
    invite.check(now)?;
    Ok(invite)
}

/// Takes one use of the invite. Atomic: two people racing for the last use cannot both win.
pub fn use_invite(conn: &Connection, invite_id: i64) -> Result<()> {
    let updated = conn.execute(
        "UPDATE invites SET uses_left = uses_left - 1 WHERE id = ?1 AND uses_left > 0",
        [invite_id],
    )?;
    if updated == 0 {
        return Err(AccountsError::InviteUsedUp);
    }
    Ok(())
}

fn find_invite(conn: &Connection, code: &InviteCode) -> Result<Option<Invite>> {
    let row = conn
        .prepare_cached(&format!("{INVITE_SELECT} WHERE code_hash = ?1"))?
        .query_row([code.hash().as_slice()], read_row)
        .optional()?;
    row.map(|row| into_invite(row).map(|(invite, _, _)| invite))
        .transpose()
}

fn find_invite_by_id(conn: &Connection, id: i64) -> Result<Option<Invite>> {
    let row = conn
        .prepare_cached(&format!("{INVITE_SELECT} WHERE id = ?1"))?
        .query_row([id], read_row)
        .optional()?;
    row.map(|row| into_invite(row).map(|(invite, _, _)| invite))
        .transpose()
}

const INVITE_SELECT: &str = "SELECT id, grp, role, uses_left, expires_at, revoked_at, created_at,
        COALESCE(uses, uses_left), created_by
     FROM invites";

type Row = (
    (i64, String, String, u32),
    (i64, Option<i64>, i64, u32, String),
);

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?),
        (
            row.get(4)?,
            row.get(5)?,
            row.get(6)?,
            row.get(7)?,
            row.get(8)?,
        ),
    ))
}

fn into_invite(row: Row) -> Result<(Invite, u32, String)> {
    let ((id, group, role, uses_left), (expires, revoked, created, uses, created_by)) = row;
    let invite = Invite {
        id,
        group,
        role: role
            .parse()
            .map_err(|_| AccountsError::Corrupt(format!("role of invite {id}")))?,
        uses_left,
        expires_at: from_millis(expires)?,
        revoked_at: from_opt_millis(revoked)?,
        created_at: from_millis(created)?,
    };
    Ok((invite, uses, created_by))
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn invite(uses_left: u32, expires_at: DateTime<Utc>) -> Invite {
        Invite {
            id: 1,
            group: "palermo".into(),
            role: Role::Editor,
            uses_left,
            expires_at,
            revoked_at: None,
            created_at: expires_at - TimeDelta::days(7),
        }
    }

    #[test]
    fn an_invite_works_until_its_expiry_and_while_uses_are_left() {
        let now = Utc::now();
        let expires = now + TimeDelta::days(7);
        assert!(invite(1, expires).check(now).is_ok());
        assert!(
            invite(1, expires)
                .check(expires - TimeDelta::seconds(1))
                .is_ok()
        );
        assert!(matches!(
            invite(1, expires).check(expires),
            Err(AccountsError::InviteExpired(_))
        ));
        assert!(matches!(
            invite(0, expires).check(now),
            Err(AccountsError::InviteUsedUp)
        ));
        let revoked = Invite {
            revoked_at: Some(now),
            ..invite(1, expires)
        };
        assert!(matches!(
            revoked.check(now),
            Err(AccountsError::InviteRevoked(_))
        ));
        assert_eq!(revoked.state(now), InviteState::Revoked);
        assert_eq!(invite(0, expires).state(now), InviteState::UsedUp);
        assert_eq!(invite(1, expires).state(expires), InviteState::Expired);
    }
}
