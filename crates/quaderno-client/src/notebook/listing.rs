//! Listing notes: filters, the bin, and search as you type.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use quaderno_store::index::{ListFilter, ListedNote, SearchHit};

use super::{Notebook, NotebookError};

/// The most notes one list holds; narrow the filters to see others.
pub const MAX_LISTED: usize = 500;

/// Which notes to list, as a form or a query string gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct NoteQuery {
    pub group: Option<String>,
    pub tag: Option<String>,
    /// Only notes whose place contains this text.
    pub place: Option<String>,
    /// Only notes whose day (meeting date, else creation day) is on or after this date.
    #[serde(deserialize_with = "blank_date")]
    pub from: Option<NaiveDate>,
    /// ... and on or before this one.
    #[serde(deserialize_with = "blank_date")]
    pub to: Option<NaiveDate>,
    /// What is typed in the search box; the last word may be half-typed.
    pub text: Option<String>,
    /// The bin: notes moved there, and only those.
    pub bin: bool,
}

/// One note in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteSummary {
    pub id: String,
    pub group: String,
    pub title: String,
    pub tags: Vec<String>,
    pub meeting_date: Option<NaiveDate>,
    pub place: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
    /// Around the words searched for, which are between `**`.
    pub snippet: Option<String>,
}

/// A list, and what its filters can choose from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteList {
    pub notes: Vec<NoteSummary>,
    /// More notes matched than [`MAX_LISTED`].
    pub truncated: bool,
    /// Every tag and place among the notes of the group (or of every group).
    pub tags: Vec<String>,
    pub places: Vec<String>,
}

impl Notebook {
    /// The notes `query` asks for: most recent day first, or best match first when searching.
    pub fn list_notes(&self, query: &NoteQuery) -> Result<NoteList, NotebookError> {
        let filter = ListFilter {
            group: blank_none(&query.group),
            tag: blank_none(&query.tag),
            since: query.from,
            place: blank_none(&query.place),
            include_deleted: query.bin,
        };
        let listed: Vec<ListedNote> = self
            .list(&filter)?
            .into_iter()
            .filter(|note| note.deleted == query.bin)
            .filter(|note| query.to.is_none_or(|to| day(note) <= to))
            .collect();
        let terms = query.text.as_deref().and_then(search_terms);
        let mut notes = match terms {
            None => listed.into_iter().map(|n| summary(n, None)).collect(),
            Some(_) if query.bin => titles_containing(listed, query.text.as_deref().unwrap_or("")),
            Some(terms) => ranked(listed, self.search(&terms, 4 * MAX_LISTED)?),
        };
        let truncated = notes.len() > MAX_LISTED;
        notes.truncate(MAX_LISTED);
        let (tags, places) = choices(&self.list(&ListFilter {
            group: filter.group.clone(),
            include_deleted: query.bin,
            ..ListFilter::default()
        })?);
        Ok(NoteList {
            notes,
            truncated,
            tags,
            places,
        })
    }
}

/// What the search box holds, as the index searches it: every word must match, and the last
/// one, still being typed, matches as the start of a word.
pub fn search_terms(typed: &str) -> Option<String> {
    let mut words: Vec<String> = typed.split_whitespace().map(str::to_owned).collect();
    let last = words.last_mut()?;
    let still_typing = !typed.ends_with(char::is_whitespace);
    if still_typing && !last.ends_with('*') {
        last.push('*');
    }
    Some(words.join(" "))
}

/// The note's day, as the index sorts and filters on it.
fn day(note: &ListedNote) -> NaiveDate {
    note.meeting_date
        .unwrap_or_else(|| note.created_at.date_naive())
}

/// The search hits that pass the filters, best first.
fn ranked(listed: Vec<ListedNote>, hits: Vec<SearchHit>) -> Vec<NoteSummary> {
    let mut by_id: std::collections::HashMap<String, ListedNote> =
        listed.into_iter().map(|n| (n.id.clone(), n)).collect();
    hits.into_iter()
        .filter_map(|hit| {
            let note = by_id.remove(&hit.id)?;
            Some(summary(note, Some(hit.snippet)))
        })
        .collect()
}

/// In the bin (which the full-text index leaves out): notes whose title holds every word.
fn titles_containing(listed: Vec<ListedNote>, typed: &str) -> Vec<NoteSummary> {
    let words: Vec<String> = typed
        .split_whitespace()
        .map(|w| w.trim_end_matches('*').to_lowercase())
        .collect();
    listed
        .into_iter()
        .filter(|n| {
            let title = n.title.to_lowercase();
            words.iter().all(|w| title.contains(w.as_str()))
        })
        .map(|n| summary(n, None))
        .collect()
}

fn summary(note: ListedNote, snippet: Option<String>) -> NoteSummary {
    NoteSummary {
        id: note.id,
        group: note.group,
        title: note.title,
        tags: note.tags,
        meeting_date: note.meeting_date,
        place: note.place,
        created_at: note.created_at,
        updated_at: note.updated_at,
        deleted: note.deleted,
        snippet,
    }
}

/// Every tag and every place, sorted, without repeats.
fn choices(notes: &[ListedNote]) -> (Vec<String>, Vec<String>) {
    let mut tags: Vec<String> = notes.iter().flat_map(|n| n.tags.iter().cloned()).collect();
    tags.sort_by_key(|t| t.to_lowercase());
    tags.dedup();
    let mut places: Vec<String> = notes.iter().filter_map(|n| n.place.clone()).collect();
    places.sort_by_key(|p| p.to_lowercase());
    places.dedup();
    (tags, places)
}

fn blank_none(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A date from a form: empty means none.
fn blank_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                serde::de::Error::custom(NotebookError::InvalidDate { input: text.into() })
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_word_being_typed_matches_as_a_prefix() {
        assert_eq!(
            search_terms("servizi terr").as_deref(),
            Some("servizi terr*")
        );
        assert_eq!(
            search_terms("servizi terr ").as_deref(),
            Some("servizi terr")
        );
        assert_eq!(search_terms("integr*").as_deref(), Some("integr*"));
        assert_eq!(search_terms("   "), None);
    }

    fn note(id: &str, title: &str, tags: &[&str], place: Option<&str>) -> ListedNote {
        let created = DateTime::parse_from_rfc3339("2025-03-12T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        ListedNote {
            id: id.into(),
            group: "palermo".into(),
            title: title.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            created_at: created,
            updated_at: created,
            meeting_date: None,
            place: place.map(str::to_owned),
            deleted: false,
        }
    }

    #[test]
    fn hits_keep_their_rank_and_only_notes_that_pass_the_filters() {
        let listed = vec![note("a", "A", &[], None), note("b", "B", &[], None)];
        let hit = |id: &str| SearchHit {
            id: id.into(),
            group: "palermo".into(),
            title: String::new(),
            snippet: format!("**{id}**"),
            rank: 0.0,
        };
        let found = ranked(listed, vec![hit("b"), hit("zz"), hit("a")]);
        let ids: Vec<&str> = found.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(found[0].snippet.as_deref(), Some("**b**"));
    }

    #[test]
    fn the_bin_is_searched_by_title() {
        let listed = vec![
            note("a", "Verbale marzo", &[], None),
            note("b", "Idee", &[], None),
        ];
        let found = titles_containing(listed, "verb mar*");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "a");
    }

    #[test]
    fn filter_choices_are_sorted_without_repeats() {
        let notes = vec![
            note("a", "A", &["verbale", "Minori"], Some("Roma")),
            note("b", "B", &["verbale"], Some("Bologna")),
            note("c", "C", &[], Some("Roma")),
        ];
        let (tags, places) = choices(&notes);
        assert_eq!(tags, ["Minori", "verbale"]);
        assert_eq!(places, ["Bologna", "Roma"]);
    }

    #[test]
    fn blank_form_dates_are_no_dates_and_bad_ones_say_how_to_write_them() {
        let query: NoteQuery = serde_json::from_str(r#"{"from": "", "to": "2025-03-31"}"#).unwrap();
        assert_eq!(query.from, None);
        assert_eq!(query.to, NaiveDate::from_ymd_opt(2025, 3, 31));
        let error = serde_json::from_str::<NoteQuery>(r#"{"from": "31/03"}"#).unwrap_err();
        assert!(error.to_string().contains("YYYY-MM-DD"), "{error}");
    }
}
