//! Invites: a code for a group and a role, with a number of uses and an expiry.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::groups::existing_group;
use super::secrets::InviteCode;
use super::time::{from_millis, to_millis};
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
}

impl Invite {
    /// Whether the invite can be used at `now`, and if not, why.
    pub fn check(&self, now: DateTime<Utc>) -> Result<()> {
        if now >= self.expires_at {
            return Err(AccountsError::InviteExpired(self.expires_at));
        }
        if self.uses_left == 0 {
            return Err(AccountsError::InviteUsedUp);
        }
        Ok(())
    }
}

/// Creates an invite and returns its code: the only time the code exists in clear.
pub fn create_invite(conn: &Connection, new: &NewInvite, now: DateTime<Utc>) -> Result<InviteCode> {
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
        "INSERT INTO invites (code_hash, grp, role, uses_left, expires_at, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
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
    Ok(code)
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
        .prepare_cached(
            "SELECT id, grp, role, uses_left, expires_at FROM invites WHERE code_hash = ?1",
        )?
        .query_row([code.hash().as_slice()], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, u32>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })
        .optional()?;
    row.map(|(id, group, role, uses_left, expires)| {
        Ok(Invite {
            id,
            group,
            role: role
                .parse()
                .map_err(|_| AccountsError::Corrupt(format!("role of invite {id}")))?,
            uses_left,
            expires_at: from_millis(expires)?,
        })
    })
    .transpose()
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
    }
}
