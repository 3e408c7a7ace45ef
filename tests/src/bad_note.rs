//! A note that other programs can write and Quaderno cannot read: uploaded by an
//! automerge-repo peer with `created_at` as text, and listed in the index of the group
//! `palermo`.

use std::time::Duration;

use automerge::ROOT;
use automerge::transaction::Transactable;
use quaderno_model::{Author, DocumentId, NewNote, add_to_index, create_note};
use quaderno_sync::Event;

use crate::peer::Peer;
use crate::relay::{Joined, Relay};

const WAIT: Duration = Duration::from_secs(10);

/// Waits until the relay acknowledged the peer's current heads of every document.
pub async fn acknowledged(peer: &mut Peer, docs: &[DocumentId]) {
    let wanted: Vec<_> = docs
        .iter()
        .map(|doc| (*doc, peer.docs[doc].get_heads()))
        .collect();
    let done = |p: &Peer| {
        wanted.iter().all(|(doc, heads)| {
            p.events.iter().any(
                |e| matches!(e, Event::InSync { doc: d, heads: h, .. } if d == doc && h == heads),
            )
        })
    };
    assert!(
        peer.pump_until(WAIT, done).await,
        "the relay holds the peer's documents: {:?}",
        peer.errors()
    );
}

/// Bruno's automerge-repo client uploads a note whose `created_at` is text, and lists it.
pub async fn upload_bad_note(relay: &Relay, bruno: &Joined) -> (Peer, DocumentId) {
    let mut peer = Peer::connect(&relay.sync_url("palermo"), &bruno.token, &bruno.peer_id)
        .await
        .expect("Bruno connects");
    let author = Author::new("Bruno", "Roma");
    let new = NewNote {
        title: "Nota di Bruno".into(),
        body: "Scritta da un altro programma".into(),
        ..NewNote::default()
    };
    let mut doc = create_note(&new, &author, chrono::Utc::now()).unwrap();
    let mut tx = doc.transaction();
    tx.put(ROOT, "created_at", "ieri").unwrap();
    tx.commit();
    let bad = DocumentId::random();
    peer.docs.insert(bad, doc);
    peer.share(bad).await;
    let index: DocumentId = bruno.group.index_doc.parse().unwrap();
    peer.share(index).await;
    let has_index = |p: &Peer| {
        p.docs
            .get(&index)
            .is_some_and(|d| quaderno_model::index_entries(d).is_ok())
    };
    assert!(peer.pump_until(WAIT, has_index).await, "the index arrives");
    peer.edit(index, |d| {
        add_to_index(d, &bad, &author, chrono::Utc::now()).unwrap();
    })
    .await;
    acknowledged(&mut peer, &[bad, index]).await;
    (peer, bad)
}
