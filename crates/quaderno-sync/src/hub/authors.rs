//! Authors the relay vouches for: in a group, every Automerge actor id belongs to the device
//! that first sent a change signed with it, and a change signed with an actor that belongs to
//! anyone else is refused, so no member can make a change appear to come from another.
//!
//! A device may own many actors (the JavaScript automerge-repo client takes a new one per
//! document per session, ours one per process); an actor never has two owners.
//!
//! Changes stored before the relay vouched for authors, and those the relay writes itself,
//! have actors nobody ever claimed. Such an actor must never become claimable, or anyone could
//! take over an old author's name. Two rules keep them owned by nobody ([`Owner::Nobody`]):
//!
//! - when the relay first serves a group after this feature arrived, it reads every stored
//!   document of the group once and records each actor it finds without an owner as owned by
//!   nobody (the caller does this; it gives the hub the result in [`super::Input::Authors`]);
//! - an actor the hub has never heard of is claimed with its first change in a document
//!   (sequence number 1). An unknown actor whose message starts past its first change either
//!   has earlier changes the document already holds, which nobody vouched for (refused, and
//!   recorded as owned by nobody), or earlier changes the relay has not received yet: the
//!   sync protocol's Bloom filter can make a peer think the relay has them. Those changes
//!   cannot be applied before their predecessors anyway, so they are let through unclaimed,
//!   and the actor is claimed when its first change arrives.
//!
//! A change the document already holds is not judged: members offer back what they received
//! (after a relay restart, say), and a copy adds nothing.

use std::collections::HashMap;

use automerge::ActorId;

/// A device, as the relay numbers it.
pub type DeviceId = i64;

/// Who an actor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The device that first sent a change signed with it.
    Device(DeviceId),
    /// An actor of changes nobody vouched for: nobody may sign new changes with it.
    Nobody,
}

/// One actor and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorship {
    pub actor: ActorId,
    pub owner: Owner,
}

/// Why a connection's changes were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The caller has not told the hub who owns what yet.
    NotReady,
    /// The actor belongs to another device, or to nobody.
    Taken(ActorId, Owner),
    /// The actor is new here but its changes start past its first one.
    Unvouched(ActorId),
}

impl Refusal {
    /// What the peer is told.
    pub(super) fn reason(&self) -> String {
        match self {
            Refusal::NotReady => {
                "the relay cannot tell yet who wrote what in this group: reconnect in a moment"
                    .to_string()
            }
            Refusal::Taken(actor, Owner::Device(_)) => format!(
                "a change is signed with actor {actor}, which belongs to another device of \
                 this group: sign this device's changes with an actor of its own and send them \
                 again"
            ),
            Refusal::Taken(actor, Owner::Nobody) | Refusal::Unvouched(actor) => format!(
                "a change is signed with actor {actor}, whose earlier changes nobody vouched \
                 for: sign new changes with a new actor"
            ),
        }
    }
}

/// Who owns each actor of the group, as far as the hub knows.
#[derive(Debug, Default)]
pub(super) struct Authors {
    known: HashMap<ActorId, Owner>,
    /// False until the caller said who owns what: until then every vetted change is refused.
    ready: bool,
}

impl Authors {
    /// The owners the caller read from storage.
    pub(super) fn know(&mut self, known: Vec<Authorship>) {
        self.known
            .extend(known.into_iter().map(|a| (a.actor, a.owner)));
        self.ready = true;
    }

    /// Decides on changes a device sent that the document does not hold yet, given as
    /// (actor, sequence number) pairs. `pending` holds actors claimed earlier in this turn;
    /// `holds` says whether the document holds any change of an actor. Returns the actors
    /// the device claims now.
    pub(super) fn vet<'a>(
        &self,
        device: DeviceId,
        pending: &HashMap<ActorId, DeviceId>,
        changes: impl IntoIterator<Item = (&'a ActorId, u64)>,
        holds: impl Fn(&ActorId) -> bool,
    ) -> Result<Vec<ActorId>, Refusal> {
        if !self.ready {
            return Err(Refusal::NotReady);
        }
        let mut first_seq: HashMap<&ActorId, u64> = HashMap::new();
        for (actor, seq) in changes {
            let owner = self
                .known
                .get(actor)
                .copied()
                .or_else(|| pending.get(actor).map(|d| Owner::Device(*d)));
            match owner {
                Some(Owner::Device(owner)) if owner == device => {}
                Some(owner) => return Err(Refusal::Taken(actor.clone(), owner)),
                None => {
                    let first = first_seq.entry(actor).or_insert(seq);
                    *first = (*first).min(seq);
                }
            }
        }
        let mut claimed = Vec::with_capacity(first_seq.len());
        for (actor, first) in first_seq {
            if first == 1 {
                claimed.push(actor.clone());
            } else if holds(actor) {
                return Err(Refusal::Unvouched(actor.clone()));
            }
        }
        Ok(claimed)
    }

    /// Records an owner, returning what to store; an actor already owned keeps its owner.
    pub(super) fn bind(&mut self, actor: ActorId, owner: Owner) -> Option<Authorship> {
        if self.known.contains_key(&actor) {
            return None;
        }
        self.known.insert(actor.clone(), owner);
        Some(Authorship { actor, owner })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(byte: u8) -> ActorId {
        ActorId::from([byte; 16])
    }

    fn known(list: &[(u8, Owner)]) -> Authors {
        let mut authors = Authors::default();
        authors.know(
            list.iter()
                .map(|(a, owner)| Authorship {
                    actor: actor(*a),
                    owner: *owner,
                })
                .collect(),
        );
        authors
    }

    /// (case, known owners, device sending, changes as (actor, seq), expected claims).
    type Case = (
        &'static str,
        Vec<(u8, Owner)>,
        DeviceId,
        Vec<(u8, u64)>,
        Result<Vec<u8>, Refusal>,
    );

    #[test]
    fn vetting_decides_by_owner_and_first_change() {
        use Owner::{Device, Nobody};
        let cases: Vec<Case> = vec![
            (
                "own actor",
                vec![(1, Device(7))],
                7,
                vec![(1, 5)],
                Ok(vec![]),
            ),
            (
                "new actor from its first change",
                vec![],
                7,
                vec![(2, 1), (2, 2)],
                Ok(vec![2]),
            ),
            (
                "another device's actor",
                vec![(1, Device(7))],
                8,
                vec![(1, 6)],
                Err(Refusal::Taken(actor(1), Device(7))),
            ),
            (
                "an actor owned by nobody",
                vec![(3, Nobody)],
                7,
                vec![(3, 4)],
                Err(Refusal::Taken(actor(3), Nobody)),
            ),
            (
                "an unknown actor past its first change, whose earlier ones the document holds",
                vec![],
                7,
                vec![(4, 3)],
                Err(Refusal::Unvouched(actor(4))),
            ),
            (
                "an unknown actor past its first change, whose earlier ones have not arrived",
                vec![],
                7,
                vec![(6, 3)],
                Ok(vec![]),
            ),
            (
                "one taken actor refuses the whole message",
                vec![(1, Device(7))],
                8,
                vec![(2, 1), (1, 9)],
                Err(Refusal::Taken(actor(1), Device(7))),
            ),
        ];
        for (case, owners, device, changes, expected) in cases {
            let authors = known(&owners);
            let changes: Vec<(ActorId, u64)> =
                changes.into_iter().map(|(a, s)| (actor(a), s)).collect();
            let got = authors.vet(
                device,
                &HashMap::new(),
                changes.iter().map(|(a, s)| (a, *s)),
                |a| *a == actor(4),
            );
            let expected = expected.map(|list| list.into_iter().map(actor).collect::<Vec<_>>());
            assert_eq!(got, expected, "{case}");
        }
    }

    #[test]
    fn an_actor_claimed_earlier_in_the_turn_belongs_to_its_claimant() {
        let authors = known(&[]);
        let pending = HashMap::from([(actor(5), 7)]);
        let changes = [(actor(5), 1)];
        let iter = || changes.iter().map(|(a, s)| (a, *s));
        assert_eq!(
            authors.vet(8, &pending, iter(), |_| false),
            Err(Refusal::Taken(actor(5), Owner::Device(7)))
        );
        assert_eq!(authors.vet(7, &pending, iter(), |_| false), Ok(vec![]));
    }

    #[test]
    fn nothing_is_accepted_before_the_owners_are_known() {
        let authors = Authors::default();
        let changes = [(actor(1), 1)];
        let got = authors.vet(
            7,
            &HashMap::new(),
            changes.iter().map(|(a, s)| (a, *s)),
            |_| false,
        );
        assert_eq!(got, Err(Refusal::NotReady));
    }
}
