//! One edit in progress: each part writes only what differs, and says so in
//! the summary.

use std::collections::BTreeSet;

use automerge::transaction::{Transactable, Transaction};
use automerge::{ActorId, Automerge, ChangeHash, ObjId, ObjType, ROOT, TextEncoding};
use chrono::{DateTime, NaiveDate, Utc};

use super::{Current, NoteEdit};
use crate::authors::record_author;
use crate::commit::commit;
use crate::create::{put_name_set, put_text};
use crate::splice::text_diff;
use crate::tags::{normalize_names, normalize_place};
use crate::{Author, ModelError, schema};

/// One edit in progress: the open transaction and what it changed so far.
pub(super) struct Session<'a> {
    tx: Transaction<'a>,
    current: Current,
    encoding: TextEncoding,
    summary: Vec<String>,
}

impl<'a> Session<'a> {
    pub(super) fn start(doc: &'a mut Automerge, current: Current) -> Self {
        Self {
            encoding: doc.text_encoding(),
            tx: doc.transaction(),
            current,
            summary: Vec::new(),
        }
    }

    pub(super) fn apply(
        &mut self,
        edit: &NoteEdit,
        add_tags: &BTreeSet<String>,
    ) -> Result<(), ModelError> {
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

    pub(super) fn finish(
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
