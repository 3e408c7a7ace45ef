//! Memberships: who is in which group, with which role.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::activity::{self, Action, Actor, Entry};
use super::devices::revoke_quietly as revoke_device_quietly;
use super::events::{AdminEventKind, record_event};
use super::groups::{Group, existing_group, into_group, read_row as read_group_row};
use super::invites::revoke_quietly as revoke_invite_quietly;
use super::participants::participant;
use super::time::{from_millis, from_opt_millis, to_millis};
use super::{AccountsError, Result, Role};

/// A member of a group, as `member list` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    /// The participant's id: what `member set-role` and `member remove` take.
    pub participant_id: i64,
    /// Their name.
    pub name: String,
    /// Their city.
    pub city: String,
    /// Their role in the group.
    pub role: Role,
    /// When they joined the group.
    pub joined_at: DateTime<Utc>,
    /// How many of their devices are not revoked.
    pub active_devices: u64,
    /// When one of their devices last used its token (to the minute), if ever.
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// What a removal did besides taking the person out of the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removal {
    /// Who left.
    pub participant_id: i64,
    /// Their name.
    pub name: String,
    /// Their devices, revoked because this was their last group.
    pub revoked_devices: Vec<i64>,
    /// The invite they joined with, revoked because they hold its code.
    pub revoked_invites: Vec<i64>,
}

/// One of a participant's groups, with their role in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// The group.
    pub group: Group,
    /// The participant's role in it.
    pub role: Role,
}

/// The participant's role in the group, or `None` if they are not a member (or there is no
/// such group: the two are deliberately the same answer).
pub fn role_in_group(conn: &Connection, participant_id: i64, group: &str) -> Result<Option<Role>> {
    let role: Option<String> = conn
        .prepare_cached("SELECT role FROM memberships WHERE participant_id = ?1 AND grp = ?2")?
        .query_row(params![participant_id, group], |row| row.get(0))
        .optional()?;
    role.map(|r| parse_role(&r)).transpose()
}

/// Makes the participant a member of the group with `role`, through the invite `invite_id`
/// (`None` when an operator appointed them directly).
pub fn add_member(
    conn: &Connection,
    participant_id: i64,
    group: &str,
    role: Role,
    invite_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO memberships (participant_id, grp, role, joined_at, invite_id)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            participant_id,
            group,
            role.as_str(),
            to_millis(now),
            invite_id
        ],
    )?;
    Ok(())
}

/// When the participant was last removed from the group, if ever.
pub fn removed_at(
    conn: &Connection,
    participant_id: i64,
    group: &str,
) -> Result<Option<DateTime<Utc>>> {
    let at: Option<i64> = conn
        .prepare_cached("SELECT removed_at FROM removals WHERE participant_id = ?1 AND grp = ?2")?
        .query_row(params![participant_id, group], |row| row.get(0))
        .optional()?;
    from_opt_millis(at)
}

/// The participant's groups with their roles, by slug.
pub fn memberships(conn: &Connection, participant_id: i64) -> Result<Vec<Membership>> {
    let mut stmt = conn.prepare_cached(
        "SELECT g.slug, g.title, g.index_doc, g.created_at, m.role
         FROM memberships m JOIN groups g ON g.slug = m.grp
         WHERE m.participant_id = ?1 ORDER BY g.slug",
    )?;
    let rows = stmt.query_map([participant_id], |row| {
        Ok((read_group_row(row)?, row.get::<_, String>(4)?))
    })?;
    rows.map(|row| {
        let (group, role) = row?;
        Ok(Membership {
            group: into_group(group)?,
            role: parse_role(&role)?,
        })
    })
    .collect()
}

/// The members of a group, by name.
pub fn list_members(conn: &Connection, group: &str) -> Result<Vec<Member>> {
    existing_group(conn, group)?;
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.name, p.city, m.role, m.joined_at,
                (SELECT COUNT(*) FROM devices d
                 WHERE d.participant_id = p.id AND d.revoked_at IS NULL),
                (SELECT MAX(d.last_seen_at) FROM devices d WHERE d.participant_id = p.id)
         FROM memberships m JOIN participants p ON p.id = m.participant_id
         WHERE m.grp = ?1 ORDER BY p.name COLLATE NOCASE, p.id",
    )?;
    let rows = stmt.query_map([group], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, i64>(4)?,
            row.get::<_, i64>(5)?,
            row.get::<_, Option<i64>>(6)?,
        ))
    })?;
    rows.map(|row| {
        let (participant_id, name, city, role, joined, active_devices, seen) = row?;
        Ok(Member {
            participant_id,
            name,
            city,
            role: parse_role(&role)?,
            joined_at: from_millis(joined)?,
            active_devices: active_devices.unsigned_abs(),
            last_seen_at: from_opt_millis(seen)?,
        })
    })
    .collect()
}

/// Changes a member's role; returns the previous one. Records an event when it changed.
/// Call inside a transaction.
pub fn set_role(
    conn: &Connection,
    group: &str,
    participant_id: i64,
    role: Role,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Role> {
    let previous = current_role(conn, group, participant_id)?;
    if actor.participant_id == Some(participant_id) {
        return Err(AccountsError::OwnMembership);
    }
    if previous != role {
        conn.execute(
            "UPDATE memberships SET role = ?3 WHERE participant_id = ?1 AND grp = ?2",
            params![participant_id, group, role.as_str()],
        )?;
        let event = AdminEventKind::RoleChanged {
            participant_id,
            group: group.to_owned(),
            role,
        };
        record_event(conn, &event, now)?;
        let entry = Entry {
            group: Some(group),
            action: Action::RoleChanged,
            target: name_of(conn, participant_id)?,
            detail: format!("{previous} → {role}"),
        };
        activity::record(conn, actor, entry, now)?;
    }
    Ok(previous)
}

/// Removes a member from a group and records an event, so their connections close. The
/// invite they joined with is revoked (they hold its code), the removal is remembered so that
/// no invite made before it lets them back, and when this was their last group their devices
/// are revoked too. Call inside a transaction.
pub fn remove_member(
    conn: &Connection,
    group: &str,
    participant_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Removal> {
    current_role(conn, group, participant_id)?;
    if actor.participant_id == Some(participant_id) {
        return Err(AccountsError::OwnMembership);
    }
    let invite: Option<i64> = conn.query_row(
        "SELECT invite_id FROM memberships WHERE participant_id = ?1 AND grp = ?2",
        params![participant_id, group],
        |row| row.get(0),
    )?;
    conn.execute(
        "DELETE FROM memberships WHERE participant_id = ?1 AND grp = ?2",
        params![participant_id, group],
    )?;
    conn.execute(
        "INSERT OR REPLACE INTO removals (participant_id, grp, removed_at) VALUES (?1, ?2, ?3)",
        params![participant_id, group, to_millis(now)],
    )?;
    let mut revoked_invites = Vec::new();
    if let Some(invite) = invite
        && revoke_invite_quietly(conn, invite, now)?
    {
        revoked_invites.push(invite);
    }
    let event = AdminEventKind::MemberRemoved {
        participant_id,
        group: group.to_owned(),
    };
    record_event(conn, &event, now)?;
    let mut revoked_devices = Vec::new();
    if memberships(conn, participant_id)?.is_empty() {
        for device in active_device_ids(conn, participant_id)? {
            revoke_device_quietly(conn, device, now)?;
            revoked_devices.push(device);
        }
    }
    let name = name_of(conn, participant_id)?;
    let mut detail = Vec::new();
    if !revoked_devices.is_empty() {
        detail.push(format!("{} device(s) revoked", revoked_devices.len()));
    }
    for invite in &revoked_invites {
        detail.push(format!("invite {invite} revoked"));
    }
    let entry = Entry {
        group: Some(group),
        action: Action::MemberRemoved,
        target: name.clone(),
        detail: detail.join("; "),
    };
    activity::record(conn, actor, entry, now)?;
    Ok(Removal {
        participant_id,
        name,
        revoked_devices,
        revoked_invites,
    })
}

fn active_device_ids(conn: &Connection, participant_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM devices WHERE participant_id = ?1 AND revoked_at IS NULL ORDER BY id",
    )?;
    let rows = stmt.query_map([participant_id], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How the activity log names a participant.
pub(crate) fn name_of(conn: &Connection, participant_id: i64) -> Result<String> {
    Ok(participant(conn, participant_id)?
        .map(|p| p.name)
        .unwrap_or_else(|| format!("participant {participant_id}")))
}

fn current_role(conn: &Connection, group: &str, participant_id: i64) -> Result<Role> {
    existing_group(conn, group)?;
    role_in_group(conn, participant_id, group)?.ok_or_else(|| AccountsError::NotAMember {
        participant: participant_id,
        group: group.to_owned(),
    })
}

fn parse_role(text: &str) -> Result<Role> {
    text.parse()
        .map_err(|_| AccountsError::Corrupt(format!("role {text}")))
}
