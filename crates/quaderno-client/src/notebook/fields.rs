//! The note's tags and meeting data as a form sets them: whole values, turned into the edit
//! that changes only what differs, and made as one change.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use quaderno_model::{DocumentId, Note, NoteEdit};
use serde::Deserialize;

use super::pushed::Pushed;
use super::{Notebook, NotebookError};

/// The fields a form sends; those left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FieldsEdit {
    pub tags: Option<Vec<String>>,
    /// `YYYY-MM-DD`, or empty to clear it.
    pub date: Option<String>,
    /// Empty to clear it.
    pub place: Option<String>,
    pub participants: Option<Vec<String>>,
}

impl FieldsEdit {
    /// The edit that gives `current` these fields.
    pub fn to_edit(&self, current: &Note) -> Result<NoteEdit, NotebookError> {
        let mut edit = NoteEdit::default();
        if let Some(tags) = &self.tags {
            let wanted: BTreeSet<String> = tags
                .iter()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect();
            let now: BTreeSet<String> = current.tags.iter().cloned().collect();
            edit.add_tags = wanted.difference(&now).cloned().collect();
            edit.remove_tags = now.difference(&wanted).cloned().collect();
        }
        if let Some(date) = &self.date {
            edit.date = Some(parse_date(date)?);
        }
        if let Some(place) = &self.place {
            edit.place = Some(Some(place.clone()).filter(|p| !p.trim().is_empty()));
        }
        edit.participants = self.participants.clone();
        Ok(edit)
    }
}

impl Notebook {
    /// Sets the note's tags and meeting data as the form gives them.
    pub fn edit_fields(
        &mut self,
        doc: &DocumentId,
        form: &FieldsEdit,
    ) -> Result<Option<Pushed>, NotebookError> {
        let (listed, note) = self.by_id(doc)?;
        let edit = form.to_edit(&note)?;
        let change = self.edit(&listed.id, &edit)?;
        self.pushed(&listed, change)
    }
}

fn parse_date(input: &str) -> Result<Option<NaiveDate>, NotebookError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(input, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| NotebookError::InvalidDate {
            input: input.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use quaderno_model::Meeting;

    use super::*;

    fn note(tags: &[&str]) -> Note {
        Note {
            title: "Verbale".into(),
            body: String::new(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            meeting: Meeting::default(),
            created_at: Utc::now(),
            created_by: "Anna (Palermo)".into(),
            deleted: false,
            schema: 1,
        }
    }

    #[test]
    fn the_wanted_tags_become_additions_and_removals() {
        let form = FieldsEdit {
            tags: Some(vec!["verbale".into(), " minori ".into(), "".into()]),
            ..FieldsEdit::default()
        };
        let edit = form.to_edit(&note(&["verbale", "bozza"])).unwrap();
        assert_eq!(edit.add_tags, ["minori"]);
        assert_eq!(edit.remove_tags, ["bozza"]);
    }

    #[test]
    fn empty_fields_clear_and_absent_fields_stay() {
        let form = FieldsEdit {
            date: Some(String::new()),
            place: Some("  ".into()),
            ..FieldsEdit::default()
        };
        let edit = form.to_edit(&note(&[])).unwrap();
        assert_eq!(edit.date, Some(None));
        assert_eq!(edit.place, Some(None));
        assert!(edit.add_tags.is_empty() && edit.participants.is_none());
    }

    #[test]
    fn a_date_that_is_not_one_says_how_to_write_it() {
        let form = FieldsEdit {
            date: Some("12/03/2025".into()),
            ..FieldsEdit::default()
        };
        let error = form.to_edit(&note(&[])).unwrap_err();
        assert!(error.to_string().contains("YYYY-MM-DD"), "{error}");
    }
}
