//! What a group's sync starts from, each time it connects: only what changed is synced. The
//! relay says which documents changed since the last complete sync
//! (`/v1/groups/{group}/changes`), the store says which documents got chunks from someone other
//! than the sync itself, and notes written here get into the group's index.

use std::collections::BTreeSet;

use automerge::ActorId;
use chrono::Utc;
use quaderno_model::{Author, DocumentId, add_to_index, index_entries};
use quaderno_store::index::{self, ListFilter};
use quaderno_store::rusqlite::Connection;
use quaderno_store::{begin_write, docs};

use super::session::Session;
use crate::ClientError;
use crate::groups::Group;
use crate::relays::{ChangesSince, RelayAccount, RelayApi};

/// What changed on the relay since the last complete sync: its change feed, or, for a plain
/// relay (which has none), the group's index and every note it lists.
pub(super) async fn remote_changes(
    plain: Option<ChangesSince>,
    account: &RelayAccount,
    group: &Group,
) -> Result<ChangesSince, ClientError> {
    let Some(changes) = plain else {
        return relay_changes(account, group).await;
    };
    Ok(changes)
}

/// The relay's change feed since the last complete sync; from the start when the relay's
/// epoch is not the one this machine knew (it was restored from a backup, and its positions
/// in the feed are not the ones this machine saw).
async fn relay_changes(account: &RelayAccount, group: &Group) -> Result<ChangesSince, ClientError> {
    let changes = feed(account, group, group.last_seq).await?;
    if !was_restored(group.relay_epoch.as_deref(), changes.epoch.as_deref()) {
        return Ok(changes);
    }
    let mut everything = feed(account, group, 0).await?;
    everything.restored = true;
    Ok(everything)
}

async fn feed(
    account: &RelayAccount,
    group: &Group,
    since: u64,
) -> Result<ChangesSince, ClientError> {
    RelayApi::new(&account.url)
        .changes(&account.token, &group.slug, since)
        .await
        .map_err(|e| ClientError::from_api(e, &group.slug))
}

/// Whether the relay's epoch changed since this machine last heard it. One that never said,
/// or says for the first time, was not restored as far as anyone here knows.
fn was_restored(known: Option<&str>, now: Option<&str>) -> bool {
    matches!((known, now), (Some(known), Some(now)) if known != now)
}

/// For a plain relay, what [`remote_changes`] returns (read from the store, before any await).
pub(super) fn plain_relay_changes(
    conn: &Connection,
    account: &RelayAccount,
    group: &Group,
) -> Result<Option<ChangesSince>, ClientError> {
    if !account.plain {
        return Ok(None);
    }
    let mut docs = vec![group.index_doc];
    if let Some(index) = docs::load(conn, &group.slug, &group.index_doc.to_string())? {
        docs.extend(index_entries(&index).unwrap_or_default());
    }
    Ok(Some(ChangesSince {
        docs,
        latest: 0,
        role: None,
        title: None,
        erasures: Vec::new(),
        authors: None,
        epoch: None,
        restored: false,
    }))
}

/// What a session starts by syncing: what the relay says changed, what changed here since the
/// last complete sync, and the index when it is new or local notes are missing from it.
pub(super) fn initial_docs(
    conn: &Connection,
    group: &Group,
    remote: &[DocumentId],
) -> Result<BTreeSet<DocumentId>, ClientError> {
    let mut to_sync: BTreeSet<DocumentId> = remote.iter().copied().collect();
    to_sync.extend(locally_changed(conn, &group.slug, group.synced_chunk)?);
    // Damaged here, with what was set aside still to get back from the relay.
    let damaged = docs::awaiting_recovery(conn, &group.slug)?;
    to_sync.extend(
        damaged
            .iter()
            .filter_map(|id| id.parse::<DocumentId>().ok()),
    );
    let unlisted = group.can_write() && !unlisted_notes(conn, group)?.is_empty();
    if group.last_complete_sync.is_none() || unlisted {
        to_sync.insert(group.index_doc);
    }
    Ok(to_sync)
}

/// Documents of the group with chunks written after `after`: local edits (and, before the
/// first sync ended, everything).
fn locally_changed(
    conn: &Connection,
    group: &str,
    after: i64,
) -> Result<BTreeSet<DocumentId>, ClientError> {
    Ok(docs::chunks_since(conn, group, after)?
        .into_iter()
        .filter_map(|(id, _)| id.parse().ok())
        .collect())
}

/// Notes of the group on this machine that the local copy of its index does not list.
fn unlisted_notes(conn: &Connection, group: &Group) -> Result<Vec<DocumentId>, ClientError> {
    let Some(index_doc) = docs::load(conn, &group.slug, &group.index_doc.to_string())? else {
        return notes_of(conn, &group.slug);
    };
    let listed: BTreeSet<DocumentId> = index_entries(&index_doc)
        .unwrap_or_default()
        .into_iter()
        .collect();
    Ok(notes_of(conn, &group.slug)?
        .into_iter()
        .filter(|note| !listed.contains(note))
        .collect())
}

fn notes_of(conn: &Connection, group: &str) -> Result<Vec<DocumentId>, ClientError> {
    let filter = ListFilter {
        group: Some(group.to_string()),
        include_deleted: true,
        ..ListFilter::default()
    };
    Ok(index::list(conn, &filter)?
        .into_iter()
        .filter_map(|note| note.id.parse().ok())
        .collect())
}

/// Adds the group's unlisted local notes to its index (a local edit of the index document).
pub(super) async fn list_in_index(
    session: &mut Session,
    author: &Author,
) -> Result<Vec<DocumentId>, ClientError> {
    let Some((listed, changes)) = write_index_entries(session, author)? else {
        return Ok(Vec::new());
    };
    session
        .local_changes(session.group.index_doc, changes)
        .await?;
    Ok(listed)
}

/// Notes newly listed in the index, and the change that listed them.
type Listed = (Vec<DocumentId>, Vec<u8>);

/// Writes the entries in one transaction; returns the notes listed and the change.
fn write_index_entries(
    session: &mut Session,
    author: &Author,
) -> Result<Option<Listed>, ClientError> {
    let group = session.group.clone();
    let unlisted = unlisted_notes(&session.conn, &group)?;
    if unlisted.is_empty() {
        return Ok(None);
    }
    let index_id = group.index_doc.to_string();
    let tx = begin_write(&mut session.conn)?;
    let Some(mut index_doc) = docs::load(&tx, &group.slug, &index_id)? else {
        return Ok(None);
    };
    index_doc.set_actor(ActorId::random());
    let before = index_doc.get_heads();
    let now = Utc::now();
    for note in &unlisted {
        add_to_index(&mut index_doc, note, author, now)
            .map_err(crate::notebook::NotebookError::from)?;
    }
    let changes = index_doc.save_after(&before);
    let first = docs::latest_chunk_id(&tx)?;
    docs::append_changes(&tx, &group.slug, &index_id, &changes)?;
    let last = docs::latest_chunk_id(&tx)?;
    tx.commit()?;
    // Written by the sync and pushed before it ends: not a local edit left to sync.
    session.wrote_chunks(first, last);
    Ok(Some((unlisted, changes)))
}

#[cfg(test)]
mod tests {
    use super::was_restored;

    #[test]
    fn only_a_changed_epoch_means_a_restore() {
        assert!(was_restored(Some("a"), Some("b")));
        assert!(!was_restored(Some("a"), Some("a")));
        // First heard, or from a relay that does not say: nothing to compare with.
        assert!(!was_restored(None, Some("b")));
        assert!(!was_restored(Some("a"), None));
        assert!(!was_restored(None, None));
    }
}
