//! `invite create`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AdminError, Output, Report, when, write};
use crate::accounts::{self, NewInvite, Role};
use crate::db::Db;

#[derive(Serialize)]
struct Created {
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
            "Invite to {} as {} ({uses}, valid until {}):\n\n    {}\n\n\
             This code is shown only now. Each participant joins with:\n    \
             quaderno join <relay-url> {}\n",
            self.group,
            self.role,
            when(self.expires_at),
            self.code,
            self.code
        )
    }
}

pub(super) fn create(db: &Db, new: NewInvite, now: DateTime<Utc>) -> Result<Report, AdminError> {
    let code = write(db, |tx| accounts::create_invite(tx, &new, now))?;
    tracing::info!(group = %new.group, role = %new.role, uses = new.uses, "created an invite");
    let created = Created {
        code: code.display(),
        group: new.group,
        role: new.role,
        uses: new.uses,
        expires_at: new.expires_at,
    };
    Ok(created.report())
}
