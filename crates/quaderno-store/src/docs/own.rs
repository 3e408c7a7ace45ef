//! Telling a writer's own chunks from those other writers appended.

/// Chunk ids a writer wrote itself, as `(after, up to]` ranges: a writer that holds documents
/// in memory and also reads the chunks others append (the live sync, whose hubs serve the pages)
/// skips its own, whose changes it already has.
#[derive(Debug, Default)]
pub struct OwnChunks(Vec<(i64, i64)>);

impl OwnChunks {
    pub fn add(&mut self, (after, upto): (i64, i64)) {
        if upto > after {
            self.0.push((after, upto));
        }
    }

    pub fn contains(&self, chunk: i64) -> bool {
        self.0
            .iter()
            .any(|(after, upto)| chunk > *after && chunk <= *upto)
    }

    /// Forgets ranges nobody will ask about again (every reader has read past them).
    pub fn forget_upto(&mut self, chunk: i64) {
        self.0.retain(|(_, upto)| *upto > chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::OwnChunks;

    #[test]
    fn own_chunks_are_ranges_open_below_and_closed_above() {
        let mut own = OwnChunks::default();
        own.add((3, 5));
        own.add((9, 9));
        assert!(!own.contains(3));
        assert!(own.contains(4) && own.contains(5));
        assert!(!own.contains(9), "an empty range holds nothing");
        own.forget_upto(5);
        assert!(!own.contains(5));
    }
}
