//! A note's history: who changed it, when, and what it looked like then; and the same history
//! in [`steps`](history_steps) as people read it.

mod lines;
mod steps;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use automerge::{ActorId, Automerge, ChangeHash, ChangeMetadata};
use chrono::{DateTime, Utc};

use crate::authors::{author_names, unknown_author};
use crate::read::read_note_in;
use crate::view::View;
use crate::{ModelError, Note};

pub use lines::{DiffLine, TextChange, body_after, describe_text, line_diff, text_change};
pub use steps::{
    ErasedHistory, HistoryStep, STEP_GAP, STEP_SPAN, StepSummary, TOGETHER_GAP, history_steps,
    version_at,
};

/// One change in a note's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The change's hash.
    pub hash: ChangeHash,
    /// Who made it, as "Name (City)", or "unknown (1a2b3c4d)" (the start of
    /// the actor id) for an actor nobody put a name to.
    pub author: String,
    /// When it was made, by its author's clock (to the second). A change
    /// without a time shows the time of the latest change it builds on.
    pub time: DateTime<Utc>,
    /// What it changed, e.g. "title; body +12 -3 chars".
    pub summary: String,
    /// The change's actor id, in hex.
    pub actor: String,
    /// The name the change's author gave themselves, when whoever vouches for authors (the
    /// relay) knows them by another: `author` is then the vouched name (see [`vouch`]).
    pub claimed: Option<String>,
}

/// Names each change by the name `vouched` gives its actor, where it gives one; a change whose
/// author called themselves otherwise keeps that name in `claimed`, so the mismatch shows.
pub fn vouch(entries: &mut [HistoryEntry], vouched: impl Fn(&str) -> Option<String>) {
    for entry in entries {
        let Some(name) = vouched(&entry.actor) else {
            continue;
        };
        if name != entry.author {
            entry.claimed = Some(std::mem::replace(&mut entry.author, name));
        }
    }
}

/// Every change of `doc`, oldest first. The order is causal (a change comes
/// after the changes it builds on), with concurrent changes ordered by time
/// then hash, so every replica lists the same history in the same order.
pub fn history(doc: &Automerge) -> Vec<HistoryEntry> {
    let names = author_names(doc);
    causal_order(doc)
        .into_iter()
        .map(|change| HistoryEntry {
            hash: change.hash,
            author: names
                .get(&change.actor.to_hex_string())
                .cloned()
                .unwrap_or_else(|| unknown_author(&change.actor)),
            time: seconds_to_time(change.shown_time()),
            summary: change.summary(),
            actor: change.actor.to_hex_string(),
            claimed: None,
        })
        .collect()
}

/// The note as it was right after `change`.
pub fn note_at(doc: &Automerge, change: &ChangeHash) -> Result<Note, ModelError> {
    if doc.get_change_meta_by_hash(change).is_none() {
        return Err(ModelError::UnknownChange {
            prefix: change.to_string(),
        });
    }
    read_note_in(View::at(doc, std::slice::from_ref(change)))
}

/// The note as it was at time `at`: made of every change made by then,
/// leaving out any change that builds on a later one.
pub fn note_at_time(doc: &Automerge, at: DateTime<Utc>) -> Result<Note, ModelError> {
    let changes = causal_order(doc);
    let Some(first) = changes.first() else {
        return Err(ModelError::EmptyDocument);
    };
    let included: Vec<&Change> = changes
        .iter()
        .filter(|c| c.effective_time <= at.timestamp())
        .collect();
    if included.is_empty() {
        return Err(ModelError::NotYetCreated {
            at,
            created: seconds_to_time(first.shown_time()),
        });
    }
    read_note_in(View::at(doc, &heads_of(&included)))
}

/// The change of `doc` whose hash starts with `hex_prefix` (at least 4 hex
/// characters), if exactly one does.
pub fn resolve_change(doc: &Automerge, hex_prefix: &str) -> Result<ChangeHash, ModelError> {
    let hashes = doc.get_changes_meta(&[]).into_iter().map(|meta| meta.hash);
    find_by_prefix(hex_prefix, hashes)
}

fn find_by_prefix(
    hex_prefix: &str,
    hashes: impl Iterator<Item = ChangeHash>,
) -> Result<ChangeHash, ModelError> {
    let prefix = hex_prefix.trim().to_ascii_lowercase();
    if !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ModelError::ChangePrefixNotHex { prefix });
    }
    if prefix.len() < 4 {
        return Err(ModelError::ChangePrefixTooShort { prefix });
    }
    let mut candidates: Vec<ChangeHash> = hashes
        .filter(|hash| hash.to_string().starts_with(&prefix))
        .collect();
    candidates.sort();
    match candidates.len() {
        0 => Err(ModelError::UnknownChange { prefix }),
        1 => Ok(candidates[0]),
        _ => Err(ModelError::AmbiguousChange { prefix, candidates }),
    }
}

/// When the first change of `doc` was made (the Unix epoch for an empty one).
pub(crate) fn first_change_time(doc: &Automerge) -> DateTime<Utc> {
    let first = causal_order(doc).first().map(Change::shown_time);
    seconds_to_time(first.unwrap_or(0))
}

/// A change, with the time it counts as made at: its own, or the latest of
/// the changes it builds on if that is later (clocks disagree, or it has none).
#[derive(Debug)]
struct Change {
    hash: ChangeHash,
    actor: ActorId,
    deps: Vec<ChangeHash>,
    time: i64,
    effective_time: i64,
    message: Option<String>,
}

impl Change {
    fn from_meta(meta: ChangeMetadata<'_>) -> Self {
        Self {
            hash: meta.hash,
            actor: meta.actor.into_owned(),
            deps: meta.deps,
            time: meta.timestamp,
            effective_time: meta.timestamp,
            message: meta.message.map(|m| m.into_owned()),
        }
    }

    fn shown_time(&self) -> i64 {
        if self.time == 0 {
            self.effective_time
        } else {
            self.time
        }
    }

    fn summary(&self) -> String {
        match &self.message {
            Some(message) if !message.trim().is_empty() => message.clone(),
            _ if self.deps.is_empty() => "created".to_owned(),
            _ => "edited".to_owned(),
        }
    }
}

/// The changes of `doc` in causal order, concurrent ones by effective time
/// then hash.
fn causal_order(doc: &Automerge) -> Vec<Change> {
    let mut changes: Vec<Change> = doc
        .get_changes_meta(&[])
        .into_iter()
        .map(Change::from_meta)
        .collect();
    let position: HashMap<ChangeHash, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.hash, i))
        .collect();
    let mut waiting_on = vec![0usize; changes.len()];
    let mut dependents = vec![Vec::new(); changes.len()];
    for (i, change) in changes.iter().enumerate() {
        for dep in change.deps.iter().filter_map(|d| position.get(d)) {
            waiting_on[i] += 1;
            dependents[*dep].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<(i64, ChangeHash, usize)>> = (0..changes.len())
        .filter(|&i| waiting_on[i] == 0)
        .map(|i| Reverse((changes[i].effective_time, changes[i].hash, i)))
        .collect();
    let mut order = Vec::with_capacity(changes.len());
    while let Some(Reverse((time, _, i))) = ready.pop() {
        order.push(i);
        for &next in &dependents[i] {
            let next_change = &mut changes[next];
            next_change.effective_time = next_change.effective_time.max(time);
            waiting_on[next] -= 1;
            if waiting_on[next] == 0 {
                ready.push(Reverse((
                    next_change.effective_time,
                    next_change.hash,
                    next,
                )));
            }
        }
    }
    let mut slots: Vec<Option<Change>> = changes.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The changes of `set` that no other change of `set` builds on.
fn heads_of(set: &[&Change]) -> Vec<ChangeHash> {
    let built_on: HashSet<ChangeHash> = set.iter().flat_map(|c| c.deps.iter().copied()).collect();
    set.iter()
        .map(|c| c.hash)
        .filter(|hash| !built_on.contains(hash))
        .collect()
}

fn seconds_to_time(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(first_bytes: [u8; 3]) -> ChangeHash {
        let mut bytes = [0u8; 32];
        bytes[..3].copy_from_slice(&first_bytes);
        ChangeHash(bytes)
    }

    #[test]
    fn a_prefix_shared_by_two_changes_lists_both_and_asks_for_more() {
        let hashes = [
            hash([0xab, 0xcd, 0x01]),
            hash([0xab, 0xcd, 0x02]),
            hash([0x12, 0, 0]),
        ];
        let err = find_by_prefix("abcd", hashes.into_iter()).unwrap_err();
        let ModelError::AmbiguousChange { candidates, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(candidates, &hashes[..2]);
        let message = err.to_string();
        assert!(
            message.contains("abcd01") && message.contains("abcd02"),
            "{message}"
        );
        assert!(message.contains("more characters"), "{message}");
        assert_eq!(
            find_by_prefix("abcd02", hashes.into_iter()).unwrap(),
            hashes[1]
        );
    }
}
