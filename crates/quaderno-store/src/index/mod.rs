//! The note index: what listing, searching and resolving a note reference need, so that none of
//! them loads a document. Kept current by whoever writes a note, in the same transaction.

mod list;
mod row;
mod search;
mod upsert;

use chrono::{DateTime, NaiveDate, Utc};

pub use list::{by_id, by_id_prefix, by_title, by_title_containing, groups, list};
pub use search::{fts_query, search};
pub use upsert::{move_note, remove, upsert};

/// What the index holds about one note (the body only feeds the full-text table).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    pub id: String,
    pub group: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub meeting_date: Option<NaiveDate>,
    pub place: Option<String>,
    pub deleted: bool,
}

/// Which notes to list. The default lists every note that is not deleted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    /// Only this group.
    pub group: Option<String>,
    /// Only notes carrying this tag (case-insensitive).
    pub tag: Option<String>,
    /// Only notes whose day (meeting date, else creation day) is on or after this date.
    pub since: Option<NaiveDate>,
    /// Only notes whose place contains this text (case-insensitive).
    pub place: Option<String>,
    /// Deleted notes too.
    pub include_deleted: bool,
}

/// One note as listed: everything but the body.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedNote {
    pub id: String,
    pub group: String,
    pub title: String,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub meeting_date: Option<NaiveDate>,
    pub place: Option<String>,
    pub deleted: bool,
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub id: String,
    pub group: String,
    pub title: String,
    /// A short excerpt around the match, matched words between `**`.
    pub snippet: String,
    /// BM25 relevance: lower is better (SQLite's convention).
    pub rank: f64,
}
