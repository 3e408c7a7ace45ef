//! The text form of document ids, remembered both ways.
//!
//! A `documentId` is bs58check text: writing or checking one hashes it twice with SHA-256
//! (about 10,000 instructions), and a relay does one or the other for every message it reads
//! or writes, most of them about a handful of documents. A hub keeps one [`IdTexts`] and
//! converts each id once.

use std::collections::HashMap;

use quaderno_model::DocumentId;

/// Ids remembered at most; past that the memory starts again empty (a flood of made-up ids
/// costs their conversion, never memory).
const MAX_IDS: usize = 1024;

/// Document ids and their text, for the ids a hub meets.
#[derive(Debug, Default)]
pub struct IdTexts {
    text: HashMap<DocumentId, Box<str>>,
    parsed: HashMap<Box<str>, DocumentId>,
}

impl IdTexts {
    /// The id as it is written in `documentId`.
    pub fn text(&mut self, id: DocumentId) -> &str {
        if !self.text.contains_key(&id) {
            self.make_room();
            let text: Box<str> = id.to_string().into();
            self.parsed.insert(text.clone(), id);
            self.text.insert(id, text);
        }
        &self.text[&id]
    }

    /// The id a `documentId` text stands for, or `None` if it is not a valid one.
    pub fn parse(&mut self, text: &str) -> Option<DocumentId> {
        if let Some(id) = self.parsed.get(text) {
            return Some(*id);
        }
        let id: DocumentId = text.parse().ok()?;
        self.make_room();
        self.text.insert(id, id.to_string().into());
        self.parsed.insert(text.into(), id);
        Some(id)
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    fn make_room(&mut self) {
        if self.text.len() >= MAX_IDS || self.parsed.len() >= MAX_IDS {
            self.text.clear();
            self.parsed.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_writes_as_without_the_memory() {
        let mut ids = IdTexts::default();
        let id = DocumentId::random();
        let text = id.to_string();

        assert_eq!(ids.text(id), text);
        assert_eq!(ids.text(id), text, "remembered");
        assert_eq!(ids.parse(&text), Some(id));
        assert_eq!(ids.len(), 1);

        let other = DocumentId::random();
        assert_eq!(ids.parse(&other.to_string()), Some(other));
        assert_eq!(ids.text(other), other.to_string());
    }

    #[test]
    fn bad_text_is_refused_and_not_remembered() {
        let mut ids = IdTexts::default();
        let mut text = DocumentId::random().to_string();
        text.replace_range(0..1, if text.starts_with('2') { "3" } else { "2" });

        assert_eq!(ids.parse(&text), None, "the checksum no longer matches");
        assert_eq!(ids.parse("not an id"), None);
        assert!(ids.is_empty());
    }

    #[test]
    fn the_memory_is_bounded() {
        let mut ids = IdTexts::default();
        for _ in 0..MAX_IDS * 3 {
            let id = DocumentId::random();
            assert_eq!(ids.parse(&id.to_string()), Some(id));
        }
        assert!(ids.len() <= MAX_IDS);
    }
}
