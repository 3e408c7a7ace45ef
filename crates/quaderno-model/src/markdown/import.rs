//! Reading a note back from Markdown.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_norway::{Mapping, Value};

use super::front_matter::{self, Parts};
use super::{MarkdownError, MarkdownNote};
use crate::schema::DATE_FORMAT;
use crate::tags::normalize_tag;
use crate::{DocumentId, NewNote};

const KEYS: &str =
    "id, title, group, tags, date, place, participants, created_at, created_by, deleted";

/// Reads a note from Markdown: front matter (as [`to_markdown`](super::to_markdown)
/// writes it) and body. A file without front matter is all body, and its
/// first `# heading` is the title.
pub fn from_markdown(text: &str) -> Result<MarkdownNote, MarkdownError> {
    match front_matter::split(text)? {
        None => Ok(plain_markdown(text)),
        Some(parts) => with_front_matter(parts),
    }
}

fn plain_markdown(text: &str) -> MarkdownNote {
    let mut note = MarkdownNote::empty(text);
    note.note.title = first_heading(text).unwrap_or_default();
    note
}

fn first_heading(text: &str) -> Option<String> {
    text.lines()
        .find_map(|line| line.strip_prefix("# "))
        .map(|heading| heading.trim().to_owned())
}

fn with_front_matter(parts: Parts<'_>) -> Result<MarkdownNote, MarkdownError> {
    let fields = parse_yaml(&parts)?;
    let lines = key_lines(parts.yaml, parts.yaml_line);
    let mut note = MarkdownNote::empty(parts.body);
    let mut has_title = false;
    for (key, value) in &fields {
        let Value::String(key) = key else {
            let message = "front matter keys must be words, like `title:`";
            return Err(MarkdownError::new(parts.yaml_line, message));
        };
        let line = lines.get(key.as_str()).copied().unwrap_or(parts.yaml_line);
        has_title |= key == "title";
        note.set(key, value)
            .map_err(|message| MarkdownError::new(line, message))?;
    }
    if !has_title {
        note.note.title = first_heading(parts.body).unwrap_or_default();
    }
    Ok(note)
}

fn parse_yaml(parts: &Parts<'_>) -> Result<Mapping, MarkdownError> {
    match serde_norway::from_str::<Value>(parts.yaml) {
        Ok(Value::Mapping(fields)) => Ok(fields),
        Ok(Value::Null) => Ok(Mapping::new()),
        Ok(_) => Err(MarkdownError::new(
            parts.yaml_line,
            "the front matter must be `key: value` lines, like `title: Terzo incontro`",
        )),
        Err(err) => {
            let line = err.location().map_or(1, |l| l.line());
            Err(MarkdownError::new(
                parts.yaml_line - 1 + line,
                format!(
                    "the front matter is not valid YAML ({}): fix it between the `---` lines",
                    without_position(&err.to_string())
                ),
            ))
        }
    }
}

/// The file line of each top-level key of the YAML, which starts on `first_line`.
fn key_lines(yaml: &str, first_line: usize) -> HashMap<&str, usize> {
    let mut lines = HashMap::new();
    for (i, line) in yaml.lines().enumerate() {
        let top_level = line.starts_with(|c: char| !c.is_whitespace() && c != '#' && c != '-');
        if let Some((key, _)) = line.split_once(':').filter(|_| top_level) {
            let key = key.trim().trim_matches(['"', '\'']);
            lines.entry(key).or_insert(first_line + i);
        }
    }
    lines
}

/// A YAML error message without its "at line L column C" parts, which count
/// from the start of the front matter rather than of the file.
fn without_position(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find(" at line ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + " at line ".len()..];
        let skipped = after
            .find(|c: char| !(c.is_ascii_digit() || c == ' ' || "column".contains(c)))
            .unwrap_or(after.len());
        rest = &after[skipped..];
    }
    out.push_str(rest);
    out
}

impl MarkdownNote {
    fn empty(body: &str) -> Self {
        Self {
            id: None,
            group: None,
            note: NewNote {
                body: body.to_owned(),
                ..NewNote::default()
            },
            created_at: None,
            created_by: None,
            deleted: false,
        }
    }

    /// Sets the field `key` from its YAML value, or says what is wrong.
    fn set(&mut self, key: &str, value: &Value) -> Result<(), String> {
        let meeting = &mut self.note.meeting;
        match key {
            "id" => self.id = optional(value, key)?.map(|s| parse_id(&s)).transpose()?,
            "title" => self.note.title = optional(value, key)?.unwrap_or_default(),
            "group" => self.group = optional(value, key)?,
            "tags" => self.note.tags = tags(value)?,
            "date" => meeting.date = optional(value, key)?.map(|s| parse_date(&s)).transpose()?,
            "place" => meeting.place = optional(value, key)?,
            "participants" => meeting.participants = list(value, key)?,
            "created_at" => {
                self.created_at = optional(value, key)?.map(|s| parse_time(&s)).transpose()?
            }
            "created_by" => self.created_by = optional(value, key)?,
            "deleted" => self.deleted = boolean(value, key)?,
            _ => {
                return Err(format!(
                    "unknown key `{key}`: the keys Quaderno knows are {KEYS}"
                ));
            }
        }
        Ok(())
    }
}

/// A scalar written as text, or `None` for an empty value.
fn optional(value: &Value, key: &str) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err(format!(
            "`{key}` must be a single value, like `{key}: text`"
        )),
    }
}

fn list(value: &Value, key: &str) -> Result<Vec<String>, String> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Sequence(items) => items,
        _ => return Err(format!("`{key}` must be a list, like `{key}: [one, two]`")),
    };
    items
        .iter()
        .map(|item| {
            optional(item, key)?.ok_or_else(|| format!("`{key}` has an empty item: remove it"))
        })
        .collect()
}

fn tags(value: &Value) -> Result<Vec<String>, String> {
    list(value, "tags")?
        .iter()
        .map(|tag| normalize_tag(tag).map_err(|e| e.to_string()))
        .collect()
}

fn boolean(value: &Value, key: &str) -> Result<bool, String> {
    match value {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        _ => Err(format!("`{key}` must be true or false")),
    }
}

fn parse_id(text: &str) -> Result<DocumentId, String> {
    text.parse().map_err(|e| format!("id: {e}"))
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), DATE_FORMAT)
        .map_err(|_| format!("date must be YYYY-MM-DD, like 2024-03-05 (found {text:?})"))
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!("created_at must be a date and time like 2024-03-05T10:00:00Z (found {text:?})")
        })
}
