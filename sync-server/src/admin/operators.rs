//! `operator add`, `operator list`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AdminError, Output, Report, read, table, when, write};
use crate::accounts::{self, Actor, Operator};
use crate::db::Db;

#[derive(Serialize)]
struct Issued {
    code: String,
    name: String,
    expires_at: DateTime<Utc>,
}

impl Output for Issued {
    fn human(&self) -> String {
        format!(
            "A one-time operator code for {} (valid until {}):\n\n    {}\n\n\
             This code is shown only now, and works once. In their Quaderno they type:\n    \
             quaderno join <relay-url> {}\n\
             (or paste it in the page's \"Entra in un gruppo\"). From then on they govern the \
             relay from the page: \"Gestione dei gruppi\".\n",
            self.name,
            when(self.expires_at),
            self.code,
            self.code
        )
    }
}

pub(super) fn add(
    db: &Db,
    name: &str,
    expires_at: DateTime<Utc>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    let label = Actor::command_line(format!("{} (for {name})", actor.label));
    let issued = write(db, |tx| {
        accounts::create_operator_code(tx, expires_at, &label, now)
    })?;
    tracing::info!("created an operator code");
    let issued = Issued {
        code: issued.code.display(),
        name: name.to_owned(),
        expires_at: issued.expires_at,
    };
    Ok(issued.report())
}

#[derive(Serialize)]
#[serde(transparent)]
struct Listed(Vec<Operator>);

impl Output for Listed {
    fn human(&self) -> String {
        if self.0.is_empty() {
            return "No operators yet: make the first with `quaderno-server operator add --name NAME`.\n"
                .into();
        }
        let rows: Vec<[String; 4]> = self
            .0
            .iter()
            .map(|o| {
                [
                    o.participant_id.to_string(),
                    o.name.clone(),
                    o.city.clone(),
                    when(o.since),
                ]
            })
            .collect();
        table::render(["ID", "NAME", "CITY", "SINCE"], &rows)
    }
}

pub(super) fn list(db: &Db) -> Result<Report, AdminError> {
    Ok(Listed(read(db, accounts::list_operators)?).report())
}
