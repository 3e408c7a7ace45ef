//! Converting between index rows and Rust values.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::Row;
use rusqlite::types::Type;

use super::ListedNote;

/// The columns [`listed_note`] reads, in order, for a query over `notes n`.
pub(super) const LISTED_COLUMNS: &str = "n.id, n.grp, n.title, n.created_at, n.updated_at, \
    n.meeting_date, n.place, n.deleted, n.tags";

pub(super) fn listed_note(row: &Row<'_>) -> rusqlite::Result<ListedNote> {
    let tags: String = row.get(8)?;
    Ok(ListedNote {
        id: row.get(0)?,
        group: row.get(1)?,
        title: row.get(2)?,
        created_at: time(row, 3)?,
        updated_at: time(row, 4)?,
        meeting_date: row
            .get::<_, Option<String>>(5)?
            .map(|text| date(&text, 5))
            .transpose()?,
        place: row.get(6)?,
        deleted: row.get(7)?,
        tags: split_tags(&tags),
    })
}

/// Tags as the `notes.tags` column holds them: joined by the unit separator.
pub(super) fn joined_tags(tags: &[String]) -> String {
    tags.join(TAG_SEPARATOR)
}

fn split_tags(joined: &str) -> Vec<String> {
    if joined.is_empty() {
        return Vec::new();
    }
    joined.split(TAG_SEPARATOR).map(str::to_owned).collect()
}

const TAG_SEPARATOR: &str = "\u{1f}";

pub(super) fn time_text(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(super) fn date_text(date: &NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn time(row: &Row<'_>, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = row.get(column)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, Type::Text, Box::new(e)))
}

fn date(text: &str, column: usize) -> rusqlite::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, Type::Text, Box::new(e)))
}
