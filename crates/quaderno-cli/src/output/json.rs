//! The JSON shapes of `--json`. Field names are part of the interface: add, never rename.

use chrono::{DateTime, NaiveDate, Utc};
use quaderno_client::notebook::{
    ExportedFile, ImportOutcome, ImportedNote, ListedNote, SearchHit, ShownNote,
};
use quaderno_model::HistoryEntry;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct NoteJson<'a> {
    pub id: &'a str,
    pub group: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub tags: &'a [String],
    pub date: Option<NaiveDate>,
    pub place: Option<&'a str>,
    pub participants: &'a [String],
    pub created_at: DateTime<Utc>,
    pub created_by: &'a str,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
}

impl<'a> From<&'a ShownNote> for NoteJson<'a> {
    fn from(shown: &'a ShownNote) -> Self {
        let note = &shown.note;
        NoteJson {
            id: &shown.id,
            group: &shown.group,
            title: &note.title,
            body: &note.body,
            tags: &note.tags,
            date: note.meeting.date,
            place: note.meeting.place.as_deref(),
            participants: &note.meeting.participants,
            created_at: note.created_at,
            created_by: &note.created_by,
            updated_at: shown.updated_at,
            deleted: note.deleted,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ListedJson<'a> {
    pub id: &'a str,
    pub group: &'a str,
    pub title: &'a str,
    pub tags: &'a [String],
    pub date: Option<NaiveDate>,
    pub place: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
}

impl<'a> From<&'a ListedNote> for ListedJson<'a> {
    fn from(note: &'a ListedNote) -> Self {
        ListedJson {
            id: &note.id,
            group: &note.group,
            title: &note.title,
            tags: &note.tags,
            date: note.meeting_date,
            place: note.place.as_deref(),
            created_at: note.created_at,
            updated_at: note.updated_at,
            deleted: note.deleted,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct HitJson<'a> {
    pub id: &'a str,
    pub group: &'a str,
    pub title: &'a str,
    pub snippet: &'a str,
    pub rank: f64,
}

impl<'a> From<&'a SearchHit> for HitJson<'a> {
    fn from(hit: &'a SearchHit) -> Self {
        HitJson {
            id: &hit.id,
            group: &hit.group,
            title: &hit.title,
            snippet: &hit.snippet,
            rank: hit.rank,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ChangeJson<'a> {
    pub hash: String,
    pub author: &'a str,
    pub time: DateTime<Utc>,
    pub summary: &'a str,
    /// The name the author signed with, when the relay knows them by another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed: Option<&'a str>,
}

impl<'a> From<&'a HistoryEntry> for ChangeJson<'a> {
    fn from(entry: &'a HistoryEntry) -> Self {
        ChangeJson {
            hash: entry.hash.to_string(),
            author: &entry.author,
            time: entry.time,
            summary: &entry.summary,
            claimed: entry.claimed.as_deref(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct FileJson<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub path: String,
}

impl<'a> From<&'a ExportedFile> for FileJson<'a> {
    fn from(file: &'a ExportedFile) -> Self {
        FileJson {
            id: &file.id,
            title: &file.title,
            path: file.path.display().to_string(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ImportedJson<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub path: String,
    /// "created", "updated" or "unchanged".
    pub outcome: &'static str,
}

impl<'a> From<&'a ImportedNote> for ImportedJson<'a> {
    fn from(note: &'a ImportedNote) -> Self {
        ImportedJson {
            id: &note.id,
            title: &note.title,
            path: note.path.display().to_string(),
            outcome: outcome_word(note.outcome),
        }
    }
}

pub fn outcome_word(outcome: ImportOutcome) -> &'static str {
    match outcome {
        ImportOutcome::Created => "created",
        ImportOutcome::Updated => "updated",
        ImportOutcome::Unchanged => "unchanged",
        ImportOutcome::Skipped => "skipped",
    }
}
