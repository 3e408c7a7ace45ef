//! Notes as plain Rust values.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

/// The note schema this version of Quaderno writes and reads.
pub const NOTE_SCHEMA_VERSION: u64 = 1;

/// A participant, as shown in notes and history: "Anna (Palermo)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// The participant's name.
    pub name: String,
    /// The city they work in.
    pub city: String,
}

impl Author {
    /// A participant with this name and city.
    pub fn new(name: impl Into<String>, city: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            city: city.into(),
        }
    }
}

impl fmt::Display for Author {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.city)
    }
}

/// The meeting a note is about, when it is about one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meeting {
    /// The day of the meeting.
    pub date: Option<NaiveDate>,
    /// Where it took place.
    pub place: Option<String>,
    /// Who took part, sorted and without repeats when read from a document.
    pub participants: Vec<String>,
}

/// A note as read from its document.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// The title.
    pub title: String,
    /// The body, Markdown.
    pub body: String,
    /// The tags, sorted and without repeats.
    pub tags: Vec<String>,
    /// The meeting the note is about.
    pub meeting: Meeting,
    /// When the note was created (millisecond precision).
    pub created_at: DateTime<Utc>,
    /// Who created it, as "Name (City)".
    pub created_by: String,
    /// Whether it is in the bin (soft-deleted).
    pub deleted: bool,
    /// The schema version of the document.
    pub schema: u64,
}

/// What a new note holds when it is created.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewNote {
    /// The title.
    pub title: String,
    /// The body, Markdown.
    pub body: String,
    /// The tags: each without spaces or commas.
    pub tags: Vec<String>,
    /// The meeting the note is about.
    pub meeting: Meeting,
}
