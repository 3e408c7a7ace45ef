//! `member list`, `member set-role`, `member remove`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AdminError, Output, Report, read, table, when, write};
use crate::accounts::{self, Actor, Member, Participant, Removal, Role};
use crate::cli::MemberCommand;
use crate::db::Db;

pub(super) fn run(
    db: &Db,
    command: &MemberCommand,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    match command {
        MemberCommand::List { group } => list(db, group),
        MemberCommand::SetRole {
            group,
            participant,
            role,
        } => set_role(db, group, participant, *role, actor, now),
        MemberCommand::Remove { group, participant } => remove(db, group, participant, actor, now),
    }
}

#[derive(Serialize)]
struct Listed {
    group: String,
    members: Vec<Member>,
}

impl Output for Listed {
    fn human(&self) -> String {
        if self.members.is_empty() {
            return format!(
                "{} has no members yet: invite some with `quaderno-server invite create --group {}`.\n",
                self.group, self.group
            );
        }
        let rows: Vec<[String; 7]> = self
            .members
            .iter()
            .map(|m| {
                [
                    m.participant_id.to_string(),
                    m.name.clone(),
                    m.city.clone(),
                    m.role.to_string(),
                    m.active_devices.to_string(),
                    when(m.joined_at),
                    m.last_seen_at.map(when).unwrap_or_else(|| "never".into()),
                ]
            })
            .collect();
        let headers = [
            "ID",
            "NAME",
            "CITY",
            "ROLE",
            "DEVICES",
            "JOINED",
            "LAST SEEN",
        ];
        let mut text = table::render(headers, &rows);
        text.push_str(&format!(
            "\nName a member by ID (or exact name), e.g. `member set-role --group {} {} reader`.\n",
            self.group, self.members[0].participant_id
        ));
        text
    }
}

fn list(db: &Db, group: &str) -> Result<Report, AdminError> {
    let members = read(db, |conn| accounts::list_members(conn, group))?;
    let listed = Listed {
        group: group.to_owned(),
        members,
    };
    Ok(listed.report())
}

#[derive(Serialize)]
struct RoleSet {
    group: String,
    participant: Participant,
    previous_role: Role,
    role: Role,
}

impl Output for RoleSet {
    fn human(&self) -> String {
        let who = describe(&self.participant);
        if self.previous_role == self.role {
            return format!(
                "{who} already is {} in {}: nothing changed.\n",
                self.role, self.group
            );
        }
        format!(
            "{who} is now {} in {} (was {}); their open connections follow within a second.\n",
            self.role, self.group, self.previous_role
        )
    }
}

fn set_role(
    db: &Db,
    group: &str,
    typed: &str,
    role: Role,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    let (participant, previous_role) = write(db, |tx| {
        let participant = accounts::resolve_participant(tx, typed)?;
        let previous = accounts::set_role(tx, group, participant.id, role, actor, now)?;
        Ok((participant, previous))
    })?;
    tracing::info!(group, participant = participant.id, %role, "changed a member's role");
    let set = RoleSet {
        group: group.to_owned(),
        participant,
        previous_role,
        role,
    };
    Ok(set.report())
}

#[derive(Serialize)]
struct Removed {
    group: String,
    participant: Participant,
    revoked_devices: Vec<i64>,
    revoked_invites: Vec<i64>,
}

impl Output for Removed {
    fn human(&self) -> String {
        let mut text = format!(
            "Removed {} from {}; their open connections to it close within a second.\n",
            describe(&self.participant),
            self.group
        );
        if !self.revoked_invites.is_empty() {
            let ids: Vec<String> = self.revoked_invites.iter().map(i64::to_string).collect();
            text.push_str(&format!(
                "The invite they joined with ({}) is revoked: they hold its code. \
                 Make a new one for anyone else still to join.\n",
                ids.join(", ")
            ));
        }
        if !self.revoked_devices.is_empty() {
            text.push_str(&format!(
                "It was their last group: their {} device(s) are revoked too.\n",
                self.revoked_devices.len()
            ));
        }
        text.push_str("Only an invite made from now on lets them back in.\n");
        text
    }
}

fn remove(
    db: &Db,
    group: &str,
    typed: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    let (participant, removal) = write(db, |tx| {
        let participant = accounts::resolve_participant(tx, typed)?;
        let removal = accounts::remove_member(tx, group, participant.id, actor, now)?;
        Ok((participant, removal))
    })?;
    tracing::info!(group, participant = participant.id, "removed a member");
    let Removal {
        revoked_devices,
        revoked_invites,
        ..
    } = removal;
    let removed = Removed {
        group: group.to_owned(),
        participant,
        revoked_devices,
        revoked_invites,
    };
    Ok(removed.report())
}

fn describe(p: &Participant) -> String {
    format!("{} of {} (id {})", p.name, p.city, p.id)
}
