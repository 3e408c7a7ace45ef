//! Redaction: a note whose history must lose a passage goes on as a successor document, whose
//! history starts from the note as it is now with every occurrence of the passage replaced.
//! The old document (every change that ever held the passage) is then erased everywhere; the
//! successor carries the same title, dates and tags, so that for the members it is the same
//! note.

use automerge::Automerge;
use chrono::{DateTime, Utc};

use crate::create::{Origin, create_with};
use crate::read::read_note;
use crate::{Author, Meeting, ModelError, NewNote, Note};

/// What a redacted passage becomes.
pub const REMOVED: &str = "[rimosso]";

/// How the successor's first change describes itself: "history erased before DAY by NAME".
const ERASED_BEFORE: &str = "history erased before ";

/// The successor of `old` without `passage` (matched regardless of case): `None` when the note
/// does not hold it. Its one change, by `by` at `now`, says that the history before it was
/// erased and by whom.
pub fn redacted_successor(
    old: &Automerge,
    passage: &str,
    by: &Author,
    now: DateTime<Utc>,
) -> Result<Option<Automerge>, ModelError> {
    let note = read_note(old)?;
    let Some(new) = redact_note(&note, passage) else {
        return Ok(None);
    };
    let summary = format!("{ERASED_BEFORE}{} by {by}", now.format("%Y-%m-%d"));
    let origin = Origin {
        created_at: note.created_at,
        created_by: redact(&note.created_by, passage).unwrap_or(note.created_by.clone()),
        deleted: note.deleted,
        summary: &summary,
    };
    create_with(&new, by, &origin, now).map(Some)
}

/// The note's fields with the passage replaced; `None` if no field holds it. A tag holding it
/// is dropped (a tag cannot hold the replacement).
pub fn redact_note(note: &Note, passage: &str) -> Option<NewNote> {
    if passage.trim().is_empty() {
        return None;
    }
    let mut found = false;
    let mut take = |text: &str| match redact(text, passage) {
        Some(redacted) => {
            found = true;
            redacted
        }
        None => text.to_string(),
    };
    let title = take(&note.title);
    let body = take(&note.body);
    let place = note.meeting.place.as_deref().map(&mut take);
    let participants = note.meeting.participants.iter().map(|p| take(p)).collect();
    // A tag cannot hold a space: "Mario Rossi" is written there as "mario-rossi".
    let as_tag: String = passage.split_whitespace().collect::<Vec<_>>().join("-");
    let tags: Vec<String> = note
        .tags
        .iter()
        .filter(|tag| redact(tag, passage).is_none() && redact(tag, &as_tag).is_none())
        .cloned()
        .collect();
    found |= tags.len() != note.tags.len();
    found.then_some(NewNote {
        title,
        body,
        tags,
        meeting: Meeting {
            date: note.meeting.date,
            place,
            participants,
        },
    })
}

/// `text` with every occurrence of `passage` (regardless of case) replaced by [`REMOVED`];
/// `None` when it holds none.
pub fn redact(text: &str, passage: &str) -> Option<String> {
    let needle: Vec<char> = passage.chars().flat_map(char::to_lowercase).collect();
    if needle.is_empty() {
        return None;
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut found = false;
    while i < chars.len() {
        if let Some(len) = match_at(&chars[i..], &needle) {
            out.push_str(REMOVED);
            i += len;
            found = true;
        } else {
            out.push(chars[i].1);
            i += 1;
        }
    }
    found.then_some(out)
}

/// How many chars of `chars` match `needle` (lowercased) from the start, if they all do.
fn match_at(chars: &[(usize, char)], needle: &[char]) -> Option<usize> {
    let mut wanted = needle.iter();
    let mut used = 0;
    let mut left = needle.len();
    for (_, c) in chars {
        if left == 0 {
            break;
        }
        for lower in c.to_lowercase() {
            if wanted.next() != Some(&lower) {
                return None;
            }
            left -= 1;
        }
        used += 1;
    }
    (left == 0).then_some(used)
}

/// Carries edits made to a redacted note onto its successor: `base` is the text the edits
/// started from, `local` the text with them, `successor` the successor's text now. The
/// passages the redaction took out are read from where the successor holds [`REMOVED`]
/// instead of what `base` held; the edits are applied where they fall in the successor, and
/// nothing they carry brings a taken passage back.
pub fn carry_over(base: &str, local: &str, successor: &str) -> String {
    use similar::{Algorithm, capture_diff_slices};
    // Each [`REMOVED`] as one character of its own, so that the diff pairs it with the whole
    // passage it stands for.
    let base: Vec<char> = base.chars().collect();
    let local: Vec<char> = local.chars().collect();
    let next: Vec<char> = successor
        .replace(REMOVED, &PLACEHOLDER.to_string())
        .chars()
        .collect();
    let to_next = hunks(&capture_diff_slices(Algorithm::Myers, &base, &next));
    let taken = taken_passages(&base, &next, &to_next);
    // Where each position of `base` is in the successor.
    let mut map = vec![0usize; base.len() + 1];
    for hunk in &to_next {
        for (k, i) in hunk.old.clone().enumerate() {
            map[i] = if hunk.equal {
                hunk.new.start + k
            } else {
                hunk.new.start
            };
        }
        map[hunk.old.end] = hunk.new.end;
    }
    let mut out = next.clone();
    let ours = hunks(&capture_diff_slices(Algorithm::Myers, &base, &local));
    for hunk in ours.iter().rev().filter(|h| !h.equal) {
        let from = map[hunk.old.start];
        let to = map[hunk.old.end].max(from).min(out.len());
        let mut inserted: String = local[hunk.new.clone()].iter().collect();
        for passage in &taken {
            if let Some(clean) = redact(&inserted, passage) {
                inserted = clean;
            }
        }
        out.splice(
            from..to,
            inserted.replace(REMOVED, &PLACEHOLDER.to_string()).chars(),
        );
    }
    let mut text: String = out.into_iter().collect();
    text = text.replace(PLACEHOLDER, REMOVED);
    for passage in &taken {
        if let Some(clean) = redact(&text, passage) {
            text = clean;
        }
    }
    text
}

/// Stands for [`REMOVED`] while diffing: a character no note holds (private use).
const PLACEHOLDER: char = '\u{F8FF}';

/// A run of the diff: equal on both sides, or what changed.
struct Hunk {
    equal: bool,
    old: std::ops::Range<usize>,
    new: std::ops::Range<usize>,
}

/// The diff's operations with consecutive changes joined into one hunk.
fn hunks(ops: &[similar::DiffOp]) -> Vec<Hunk> {
    let mut hunks: Vec<Hunk> = Vec::new();
    for op in ops {
        let equal = op.tag() == similar::DiffTag::Equal;
        match hunks.last_mut() {
            Some(last) if !last.equal && !equal => {
                last.old.end = op.old_range().end;
                last.new.end = op.new_range().end;
            }
            _ => hunks.push(Hunk {
                equal,
                old: op.old_range(),
                new: op.new_range(),
            }),
        }
    }
    hunks
}

/// What `base` held where the successor holds [`REMOVED`]. A changed region of the diff may
/// join a replaced passage with text others added around it: the passage is what is left of
/// the old side once what the new side shares with it, before its first [`REMOVED`] and after
/// its last, is taken off both ends; and, for each [`REMOVED`], what stands in `base` between
/// the text just before it and the text just after it.
fn taken_passages(base: &[char], next: &[char], hunks: &[Hunk]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    let mut take = |chars: &[char]| {
        let passage: String = chars.iter().collect::<String>().trim().to_string();
        let len = passage.chars().count();
        if (2..=MAX_PASSAGE).contains(&len) && !taken.contains(&passage) {
            taken.push(passage);
        }
    };
    for hunk in hunks.iter().filter(|h| !h.equal) {
        let old = &base[hunk.old.clone()];
        let new = &next[hunk.new.clone()];
        let (Some(first), Some(last)) = (
            new.iter().position(|c| *c == PLACEHOLDER),
            new.iter().rposition(|c| *c == PLACEHOLDER),
        ) else {
            continue;
        };
        let prefix = common_prefix(old, &new[..first]);
        let suffix = common_prefix_rev(&old[prefix..], &new[last + 1..]);
        take(&old[prefix..old.len() - suffix]);
    }
    // Each placeholder by its neighbours: the text between them in `base`.
    const CONTEXT: usize = 24;
    for (at, _) in next.iter().enumerate().filter(|(_, c)| **c == PLACEHOLDER) {
        let before: Vec<char> = next[..at]
            .iter()
            .rev()
            .take_while(|c| **c != PLACEHOLDER)
            .take(CONTEXT)
            .copied()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let after: Vec<char> = next[at + 1..]
            .iter()
            .take_while(|c| **c != PLACEHOLDER)
            .take(CONTEXT)
            .copied()
            .collect();
        if before.len() < 4 || after.len() < 4 {
            continue;
        }
        let mut from = 0;
        while let Some(start) = find(&base[from..], &before).map(|i| i + from + before.len()) {
            let window = &base[start..(start + MAX_PASSAGE + after.len()).min(base.len())];
            if let Some(end) = find(window, &after) {
                take(&window[..end]);
            }
            from = start;
        }
    }
    taken
}

/// The longest passage a redaction is inferred to have taken.
const MAX_PASSAGE: usize = 200;

fn common_prefix(a: &[char], b: &[char]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn common_prefix_rev(a: &[char], b: &[char]) -> usize {
    a.iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

fn find(haystack: &[char], needle: &[char]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// For a change that begins a successor: the day before which the history was erased, and by
/// whom.
pub fn erased_history(summary: &str) -> Option<(&str, &str)> {
    summary.strip_prefix(ERASED_BEFORE)?.split_once(" by ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NoteEdit, create_note, edit_note, history};

    #[test]
    fn edits_carried_over_land_in_the_successor_without_the_passage() {
        let base = "Presenti: 9\nCaso di Mario Rossi, 9 anni.\nFine.";
        let next = "Presenti: 9\nCaso di [rimosso], 9 anni.\nFine.\nRiga nuova di Elena.";
        let local =
            "Presenti: 10\nCaso di Mario Rossi, 9 anni.\nFine.\nRiga di Rita su Mario Rossi.";
        assert_eq!(
            carry_over(base, local, next),
            "Presenti: 10\nCaso di [rimosso], 9 anni.\nFine.\nRiga nuova di Elena.\nRiga di Rita su [rimosso]."
        );
        // Nothing edited: the successor as it is.
        assert_eq!(carry_over(base, base, next), next);
    }

    #[test]
    fn a_passage_replaced_next_to_lines_others_added_is_still_taken_out() {
        // The successor holds Rita's lines, sent before the redaction, right after the
        // passage: the diff joins them into one region.
        let base = "Caso: SEGRETO-0-Rossi";
        let next = "Caso: [rimosso]\nriga 1: [rimosso]\nriga 2: [rimosso]";
        let local = "Caso: SEGRETO-0-Rossi\nriga 3: SEGRETO-0-Rossi";
        let carried = carry_over(base, local, next);
        assert!(!carried.contains("SEGRETO"), "{carried}");
        assert!(carried.contains("riga 3: [rimosso]"), "{carried}");
    }

    #[test]
    fn every_occurrence_goes_whatever_its_case() {
        assert_eq!(
            redact("Mario Rossi; MARIO ROSSI e mario rossi.", "Mario Rossi").as_deref(),
            Some("[rimosso]; [rimosso] e [rimosso].")
        );
        assert_eq!(redact("Nessun nome", "Mario Rossi"), None);
        assert_eq!(
            redact("città Città", "CITTÀ").as_deref(),
            Some("[rimosso] [rimosso]")
        );
    }

    #[test]
    fn the_successor_keeps_the_note_and_starts_a_history_without_the_passage() {
        let anna = Author::new("Anna", "Palermo");
        let new = NewNote {
            title: "Verbale: Mario Rossi".into(),
            body: "Presenti: 9".into(),
            tags: vec!["laboratorio".into(), "mario-rossi".into()],
            ..NewNote::default()
        };
        let created = DateTime::from_timestamp(1_760_000_000, 0).unwrap();
        let mut old = create_note(&new, &anna, created).unwrap();
        for n in 0..5 {
            let edit = NoteEdit {
                body: Some(format!("Presenti: 9\nCaso di Mario Rossi, passo {n}")),
                ..NoteEdit::default()
            };
            edit_note(&mut old, &edit, &anna, created).unwrap();
        }
        let elena = Author::new("Elena", "Roma");
        let now = Utc::now();
        let next = redacted_successor(&old, "mario rossi", &elena, now)
            .unwrap()
            .expect("the note holds the passage");
        let note = read_note(&next).unwrap();
        assert_eq!(note.title, "Verbale: [rimosso]");
        assert_eq!(note.body, "Presenti: 9\nCaso di [rimosso], passo 4");
        assert_eq!(note.tags, vec!["laboratorio".to_string()]);
        assert_eq!(note.created_at, created);
        let entries = history(&next);
        assert_eq!(entries.len(), 1, "one change: the history starts here");
        let (day, by) = erased_history(&entries[0].summary).unwrap();
        assert_eq!(day, now.format("%Y-%m-%d").to_string());
        assert_eq!(by, "Elena (Roma)");
        let saved = String::from_utf8_lossy(&next.save()).to_lowercase();
        assert!(!saved.contains("mario rossi"));
        assert!(
            redacted_successor(&next, "Mario Rossi", &elena, now)
                .unwrap()
                .is_none()
        );
    }
}
