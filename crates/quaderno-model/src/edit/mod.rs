//! Editing a note: each edit becomes one change of small operations, text as
//! splices, with a summary of what changed.

use std::collections::BTreeSet;

mod session;

use automerge::{Automerge, ChangeHash, ObjId, ObjType, ROOT};
use chrono::{DateTime, NaiveDate, Utc};

use crate::read::read_note_in;
use crate::tags::{normalize_names, normalize_place, normalize_tags};
use crate::view::{Field, View};
use crate::{Author, ModelError, NewNote, Note, schema};
use session::Session;

/// A change to a note. Fields left `None` (or empty) stay as they are.
#[derive(Debug, Clone, Default)]
pub struct NoteEdit {
    /// The new full title.
    pub title: Option<String>,
    /// The new full body.
    pub body: Option<String>,
    /// Tags to add (each without spaces or commas).
    pub add_tags: Vec<String>,
    /// Tags to remove; a tag both added and removed is removed.
    pub remove_tags: Vec<String>,
    /// The new meeting date, `Some(None)` to clear it.
    pub date: Option<Option<NaiveDate>>,
    /// The new meeting place, `Some(None)` to clear it.
    pub place: Option<Option<String>>,
    /// The new full list of participants.
    pub participants: Option<Vec<String>>,
    /// Move the note to the bin (`true`) or restore it (`false`).
    pub deleted: Option<bool>,
}

impl NoteEdit {
    /// The edit that turns `current` into `wanted`, as when a note comes back
    /// from an editor. The deleted flag is left alone.
    pub fn between(current: &Note, wanted: &NewNote) -> Self {
        let current_tags: BTreeSet<String> = current.tags.iter().cloned().collect();
        let wanted_tags: BTreeSet<String> =
            wanted.tags.iter().map(|t| t.trim().to_owned()).collect();
        let place = normalize_place(wanted.meeting.place.as_deref());
        let participants = normalize_names(&wanted.meeting.participants);
        let current_participants = normalize_names(&current.meeting.participants);
        Self {
            title: (current.title != wanted.title).then(|| wanted.title.clone()),
            body: (current.body != wanted.body).then(|| wanted.body.clone()),
            add_tags: wanted_tags.difference(&current_tags).cloned().collect(),
            remove_tags: current_tags.difference(&wanted_tags).cloned().collect(),
            date: (current.meeting.date != wanted.meeting.date).then_some(wanted.meeting.date),
            place: (current.meeting.place != place).then_some(place),
            participants: (current_participants != participants)
                .then(|| participants.into_iter().collect()),
            deleted: None,
        }
    }
}

/// Applies `edit` to the note in `doc` as one change by `author` at `now`.
/// Returns `None`, committing nothing, when the edit changes nothing.
pub fn edit_note(
    doc: &mut Automerge,
    edit: &NoteEdit,
    author: &Author,
    now: DateTime<Utc>,
) -> Result<Option<ChangeHash>, ModelError> {
    let add_tags = normalize_tags(&edit.add_tags)?;
    let current = Current::read(doc)?;
    let actor = doc.get_actor().clone();
    let mut session = Session::start(doc, current);
    session.apply(edit, &add_tags)?;
    session.finish(&actor, author, now)
}

/// The note as it is before the edit, with the objects the edit writes into.
struct Current {
    note: Note,
    title: Option<ObjId>,
    body: Option<ObjId>,
    tags: Option<ObjId>,
    meeting: Option<ObjId>,
    participants: Option<ObjId>,
}

impl Current {
    fn read(doc: &Automerge) -> Result<Self, ModelError> {
        let view = View::current(doc);
        let note = read_note_in(view)?;
        let meeting = object(view, &ROOT, schema::MEETING, ObjType::Map)?;
        let participants = match &meeting {
            Some(m) => object(view, m, schema::PARTICIPANTS, ObjType::Map)?,
            None => None,
        };
        Ok(Self {
            note,
            title: object(view, &ROOT, schema::TITLE, ObjType::Text)?,
            body: object(view, &ROOT, schema::BODY, ObjType::Text)?,
            tags: object(view, &ROOT, schema::TAGS, ObjType::Map)?,
            meeting,
            participants,
        })
    }
}

/// The object at `obj[key]` if it is of kind `kind`.
fn object(
    view: View<'_>,
    obj: &ObjId,
    key: &str,
    kind: ObjType,
) -> Result<Option<ObjId>, ModelError> {
    Ok(match view.field(obj, key)? {
        Field::Object(found, id) if found == kind => Some(id),
        _ => None,
    })
}
