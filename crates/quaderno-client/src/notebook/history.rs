//! A note's history and its past versions: change by change for a person who names the note
//! and the point in its past, in steps for a page that names the note by its id.

use std::str::FromStr;

use automerge::Automerge;
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use quaderno_model::{
    DiffLine, DocumentId, HistoryEntry, HistoryStep, ModelError, Note, NoteEdit, body_after,
    describe_text, history, history_steps, line_diff, note_at, note_at_time, resolve_change,
    version_at,
};

use super::documents::load_existing_doc;
use super::notes::{ShownNote, shown};
use super::pushed::Pushed;
use super::reference::unknown;
use super::{Notebook, NotebookError};

/// A point in a note's past: one of its changes (a hash prefix, as `log` shows it) or a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    Change(String),
    Time(DateTime<Utc>),
}

impl FromStr for At {
    type Err = NotebookError;

    /// Reads `2025-03-12T15:30:00Z` (RFC 3339), `2025-03-12 15:30` or `2025-03-12T15:30` (local
    /// time), `2025-03-12` (the end of that day, local time), or else a change hash prefix of
    /// hex digits.
    fn from_str(input: &str) -> Result<At, NotebookError> {
        let input = input.trim();
        if let Some(time) = parse_time(input) {
            return Ok(At::Time(time));
        }
        if input.len() >= 4 && input.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(At::Change(input.to_ascii_lowercase()));
        }
        Err(NotebookError::InvalidAt {
            input: input.to_owned(),
        })
    }
}

fn parse_time(input: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(input) {
        return Some(time.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(input, format).ok())
    .or_else(|| {
        let day = NaiveDate::parse_from_str(input, "%Y-%m-%d").ok()?;
        Some(day.and_time(NaiveTime::from_hms_opt(23, 59, 59)?))
    })?;
    Local
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

impl Notebook {
    /// Every change of the note, oldest first, with who made it and when.
    pub fn log(&self, reference: &str) -> Result<(ShownNote, Vec<HistoryEntry>), NotebookError> {
        let listed = self.resolve(reference)?;
        let doc = load_existing_doc(self.store.conn(), &self.actor, &listed.group, &listed.id)
            .map_err(|e| self.set_damage_aside(e))?;
        let note = quaderno_model::read_note(&doc)?;
        let mut entries = history(&doc);
        self.vouch(&listed.group, &mut entries);
        Ok((shown(listed, note), entries))
    }

    /// Names each change by its author as the relay vouches for them (see `vouched`), where
    /// it does: a change signed with another name keeps that one as `claimed`.
    fn vouch(&self, group: &str, entries: &mut [HistoryEntry]) {
        if group == crate::notebook::PERSONAL_GROUP {
            return;
        }
        match crate::vouched::actor_names(self.store.conn(), group) {
            Ok(names) => quaderno_model::vouch(entries, |actor| names.get(actor).cloned()),
            Err(error) => {
                tracing::warn!(group, %error, "cannot read the names the relay vouches for")
            }
        }
    }

    /// The note as it was at a change or a time.
    pub fn show_at(&self, reference: &str, at: &At) -> Result<ShownNote, NotebookError> {
        let listed = self.resolve(reference)?;
        let doc = load_existing_doc(self.store.conn(), &self.actor, &listed.group, &listed.id)
            .map_err(|e| self.set_damage_aside(e))?;
        let note = match at {
            At::Change(prefix) => note_at(&doc, &resolve_change(&doc, prefix)?)?,
            At::Time(time) => note_at_time(&doc, *time)?,
        };
        Ok(shown(listed, note))
    }
}

impl Notebook {
    /// The history of the note, newest step first.
    /// Each step says what it did to the text, line by line.
    pub fn history_steps(&self, doc: &DocumentId) -> Result<Vec<HistoryStep>, NotebookError> {
        let (listed, _) = self.by_id(doc)?;
        let automerge = self.doc_by_id(doc)?;
        let mut entries = history(&automerge);
        self.vouch(&listed.group, &mut entries);
        let mut steps = history_steps(&entries);
        describe_text(&automerge, &entries, &mut steps);
        Ok(steps)
    }

    /// What the step ending at `change` did to the text: every line of the text before it
    /// (at the step before) and after it, those it added and took away marked.
    pub fn step_diff(
        &self,
        doc: &DocumentId,
        change: &str,
    ) -> Result<Vec<DiffLine>, NotebookError> {
        let (listed, _) = self.by_id(doc)?;
        let automerge = self.doc_by_id(doc)?;
        let mut entries = history(&automerge);
        self.vouch(&listed.group, &mut entries);
        let steps = history_steps(&entries);
        let position = steps
            .iter()
            .position(|s| s.change == change)
            .ok_or_else(|| ModelError::UnknownChange {
                prefix: change.to_owned(),
            })?;
        let after = body_after(&automerge, &entries, change).unwrap_or_default();
        let before = steps
            .get(position + 1)
            .and_then(|older| body_after(&automerge, &entries, &older.change))
            .unwrap_or_default();
        Ok(line_diff(&before, &after))
    }

    /// The note as it was at a step of its history (`change`, the step's last change).
    pub fn version_at(&self, doc: &DocumentId, change: &str) -> Result<Note, NotebookError> {
        Ok(version_at(&self.doc_by_id(doc)?, change)?)
    }

    /// Gives the note back the title and text it had at a step of its history. Only what differs
    /// changes, so whatever others write meanwhile merges with it.
    pub fn restore_text(
        &mut self,
        doc: &DocumentId,
        change: &str,
    ) -> Result<Option<Pushed>, NotebookError> {
        let then = self.version_at(doc, change)?;
        let (listed, _) = self.by_id(doc)?;
        let edit = NoteEdit {
            title: Some(then.title),
            body: Some(then.body),
            ..NoteEdit::default()
        };
        let change = self.edit(&listed.id, &edit)?;
        self.pushed(&listed, change)
    }

    fn doc_by_id(&self, doc: &DocumentId) -> Result<Automerge, NotebookError> {
        let (listed, _) = self.by_id(doc)?;
        self.load_doc(&listed.group, &listed.id)?
            .ok_or_else(|| unknown(doc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rfc3339_time_is_a_time() {
        let at: At = "2025-03-12T15:30:00Z".parse().unwrap();
        assert_eq!(
            at,
            At::Time(Utc.with_ymd_and_hms(2025, 3, 12, 15, 30, 0).unwrap())
        );
    }

    #[test]
    fn a_day_means_the_end_of_that_day_in_local_time() {
        let At::Time(time) = "2025-03-12".parse().unwrap() else {
            panic!("not a time")
        };
        let local = time.with_timezone(&Local);
        assert_eq!(
            local.date_naive(),
            NaiveDate::from_ymd_opt(2025, 3, 12).unwrap()
        );
        assert_eq!(local.time(), NaiveTime::from_hms_opt(23, 59, 59).unwrap());
    }

    #[test]
    fn hex_digits_are_a_change() {
        assert_eq!("A1b2c3".parse::<At>().unwrap(), At::Change("a1b2c3".into()));
    }

    #[test]
    fn anything_else_is_refused() {
        for input in ["ieri", "2025-13-01", "abc", "12-03-2025"] {
            assert!(input.parse::<At>().is_err(), "{input} was accepted");
        }
    }
}
