//! A note's history as people read it. Typing in the page makes a change per keystroke, so
//! changes are shown in steps: one person's changes a few minutes apart, or several people's
//! changes while they write together (each within a minute of the last). A step never spans
//! more than a quarter of an hour, and the creation is a step of its own. Each step leads to a
//! version of the note that can be shown whole.

use std::collections::HashSet;

use automerge::{Automerge, ChangeHash};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{HistoryEntry, history};
use crate::{ModelError, Note, read_note};

/// How far apart one person's changes may be and still make one step.
pub const STEP_GAP: Duration = Duration::minutes(10);
/// How far apart changes by different people may be and still make one step.
pub const TOGETHER_GAP: Duration = Duration::minutes(1);
/// The longest a step lasts.
pub const STEP_SPAN: Duration = Duration::minutes(15);

/// One step of a note's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryStep {
    /// The hash of the step's last change: the version the step leads to.
    pub change: String,
    /// Who made the step's changes, as "Name (City)", in the order they first appear.
    pub authors: Vec<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// How many changes the step holds.
    pub changes: usize,
    pub summary: StepSummary,
    /// What the step did to the text, line by line (see [`crate::describe_text`]); `None`
    /// when it did not change the text, or before it is filled.
    pub text: Option<super::lines::TextChange>,
    /// Names the step's authors gave themselves that differ from the names the relay knows
    /// them by (see [`crate::vouch`]).
    pub claimed: Vec<String>,
}

/// What a step changed, for the page to say in its language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StepSummary {
    pub created: bool,
    pub title: bool,
    /// Characters of the text added and removed.
    pub inserted: usize,
    pub removed: usize,
    pub tags_added: Vec<String>,
    pub tags_removed: Vec<String>,
    pub date: bool,
    pub place: bool,
    pub participants: bool,
    pub moved_to_bin: bool,
    pub restored: bool,
    /// The step begins a successor: the history before this day was erased, by this person,
    /// to take a passage out of it.
    pub history_erased: Option<ErasedHistory>,
    /// Changes that say nothing about what they changed.
    pub edited: bool,
    /// Descriptions this version does not know, as written.
    pub other: Vec<String>,
}

/// Who erased a note's earlier history, and the day it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasedHistory {
    /// YYYY-MM-DD.
    pub before: String,
    /// "Name (City)".
    pub by: String,
}

/// The steps of a history (oldest first, as [`history`] gives it), newest step first.
pub fn history_steps(entries: &[HistoryEntry]) -> Vec<HistoryStep> {
    let mut steps: Vec<HistoryStep> = Vec::new();
    let mut last_author = "";
    for entry in entries {
        match steps.last_mut() {
            Some(step) if belongs(step, last_author, entry) => {
                step.change = entry.hash.to_string();
                step.to = step.to.max(entry.time);
                step.changes += 1;
                if !step.authors.contains(&entry.author) {
                    step.authors.push(entry.author.clone());
                }
                step.summary.add(&entry.summary);
                if let Some(claimed) = &entry.claimed
                    && !step.claimed.contains(claimed)
                {
                    step.claimed.push(claimed.clone());
                }
            }
            _ => {
                let mut summary = StepSummary::default();
                summary.add(&entry.summary);
                steps.push(HistoryStep {
                    change: entry.hash.to_string(),
                    authors: vec![entry.author.clone()],
                    from: entry.time,
                    to: entry.time,
                    changes: 1,
                    summary,
                    text: None,
                    claimed: entry.claimed.iter().cloned().collect(),
                });
            }
        }
        last_author = &entry.author;
    }
    steps.reverse();
    steps
}

/// Whether a change continues the step (whose last change was by `last_author`).
fn belongs(step: &HistoryStep, last_author: &str, entry: &HistoryEntry) -> bool {
    if step.summary.created
        || step.summary.history_erased.is_some()
        || entry.summary == "created"
        || entry.time - step.from > STEP_SPAN
    {
        return false;
    }
    let pause = entry.time - step.to;
    pause <= TOGETHER_GAP || (entry.author == last_author && pause <= STEP_GAP)
}

/// The note as it was right after `change` and every change listed before it in the history
/// (concurrent changes by others included, as the history shows them).
pub fn version_at(doc: &Automerge, change: &str) -> Result<Note, ModelError> {
    let entries = history(doc);
    let unknown = || ModelError::UnknownChange {
        prefix: change.to_owned(),
    };
    let position = entries
        .iter()
        .position(|e| e.hash.to_string() == change)
        .ok_or_else(unknown)?;
    let upto: Vec<ChangeHash> = entries[..=position].iter().map(|e| e.hash).collect();
    let heads = heads_of(doc, &upto);
    let then = doc.fork_at(&heads)?;
    read_note(&then)
}

/// The changes of `set` no other change of `set` builds on.
pub(super) fn heads_of(doc: &Automerge, set: &[ChangeHash]) -> Vec<ChangeHash> {
    let built_on: HashSet<ChangeHash> = set
        .iter()
        .filter_map(|hash| doc.get_change_meta_by_hash(hash))
        .flat_map(|meta| meta.deps)
        .collect();
    set.iter()
        .copied()
        .filter(|hash| !built_on.contains(hash))
        .collect()
}

impl StepSummary {
    /// Adds a change's description, as the model writes it: parts joined by "; " such as
    /// "title", "body +12 -3 chars", "tags +a -b".
    fn add(&mut self, description: &str) {
        for part in description.split("; ").map(str::trim) {
            self.add_part(part);
        }
    }

    fn add_part(&mut self, part: &str) {
        match part {
            "created" => self.created = true,
            "title" => self.title = true,
            "date" => self.date = true,
            "place" => self.place = true,
            "participants" => self.participants = true,
            "deleted" => self.moved_to_bin = true,
            "restored" => self.restored = true,
            "edited" | "" => self.edited = true,
            _ if crate::erased_history(part).is_some() => {
                let (before, by) = crate::erased_history(part).unwrap_or_default();
                self.history_erased = Some(ErasedHistory {
                    before: before.to_owned(),
                    by: by.to_owned(),
                });
            }
            _ => {
                if !self.body(part) && !self.tags(part) && !self.other.iter().any(|o| o == part) {
                    self.other.push(part.to_owned());
                }
            }
        }
    }

    /// "body +12 -3 chars"
    fn body(&mut self, part: &str) -> bool {
        let Some(counts) = part
            .strip_prefix("body +")
            .and_then(|rest| rest.strip_suffix(" chars"))
        else {
            return false;
        };
        let Some((inserted, removed)) = counts.split_once(" -") else {
            return false;
        };
        match (inserted.parse::<usize>(), removed.parse::<usize>()) {
            (Ok(inserted), Ok(removed)) => {
                self.inserted += inserted;
                self.removed += removed;
                true
            }
            _ => false,
        }
    }

    /// "tags +a -b"
    fn tags(&mut self, part: &str) -> bool {
        let Some(rest) = part.strip_prefix("tags ") else {
            return false;
        };
        for word in rest.split_whitespace() {
            if let Some(tag) = word.strip_prefix('+') {
                self.tags_removed.retain(|t| t != tag);
                if !self.tags_added.iter().any(|t| t == tag) {
                    self.tags_added.push(tag.to_owned());
                }
            } else if let Some(tag) = word.strip_prefix('-') {
                self.tags_added.retain(|t| t != tag);
                if !self.tags_removed.iter().any(|t| t == tag) {
                    self.tags_removed.push(tag.to_owned());
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u8, author: &str, minute: i64, summary: &str) -> HistoryEntry {
        HistoryEntry {
            hash: ChangeHash([n; 32]),
            author: author.into(),
            time: DateTime::from_timestamp(1_741_770_000 + minute * 60, 0).unwrap(),
            summary: summary.into(),
            actor: format!("{n:02x}"),
            claimed: None,
        }
    }

    fn shape(steps: &[HistoryStep]) -> Vec<(Vec<&str>, usize)> {
        steps
            .iter()
            .map(|s| (s.authors.iter().map(String::as_str).collect(), s.changes))
            .collect()
    }

    #[test]
    fn typing_by_one_person_makes_one_step_and_counts_add_up() {
        let entries = [
            entry(1, "Anna (Palermo)", 0, "created"),
            entry(2, "Anna (Palermo)", 2, "body +1 -0 chars"),
            entry(3, "Anna (Palermo)", 5, "title; body +5 -2 chars"),
            entry(4, "Bruno (Bologna)", 9, "tags +verbale"),
            entry(5, "Anna (Palermo)", 40, "body +1 -0 chars"),
        ];
        let steps = history_steps(&entries);
        assert_eq!(
            shape(&steps),
            [
                (vec!["Anna (Palermo)"], 1),
                (vec!["Bruno (Bologna)"], 1),
                (vec!["Anna (Palermo)"], 2),
                (vec!["Anna (Palermo)"], 1),
            ],
            "newest first; the creation, another person after a pause, or a long pause starts a step"
        );
        let typing = &steps[2];
        assert_eq!(typing.change, ChangeHash([3; 32]).to_string());
        assert!(typing.summary.title && !typing.summary.created);
        assert_eq!((typing.summary.inserted, typing.summary.removed), (6, 2));
        assert_eq!(steps[1].summary.tags_added, ["verbale"]);
        assert!(steps[3].summary.created);
    }

    #[test]
    fn people_writing_together_make_one_step_that_names_them_all() {
        let mut entries = vec![entry(1, "Anna (Palermo)", 0, "created")];
        for (i, minute) in (1..=20).enumerate() {
            let who = if i % 2 == 0 {
                "Anna (Palermo)"
            } else {
                "Bruno (Bologna)"
            };
            entries.push(entry(2 + i as u8, who, minute, "body +3 -0 chars"));
        }
        entries.push(entry(40, "Carla (Roma)", 30, "body +1 -0 chars"));
        let steps = history_steps(&entries);
        assert_eq!(
            shape(&steps),
            [
                (vec!["Carla (Roma)"], 1),
                (vec!["Anna (Palermo)", "Bruno (Bologna)"], 4),
                (vec!["Anna (Palermo)", "Bruno (Bologna)"], 16),
                (vec!["Anna (Palermo)"], 1),
            ],
            "a step lasts at most a quarter of an hour; a pause ends it"
        );
        assert_eq!(steps[2].summary.inserted, 48);
    }

    #[test]
    fn a_version_is_the_note_right_after_its_change_and_an_unknown_change_is_named() {
        use crate::{Author, NewNote, NoteEdit, create_note, edit_note};
        let anna = Author::new("Anna", "Palermo");
        let new = NewNote {
            title: "Verbale".into(),
            body: "Presenti: 10".into(),
            ..NewNote::default()
        };
        let mut doc = create_note(&new, &anna, Utc::now()).unwrap();
        let first = history(&doc)[0].hash.to_string();
        let edit = NoteEdit {
            body: Some("Presenti: 12".into()),
            ..NoteEdit::default()
        };
        edit_note(&mut doc, &edit, &anna, Utc::now()).unwrap();
        assert_eq!(version_at(&doc, &first).unwrap().body, "Presenti: 10");
        let unknown = ChangeHash([7; 32]).to_string();
        assert!(matches!(
            version_at(&doc, &unknown),
            Err(ModelError::UnknownChange { prefix }) if prefix == unknown
        ));
    }

    #[test]
    fn a_tag_added_then_removed_in_one_step_is_only_removed() {
        let mut summary = StepSummary::default();
        summary.add("tags +a +b");
        summary.add("tags -a");
        assert_eq!(summary.tags_added, ["b"]);
        assert_eq!(summary.tags_removed, ["a"]);
    }

    #[test]
    fn unknown_descriptions_are_kept_as_written() {
        let mut summary = StepSummary::default();
        summary.add("imported from verbale.md; deleted; edited");
        assert_eq!(summary.other, ["imported from verbale.md"]);
        assert!(summary.moved_to_bin && summary.edited);
    }
}
