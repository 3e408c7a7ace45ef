//! What a step of the history did to a note's text, line by line: how many lines it added and
//! took away, under which headings, and the difference itself for the page to highlight.

use automerge::{Automerge, ROOT};
use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use super::HistoryEntry;
use super::steps::{HistoryStep, heads_of};
use crate::schema;
use crate::view::View;

/// The lines of the text a step added, took away or changed (a line rewritten counts once
/// in `changed`), and the headings of the sections they are in, in the text's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TextChange {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub sections: Vec<String>,
}

/// One line of the difference between two versions of a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "lowercase")]
pub enum DiffLine {
    Same(String),
    Added(String),
    Removed(String),
}

/// Fills each step's [`HistoryStep::text`] from the note's text before and after it. `entries`
/// is the history the steps were made from (oldest first), `steps` newest first.
pub fn describe_text(doc: &Automerge, entries: &[HistoryEntry], steps: &mut [HistoryStep]) {
    let mut before = String::new();
    for step in steps.iter_mut().rev() {
        let Some(after) = body_after(doc, entries, &step.change) else {
            continue;
        };
        let change = text_change(&before, &after);
        step.text = (change != TextChange::default()).then_some(change);
        before = after;
    }
}

/// The text as it was right after `change` and every change listed before it.
pub fn body_after(doc: &Automerge, entries: &[HistoryEntry], change: &str) -> Option<String> {
    let position = entries.iter().position(|e| e.hash.to_string() == change)?;
    let upto: Vec<_> = entries[..=position].iter().map(|e| e.hash).collect();
    let heads = heads_of(doc, &upto);
    View::at(doc, &heads)
        .string(&ROOT, schema::BODY, "body")
        .ok()
        .flatten()
        .or(Some(String::new()))
}

/// What turned `before` into `after`, line by line.
pub fn text_change(before: &str, after: &str) -> TextChange {
    let diff = TextDiff::from_lines(before, after);
    let mut change = TextChange::default();
    let mut sections: Vec<String> = Vec::new();
    let mut note_section = |heading: Option<&str>| {
        if let Some(heading) = heading
            && !sections.iter().any(|s| s == heading)
        {
            sections.push(heading.to_owned());
        }
    };
    let old_headings = headings(before);
    let new_headings = headings(after);
    for op in diff.ops() {
        let (tag, old, new) = op.as_tag_tuple();
        let taken = old.len();
        let put = new.len();
        match tag {
            similar::DiffTag::Equal => continue,
            similar::DiffTag::Delete => {
                change.removed += taken;
                note_section(section_of(&old_headings, old.start));
            }
            similar::DiffTag::Insert => {
                change.added += put;
                note_section(section_of(&new_headings, new.start));
            }
            similar::DiffTag::Replace => {
                let both = taken.min(put);
                change.changed += both;
                change.removed += taken - both;
                change.added += put - both;
                note_section(section_of(&new_headings, new.start));
            }
        }
    }
    change.sections = sections;
    change
}

/// The difference between two texts, every line of both.
pub fn line_diff(before: &str, after: &str) -> Vec<DiffLine> {
    let diff = TextDiff::from_lines(before, after);
    diff.iter_all_changes()
        .map(|c| {
            let text = c.value().trim_end_matches(['\n', '\r']).to_owned();
            match c.tag() {
                ChangeTag::Equal => DiffLine::Same(text),
                ChangeTag::Insert => DiffLine::Added(text),
                ChangeTag::Delete => DiffLine::Removed(text),
            }
        })
        .collect()
}

/// For each line of `text`, the heading of the section it is in (a heading is in its own
/// section), or `None` before the first heading.
fn headings(text: &str) -> Vec<Option<String>> {
    let mut current = None;
    let mut fenced = false;
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                fenced = !fenced;
            } else if !fenced && let Some(heading) = heading(trimmed) {
                current = Some(heading);
            }
            current.clone()
        })
        .collect()
}

/// "Decisioni" from "## Decisioni" (a Markdown heading of level 1 to 6).
fn heading(line: &str) -> Option<String> {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &line[hashes..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then(|| title.to_owned())
}

/// The section of line `index`; a change at the very end falls in the last section.
fn section_of(headings: &[Option<String>], index: usize) -> Option<&str> {
    headings
        .get(index)
        .or_else(|| headings.last())
        .and_then(|h| h.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTES: &str = "## Presenti\n\nAnna, Marco.\n\n## Decisioni\n\n- Un alloggio in più.\n";

    #[test]
    fn lines_added_under_a_heading_are_counted_there() {
        let after = MINUTES.replace(
            "- Un alloggio in più.\n",
            "- Un alloggio in più.\n- Una riunione al mese.\n- Un verbale condiviso.\n",
        );
        let change = text_change(MINUTES, &after);
        assert_eq!(
            change,
            TextChange {
                added: 2,
                removed: 0,
                changed: 0,
                sections: vec!["Decisioni".to_owned()],
            }
        );
    }

    #[test]
    fn a_rewritten_line_is_one_change_and_a_removed_one_is_removed() {
        let after = MINUTES
            .replace("Anna, Marco.", "Anna, Marco, Giusi.")
            .replace("- Un alloggio in più.\n", "");
        let change = text_change(MINUTES, &after);
        assert_eq!(change.changed, 1, "{change:?}");
        assert_eq!(change.removed, 1, "{change:?}");
        assert_eq!(change.added, 0, "{change:?}");
        assert_eq!(change.sections, vec!["Presenti", "Decisioni"]);
    }

    #[test]
    fn text_before_any_heading_names_no_section_and_fences_hide_hashes() {
        let before = "Intro.\n```\n# not a heading\n```\n";
        let after = "Intro, changed.\n```\n# not a heading\n```\nmore\n";
        let change = text_change(before, after);
        assert_eq!(change.sections, Vec::<String>::new());
        assert_eq!((change.changed, change.added), (1, 1));
    }

    #[test]
    fn the_difference_lists_every_line_of_both() {
        let diff = line_diff("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(
            diff,
            vec![
                DiffLine::Same("a".into()),
                DiffLine::Removed("b".into()),
                DiffLine::Added("B".into()),
                DiffLine::Same("c".into()),
                DiffLine::Added("d".into()),
            ]
        );
    }
}
