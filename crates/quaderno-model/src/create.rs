//! Creating a note document.

use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjId, ObjType, ROOT, ScalarValue};
use chrono::{DateTime, Utc};

use crate::authors::record_author;
use crate::commit::commit;
use crate::tags::{normalize_names, normalize_place, normalize_tags};
use crate::{Author, Meeting, ModelError, NewNote, schema};

/// A new note document holding `new`, created by `author` at `now`, in one
/// change with a random actor. Fails only on a tag that cannot be stored.
pub fn create_note(
    new: &NewNote,
    author: &Author,
    now: DateTime<Utc>,
) -> Result<Automerge, ModelError> {
    let origin = Origin {
        created_at: now,
        created_by: author.to_string(),
        deleted: false,
        summary: "created",
    };
    create_with(new, author, &origin, now)
}

/// Where a note document comes from: a new note, or (a successor) an existing one.
pub(crate) struct Origin<'a> {
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub deleted: bool,
    /// What the first change says it did.
    pub summary: &'a str,
}

/// A note document holding `new`, in one change by `author` at `now`.
pub(crate) fn create_with(
    new: &NewNote,
    author: &Author,
    origin: &Origin<'_>,
    now: DateTime<Utc>,
) -> Result<Automerge, ModelError> {
    let tags = normalize_tags(&new.tags)?;
    let mut doc = Automerge::new();
    let actor = doc.get_actor().clone();
    let mut tx = doc.transaction();
    tx.put(ROOT, schema::TYPE, schema::NOTE_TYPE)?;
    tx.put(ROOT, schema::SCHEMA, schema::version_value())?;
    put_text(&mut tx, &ROOT, schema::TITLE, &new.title)?;
    put_text(&mut tx, &ROOT, schema::BODY, &new.body)?;
    put_name_set(&mut tx, &ROOT, schema::TAGS, &tags)?;
    put_meeting(&mut tx, &new.meeting)?;
    let created_at = ScalarValue::Timestamp(origin.created_at.timestamp_millis());
    tx.put(ROOT, schema::CREATED_AT, created_at)?;
    tx.put(ROOT, schema::CREATED_BY, origin.created_by.as_str())?;
    tx.put(ROOT, schema::DELETED, origin.deleted)?;
    record_author(&mut tx, &actor, author)?;
    commit(tx, origin.summary, now);
    Ok(doc)
}

fn put_meeting(tx: &mut impl Transactable, meeting: &Meeting) -> Result<(), ModelError> {
    let obj = tx.put_object(ROOT, schema::MEETING, ObjType::Map)?;
    if let Some(date) = meeting.date {
        tx.put(
            &obj,
            schema::DATE,
            date.format(schema::DATE_FORMAT).to_string(),
        )?;
    }
    if let Some(place) = normalize_place(meeting.place.as_deref()) {
        tx.put(&obj, schema::PLACE, place)?;
    }
    let participants = normalize_names(&meeting.participants);
    put_name_set(tx, &obj, schema::PARTICIPANTS, &participants)
}

/// Puts a new text object holding `text` at `obj[key]`, returning its id.
pub(crate) fn put_text(
    tx: &mut impl Transactable,
    obj: &ObjId,
    key: &str,
    text: &str,
) -> Result<ObjId, ModelError> {
    let id = tx.put_object(obj, key, ObjType::Text)?;
    if !text.is_empty() {
        tx.splice_text(&id, 0, 0, text)?;
    }
    Ok(id)
}

/// Puts a new map `{name: true}` holding `names` at `obj[key]`.
pub(crate) fn put_name_set(
    tx: &mut impl Transactable,
    obj: &ObjId,
    key: &str,
    names: &BTreeSet<String>,
) -> Result<(), ModelError> {
    let set = tx.put_object(obj, key, ObjType::Map)?;
    for name in names {
        tx.put(&set, name.as_str(), true)?;
    }
    Ok(())
}
