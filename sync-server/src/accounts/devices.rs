//! Devices: each holds its own token (stored only as a hash) and its own peer id.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

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
    let mut stmt = conn.prepare_cached(
        "SELECT d.id, d.participant_id, p.name, d.name, d.peer_id, d.created_at,
                d.last_seen_at, d.revoked_at
         FROM devices d JOIN participants p ON p.id = d.participant_id
         WHERE ?1 IS NULL OR d.participant_id = ?1
         ORDER BY d.id",
    )?;
    let rows = stmt.query_map([participant_id], |row| {
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
/// Call inside a transaction, so the revocation and its event are written together.
pub fn revoke_device(conn: &Connection, device_id: i64, now: DateTime<Utc>) -> Result<()> {
    let revoked: Option<Option<i64>> = conn
        .query_row(
            "SELECT revoked_at FROM devices WHERE id = ?1",
            [device_id],
            |row| row.get(0),
        )
        .optional()?;
    match revoked {
        None => return Err(AccountsError::UnknownDevice(device_id)),
        Some(Some(_)) => return Err(AccountsError::AlreadyRevoked(device_id)),
        Some(None) => {}
    }
    conn.execute(
        "UPDATE devices SET revoked_at = ?2 WHERE id = ?1",
        params![device_id, to_millis(now)],
    )?;
    record_event(conn, &AdminEventKind::DeviceRevoked { device_id }, now)?;
    Ok(())
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
