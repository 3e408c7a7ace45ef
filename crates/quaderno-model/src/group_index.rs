//! A group's index document: the list of its notes, so a new member finds them all.

use automerge::transaction::Transactable;
use automerge::{Automerge, ChangeHash, ObjId, ObjType, ROOT, ScalarValue};
use chrono::{DateTime, Utc};

use crate::commit::commit;
use crate::kind::{DocKind, expect_kind};
use crate::view::{Field, View};
use crate::{Author, DocumentId, ModelError, schema};

/// A new, empty index for the group `group`.
pub fn create_group_index(group: &str, now: DateTime<Utc>) -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    let written: Result<(), automerge::AutomergeError> = (|| {
        tx.put(ROOT, schema::TYPE, schema::GROUP_INDEX_TYPE)?;
        tx.put(ROOT, schema::SCHEMA, schema::version_value())?;
        tx.put(ROOT, schema::GROUP, group)?;
        tx.put_object(ROOT, schema::NOTES, ObjType::Map)?;
        Ok(())
    })();
    written.expect("writing the root of a new document cannot fail");
    commit(tx, &format!("created the index of group {group}"), now);
    doc
}

/// The notes listed in the index, in the order of their id strings.
pub fn index_entries(doc: &Automerge) -> Result<Vec<DocumentId>, ModelError> {
    let view = View::current(doc);
    expect_kind(view, DocKind::GroupIndex)?;
    let Some(notes) = view.map(&ROOT, schema::NOTES, "notes")? else {
        return Ok(Vec::new());
    };
    view.keys(&notes)
        .into_iter()
        .map(|key| {
            key.parse()
                .map_err(|_| ModelError::InvalidIndexEntry { key })
        })
        .collect()
}

/// Whether the index lists `note` (one lookup, whatever the size of the index).
pub fn index_lists(doc: &Automerge, note: &DocumentId) -> Result<bool, ModelError> {
    match notes_map(doc)? {
        Some(notes) => is_listed(doc, &notes, &note.to_string()),
        None => Ok(false),
    }
}

/// Lists `note` in the index, as added by `author` at `now`. Returns `None`
/// if it was already listed.
pub fn add_to_index(
    doc: &mut Automerge,
    note: &DocumentId,
    author: &Author,
    now: DateTime<Utc>,
) -> Result<Option<ChangeHash>, ModelError> {
    let key = note.to_string();
    let notes = notes_map(doc)?;
    if let Some(notes) = &notes
        && is_listed(doc, notes, &key)?
    {
        return Ok(None);
    }
    let mut tx = doc.transaction();
    let notes = match notes {
        Some(notes) => notes,
        None => tx.put_object(ROOT, schema::NOTES, ObjType::Map)?,
    };
    let entry = tx.put_object(&notes, key.as_str(), ObjType::Map)?;
    tx.put(
        &entry,
        schema::ADDED_AT,
        ScalarValue::Timestamp(now.timestamp_millis()),
    )?;
    tx.put(&entry, schema::ADDED_BY, author.to_string())?;
    Ok(commit(tx, &format!("added {key}"), now))
}

/// Takes `note` off the index. Returns `None` if it was not listed.
pub fn remove_from_index(
    doc: &mut Automerge,
    note: &DocumentId,
    now: DateTime<Utc>,
) -> Result<Option<ChangeHash>, ModelError> {
    let key = note.to_string();
    let Some(notes) = notes_map(doc)? else {
        return Ok(None);
    };
    if !is_listed(doc, &notes, &key)? {
        return Ok(None);
    }
    let mut tx = doc.transaction();
    tx.delete(&notes, key.as_str())?;
    Ok(commit(tx, &format!("removed {key}"), now))
}

/// The `notes` map of a group index, if it has one yet.
fn notes_map(doc: &Automerge) -> Result<Option<ObjId>, ModelError> {
    let view = View::current(doc);
    expect_kind(view, DocKind::GroupIndex)?;
    view.map(&ROOT, schema::NOTES, "notes")
}

fn is_listed(doc: &Automerge, notes: &ObjId, key: &str) -> Result<bool, ModelError> {
    Ok(View::current(doc).field(notes, key)? != Field::Missing)
}
