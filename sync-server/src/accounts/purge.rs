//! Purging a document: every stored trace of it leaves the relay.

use chrono::{DateTime, Utc};
use quaderno_model::{Author, DocumentId, add_to_index, redacted_successor, remove_from_index};
use quaderno_store::docs;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::activity::{self, Action, Actor, Entry};
use super::changes::record_doc_change;
use super::erasures::{record_erasure, set_successor};
use super::events::{AdminEventKind, record_event};
use super::groups::{Group, all_slugs, existing_group};
use super::time::to_millis;
use super::{AccountsError, Result};

/// What a purge did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// The group the document was purged from.
    pub group: String,
    /// The purged document.
    pub doc: DocumentId,
    /// Whether it was listed in the group's index (and so was taken off it).
    pub removed_from_index: bool,
    /// The erasure recorded, which the group's devices confirm.
    pub erasure: i64,
}

/// Erases the document: deletes its chunks, sync states and change-sequence row, takes it off
/// the group's index document, denies it on the group from now on, records the erasure (who,
/// when, `reason`) for the group's devices to learn and confirm, and records an event so the
/// running relay drops it from memory and tells the devices. Without `group`, the one group
/// holding it is found. Call inside a transaction.
pub fn purge_document(
    conn: &Connection,
    group: Option<&str>,
    doc: &DocumentId,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Purged> {
    let group = match group {
        Some(slug) => existing_group(conn, slug)?,
        None => existing_group(conn, &locate(conn, doc)?)?,
    };
    if group.index_doc == *doc {
        return Err(AccountsError::IndexNotPurgeable(doc.to_string()));
    }
    let id = doc.to_string();
    docs::delete(conn, &group.slug, &id)?;
    crate::usage::forget(conn, &group.slug, doc)?;
    conn.execute(
        "DELETE FROM group_changes WHERE grp = ?1 AND doc_id = ?2",
        params![group.slug, id],
    )?;
    let removed_from_index = unlist(conn, &group, doc, now)?;
    conn.execute(
        "INSERT OR REPLACE INTO purged_docs (grp, doc_id, purged_at) VALUES (?1, ?2, ?3)",
        params![group.slug, id, to_millis(now)],
    )?;
    let erasure = record_erasure(conn, &group.slug, doc, &actor.label, reason, now)?;
    let event = AdminEventKind::NotePurged {
        group: group.slug.clone(),
        doc: *doc,
    };
    record_event(conn, &event, now)?;
    let entry = Entry {
        group: Some(&group.slug),
        action: Action::NotePurged,
        target: id,
        detail: reason.trim().to_string(),
    };
    activity::record(conn, actor, entry, now)?;
    Ok(Purged {
        group: group.slug,
        doc: *doc,
        removed_from_index,
        erasure,
    })
}

/// What a redaction did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redacted {
    pub doc: DocumentId,
    /// The document the note goes on as.
    pub successor: DocumentId,
    pub erasure: i64,
}

/// Takes `passage` out of the note and its whole history: the note goes on as a new document
/// (see [`redacted_successor`]) listed in the group's index in its place, and the old one is
/// erased ([`purge_document`]), the erasure naming its successor so that every device follows.
/// `by` is who the successor's history names. Call inside a transaction.
#[allow(clippy::too_many_arguments)]
pub fn redact_document(
    conn: &Connection,
    group: &str,
    doc: &DocumentId,
    passage: &str,
    by: &Author,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Redacted> {
    let found = existing_group(conn, group)?;
    if found.index_doc == *doc {
        return Err(AccountsError::IndexNotPurgeable(doc.to_string()));
    }
    let old = docs::load(conn, group, &doc.to_string())?
        .ok_or_else(|| AccountsError::UnknownDocument(doc.to_string()))?;
    let next = redacted_successor(&old, passage, by, now)?.ok_or(AccountsError::PassageNotFound)?;
    let successor = DocumentId::random();
    docs::put_snapshot(conn, group, &successor.to_string(), &next.save())?;
    record_doc_change(conn, group, &successor)?;
    disown(conn, group, next.get_actor(), now)?;
    list(conn, &found, &successor, by, now)?;
    let purged = purge_document(conn, Some(group), doc, actor, reason, now)?;
    set_successor(conn, purged.erasure, &successor)?;
    Ok(Redacted {
        doc: *doc,
        successor,
        erasure: purged.erasure,
    })
}

/// Adds `doc` to the group's index document, as [`unlist`] takes one off.
fn list(
    conn: &Connection,
    group: &Group,
    doc: &DocumentId,
    by: &Author,
    now: DateTime<Utc>,
) -> Result<()> {
    let index_id = group.index_doc.to_string();
    let Some(mut index) = docs::load(conn, &group.slug, &index_id)? else {
        return Ok(());
    };
    let before = index.get_heads();
    if add_to_index(&mut index, doc, by, now)?.is_some() {
        docs::append_changes(conn, &group.slug, &index_id, &index.save_after(&before))?;
        record_doc_change(conn, &group.slug, &group.index_doc)?;
        disown(conn, &group.slug, index.get_actor(), now)?;
    }
    Ok(())
}

/// The one group that holds `doc`, by its stored chunks or its change-sequence row.
fn locate(conn: &Connection, doc: &DocumentId) -> Result<String> {
    let id = doc.to_string();
    let mut holders = Vec::new();
    for slug in all_slugs(conn)? {
        if docs::exists(conn, &slug, &id)? || in_change_sequence(conn, &slug, &id)? {
            holders.push(slug);
        }
    }
    match holders.len() {
        0 => Err(AccountsError::UnknownDocument(id)),
        1 => Ok(holders.remove(0)),
        _ => Err(AccountsError::DocumentInSeveralGroups {
            doc: id,
            groups: holders.join(", "),
        }),
    }
}

/// Whether `group` holds `doc`: stored chunks, or a change-sequence row.
pub fn holds_document(conn: &Connection, group: &str, doc: &DocumentId) -> Result<bool> {
    let id = doc.to_string();
    Ok(docs::exists(conn, group, &id)? || in_change_sequence(conn, group, &id)?)
}

fn in_change_sequence(conn: &Connection, group: &str, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM group_changes WHERE grp = ?1 AND doc_id = ?2)",
        )?
        .query_row(params![group, id], |row| row.get(0))?)
}

/// Takes `doc` off the group's index document, storing the change as a new chunk and bumping
/// the group's change sequence so clients fetch the new index.
fn unlist(conn: &Connection, group: &Group, doc: &DocumentId, now: DateTime<Utc>) -> Result<bool> {
    let index_id = group.index_doc.to_string();
    let Some(mut index) = docs::load(conn, &group.slug, &index_id)? else {
        return Ok(false);
    };
    let before = index.get_heads();
    if remove_from_index(&mut index, doc, now)?.is_none() {
        return Ok(false);
    }
    docs::append_changes(conn, &group.slug, &index_id, &index.save_after(&before))?;
    record_doc_change(conn, &group.slug, &group.index_doc)?;
    disown(conn, &group.slug, index.get_actor(), now)?;
    Ok(true)
}

/// Records an actor the relay itself wrote with as one nobody may sign changes with, so that
/// no member can claim the relay's changes as theirs.
fn disown(
    conn: &Connection,
    group: &str,
    actor: &automerge::ActorId,
    now: DateTime<Utc>,
) -> Result<()> {
    let nobody = quaderno_sync::Authorship {
        actor: actor.clone(),
        owner: quaderno_sync::Owner::Nobody,
    };
    crate::authors::record(conn, group, &[nobody], to_millis(now)).map_err(|e| match e {
        crate::authors::AuthorsError::Store(e) => AccountsError::Store(e),
        crate::authors::AuthorsError::Sqlite(e) => AccountsError::Sqlite(e),
    })
}
