//! Authors the relay vouches for: a change signed with an actor that belongs to another device,
//! or to nobody, is refused and never applied; a new actor becomes its sender's.

mod support;

use automerge::{ActorId, ReadDoc};
use quaderno_model::DocumentId;
use quaderno_sync::{Authorship, Event, Input, Owner};
use support::Net;

const ANNA: i64 = 7;
const BRUNO: i64 = 8;

/// Anna's device wrote a note; Bruno's device holds it too. Returns the note.
fn a_note_anna_wrote(net: &mut Net, known: Vec<Authorship>) -> DocumentId {
    net.relay_input(vec![Input::Authors { known }]);
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    net.clients[anna].policy.device = Some(ANNA);
    net.clients[bruno].policy.device = Some(BRUNO);
    net.connect(anna);
    net.connect(bruno);
    let doc = net.create_doc(anna, "verbale: ");
    net.share(anna, doc);
    net.share(bruno, doc);
    assert_eq!(net.text(bruno, doc).as_deref(), Some("verbale: "));
    doc
}

fn actor_of(net: &Net, c: usize, doc: DocumentId) -> ActorId {
    let stored = &net.clients[c].storage.docs[&doc];
    stored.get_changes_meta(&[])[0].actor.clone().into_owned()
}

/// Bruno's device appends `text` to the note, signed with `actor`.
fn bruno_writes_as(net: &mut Net, doc: DocumentId, actor: &ActorId, text: &str) {
    net.clients[1]
        .storage
        .docs
        .get_mut(&doc)
        .unwrap()
        .set_actor(actor.clone());
    net.append(1, doc, text);
}

fn rejections(net: &Net) -> Vec<String> {
    net.relay_events
        .iter()
        .filter_map(|e| match e {
            Event::Rejected { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_new_actor_becomes_its_senders_and_is_handed_over_to_be_stored() {
    let mut net = Net::new();
    let doc = a_note_anna_wrote(&mut net, Vec::new());
    let anna_actor = actor_of(&net, 0, doc);
    assert_eq!(
        net.relay_authors,
        vec![Authorship {
            actor: anna_actor,
            owner: Owner::Device(ANNA),
        }]
    );

    let bruno_actor = ActorId::random();
    bruno_writes_as(&mut net, doc, &bruno_actor, "punto uno");

    assert_eq!(net.relay_text(doc).as_deref(), Some("verbale: punto uno"));
    assert_eq!(
        net.relay_authors.last(),
        Some(&Authorship {
            actor: bruno_actor,
            owner: Owner::Device(BRUNO),
        })
    );
    assert!(rejections(&net).is_empty(), "{:?}", rejections(&net));
}

/// Who signs Bruno's change in each case.
#[derive(Debug, Clone, Copy)]
enum Signer {
    /// The actor Anna's device wrote the note with.
    AnnasActor,
    /// An actor of changes stored before the relay vouched for authors, recorded as nobody's.
    LegacyRecorded,
    /// The same, not recorded (a document the group's survey never saw): its change starts
    /// past its first one.
    LegacyUnrecorded,
}

#[test]
fn a_change_signed_with_an_actor_that_is_not_the_senders_is_refused_and_not_applied() {
    let cases = [
        (
            "another device's actor",
            Signer::AnnasActor,
            "belongs to another device",
        ),
        (
            "a legacy actor",
            Signer::LegacyRecorded,
            "nobody vouched for",
        ),
        (
            "an unvouched actor",
            Signer::LegacyUnrecorded,
            "nobody vouched for",
        ),
    ];
    for (case, signer, expected) in cases {
        let mut net = Net::new();
        let legacy = ActorId::random();
        let known = match signer {
            Signer::LegacyRecorded => vec![Authorship {
                actor: legacy.clone(),
                owner: Owner::Nobody,
            }],
            _ => Vec::new(),
        };
        let doc = a_note_anna_wrote(&mut net, known);
        let actor = match signer {
            Signer::AnnasActor => actor_of(&net, 0, doc),
            Signer::LegacyRecorded | Signer::LegacyUnrecorded => {
                // Step 1: the legacy author's first change reaches the relay's storage
                // directly, as changes stored before this feature did; both members have it.
                let mut copy = net.relay_storage.docs[&doc].clone();
                copy.set_actor(legacy.clone());
                let mut tx = copy.transaction();
                automerge::transaction::Transactable::put(&mut tx, automerge::ROOT, "legacy", true)
                    .unwrap();
                tx.commit();
                net.relay_storage.docs.insert(doc, copy.clone());
                net.relay_input(vec![Input::Reload { doc }]);
                net.run();
                assert!(
                    net.clients[1].storage.docs[&doc]
                        .get(automerge::ROOT, "legacy")
                        .unwrap()
                        .is_some(),
                    "{case}: Bruno has the legacy change"
                );
                legacy.clone()
            }
        };
        let bound_before = net.relay_authors.len();

        // Step 2: Bruno's device signs a change with that actor.
        bruno_writes_as(&mut net, doc, &actor, "firmato da altri");

        assert_eq!(
            net.relay_text(doc).as_deref(),
            Some("verbale: "),
            "{case}: the change is not stored"
        );
        let relay_doc = net.relay.doc(&doc).expect("the note is in memory");
        assert!(
            quaderno_text(relay_doc).is_some_and(|t| !t.contains("firmato")),
            "{case}: the change is not applied"
        );
        let refused = rejections(&net);
        assert!(
            refused
                .iter()
                .any(|r| r.contains(expected) && r.contains(&actor.to_string())),
            "{case}: {refused:?}"
        );
        assert!(
            net.relay_authors[bound_before..]
                .iter()
                .all(|a| a.owner != Owner::Device(BRUNO)),
            "{case}: the actor is not bound to Bruno: {:?}",
            net.relay_authors
        );

        // Step 3: Anna's own later changes still go through.
        net.append(0, doc, "approvato");
        assert_eq!(
            net.relay_text(doc).as_deref(),
            Some("verbale: approvato"),
            "{case}"
        );
    }
}

#[test]
fn a_copy_of_a_change_the_relay_holds_is_taken_from_anyone() {
    let mut net = Net::new();
    let doc = a_note_anna_wrote(&mut net, Vec::new());
    // Bruno's hub forgets what it told the relay and offers everything it holds again,
    // Anna's change among it.
    net.client_input(
        1,
        vec![Input::Resync {
            conn: support::CLIENT_CONN,
            doc,
        }],
    );
    net.run();
    assert!(rejections(&net).is_empty(), "{:?}", rejections(&net));
    assert_eq!(net.relay_text(doc).as_deref(), Some("verbale: "));
}

#[test]
fn no_change_is_taken_before_the_relay_knows_who_owns_what() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.clients[anna].policy.device = Some(ANNA);
    net.connect(anna);
    let doc = net.create_doc(anna, "presto");
    net.share(anna, doc);

    assert_eq!(net.relay_text(doc), None);
    assert!(
        rejections(&net)
            .iter()
            .any(|r| r.contains("cannot tell yet who wrote what")),
        "{:?}",
        rejections(&net)
    );
}

fn quaderno_text(doc: &automerge::Automerge) -> Option<String> {
    let (_, body) = doc.get(automerge::ROOT, "body").ok()??;
    doc.text(&body).ok()
}
