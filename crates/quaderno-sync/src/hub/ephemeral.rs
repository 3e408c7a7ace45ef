//! Dropping repeated ephemeral messages: each (sender, session) counts up from 1.

use std::collections::HashMap;

use crate::wire::PeerId;

/// Sessions remembered per sender; older ones are forgotten first.
const MAX_SESSIONS_PER_SENDER: usize = 8;

#[derive(Debug, Default)]
pub(super) struct Seen {
    by_sender: HashMap<PeerId, Vec<(String, u64)>>,
}

impl Seen {
    /// True the first time a count above the last seen one arrives for this sender and session.
    pub(super) fn is_new(&mut self, sender: &PeerId, session: &str, count: u64) -> bool {
        let sessions = self.by_sender.entry(sender.clone()).or_default();
        if let Some(pos) = sessions.iter().position(|(s, _)| s == session) {
            let (_, last) = &mut sessions[pos];
            if count <= *last {
                return false;
            }
            *last = count;
            let entry = sessions.remove(pos);
            sessions.push(entry);
            return true;
        }
        if sessions.len() == MAX_SESSIONS_PER_SENDER {
            sessions.remove(0);
        }
        sessions.push((session.to_string(), count));
        true
    }

    pub(super) fn forget_sender(&mut self, sender: &PeerId) {
        self.by_sender.remove(sender);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_repeats_and_old_counts_per_session() {
        let mut seen = Seen::default();
        let anna = PeerId::new("anna");

        assert!(seen.is_new(&anna, "s1", 1));
        assert!(!seen.is_new(&anna, "s1", 1), "same count again");
        assert!(seen.is_new(&anna, "s1", 2));
        assert!(!seen.is_new(&anna, "s1", 1), "an older count");
        assert!(seen.is_new(&anna, "s2", 1), "a new session starts afresh");
        assert!(
            seen.is_new(&PeerId::new("bruno"), "s1", 1),
            "another sender"
        );
    }
}
