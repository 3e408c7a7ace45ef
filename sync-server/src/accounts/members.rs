//! Memberships: who is in which group, with which role.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::events::{AdminEventKind, record_event};
use super::groups::{Group, existing_group, into_group, read_row as read_group_row};
use super::time::{from_millis, to_millis};
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

/// Makes the participant a member of the group with `role`.
pub fn add_member(
    conn: &Connection,
    participant_id: i64,
    group: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO memberships (participant_id, grp, role, joined_at) VALUES (?1, ?2, ?3, ?4)",
        params![participant_id, group, role.as_str(), to_millis(now)],
    )?;
    Ok(())
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
                 WHERE d.participant_id = p.id AND d.revoked_at IS NULL)
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
        ))
    })?;
    rows.map(|row| {
        let (participant_id, name, city, role, joined, active_devices) = row?;
        Ok(Member {
            participant_id,
            name,
            city,
            role: parse_role(&role)?,
            joined_at: from_millis(joined)?,
            active_devices: active_devices.unsigned_abs(),
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
    now: DateTime<Utc>,
) -> Result<Role> {
    let previous = current_role(conn, group, participant_id)?;
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
    }
    Ok(previous)
}

/// Removes a member from a group and records an event, so their connections close.
/// Call inside a transaction.
pub fn remove_member(
    conn: &Connection,
    group: &str,
    participant_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    current_role(conn, group, participant_id)?;
    conn.execute(
        "DELETE FROM memberships WHERE participant_id = ?1 AND grp = ?2",
        params![participant_id, group],
    )?;
    let event = AdminEventKind::MemberRemoved {
        participant_id,
        group: group.to_owned(),
    };
    record_event(conn, &event, now)?;
    Ok(())
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
