//! `member list`, `member set-role`, `member remove`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AdminError, Output, Report, read, table, when, write};
use crate::accounts::{self, Member, Participant, Role};
use crate::cli::MemberCommand;
use crate::db::Db;

pub(super) fn run(
    db: &Db,
    command: &MemberCommand,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    match command {
        MemberCommand::List { group } => list(db, group),
        MemberCommand::SetRole {
            group,
            participant,
            role,
        } => set_role(db, group, participant, *role, now),
        MemberCommand::Remove { group, participant } => remove(db, group, participant, now),
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
        let rows: Vec<[String; 6]> = self
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
                ]
            })
            .collect();
        let mut text = table::render(["ID", "NAME", "CITY", "ROLE", "DEVICES", "JOINED"], &rows);
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
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    let (participant, previous_role) = write(db, |tx| {
        let participant = accounts::resolve_participant(tx, typed)?;
        let previous = accounts::set_role(tx, group, participant.id, role, now)?;
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
}

impl Output for Removed {
    fn human(&self) -> String {
        format!(
            "Removed {} from {}; their open connections to it close within a second.\n",
            describe(&self.participant),
            self.group
        )
    }
}

fn remove(db: &Db, group: &str, typed: &str, now: DateTime<Utc>) -> Result<Report, AdminError> {
    let participant = write(db, |tx| {
        let participant = accounts::resolve_participant(tx, typed)?;
        accounts::remove_member(tx, group, participant.id, now)?;
        Ok(participant)
    })?;
    tracing::info!(group, participant = participant.id, "removed a member");
    let removed = Removed {
        group: group.to_owned(),
        participant,
    };
    Ok(removed.report())
}

fn describe(p: &Participant) -> String {
    format!("{} of {} (id {})", p.name, p.city, p.id)
}
