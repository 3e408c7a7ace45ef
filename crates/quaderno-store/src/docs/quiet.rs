//! When a writer that stores changes as they come compacts: once the document is quiet.
//!
//! Compaction loads and saves the whole document. Checked after every write, it falls due every
//! few dozen keystrokes of a note edited live, and each time it takes a core for a few
//! milliseconds right when the next keystroke is on its way: on a small machine shared by the
//! relay and its clients, that was most of the slowest trips an edit makes. So the relay and
//! the live sync wait until a document has gone [`QUIET`] without a write, and compact earlier
//! only after [`WRITES_BEFORE_COMPACTING`] writes, to bound what piles up during a long
//! stretch of typing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a document goes without a write before it is compacted.
pub const QUIET: Duration = Duration::from_secs(2);

/// Writes after which a document is compacted even if it never went quiet. A keystroke's change
/// is about a hundred bytes: this keeps the increments of a note at a few tens of kilobytes.
pub const WRITES_BEFORE_COMPACTING: u32 = 200;

/// Documents written since they were last considered for compaction.
#[derive(Debug)]
pub struct QuietDocs<K> {
    quiet: Duration,
    pending: BTreeMap<K, Pending>,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    last_write: Instant,
    writes: u32,
}

impl<K: Ord + Clone> Default for QuietDocs<K> {
    fn default() -> Self {
        QuietDocs::new(QUIET)
    }
}

impl<K: Ord + Clone> QuietDocs<K> {
    /// Documents become due after `quiet` without a write.
    pub fn new(quiet: Duration) -> Self {
        QuietDocs {
            quiet,
            pending: BTreeMap::new(),
        }
    }

    /// Records a write of `doc` at `now`.
    pub fn wrote(&mut self, doc: K, now: Instant) {
        let pending = self.pending.entry(doc).or_insert(Pending {
            last_write: now,
            writes: 0,
        });
        pending.last_write = now;
        pending.writes += 1;
    }

    /// Takes the documents due for compaction at `now`: quiet long enough, or written too often.
    pub fn take_due(&mut self, now: Instant) -> Vec<K> {
        let due: Vec<K> = self
            .pending
            .iter()
            .filter(|(_, p)| {
                now.saturating_duration_since(p.last_write) >= self.quiet
                    || p.writes >= WRITES_BEFORE_COMPACTING
            })
            .map(|(doc, _)| doc.clone())
            .collect();
        for doc in &due {
            self.pending.remove(doc);
        }
        due
    }

    /// Takes every document, due or not (the writer is about to stop).
    pub fn take_all(&mut self) -> Vec<K> {
        std::mem::take(&mut self.pending).into_keys().collect()
    }

    /// When the next document falls due, if one is waiting.
    pub fn next_due(&self) -> Option<Instant> {
        self.pending
            .values()
            .map(|p| p.last_write + self.quiet)
            .min()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_document_falls_due_once_quiet_and_each_write_puts_that_off() {
        let start = Instant::now();
        let mut docs = QuietDocs::new(2 * SECOND);
        docs.wrote("a", start);
        docs.wrote("b", start + SECOND);
        docs.wrote("a", start + SECOND + SECOND / 2);

        assert_eq!(docs.next_due(), Some(start + 3 * SECOND));
        assert!(docs.take_due(start + 2 * SECOND).is_empty());
        assert_eq!(docs.take_due(start + 3 * SECOND), vec!["b"]);
        assert_eq!(docs.next_due(), Some(start + 3 * SECOND + SECOND / 2));
        assert_eq!(docs.take_due(start + 4 * SECOND), vec!["a"]);
        assert!(docs.is_empty() && docs.next_due().is_none());
    }

    #[test]
    fn a_document_that_never_goes_quiet_falls_due_after_so_many_writes() {
        let start = Instant::now();
        let mut docs = QuietDocs::new(2 * SECOND);
        for _ in 1..WRITES_BEFORE_COMPACTING {
            docs.wrote("typed", start);
        }
        assert!(docs.take_due(start).is_empty());
        docs.wrote("typed", start);
        assert_eq!(docs.take_due(start), vec!["typed"]);
        docs.wrote("typed", start);
        assert!(docs.take_due(start).is_empty(), "counting starts again");
    }

    #[test]
    fn taking_all_empties_the_list_whatever_is_due() {
        let start = Instant::now();
        let mut docs = QuietDocs::new(2 * SECOND);
        docs.wrote("b", start);
        docs.wrote("a", start);
        assert_eq!(docs.take_all(), vec!["a", "b"]);
        assert!(docs.is_empty());
    }
}
