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
    let note = match front_matter::split(text)? {
        None => plain_markdown(text),
        Some(parts) => {
            // Checked before the YAML parser sees it: a parser spends far more than the text
            // on deeply nested or aliased YAML.
            if parts.yaml.len() > MAX_FRONT_MATTER_BYTES {
                let message = format!(
                    "the front matter is longer than {} KB: a note's front matter holds a few short fields",
                    MAX_FRONT_MATTER_BYTES / 1024
                );
                return Err(MarkdownError::new(parts.yaml_line, message));
            }
            if nesting(parts.yaml) > MAX_NESTING {
                let message = "the front matter nests too deeply: a note's fields are at most a list of words";
                return Err(MarkdownError::new(parts.yaml_line, message));
            }
            with_front_matter(parts)?
        }
    };
    if note.note.title.chars().count() > MAX_TITLE_CHARS {
        let message = format!(
            "the title is longer than {MAX_TITLE_CHARS} characters: put the text in the body"
        );
        return Err(MarkdownError::new(1, message));
    }
    Ok(note)
}

/// The most front matter a note may have.
pub const MAX_FRONT_MATTER_BYTES: usize = 16 * 1024;
/// The longest title a note may have.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// How deep front matter may nest brackets, braces and indentation.
const MAX_NESTING: usize = 8;

/// How deep `yaml` nests, by flow brackets and by indentation, without parsing it.
fn nesting(yaml: &str) -> usize {
    let mut deepest = 0;
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        let mut depth: usize = indent / 2;
        let mut flow: usize = 0;
        for c in line.chars() {
            match c {
                '[' | '{' => {
                    flow += 1;
                    deepest = deepest.max(depth + flow);
                }
                ']' | '}' => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
        depth += flow;
        deepest = deepest.max(depth);
    }
    deepest
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
            let offset = parts.yaml_line - 1;
            let line = repeated_key_line(parts, &err.to_string())
                .unwrap_or(offset + err.location().map_or(1, |l| l.line()));
            let problem = in_file_lines(&err.to_string(), offset);
            let message = format!(
                "the front matter is not valid YAML ({problem}): fix it between the `---` lines"
            );
            Err(MarkdownError::new(line, message))
        }
    }
}

/// For a key given twice, the file line of its second appearance (the YAML
/// parser points at the start of the map instead).
fn repeated_key_line(parts: &Parts<'_>, message: &str) -> Option<usize> {
    let key = message.strip_prefix("duplicate entry with key ")?;
    let key = key.split_whitespace().next()?.trim_matches('"');
    top_level_keys(parts.yaml, parts.yaml_line)
        .filter(|(k, _)| *k == key)
        .nth(1)
        .map(|(_, line)| line)
}

/// The file line of each top-level key of the YAML, which starts on `first_line`.
fn key_lines(yaml: &str, first_line: usize) -> HashMap<&str, usize> {
    let mut lines = HashMap::new();
    for (key, line) in top_level_keys(yaml, first_line) {
        lines.entry(key).or_insert(line);
    }
    lines
}

/// Each top-level `key:` of the YAML with its file line, in order.
fn top_level_keys(yaml: &str, first_line: usize) -> impl Iterator<Item = (&str, usize)> {
    yaml.lines().enumerate().filter_map(move |(i, line)| {
        let top_level = line.starts_with(|c: char| !c.is_whitespace() && c != '#' && c != '-');
        let (key, _) = line.split_once(':').filter(|_| top_level)?;
        Some((key.trim().trim_matches(['"', '\'']), first_line + i))
    })
}

/// A YAML error message with its "at line L column C" positions, which count
/// from the start of the front matter, turned into lines of the file.
fn in_file_lines(message: &str, offset: usize) -> String {
    const AT_LINE: &str = " at line ";
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find(AT_LINE) {
        out.push_str(&rest[..at]);
        let after = &rest[at + AT_LINE.len()..];
        let digits = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        let Ok(line) = after[..digits].parse::<usize>() else {
            out.push_str(AT_LINE);
            rest = after;
            continue;
        };
        out.push_str(&format!("{AT_LINE}{}", line + offset));
        rest = &after[digits..];
        if let Some(column) = rest.strip_prefix(" column ") {
            rest = column.trim_start_matches(|c: char| c.is_ascii_digit());
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_positions_become_file_lines_without_columns() {
        let message =
            "did not find expected ',' at line 3 column 1, while parsing at line 2 column 7";
        assert_eq!(
            in_file_lines(message, 1),
            "did not find expected ',' at line 4, while parsing at line 3"
        );
        assert_eq!(in_file_lines("duplicate key", 1), "duplicate key");
        assert_eq!(in_file_lines("odd at line x", 1), "odd at line x");
    }

    #[test]
    fn top_level_keys_are_found_on_their_lines() {
        let lines = key_lines(
            "title: x\n# note: y\ntags:\n- a: b\n  place: z\n'date': 1\n",
            2,
        );
        assert_eq!(lines.get("title"), Some(&2));
        assert_eq!(lines.get("tags"), Some(&4));
        assert_eq!(lines.get("date"), Some(&7));
        assert_eq!(lines.get("note"), None);
        assert_eq!(lines.get("place"), None);
    }
}
