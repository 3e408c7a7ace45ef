//! The overview: who is here, and each group with its sync status as `status` and the live
//! sync know it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Status, WaitingNote};
use crate::notebook::KeptCopy;
use crate::notebook::PERSONAL_GROUP;
use crate::sync::LiveGroupStatus;

/// Who signs the changes made here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub name: String,
    pub city: String,
}

/// What the page shows first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    /// `None` until the participant says who they are.
    pub identity: Option<Identity>,
    /// The personal notebook first, then the groups by name.
    pub groups: Vec<GroupView>,
}

/// One group as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupView {
    pub slug: String,
    pub title: String,
    /// The personal notebook: never synced.
    pub personal: bool,
    /// `reader`, `editor` or `admin`; `None` for the personal notebook.
    pub role: Option<String>,
    pub relay: Option<String>,
    /// Connected to its relay right now.
    pub online: bool,
    /// Why the relay refused this device, if it did (syncing stopped).
    pub refused: Option<String>,
    /// Why the last connection ended, while offline.
    pub last_error: Option<String>,
    pub last_complete_sync: Option<DateTime<Utc>>,
    /// Notes with changes the relay has not acknowledged yet.
    pub waiting: Vec<WaitingNote>,
    /// Notes whose edits the relay would not take, kept as personal copies.
    pub kept: Vec<KeptCopy>,
    /// Notes of the group that cannot be read here, set aside and reported to the relay.
    pub unreadable: usize,
}

/// The overview from its parts: the notebook's groups (personal first), what `status` knows of
/// the joined ones, and what the live sync knows right now.
pub fn overview(
    identity: Option<Identity>,
    groups: &[String],
    status: &Status,
    live: &[LiveGroupStatus],
) -> Overview {
    let groups = groups
        .iter()
        .map(|slug| group_view(slug, status, live))
        .collect();
    Overview { identity, groups }
}

fn group_view(slug: &str, status: &Status, live: &[LiveGroupStatus]) -> GroupView {
    let joined = status.groups.iter().find(|g| g.group == slug);
    let now = live.iter().find(|g| g.group == slug);
    GroupView {
        slug: slug.to_owned(),
        title: joined
            .map(|g| g.title.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| slug.to_owned()),
        personal: slug == PERSONAL_GROUP,
        role: joined.map(|g| g.role.clone()),
        relay: joined.map(|g| g.relay.clone()),
        online: now.is_some_and(|g| g.online),
        refused: now
            .and_then(|g| g.refused.clone())
            .or_else(|| joined.and_then(|g| g.refused.clone())),
        last_error: now.and_then(|g| g.last_error.clone()),
        last_complete_sync: now
            .and_then(|g| g.last_complete_sync)
            .or_else(|| joined.and_then(|g| g.last_complete_sync)),
        waiting: joined.map(|g| g.waiting.clone()).unwrap_or_default(),
        kept: joined.map(|g| g.kept.clone()).unwrap_or_default(),
        unreadable: joined.map_or(0, |g| g.unreadable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::GroupStatus;

    #[test]
    fn groups_combine_what_status_and_the_live_sync_know() {
        let status = Status {
            groups: vec![GroupStatus {
                group: "palermo".into(),
                title: "Integrazione sociosanitaria".into(),
                relay: "http://127.0.0.1:7878".into(),
                role: "editor".into(),
                relay_state: "not checked".into(),
                last_complete_sync: None,
                waiting: vec![WaitingNote {
                    id: "x".into(),
                    title: "Verbale".into(),
                }],
                refused: None,
                kept: vec![KeptCopy {
                    group: "palermo".into(),
                    note: "x".into(),
                    title: "Verbale".into(),
                    copy: "y".into(),
                    copy_title: "Verbale (copia personale)".into(),
                    reason: "you are a reader in «Integrazione sociosanitaria»".into(),
                    at: chrono::Utc::now(),
                }],
                erased: Vec::new(),
                unreadable: 1,
            }],
        };
        let live = [LiveGroupStatus {
            group: "palermo".into(),
            relay: "http://127.0.0.1:7878".into(),
            online: true,
            refused: None,
            last_error: None,
            last_complete_sync: None,
        }];
        let groups = ["personal".to_string(), "palermo".to_string()];
        let view = overview(None, &groups, &status, &live);
        let personal = &view.groups[0];
        assert!(personal.personal && !personal.online && personal.role.is_none());
        let palermo = &view.groups[1];
        assert_eq!(palermo.title, "Integrazione sociosanitaria");
        assert!(palermo.online);
        assert_eq!(palermo.waiting.len(), 1);
        assert_eq!(palermo.kept[0].copy_title, "Verbale (copia personale)");
        assert_eq!(palermo.unreadable, 1);
        assert!(personal.kept.is_empty());
    }
}
