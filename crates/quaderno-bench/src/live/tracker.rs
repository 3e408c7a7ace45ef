//! Where each client of a live run has got to, so the run moves on together.

use std::fmt;

/// The steps every client goes through, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Connected = 1,
    /// The documents it creates are on the relay.
    Uploaded,
    /// It holds every document it syncs.
    Fetched,
    /// It made all its edits.
    Edited,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Connected => "connect",
            Step::Uploaded => "upload its documents",
            Step::Fetched => "fetch its documents",
            Step::Edited => "make its edits",
        })
    }
}

/// What a client reports to the coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Reached(usize, Step),
    /// The client gave up (its connection failed); it counts as done for every later step.
    Failed(usize, String),
}

/// Every client's latest step.
#[derive(Debug)]
pub struct Tracker {
    reached: Vec<Option<Step>>,
    failed: Vec<Option<String>>,
}

impl Tracker {
    pub fn new(clients: usize) -> Tracker {
        Tracker {
            reached: vec![None; clients],
            failed: vec![None; clients],
        }
    }

    pub fn record(&mut self, progress: Progress) {
        match progress {
            Progress::Reached(client, step) => {
                let slot = &mut self.reached[client];
                *slot = (*slot).max(Some(step));
            }
            Progress::Failed(client, reason) => {
                self.failed[client].get_or_insert(reason);
            }
        }
    }

    /// Clients that have neither reached `step` nor failed.
    pub fn behind(&self, step: Step) -> usize {
        self.reached
            .iter()
            .zip(&self.failed)
            .filter(|(reached, failed)| failed.is_none() && **reached < Some(step))
            .count()
    }

    pub fn failures(&self) -> Vec<(usize, String)> {
        self.failed
            .iter()
            .enumerate()
            .filter_map(|(client, reason)| reason.clone().map(|r| (client, r)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_done_when_every_client_reached_it_or_failed() {
        let mut tracker = Tracker::new(3);
        assert_eq!(tracker.behind(Step::Connected), 3);

        tracker.record(Progress::Reached(0, Step::Connected));
        tracker.record(Progress::Reached(1, Step::Uploaded));
        assert_eq!(tracker.behind(Step::Connected), 1);
        assert_eq!(tracker.behind(Step::Uploaded), 2);

        tracker.record(Progress::Failed(2, "refused".into()));
        assert_eq!(tracker.behind(Step::Connected), 0);
        assert_eq!(tracker.behind(Step::Edited), 2);
        assert_eq!(tracker.failures(), vec![(2, "refused".to_string())]);
    }

    #[test]
    fn steps_never_go_backwards_and_the_first_failure_is_kept() {
        let mut tracker = Tracker::new(1);
        tracker.record(Progress::Reached(0, Step::Fetched));
        tracker.record(Progress::Reached(0, Step::Connected));
        assert_eq!(tracker.behind(Step::Fetched), 0);

        tracker.record(Progress::Failed(0, "first".into()));
        tracker.record(Progress::Failed(0, "second".into()));
        assert_eq!(tracker.failures()[0].1, "first");
    }
}
