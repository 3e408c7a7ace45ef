//! `quaderno status`: the joined groups, whether their relays answer, when they were last fully
//! synced, which notes hold changes the relay has not acknowledged yet, and which edits the
//! relay refused (this participant reads the group) and were kept as personal copies; and the
//! [`overview`](overview()) that adds who is here and what the live sync knows right now.

mod overview;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use quaderno_store::docs;
use quaderno_store::index;
use quaderno_store::rusqlite::Connection;
use serde::Serialize;

use crate::ClientError;
use crate::groups::{self, Group};
use crate::notebook::{KeptCopy, STORE_FILE, kept};
use crate::relays::{RelayApi, Relays};
use crate::sync::{ErasedHere, erased_here, set_aside};

pub use overview::{GroupView, Identity, Overview, overview};

/// How many of a group's latest erasures `status` shows.
const SHOWN_ERASURES: usize = 5;

/// How long `status` waits for a relay before calling it unreachable.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub groups: Vec<GroupStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupStatus {
    pub group: String,
    pub title: String,
    pub relay: String,
    pub role: String,
    /// `reachable`, `unreachable`, `refused` (the relay no longer accepts this device), or
    /// `not checked`.
    pub relay_state: String,
    pub last_complete_sync: Option<DateTime<Utc>>,
    /// Notes with local changes the relay has not acknowledged.
    pub waiting: Vec<WaitingNote>,
    pub refused: Option<String>,
    /// Notes whose edits the relay would not take, kept as personal copies (those still in
    /// the personal notebook, out of the bin).
    pub kept: Vec<KeptCopy>,
    /// The latest notes deleted here because they were erased from the group.
    pub erased: Vec<ErasedHere>,
    /// Notes of the group that cannot be read here: set aside and reported to the relay.
    pub unreadable: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WaitingNote {
    pub id: String,
    pub title: String,
}

/// The status of every joined group; `check_relays` asks each relay whether it answers.
pub async fn status(data_dir: &Path, check_relays: bool) -> Result<Status, ClientError> {
    let conn = quaderno_store::open_connection(&data_dir.join(STORE_FILE))?;
    groups::ensure_schema(&conn)?;
    kept::ensure_schema(&conn)?;
    set_aside::ensure_schema(&conn)?;
    let joined = groups::all(&conn)?;
    let accounts = Relays::load(data_dir)?;
    let mut relay_states: BTreeMap<String, String> = BTreeMap::new();
    if check_relays {
        let relays: BTreeSet<&str> = joined.iter().map(|g| g.relay_url.as_str()).collect();
        for url in relays {
            let state = match accounts.get(url) {
                Some(account) => check(url, &account.token).await,
                None => "no token: join again".to_string(),
            };
            relay_states.insert(url.to_string(), state);
        }
    }
    let mut statuses = Vec::new();
    for group in joined {
        let waiting = waiting_notes(&conn, &group)?;
        let kept = kept::kept_copies(&conn, &group.slug)?;
        let erased = erased_here(&conn, &group.slug, SHOWN_ERASURES)?;
        let unreadable = set_aside::unreadable_count(&conn, &group.slug)?;
        statuses.push(GroupStatus {
            relay_state: relay_states
                .get(&group.relay_url)
                .cloned()
                .unwrap_or_else(|| "not checked".into()),
            group: group.slug,
            title: group.title,
            relay: group.relay_url,
            role: group.role,
            last_complete_sync: group.last_complete_sync,
            waiting,
            refused: group.refused,
            kept,
            erased,
            unreadable,
        });
    }
    Ok(Status { groups: statuses })
}

async fn check(url: &str, token: &str) -> String {
    let api = RelayApi::new(url);
    match tokio::time::timeout(CHECK_TIMEOUT, api.me(token)).await {
        Ok(Ok(_)) => "reachable".into(),
        Ok(Err(e)) if e.is_permanent() => "refused".into(),
        Ok(Err(_)) | Err(_) => "unreachable".into(),
    }
}

/// Notes written since the last complete sync whose heads the relay has not acknowledged.
fn waiting_notes(conn: &Connection, group: &Group) -> Result<Vec<WaitingNote>, ClientError> {
    let candidates: BTreeSet<String> = docs::chunks_since(conn, &group.slug, group.synced_chunk)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut waiting = Vec::new();
    for id in candidates {
        let doc = match docs::load(conn, &group.slug, &id) {
            Ok(Some(doc)) => doc,
            // A damaged note is reported by the commands that read it, and sent back by the
            // next sync: it does not stop the status of the others.
            Ok(None) | Err(quaderno_store::StoreError::CorruptDocument { .. }) => continue,
            Err(other) => return Err(other.into()),
        };
        let heads = doc.get_heads();
        let acknowledged = docs::sync_states(conn, &group.slug, &id)?
            .iter()
            .any(|(_, state)| state.shared_heads == heads);
        if acknowledged {
            continue;
        }
        if let Some(note) = index::by_id(conn, &id)? {
            waiting.push(WaitingNote {
                id,
                title: note.title,
            });
        }
    }
    Ok(waiting)
}
