//! Editing a note: each edit becomes one change of small operations, text as
//! splices, with a summary of what changed.

use std::collections::BTreeSet;

use automerge::transaction::{Transactable, Transaction};
use automerge::{ActorId, Automerge, ChangeHash, ObjId, ObjType, ROOT, TextEncoding};
use chrono::{DateTime, NaiveDate, Utc};

use crate::authors::record_author;
use crate::commit::commit;
use crate::create::{put_name_set, put_text};
use crate::read::read_note_in;
use crate::splice::text_diff;
use crate::tags::{normalize_names, normalize_place, normalize_tags};
use crate::view::{Field, View};
use crate::{Author, ModelError, NewNote, Note, schema};

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
    let mut session = Session {
        encoding: doc.text_encoding(),
        tx: doc.transaction(),
        current,
        summary: Vec::new(),
    };
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

/// One edit in progress: the open transaction and what it changed so far.
struct Session<'a> {
    tx: Transaction<'a>,
    current: Current,
    encoding: TextEncoding,
    summary: Vec<String>,
}

impl Session<'_> {
    fn apply(&mut self, edit: &NoteEdit, add_tags: &BTreeSet<String>) -> Result<(), ModelError> {
        if let Some(title) = &edit.title {
            self.title(title)?;
        }
        if let Some(body) = &edit.body {
            self.body(body)?;
        }
        self.tags(add_tags, &edit.remove_tags)?;
        if let Some(date) = edit.date {
            self.date(date)?;
        }
        if let Some(place) = &edit.place {
            self.place(place.as_deref())?;
        }
        if let Some(participants) = &edit.participants {
            self.participants(participants)?;
        }
        if let Some(deleted) = edit.deleted {
            self.deleted(deleted)?;
        }
        Ok(())
    }

    fn finish(
        mut self,
        actor: &ActorId,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<Option<ChangeHash>, ModelError> {
        if self.summary.is_empty() {
            self.tx.rollback();
            return Ok(None);
        }
        record_author(&mut self.tx, actor, author)?;
        Ok(commit(self.tx, &self.summary.join("; "), now))
    }

    fn title(&mut self, title: &str) -> Result<(), ModelError> {
        if title != self.current.note.title {
            let old = std::mem::take(&mut self.current.note.title);
            self.text(schema::TITLE, self.current.title.clone(), &old, title)?;
            self.summary.push("title".to_owned());
        }
        Ok(())
    }

    fn body(&mut self, body: &str) -> Result<(), ModelError> {
        if body != self.current.note.body {
            let old = std::mem::take(&mut self.current.note.body);
            let (inserted, deleted) =
                self.text(schema::BODY, self.current.body.clone(), &old, body)?;
            self.summary
                .push(format!("body +{inserted} -{deleted} chars"));
        }
        Ok(())
    }

    /// Changes the text at `ROOT[key]` from `old` to `new`: by splices when it
    /// is a text object, otherwise by making it one. Returns the characters
    /// inserted and deleted.
    fn text(
        &mut self,
        key: &str,
        obj: Option<ObjId>,
        old: &str,
        new: &str,
    ) -> Result<(usize, usize), ModelError> {
        let Some(obj) = obj else {
            put_text(&mut self.tx, &ROOT, key, new)?;
            return Ok((new.chars().count(), old.chars().count()));
        };
        let diff = text_diff(old, new, self.encoding)?;
        for s in diff.splices.iter().rev() {
            self.tx
                .splice_text(&obj, s.pos, s.del as isize, &s.insert)?;
        }
        Ok((diff.inserted, diff.deleted))
    }

    fn tags(&mut self, add: &BTreeSet<String>, remove: &[String]) -> Result<(), ModelError> {
        let current: BTreeSet<String> = self.current.note.tags.iter().cloned().collect();
        let remove: BTreeSet<String> = remove.iter().map(|t| t.trim().to_owned()).collect();
        let added: Vec<&String> = add
            .difference(&current)
            .filter(|t| !remove.contains(*t))
            .collect();
        let removed: Vec<&String> = remove.intersection(&current).collect();
        if added.is_empty() && removed.is_empty() {
            return Ok(());
        }
        match &self.current.tags {
            Some(map) => {
                for tag in &added {
                    self.tx.put(map, tag.as_str(), true)?;
                }
                for tag in &removed {
                    self.tx.delete(map, tag.as_str())?;
                }
            }
            None => {
                let all = current.iter().chain(added.iter().copied());
                let kept = all.filter(|t| !removed.contains(t)).cloned().collect();
                put_name_set(&mut self.tx, &ROOT, schema::TAGS, &kept)?;
            }
        }
        self.summary.push(tags_summary(&added, &removed));
        Ok(())
    }

    fn date(&mut self, date: Option<NaiveDate>) -> Result<(), ModelError> {
        if date == self.current.note.meeting.date {
            return Ok(());
        }
        let meeting = self.meeting()?;
        match date {
            Some(d) => self.tx.put(
                &meeting,
                schema::DATE,
                d.format(schema::DATE_FORMAT).to_string(),
            )?,
            None => self.tx.delete(&meeting, schema::DATE)?,
        }
        self.summary.push("date".to_owned());
        Ok(())
    }

    fn place(&mut self, place: Option<&str>) -> Result<(), ModelError> {
        let place = normalize_place(place);
        if place == self.current.note.meeting.place {
            return Ok(());
        }
        let meeting = self.meeting()?;
        match place {
            Some(p) => self.tx.put(&meeting, schema::PLACE, p)?,
            None => self.tx.delete(&meeting, schema::PLACE)?,
        }
        self.summary.push("place".to_owned());
        Ok(())
    }

    fn participants(&mut self, names: &[String]) -> Result<(), ModelError> {
        let wanted = normalize_names(names);
        let current: BTreeSet<String> = self
            .current
            .note
            .meeting
            .participants
            .iter()
            .cloned()
            .collect();
        if wanted == current {
            return Ok(());
        }
        let meeting = self.meeting()?;
        match self.current.participants.clone() {
            Some(map) => {
                for gone in current.difference(&wanted) {
                    self.tx.delete(&map, gone.as_str())?;
                }
                for new in wanted.difference(&current) {
                    self.tx.put(&map, new.as_str(), true)?;
                }
            }
            None => put_name_set(&mut self.tx, &meeting, schema::PARTICIPANTS, &wanted)?,
        }
        self.summary.push("participants".to_owned());
        Ok(())
    }

    fn deleted(&mut self, deleted: bool) -> Result<(), ModelError> {
        if deleted != self.current.note.deleted {
            self.tx.put(ROOT, schema::DELETED, deleted)?;
            self.summary
                .push(if deleted { "deleted" } else { "restored" }.to_owned());
        }
        Ok(())
    }

    /// The meeting map, made now if the note has none.
    fn meeting(&mut self) -> Result<ObjId, ModelError> {
        if let Some(id) = &self.current.meeting {
            return Ok(id.clone());
        }
        let id = self.tx.put_object(ROOT, schema::MEETING, ObjType::Map)?;
        self.current.meeting = Some(id.clone());
        Ok(id)
    }
}

fn tags_summary(added: &[&String], removed: &[&String]) -> String {
    let added = added.iter().map(|t| format!("+{t}"));
    let removed = removed.iter().map(|t| format!("-{t}"));
    let parts: Vec<String> = added.chain(removed).collect();
    format!("tags {}", parts.join(" "))
}
