//! Relay: how much a note, a participant and a group may hold, judged before changes are
//! applied.
//!
//! A note's size is measured on what it is sent, before anything is decoded or copied: the
//! operations each change declares, the bytes it holds inflated, and for a whole document the
//! counts read off its column headers (`crate::measure`). What a turn admits is added up
//! across its senders, so that many connections in one turn cannot pass a limit together.
//! A participant is charged the notes they create and the bytes their changes add, to the
//! note they went into; erasing or purging a note gives its charges back.

use std::collections::HashMap;

use automerge::{Automerge, ChangeHash};
use quaderno_model::DocumentId;

use crate::measure::{self, Measure};

/// The participant a connection speaks for, whose quota it spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantId(pub i64);

/// How much one note, one participant and one group may hold. The default limits nothing
/// (a client's hub).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Operations in one note (a character typed is one).
    pub note_ops: u64,
    /// Operations in one change: applying one costs the group's relay about 3 µs each, and
    /// every other member of the group waits meanwhile.
    pub change_ops: u64,
    /// Bytes of one note's changes, inflated.
    pub note_bytes: u64,
    /// Notes one participant may create in a group.
    pub member_notes: u64,
    /// Bytes one participant's changes may add to a group.
    pub member_bytes: u64,
    /// Bytes of every note of a group together.
    pub group_bytes: u64,
}

impl Limits {
    pub const NONE: Limits = Limits {
        note_ops: u64::MAX,
        change_ops: u64::MAX,
        note_bytes: u64::MAX,
        member_notes: u64::MAX,
        member_bytes: u64::MAX,
        group_bytes: u64::MAX,
    };

    pub(super) fn is_none(&self) -> bool {
        *self == Limits::NONE
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::NONE
    }
}

/// What a participant's writes to one note hold: whether they created it, and the bytes
/// their changes added. The hub reports each turn's as [`super::Output::charges`] (to be
/// stored with its writes) and is told the stored ones with [`super::Input::Usage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    pub doc: DocumentId,
    pub participant: ParticipantId,
    pub created: bool,
    pub bytes: u64,
}

/// A participant's total in a group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Spent {
    notes: u64,
    bytes: u64,
}

/// The charges a hub knows, added up.
#[derive(Debug, Default)]
pub(super) struct Usage {
    members: HashMap<ParticipantId, Spent>,
    group_bytes: u64,
}

impl Usage {
    /// Starts over from what storage holds.
    pub(super) fn know(&mut self, charges: &[Charge]) {
        self.members.clear();
        self.group_bytes = 0;
        for charge in charges {
            self.add(charge);
        }
    }

    pub(super) fn add(&mut self, charge: &Charge) {
        let spent = self.members.entry(charge.participant).or_default();
        spent.notes += u64::from(charge.created);
        spent.bytes = spent.bytes.saturating_add(charge.bytes);
        self.group_bytes = self.group_bytes.saturating_add(charge.bytes);
    }
}

/// A note's size as last measured, valid while its heads are these.
#[derive(Debug, Clone, Default)]
pub(super) struct NoteSize {
    heads: Vec<ChangeHash>,
    bytes: u64,
}

impl NoteSize {
    /// The note's bytes: measured again (on a save, once per load) if it changed since.
    pub(super) fn bytes(size: &mut Option<NoteSize>, doc: &Automerge) -> u64 {
        let heads = doc.get_heads();
        match size {
            Some(known) if known.heads == heads => known.bytes,
            _ => {
                let bytes = if heads.is_empty() {
                    0
                } else {
                    measure::measure(&doc.save(), u64::MAX).map_or(0, |m| m.bytes)
                };
                *size = Some(NoteSize { heads, bytes });
                bytes
            }
        }
    }

    pub(super) fn set(size: &mut Option<NoteSize>, doc: &Automerge, bytes: u64) {
        *size = Some(NoteSize {
            heads: doc.get_heads(),
            bytes,
        });
    }
}

/// Judges, one sender at a time, what a turn brings to one note.
#[derive(Debug)]
pub(super) struct Admission<'a> {
    limits: Limits,
    usage: &'a Usage,
    doc: DocumentId,
    /// The note as it is plus what was admitted so far this turn.
    note: Measure,
    new_note: bool,
    /// Charges admitted so far this turn.
    pub(super) charges: Vec<(super::ConnId, Charge)>,
}

impl<'a> Admission<'a> {
    pub(super) fn new(
        limits: Limits,
        usage: &'a Usage,
        doc: DocumentId,
        note: Measure,
        new_note: bool,
    ) -> Self {
        Self {
            limits,
            usage,
            doc,
            note,
            new_note,
            charges: Vec::new(),
        }
    }

    /// Admits what one sender brings (`adds`: its operations and bytes not yet in the
    /// note), or says why not.
    pub(super) fn admit(
        &mut self,
        conn: super::ConnId,
        participant: Option<ParticipantId>,
        adds: Measure,
    ) -> Result<(), String> {
        if adds == Measure::default() {
            return Ok(());
        }
        let note = self.note.plus(adds);
        let limits = self.limits;
        if note.ops > limits.note_ops {
            return Err(format!(
                "note {} would hold {} operations; this relay takes at most {} in one note",
                self.doc, note.ops, limits.note_ops
            ));
        }
        if note.bytes > limits.note_bytes {
            return Err(format!(
                "note {} would hold {}; this relay takes at most {} in one note",
                self.doc,
                bytes_text(note.bytes),
                bytes_text(limits.note_bytes)
            ));
        }
        let pending: u64 = self.charges.iter().map(|(_, c)| c.bytes).sum();
        if self.usage.group_bytes.saturating_add(pending + adds.bytes) > limits.group_bytes {
            return Err(format!(
                "this group's notes hold {} together, the most this relay keeps for one group",
                bytes_text(limits.group_bytes)
            ));
        }
        let created = self.new_note && !self.charges.iter().any(|(_, c)| c.created);
        if let Some(participant) = participant {
            let spent = self
                .usage
                .members
                .get(&participant)
                .copied()
                .unwrap_or_default();
            let (notes, bytes) = self
                .charges
                .iter()
                .filter(|(_, c)| c.participant == participant)
                .fold((spent.notes, spent.bytes), |(n, b), (_, c)| {
                    (n + u64::from(c.created), b + c.bytes)
                });
            if created && notes >= limits.member_notes {
                return Err(format!(
                    "you have created {notes} notes in this group, the most this relay allows \
                     one participant; erase some, or ask the coordinators to raise the limit"
                ));
            }
            if bytes.saturating_add(adds.bytes) > limits.member_bytes {
                return Err(format!(
                    "your notes in this group hold {}, the most this relay keeps for one \
                     participant; ask the coordinators to raise the limit",
                    bytes_text(limits.member_bytes)
                ));
            }
            self.charges.push((
                conn,
                Charge {
                    doc: self.doc,
                    participant,
                    created,
                    bytes: adds.bytes,
                },
            ));
        }
        self.note = note;
        Ok(())
    }

    pub(super) fn note_bytes(&self) -> u64 {
        self.note.bytes
    }

    /// The note as it is plus what was admitted so far.
    pub(super) fn holds(&self) -> Measure {
        self.note
    }
}

/// Bytes as people read them: "8 MB", "512 KB".
fn bytes_text(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    const GB: u64 = 1024 * MB;
    match bytes {
        b if b >= GB => format!("{:.1} GB", b as f64 / GB as f64),
        b if b >= MB => format!("{:.1} MB", b as f64 / MB as f64),
        b if b >= KB => format!("{} KB", b / KB),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            note_ops: 100,
            change_ops: 100,
            note_bytes: 1000,
            member_notes: 2,
            member_bytes: 1500,
            group_bytes: 3000,
        }
    }

    const RITA: ParticipantId = ParticipantId(1);
    const BRUNO: ParticipantId = ParticipantId(2);

    fn doc() -> DocumentId {
        DocumentId::random()
    }

    #[test]
    fn a_note_may_grow_to_its_limit_and_not_past_it_however_many_send() {
        let usage = Usage::default();
        let mut turn = Admission::new(limits(), &usage, doc(), Measure::default(), true);
        let half = Measure {
            ops: 50,
            bytes: 400,
        };

        assert!(
            turn.admit(super::super::ConnId(1), Some(RITA), half)
                .is_ok()
        );
        assert!(
            turn.admit(super::super::ConnId(2), Some(BRUNO), half)
                .is_ok()
        );
        let refused = turn
            .admit(
                super::super::ConnId(3),
                Some(BRUNO),
                Measure { ops: 1, bytes: 1 },
            )
            .unwrap_err();

        assert!(refused.contains("101 operations"), "{refused}");
        assert_eq!(turn.charges.len(), 2);
        assert!(turn.charges[0].1.created && !turn.charges[1].1.created);
    }

    #[test]
    fn a_participant_creates_no_more_notes_than_the_quota() {
        let mut usage = Usage::default();
        let stored = [doc(), doc()].map(|doc| Charge {
            doc,
            participant: RITA,
            created: true,
            bytes: 10,
        });
        usage.know(&stored);
        let small = Measure { ops: 1, bytes: 10 };

        let mut rita = Admission::new(limits(), &usage, doc(), Measure::default(), true);
        let refused = rita.admit(super::super::ConnId(1), Some(RITA), small);
        let mut bruno = Admission::new(limits(), &usage, doc(), Measure::default(), true);
        let mut edit = Admission::new(limits(), &usage, stored[0].doc, small, false);

        assert!(refused.unwrap_err().contains("created 2 notes"));
        assert!(
            bruno
                .admit(super::super::ConnId(2), Some(BRUNO), small)
                .is_ok()
        );
        assert!(
            edit.admit(super::super::ConnId(1), Some(RITA), small)
                .is_ok()
        );
    }

    #[test]
    fn bytes_are_bounded_per_participant_and_per_group() {
        let mut usage = Usage::default();
        usage.know(&[Charge {
            doc: doc(),
            participant: RITA,
            created: true,
            bytes: 1400,
        }]);
        let mut turn = Admission::new(limits(), &usage, doc(), Measure::default(), true);
        let some = Measure { ops: 1, bytes: 200 };

        assert!(
            turn.admit(super::super::ConnId(1), Some(RITA), some)
                .unwrap_err()
                .contains("your notes")
        );
        assert!(
            turn.admit(super::super::ConnId(2), Some(BRUNO), some)
                .is_ok()
        );
        usage.know(&[Charge {
            doc: doc(),
            participant: BRUNO,
            created: true,
            bytes: 2900,
        }]);
        let mut full = Admission::new(limits(), &usage, doc(), Measure::default(), true);
        assert!(
            full.admit(super::super::ConnId(1), Some(RITA), some)
                .unwrap_err()
                .contains("this group's notes")
        );
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(bytes_text(8 * 1024 * 1024), "8.0 MB");
        assert_eq!(bytes_text(2048), "2 KB");
        assert_eq!(bytes_text(10), "10 bytes");
    }
}
