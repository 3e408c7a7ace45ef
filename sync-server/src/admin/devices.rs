//! `device list` and `device revoke`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AdminError, Output, Report, read, table, when, write};
use crate::accounts::{self, Actor, Device};
use crate::db::Db;

#[derive(Serialize)]
#[serde(transparent)]
struct Listed(Vec<Device>);

impl Output for Listed {
    fn human(&self) -> String {
        if self.0.is_empty() {
            return "No devices yet: they appear when participants join with an invite.\n".into();
        }
        let rows: Vec<[String; 7]> = self.0.iter().map(row).collect();
        let headers = [
            "ID",
            "PARTICIPANT",
            "DEVICE",
            "PEER ID",
            "CREATED",
            "LAST SEEN",
            "STATUS",
        ];
        let mut text = table::render(headers, &rows);
        text.push_str("\nRevoke a lost device with `quaderno-server device revoke ID`.\n");
        text
    }
}

fn row(d: &Device) -> [String; 7] {
    [
        d.id.to_string(),
        format!("{} ({})", d.participant, d.participant_id),
        d.name.clone(),
        d.peer_id.clone(),
        when(d.created_at),
        d.last_seen_at.map_or("never".into(), when),
        d.revoked_at
            .map_or("active".into(), |t| format!("revoked {}", when(t))),
    ]
}

pub(super) fn list(db: &Db, participant: Option<&str>) -> Result<Report, AdminError> {
    let devices = read(db, |conn| {
        let id = match participant {
            Some(typed) => Some(accounts::resolve_participant(conn, typed)?.id),
            None => None,
        };
        accounts::list_devices(conn, id)
    })?;
    Ok(Listed(devices).report())
}

#[derive(Serialize)]
struct Revoked(Device);

impl Output for Revoked {
    fn human(&self) -> String {
        format!(
            "Revoked device {} (\"{}\" of {}): its token no longer works and its connections \
             close within a second.\n",
            self.0.id, self.0.name, self.0.participant
        )
    }
}

pub(super) fn revoke(
    db: &Db,
    id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    let device = write(db, |tx| accounts::revoke_device(tx, id, actor, now))?;
    tracing::info!(device = id, "revoked a device");
    Ok(Revoked(device).report())
}
