//! Joining a group with an invite code: as a new participant with a new device, or as an
//! existing device adding one more group.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::devices::{DeviceAuth, create_device};
use super::groups::{Group, existing_group};
use super::invites::{find_invite_by_code, use_invite};
use super::members::{add_member, role_in_group};
use super::participants::{Participant, create_participant, participant};
use super::secrets::DeviceToken;
use super::{AccountsError, Result, Role};

/// Who is joining.
#[derive(Debug, Clone, Copy)]
pub enum Joiner<'a> {
    /// Someone new: a participant and a device are created, and the device gets a token.
    Newcomer {
        /// Their name.
        name: &'a str,
        /// Their city.
        city: &'a str,
        /// A name for the device, e.g. "laptop".
        device: &'a str,
    },
    /// A device that already holds a valid token: its participant joins one more group.
    Device(&'a DeviceAuth),
}

/// The outcome of a join.
#[derive(Debug)]
pub struct Joined {
    /// The new device's token; `None` when an existing device joined.
    pub token: Option<DeviceToken>,
    /// The device, with its peer id.
    pub device: DeviceAuth,
    /// The participant.
    pub participant: Participant,
    /// The group joined.
    pub group: Group,
    /// The participant's role in it.
    pub role: Role,
}

/// Redeems `code` for `joiner` at `now`. Call inside a transaction.
///
/// A device whose participant is already a member gets its current role back and the invite
/// keeps its use (even if it has expired or been used up since), so a client may safely
/// retry a join whose answer it did not receive.
pub fn join(
    conn: &Connection,
    code: &str,
    joiner: Joiner<'_>,
    now: DateTime<Utc>,
) -> Result<Joined> {
    let invite = find_invite_by_code(conn, code)?;
    let group = existing_group(conn, &invite.group)?;
    if let Joiner::Device(auth) = joiner
        && let Some(role) = role_in_group(conn, auth.participant_id, &group.slug)?
    {
        let participant = existing_participant(conn, auth.participant_id)?;
        return Ok(Joined {
            token: None,
            device: auth.clone(),
            participant,
            group,
            role,
        });
    }
    invite.check(now)?;
    let (participant, device, token) = identify(conn, joiner, now)?;
    use_invite(conn, invite.id)?;
    add_member(conn, participant.id, &group.slug, invite.role, now)?;
    Ok(Joined {
        token,
        device,
        participant,
        group,
        role: invite.role,
    })
}

fn identify(
    conn: &Connection,
    joiner: Joiner<'_>,
    now: DateTime<Utc>,
) -> Result<(Participant, DeviceAuth, Option<DeviceToken>)> {
    match joiner {
        Joiner::Newcomer { name, city, device } => {
            let participant = create_participant(conn, name, city, now)?;
            let issued = create_device(conn, participant.id, device, now)?;
            Ok((participant, issued.auth, Some(issued.token)))
        }
        Joiner::Device(auth) => {
            let participant = existing_participant(conn, auth.participant_id)?;
            Ok((participant, auth.clone(), None))
        }
    }
}

fn existing_participant(conn: &Connection, id: i64) -> Result<Participant> {
    participant(conn, id)?.ok_or_else(|| AccountsError::UnknownParticipant(id.to_string()))
}
