//! Finding the note a person means: by id, by a unique id prefix, or by exact title; or, where
//! a program names it (the web page), by its full document id only.

use quaderno_model::{DocumentId, Note};
use quaderno_store::index::{self, ListedNote};
use quaderno_store::rusqlite::Connection;

use super::Notebook;
use super::error::{Candidate, NotebookError};

/// The shortest id prefix accepted, so that a short word is not mistaken for an id.
pub const MIN_PREFIX: usize = 4;

/// How many similar titles an unknown reference suggests.
const SUGGESTIONS: usize = 5;

/// The note `reference` names: a full id (or `automerge:` URL), a unique id prefix of at least
/// [`MIN_PREFIX`] characters, or an exact title. Deleted notes are found too.
pub fn resolve(conn: &Connection, reference: &str) -> Result<ListedNote, NotebookError> {
    let wanted = reference.trim();
    let id = wanted.strip_prefix("automerge:").unwrap_or(wanted);
    if let Some(note) = index::by_id(conn, id)? {
        return Ok(note);
    }
    let by_prefix = if id.chars().count() >= MIN_PREFIX {
        index::by_id_prefix(conn, id)?
    } else {
        Vec::new()
    };
    let by_title = index::by_title(conn, wanted)?;
    match decide(by_prefix, by_title) {
        Decision::Found(note) => Ok(note),
        Decision::Ambiguous(candidates) => Err(NotebookError::AmbiguousNote {
            reference: wanted.to_owned(),
            candidates,
        }),
        Decision::Unknown => Err(NotebookError::UnknownNote {
            reference: wanted.to_owned(),
            candidates: suggest(conn, wanted)?,
        }),
    }
}

impl Notebook {
    /// The note whose full id is `doc`, with its content; never one found by title or prefix.
    pub(super) fn by_id(&self, doc: &DocumentId) -> Result<(ListedNote, Note), NotebookError> {
        let id = doc.to_string();
        let listed = match self.resolve(&id) {
            Ok(listed) if listed.id == id => listed,
            Ok(_) | Err(NotebookError::UnknownNote { .. }) => return Err(unknown(doc)),
            Err(error) => return Err(error),
        };
        let shown = self.show(&listed.id)?;
        Ok((listed, shown.note))
    }
}

/// The note named by `doc` is not here.
pub(super) fn unknown(doc: &DocumentId) -> NotebookError {
    unknown_id(&doc.to_string())
}

/// The note with this id is not here (no suggestions: a program named it, not a person).
pub(super) fn unknown_id(id: &str) -> NotebookError {
    NotebookError::UnknownNote {
        reference: id.to_owned(),
        candidates: Vec::new(),
    }
}

/// What the matches by prefix and by title amount to.
#[derive(Debug, PartialEq)]
enum Decision {
    Found(ListedNote),
    Ambiguous(Vec<Candidate>),
    Unknown,
}

fn decide(by_prefix: Vec<ListedNote>, by_title: Vec<ListedNote>) -> Decision {
    let mut matches = by_prefix;
    for note in by_title {
        if !matches.iter().any(|m| m.id == note.id) {
            matches.push(note);
        }
    }
    match matches.len() {
        0 => Decision::Unknown,
        1 => Decision::Found(matches.remove(0)),
        _ => Decision::Ambiguous(matches.iter().map(candidate).collect()),
    }
}

fn suggest(conn: &Connection, text: &str) -> Result<Vec<Candidate>, NotebookError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let similar = index::by_title_containing(conn, text, SUGGESTIONS)?;
    Ok(similar.iter().map(candidate).collect())
}

fn candidate(note: &ListedNote) -> Candidate {
    Candidate {
        id: note.id.clone(),
        title: note.title.clone(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    fn note(id: &str, title: &str) -> ListedNote {
        ListedNote {
            id: id.into(),
            group: "personal".into(),
            title: title.into(),
            tags: vec![],
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            meeting_date: None,
            place: None,
            deleted: false,
        }
    }

    #[test]
    fn one_match_by_prefix_or_title_is_found() {
        let found = decide(vec![note("2aXk9", "Terzo")], vec![]);
        assert_eq!(found, Decision::Found(note("2aXk9", "Terzo")));
        let found = decide(vec![], vec![note("2aXk9", "Terzo")]);
        assert_eq!(found, Decision::Found(note("2aXk9", "Terzo")));
    }

    #[test]
    fn the_same_note_by_prefix_and_title_is_one_match() {
        let found = decide(vec![note("2aXk9", "2aXk")], vec![note("2aXk9", "2aXk")]);
        assert!(matches!(found, Decision::Found(_)));
    }

    #[test]
    fn a_title_that_is_also_another_notes_prefix_is_ambiguous() {
        let decision = decide(vec![note("2aXk9", "Terzo")], vec![note("9Qm1z", "2aXk")]);
        let Decision::Ambiguous(candidates) = decision else {
            panic!("expected ambiguity, got {decision:?}");
        };
        let ids: Vec<&str> = candidates.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["2aXk9", "9Qm1z"]);
    }

    #[test]
    fn no_match_is_unknown() {
        assert_eq!(decide(vec![], vec![]), Decision::Unknown);
    }
}
