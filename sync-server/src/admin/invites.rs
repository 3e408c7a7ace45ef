//! `invite create`, `invite list`, `invite revoke`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AdminError, Output, Report, read, table, when, write};
use crate::accounts::{self, Actor, InviteState, ListedInvite, NewInvite, Role};
use crate::db::Db;

#[derive(Serialize)]
struct Created {
    id: i64,
    code: String,
    group: String,
    role: Role,
    uses: u32,
    expires_at: DateTime<Utc>,
}

impl Output for Created {
    fn human(&self) -> String {
        let uses = if self.uses == 1 {
            "1 use".to_owned()
        } else {
            format!("{} uses", self.uses)
        };
        format!(
            "Invite {} to {} as {} ({uses}, valid until {}):\n\n    {}\n\n\
             This code is shown only now. Each participant joins with:\n    \
             quaderno join <relay-url> {}\n",
            self.id,
            self.group,
            self.role,
            when(self.expires_at),
            self.code,
            self.code
        )
    }
}

pub(super) fn create(
    db: &Db,
    new: NewInvite,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    let (id, code) = write(db, |tx| accounts::create_invite(tx, &new, actor, now))?;
    tracing::info!(group = %new.group, role = %new.role, uses = new.uses, "created an invite");
    let created = Created {
        id,
        code: code.display(),
        group: new.group,
        role: new.role,
        uses: new.uses,
        expires_at: new.expires_at,
    };
    Ok(created.report())
}

#[derive(Serialize)]
struct Listed {
    group: String,
    invites: Vec<ListedInvite>,
}

/// How the list names an invite's state.
pub(super) fn state_text(state: InviteState) -> &'static str {
    match state {
        InviteState::Active => "active",
        InviteState::Expired => "expired",
        InviteState::UsedUp => "used up",
        InviteState::Revoked => "revoked",
    }
}

impl Output for Listed {
    fn human(&self) -> String {
        if self.invites.is_empty() {
            return format!(
                "{} has no invites yet: make one with `quaderno-server invite create --group {} --role editor`.\n",
                self.group, self.group
            );
        }
        let rows: Vec<[String; 7]> = self
            .invites
            .iter()
            .map(|i| {
                [
                    i.id.to_string(),
                    i.role.to_string(),
                    format!("{}/{}", i.uses_left, i.uses),
                    when(i.expires_at),
                    state_text(i.state).to_owned(),
                    i.created_by.clone(),
                    when(i.created_at),
                ]
            })
            .collect();
        let headers = [
            "ID",
            "ROLE",
            "USES LEFT",
            "EXPIRES",
            "STATE",
            "BY",
            "CREATED",
        ];
        let mut text = table::render(headers, &rows);
        text.push_str(&format!(
            "\nCodes are shown only when made. Withdraw one with `invite revoke --group {} ID`.\n",
            self.group
        ));
        text
    }
}

pub(super) fn list(db: &Db, group: &str, now: DateTime<Utc>) -> Result<Report, AdminError> {
    let invites = read(db, |conn| accounts::list_invites(conn, group, now))?;
    let listed = Listed {
        group: group.to_owned(),
        invites,
    };
    Ok(listed.report())
}

#[derive(Serialize)]
struct Revoked {
    group: String,
    id: i64,
    revoked_at: DateTime<Utc>,
}

impl Output for Revoked {
    fn human(&self) -> String {
        format!(
            "Revoked invite {} of {}: its code no longer lets anyone join. \
             Members who already joined with it stay.\n",
            self.id, self.group
        )
    }
}

pub(super) fn revoke(
    db: &Db,
    group: &str,
    id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    write(db, |tx| accounts::revoke_invite(tx, group, id, actor, now))?;
    tracing::info!(group, invite = id, "revoked an invite");
    let revoked = Revoked {
        group: group.to_owned(),
        id,
        revoked_at: now,
    };
    Ok(revoked.report())
}
