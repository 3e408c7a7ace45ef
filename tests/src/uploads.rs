//! Documents uploaded as any automerge-repo client can: a note under an id of one's choice,
//! listed in the group's index, and a note Quaderno cannot read (`created_at` as text).

use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT};
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

/// What any automerge-repo client can do: connect to `group` as `who`, share `doc` under `id`
/// and list it in the group's index, as `author`. Returns once the relay holds both.
pub async fn upload_listed(
    relay: &Relay,
    who: &Joined,
    group: &str,
    id: DocumentId,
    doc: Automerge,
    author: &Author,
) -> Peer {
    let mut peer = Peer::connect(&relay.sync_url(group), &who.token, &who.peer_id)
        .await
        .expect("the member connects");
    peer.docs.insert(id, doc);
    peer.share(id).await;
    let index: DocumentId = who.group.index_doc.parse().unwrap();
    peer.share(index).await;
    let has_index = |p: &Peer| {
        p.docs
            .get(&index)
            .is_some_and(|d| quaderno_model::index_entries(d).is_ok())
    };
    assert!(peer.pump_until(WAIT, has_index).await, "the index arrives");
    peer.edit(index, |d| {
        add_to_index(d, &id, author, chrono::Utc::now()).unwrap();
    })
    .await;
    acknowledged(&mut peer, &[id, index]).await;
    peer
}

/// Bruno's automerge-repo client uploads a note of `palermo` whose `created_at` is text, and
/// lists it.
pub async fn upload_bad_note(relay: &Relay, bruno: &Joined) -> (Peer, DocumentId) {
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
    let peer = upload_listed(relay, bruno, "palermo", bad, doc, &author).await;
    (peer, bad)
}
