//! Joining: with an invite code, as a new participant with a new device or as an existing
//! device adding one more group; with an operator code, as an operator of the relay; and with
//! a link code, as one more device of a participant.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::activity::{self, Action, Actor, Entry};
use super::devices::{DeviceAuth, create_device};
use super::groups::{Group, existing_group};
use super::invites::{find_invite_by_code, use_invite};
use super::members::{Membership, add_member, memberships, removed_at, role_in_group};
use super::operators::{CodeKind, add_operator, is_operator, take_code};
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
    /// The group joined and the participant's role in it; `None` for an operator code.
    pub group: Option<(Group, Role)>,
    /// Whether the participant is an operator of the relay.
    pub operator: bool,
}

/// The outcome of a join with a link code.
#[derive(Debug)]
pub struct Linked {
    /// The new device's token.
    pub token: DeviceToken,
    /// The new device.
    pub device: DeviceAuth,
    /// The participant it belongs to.
    pub participant: Participant,
    /// Every group of the participant, with their roles.
    pub memberships: Vec<Membership>,
    /// Whether the participant is an operator of the relay.
    pub operator: bool,
}

/// Redeems `code` (an invite or an operator code) for `joiner` at `now`. Call inside a
/// transaction.
///
/// A device whose participant is already a member gets its current role back and the invite
/// keeps its use (even if it has expired or been used up since), so a client may safely
/// retry a join whose answer it did not receive. A participant removed from the group cannot
/// come back with an invite made before the removal.
pub fn join(
    conn: &Connection,
    code: &str,
    joiner: Joiner<'_>,
    now: DateTime<Utc>,
) -> Result<Joined> {
    if take_code(conn, code, CodeKind::Operator, now)?.is_some() {
        return join_as_operator(conn, joiner, now);
    }
    let invite = find_invite_by_code(conn, code)?;
    let group = existing_group(conn, &invite.group)?;
    if let Joiner::Device(auth) = joiner {
        if let Some(role) = role_in_group(conn, auth.participant_id, &group.slug)? {
            return Ok(Joined {
                token: None,
                device: auth.clone(),
                participant: existing_participant(conn, auth.participant_id)?,
                group: Some((group, role)),
                operator: is_operator(conn, auth.participant_id)?,
            });
        }
        if removed_at(conn, auth.participant_id, &group.slug)?
            .is_some_and(|removed| removed >= invite.created_at)
        {
            return Err(AccountsError::RemovedSinceInvite);
        }
    }
    invite.check(now)?;
    let (participant, device, token) = identify(conn, joiner, now)?;
    use_invite(conn, invite.id)?;
    add_member(
        conn,
        participant.id,
        &group.slug,
        invite.role,
        Some(invite.id),
        now,
    )?;
    let entry = Entry {
        group: Some(&group.slug),
        action: Action::Joined,
        target: participant.name.clone(),
        detail: format!("{} (invite {})", invite.role, invite.id),
    };
    activity::record(conn, &Actor::device(&device), entry, now)?;
    Ok(Joined {
        token,
        device,
        operator: is_operator(conn, participant.id)?,
        participant,
        group: Some((group, invite.role)),
    })
}

/// Redeems a link code: a new device named `device_name` for the participant who asked for
/// the code, in all of their groups. Call inside a transaction.
pub fn join_with_link(
    conn: &Connection,
    code: &str,
    device_name: &str,
    now: DateTime<Utc>,
) -> Result<Linked> {
    let taken = take_code(conn, code, CodeKind::Link, now)?.ok_or(AccountsError::InviteUnknown)?;
    let participant_id = taken
        .participant_id
        .ok_or_else(|| AccountsError::Corrupt(format!("link code {} names nobody", taken.id)))?;
    let participant = existing_participant(conn, participant_id)?;
    let issued = create_device(conn, participant_id, device_name, now)?;
    let memberships = memberships(conn, participant_id)?;
    let actor = Actor::device(&issued.auth);
    for membership in &memberships {
        let entry = Entry {
            group: Some(&membership.group.slug),
            action: Action::DeviceLinked,
            target: participant.name.clone(),
            detail: format!(
                "device {} «{}»",
                issued.auth.device_id, issued.auth.device_name
            ),
        };
        activity::record(conn, &actor, entry, now)?;
    }
    Ok(Linked {
        token: issued.token,
        device: issued.auth,
        operator: is_operator(conn, participant_id)?,
        participant,
        memberships,
    })
}

fn join_as_operator(conn: &Connection, joiner: Joiner<'_>, now: DateTime<Utc>) -> Result<Joined> {
    let (participant, device, token) = identify(conn, joiner, now)?;
    add_operator(conn, participant.id, &Actor::device(&device), now)?;
    Ok(Joined {
        token,
        device,
        participant,
        group: None,
        operator: true,
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
