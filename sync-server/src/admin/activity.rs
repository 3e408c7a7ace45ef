//! `activity`: who did what, in a group or on the relay.

use serde::Serialize;

use super::{AdminError, Output, Report, read, table, when};
use crate::accounts::{self, Activity};
use crate::db::Db;

#[derive(Serialize)]
struct Listed {
    group: Option<String>,
    events: Vec<Activity>,
}

impl Output for Listed {
    fn human(&self) -> String {
        if self.events.is_empty() {
            return "Nothing recorded yet.\n".into();
        }
        let rows: Vec<[String; 6]> = self
            .events
            .iter()
            .map(|a| {
                [
                    when(a.at),
                    a.group.clone().unwrap_or_else(|| "-".into()),
                    a.actor.clone(),
                    a.action.clone(),
                    a.target.clone(),
                    a.detail.clone(),
                ]
            })
            .collect();
        table::render(["WHEN", "GROUP", "WHO", "ACTION", "ON", "DETAIL"], &rows)
    }
}

pub(super) fn show(
    db: &Db,
    group: Option<&str>,
    csv: bool,
    limit: u32,
) -> Result<Report, AdminError> {
    match group {
        Some(group) if csv => {
            let text = read(db, |conn| {
                accounts::group(conn, group)?
                    .ok_or_else(|| accounts::AccountsError::UnknownGroup(group.to_owned()))?;
                accounts::group_activity_csv(conn, group)
            })?;
            Ok(Report {
                human: text.clone(),
                json: serde_json::Value::String(text),
            })
        }
        Some(group) => {
            let events = read(db, |conn| {
                accounts::group(conn, group)?
                    .ok_or_else(|| accounts::AccountsError::UnknownGroup(group.to_owned()))?;
                accounts::group_activity(conn, group, None, limit)
            })?;
            let listed = Listed {
                group: Some(group.to_owned()),
                events,
            };
            Ok(listed.report())
        }
        None => {
            let events = read(db, |conn| accounts::relay_activity(conn, limit))?;
            Ok(Listed {
                group: None,
                events,
            }
            .report())
        }
    }
}
