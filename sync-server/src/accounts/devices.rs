//! Devices: each holds its own token (stored only as a hash) and its own peer id.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::activity::{self, Action, Actor, Entry};
use super::events::{AdminEventKind, record_event};
use super::secrets::{DeviceToken, hashes_match, new_peer_id};
use super::text::{MAX_NAME_CHARS, clean};
use super::time::{from_millis, from_opt_millis, to_millis};
use super::{AccountsError, Result};

/// Longer than any token the relay hands out; longer input is refused before hashing.
const MAX_TOKEN_CHARS: usize = 128;
/// `last_seen_at` is rewritten at most this often per device, so reads stay reads.
const LAST_SEEN_RESOLUTION_MS: i64 = 60_000;

/// Who a valid device token belongs to. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceAuth {
    /// The device's id.
    pub device_id: i64,
    /// The participant the device belongs to.
    pub participant_id: i64,
    /// The participant's name.
    pub participant: String,
    /// The participant's city.
    pub city: String,
    /// The device's name, e.g. "laptop".
    pub device_name: String,
    /// The automerge-repo peer id bound to this device.
    pub peer_id: String,
}

/// A device as the admin commands list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    /// The device's id, which `device revoke` takes.
    pub id: i64,
    /// The participant it belongs to.
    pub participant_id: i64,
    /// The participant's name.
    pub participant: String,
    /// The device's name.
    pub name: String,
    /// Its automerge-repo peer id.
    pub peer_id: String,
    /// When it joined.
    pub created_at: DateTime<Utc>,
    /// When it last used its token (to the minute), if ever.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A device just created, with its token: the only time the token exists in clear.
#[derive(Debug)]
pub struct IssuedDevice {
    /// Who the device now authenticates as.
    pub auth: DeviceAuth,
    /// The token to hand to the device, once.
    pub token: DeviceToken,
}

/// Creates a device for `participant_id` with a fresh token and peer id.
pub fn create_device(
    conn: &Connection,
    participant_id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> Result<IssuedDevice> {
    let name = clean("device name", name, MAX_NAME_CHARS)?;
    let token = DeviceToken::generate();
    let peer_id = new_peer_id();
    conn.execute(
        "INSERT INTO devices (participant_id, name, peer_id, token_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![participant_id, name, peer_id, token.hash(), to_millis(now)],
    )?;
    let device_id = conn.last_insert_rowid();
    let auth = device_auth(conn, device_id)?.ok_or(AccountsError::UnknownDevice(device_id))?;
    Ok(IssuedDevice { auth, token })
}

/// The device a token belongs to, unless the token is unknown or the device revoked.
pub fn authenticate(conn: &Connection, token: &str) -> Result<Option<DeviceAuth>> {
    if token.is_empty() || token.len() > MAX_TOKEN_CHARS {
        return Ok(None);
    }
    let hash = DeviceToken::from_client(token).hash();
    let found = conn
        .prepare_cached(&format!(
            "{AUTH_SELECT} WHERE d.token_hash = ?1 AND d.revoked_at IS NULL"
        ))?
        .query_row([hash.as_slice()], read_auth)
        .optional()?;
    Ok(found
        .filter(|(_, stored)| hashes_match(stored, &hash))
        .map(|(auth, _)| auth))
}

/// Notes that the device used its token at `now` (at most one write a minute per device).
pub fn touch_device(conn: &Connection, device_id: i64, now: DateTime<Utc>) -> Result<()> {
    let now = to_millis(now);
    conn.prepare_cached(
        "UPDATE devices SET last_seen_at = ?2
         WHERE id = ?1 AND (last_seen_at IS NULL OR last_seen_at <= ?2 - ?3)",
    )?
    .execute(params![device_id, now, LAST_SEEN_RESOLUTION_MS])?;
    Ok(())
}

/// Every device, or only those of one participant, oldest first.
pub fn list_devices(conn: &Connection, participant_id: Option<i64>) -> Result<Vec<Device>> {
    list_devices_where(conn, "?1 IS NULL OR d.participant_id = ?1", participant_id)
}

/// The devices of a group's members, oldest first.
pub fn group_devices(conn: &Connection, group: &str) -> Result<Vec<Device>> {
    list_devices_where(
        conn,
        "d.participant_id IN (SELECT participant_id FROM memberships WHERE grp = ?1)",
        group,
    )
}

fn list_devices_where(
    conn: &Connection,
    condition: &str,
    value: impl rusqlite::ToSql,
) -> Result<Vec<Device>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT d.id, d.participant_id, p.name, d.name, d.peer_id, d.created_at,
                d.last_seen_at, d.revoked_at
         FROM devices d JOIN participants p ON p.id = d.participant_id
         WHERE {condition}
         ORDER BY d.id"
    ))?;
    let rows = stmt.query_map([value], |row| {
        Ok((
            (
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ),
            (row.get(5)?, row.get(6)?, row.get(7)?),
        ))
    })?;
    rows.map(|row| into_device(row?)).collect()
}

/// Revokes a device: its token stops working and the running relay closes its connections.
/// The log of each of its participant's groups records it. Call inside a transaction, so the
/// revocation and its event are written together.
pub fn revoke_device(
    conn: &Connection,
    device_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Device> {
    let device = list_devices_where(conn, "d.id = ?1", device_id)?
        .pop()
        .ok_or(AccountsError::UnknownDevice(device_id))?;
    if device.revoked_at.is_some() {
        return Err(AccountsError::AlreadyRevoked(device_id));
    }
    revoke_quietly(conn, device_id, now)?;
    let mut groups =
        conn.prepare_cached("SELECT grp FROM memberships WHERE participant_id = ?1 ORDER BY grp")?;
    let groups: Vec<String> = groups
        .query_map([device.participant_id], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for group in &groups {
        let entry = Entry {
            group: Some(group),
            action: Action::DeviceRevoked,
            target: device.participant.clone(),
            detail: format!("device {} «{}»", device.id, device.name),
        };
        activity::record(conn, actor, entry, now)?;
    }
    Ok(Device {
        revoked_at: Some(now),
        ..device
    })
}

/// Revokes one device of a member of `group`; any other device is as unknown as one that
/// does not exist. Call inside a transaction.
pub fn revoke_member_device(
    conn: &Connection,
    group: &str,
    device_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Device> {
    let member: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM devices d JOIN memberships m
                        ON m.participant_id = d.participant_id
                        WHERE d.id = ?1 AND m.grp = ?2)",
        params![device_id, group],
        |row| row.get(0),
    )?;
    if !member {
        return Err(AccountsError::DeviceNotInGroup {
            device: device_id,
            group: group.to_owned(),
        });
    }
    revoke_device(conn, device_id, actor, now)
}

/// Revokes a device and records the event that closes its connections, without a log entry
/// of its own. Returns whether it was still unrevoked.
pub(crate) fn revoke_quietly(
    conn: &Connection,
    device_id: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let updated = conn.execute(
        "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![device_id, to_millis(now)],
    )?;
    if updated > 0 {
        record_event(conn, &AdminEventKind::DeviceRevoked { device_id }, now)?;
    }
    Ok(updated > 0)
}

/// The identity of a device by id, unless it is revoked.
pub(crate) fn device_auth(conn: &Connection, device_id: i64) -> Result<Option<DeviceAuth>> {
    let found = conn
        .prepare_cached(&format!(
            "{AUTH_SELECT} WHERE d.id = ?1 AND d.revoked_at IS NULL"
        ))?
        .query_row([device_id], read_auth)
        .optional()?;
    Ok(found.map(|(auth, _)| auth))
}

const AUTH_SELECT: &str = "SELECT d.id, d.participant_id, p.name, p.city, d.name, d.peer_id,
        d.token_hash
     FROM devices d JOIN participants p ON p.id = d.participant_id";

fn read_auth(row: &rusqlite::Row<'_>) -> rusqlite::Result<(DeviceAuth, Vec<u8>)> {
    let auth = DeviceAuth {
        device_id: row.get(0)?,
        participant_id: row.get(1)?,
        participant: row.get(2)?,
        city: row.get(3)?,
        device_name: row.get(4)?,
        peer_id: row.get(5)?,
    };
    Ok((auth, row.get(6)?))
}

type DeviceRow = (
    (i64, i64, String, String, String),
    (i64, Option<i64>, Option<i64>),
);

fn into_device(row: DeviceRow) -> Result<Device> {
    let ((id, participant_id, participant, name, peer_id), (created, seen, revoked)) = row;
    Ok(Device {
        id,
        participant_id,
        participant,
        name,
        peer_id,
        created_at: from_millis(created)?,
        last_seen_at: from_opt_millis(seen)?,
        revoked_at: from_opt_millis(revoked)?,
    })
}
