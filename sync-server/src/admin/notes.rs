//! `note purge`.

use chrono::{DateTime, Utc};
use quaderno_model::DocumentId;
use serde::Serialize;

use super::{AdminError, Output, Report, write};
use crate::accounts::{self, Purged};
use crate::db::Db;

#[derive(Serialize)]
struct Done(Purged);

impl Output for Done {
    fn human(&self) -> String {
        let p = &self.0;
        let index = if p.removed_from_index {
            "taken off the group's index"
        } else {
            "it was not on the group's index"
        };
        format!(
            "Purged {} from {}: its stored changes, sync states and change records are deleted, \
             {index}, and the relay will refuse it from now on.\n\
             Devices that synced it still hold a copy until they delete it.\n",
            p.doc, p.group
        )
    }
}

pub(super) fn purge(
    db: &Db,
    group: Option<&str>,
    doc: &DocumentId,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    let purged = write(db, |tx| accounts::purge_document(tx, group, doc, now))?;
    tracing::info!(group = %purged.group, doc = %purged.doc, "purged a document");
    Ok(Done(purged).report())
}
