//! Writing a note as Markdown.

use chrono::SecondsFormat;
use serde::Serialize;

use crate::schema::DATE_FORMAT;
use crate::{DocumentId, Note};

/// The front matter, in the order it is written.
#[derive(Serialize)]
struct FrontMatter<'a> {
    id: String,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    place: Option<&'a str>,
    participants: &'a [String],
    created_at: String,
    created_by: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    deleted: bool,
}

/// The note as a Markdown file: front matter, a blank line, then the body.
pub fn to_markdown(id: &DocumentId, note: &Note, group: Option<&str>) -> String {
    let front = FrontMatter {
        id: id.to_string(),
        title: &note.title,
        group,
        tags: &note.tags,
        date: note.meeting.date.map(|d| d.format(DATE_FORMAT).to_string()),
        place: note.meeting.place.as_deref(),
        participants: &note.meeting.participants,
        created_at: note.created_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        created_by: &note.created_by,
        deleted: note.deleted,
    };
    let yaml = serde_norway::to_string(&front).expect("front matter of strings serializes");
    format!("---\n{yaml}---\n\n{}", note.body)
}
