//! Which edits were made when, and which arrived where.
//!
//! Each edit also writes its author's running count under the key `s<author>` of the document,
//! so a client that reads a count of 7 where it last saw 4 has just received that author's
//! edits 5, 6 and 7 (an author's changes build on each other, so they arrive in order). The
//! time each edit was made is kept here, shared by every client of the process: one clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use automerge::{Automerge, ROOT, ReadDoc};

/// The key an author's count of edits is kept under in a document.
pub fn count_key(author: usize) -> String {
    format!("s{author}")
}

/// Reads an author's count of edits in a document (0 when it has made none).
pub fn read_count(doc: &Automerge, key: &str) -> u64 {
    match doc.get(ROOT, key) {
        Ok(Some((value, _))) => value.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// Edits made and deliveries counted, shared by every client task.
#[derive(Debug)]
pub struct Ledger {
    epoch: Instant,
    /// (author, document index) -> when each of its edits was made, in ns since `epoch`.
    made: Mutex<HashMap<(usize, usize), Vec<u64>>>,
    pub edits: AtomicU64,
    /// Deliveries owed: for each edit, one per other member of its document.
    pub expected: AtomicU64,
    pub delivered: AtomicU64,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger {
            epoch: Instant::now(),
            made: Mutex::new(HashMap::new()),
            edits: AtomicU64::new(0),
            expected: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
        }
    }

    /// Records an edit made now by `author` in document `doc`, owed to `receivers` clients.
    /// Returns the edit's number for this author and document, counting from 1.
    pub fn made(&self, author: usize, doc: usize, at: Instant, receivers: u64) -> u64 {
        let ns = at.saturating_duration_since(self.epoch).as_nanos() as u64;
        let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        let times = made.entry((author, doc)).or_default();
        times.push(ns);
        let seq = times.len() as u64;
        drop(made);
        self.edits.fetch_add(1, Ordering::Relaxed);
        self.expected.fetch_add(receivers, Ordering::Relaxed);
        seq
    }

    /// A client saw `author`'s count in `doc` go from `from` to `to` at `now`: records each
    /// edit in between as delivered and returns their latencies in microseconds.
    pub fn arrived(
        &self,
        author: usize,
        doc: usize,
        from: u64,
        to: u64,
        now: Instant,
        latencies: &mut Vec<u64>,
    ) {
        if to <= from {
            return;
        }
        let now_ns = now.saturating_duration_since(self.epoch).as_nanos() as u64;
        let made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = made.get(&(author, doc)) else {
            return;
        };
        let mut counted = 0;
        for seq in from + 1..=to {
            if let Some(&at) = times.get(seq as usize - 1) {
                latencies.push(now_ns.saturating_sub(at) / 1000);
                counted += 1;
            }
        }
        drop(made);
        self.delivered.fetch_add(counted, Ordering::Relaxed);
    }

    pub fn missing(&self) -> u64 {
        self.expected
            .load(Ordering::Relaxed)
            .saturating_sub(self.delivered.load(Ordering::Relaxed))
    }

    pub fn all_delivered(&self) -> bool {
        self.missing() == 0
    }
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger::new()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use automerge::transaction::Transactable;

    use super::*;

    #[test]
    fn deliveries_count_every_edit_between_two_counts() {
        let ledger = Ledger::new();
        let t0 = Instant::now();
        for n in 0..3 {
            let seq = ledger.made(7, 0, t0 + Duration::from_millis(n), 2);
            assert_eq!(seq, n + 1);
        }
        assert_eq!(ledger.missing(), 6);

        // One receiver sees edit 1, then 2 and 3 together, 10 ms after the third was made.
        let mut latencies = Vec::new();
        ledger.arrived(7, 0, 0, 1, t0 + Duration::from_millis(5), &mut latencies);
        ledger.arrived(7, 0, 1, 3, t0 + Duration::from_millis(12), &mut latencies);
        assert_eq!(latencies.len(), 3);
        assert_eq!(latencies[2], 10_000);
        assert_eq!(ledger.missing(), 3);

        // A count that did not move, or an author never seen, delivers nothing.
        ledger.arrived(7, 0, 3, 3, t0, &mut latencies);
        ledger.arrived(8, 0, 0, 5, t0, &mut latencies);
        assert_eq!(latencies.len(), 3);

        // The other receiver sees all three.
        ledger.arrived(7, 0, 0, 3, t0 + Duration::from_millis(20), &mut latencies);
        assert!(ledger.all_delivered());
    }

    #[test]
    fn counts_are_read_from_the_document() {
        let mut doc = Automerge::new();
        assert_eq!(read_count(&doc, &count_key(3)), 0);
        let mut tx = doc.transaction();
        tx.put(ROOT, count_key(3), 5u64).unwrap();
        tx.commit();

        assert_eq!(read_count(&doc, "s3"), 5);
    }
}
