//! Which engine should a simulated client run: a `Replica` (Automerge and `automerge::sync`
//! driven directly) or a `quaderno_sync::Hub` on the client side, as Quaderno's client does?
//!
//! Two costs per client, on a small map document (scenario 1) and a 5 KB note (scenario 5):
//! receiving one edit from the relay (decode, apply, acknowledge) and making one local edit
//! (change, then the sync message that carries it). Only the client's side is timed.

use std::time::{Duration, Instant};

use automerge::Automerge;
use criterion::{Criterion, criterion_group, criterion_main};
use quaderno_bench::content;
use quaderno_bench::replica::Replica;
use quaderno_model::DocumentId;
use quaderno_sync::{
    ConnId, ConnPolicy, Hub, HubConfig, Input, LoadedDoc, Message, PeerId, PeerMetadata, Side,
};
use rand::SeedableRng;
use rand::rngs::SmallRng;

const CONN: ConnId = ConnId(1);

#[derive(Clone, Copy)]
enum Doc {
    SmallMap,
    Note5k,
}

impl Doc {
    fn build(self) -> Automerge {
        match self {
            Doc::SmallMap => content::small_map(),
            Doc::Note5k => content::note(5000, 50, 7).expect("a note"),
        }
    }

    fn edit(self, doc: &mut Automerge, seq: u64, rng: &mut SmallRng) {
        match self {
            Doc::SmallMap => content::count(doc, 1, seq),
            Doc::Note5k => content::keystroke(doc, 1, seq, rng).expect("a body"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Doc::SmallMap => "small map",
            Doc::Note5k => "5 KB note",
        }
    }
}

/// Carries messages between two replicas until neither has anything to say.
fn settle(a: &mut Replica, b: &mut Replica, mut to_b: Vec<Message>) {
    while !to_b.is_empty() {
        let to_a = b.receive(std::mem::take(&mut to_b)).replies;
        to_b = a.receive(to_a).replies;
    }
}

/// The author (standing in for the relay) and a direct client, both holding `doc`.
fn direct_pair(kind: Doc) -> (Replica, Replica, DocumentId) {
    let id = DocumentId::random();
    let mut author = Replica::new(PeerId::new("relay"), PeerId::new("client"));
    let mut client = Replica::new(PeerId::new("client"), PeerId::new("relay"));
    author.share(id, kind.build());
    let request = client.request(id).expect("a request");
    let answer = author.receive(vec![request]).replies;
    settle(&mut author, &mut client, answer);
    (author, client, id)
}

/// A client-side hub joined to the author, holding `doc`; returns the frames it wants sent.
fn hub_client(kind: Doc) -> (Replica, Hub, DocumentId) {
    let id = DocumentId::random();
    let doc = kind.build();
    let config = HubConfig::new(
        Side::Client,
        PeerId::new("client"),
        PeerMetadata {
            storage_id: Some("client-storage".into()),
            is_ephemeral: false,
        },
        "session".into(),
    );
    let mut hub = Hub::new(config);
    let now = Instant::now();
    hub.handle(
        now,
        [Input::Opened {
            conn: CONN,
            policy: ConnPolicy::default(),
        }],
    );
    let peer = Message::Peer {
        sender: PeerId::new("relay"),
        target: PeerId::new("client"),
        metadata: None,
        selected_version: "1".into(),
    };
    hub.handle(
        now,
        [Input::Frame {
            conn: CONN,
            bytes: peer.encode(),
        }],
    );
    let out = hub.handle(
        now,
        [Input::Share {
            conn: CONN,
            doc: id,
        }],
    );
    assert_eq!(out.loads, vec![id]);
    let loaded = Input::Loaded {
        doc: id,
        found: Some(LoadedDoc {
            doc: doc.clone(),
            sync_states: Vec::new(),
        }),
        may_create: true,
    };
    let mut out = hub.handle(now, [loaded]);
    let mut author = Replica::new(PeerId::new("relay"), PeerId::new("client"));
    author.share(id, doc);
    loop {
        let to_author: Vec<Message> = out
            .sends
            .iter()
            .map(|(_, bytes)| Message::decode(bytes).expect("the hub's frames decode"))
            .collect();
        if to_author.is_empty() {
            break;
        }
        let frames = author
            .receive(to_author)
            .replies
            .into_iter()
            .map(|m| Input::Frame {
                conn: CONN,
                bytes: m.encode(),
            });
        out = hub.handle(now, frames.collect::<Vec<_>>());
    }
    (author, hub, id)
}

fn receive(c: &mut Criterion) {
    let mut group = c.benchmark_group("client receives one edit");
    for kind in [Doc::SmallMap, Doc::Note5k] {
        group.bench_function(format!("replica, {}", kind.name()), |b| {
            b.iter_custom(|iters| {
                let (mut author, mut client, id) = direct_pair(kind);
                let mut rng = SmallRng::seed_from_u64(1);
                let mut timed = Duration::ZERO;
                for seq in 1..=iters {
                    let (_, sync) = author
                        .edit(id, |d| kind.edit(d, seq, &mut rng))
                        .expect("held");
                    let frame = sync.expect("an edit is sent").encode();
                    let start = Instant::now();
                    let message = Message::decode(&frame).expect("decodes");
                    let replies: Vec<Vec<u8>> = client
                        .receive(vec![message])
                        .replies
                        .iter()
                        .map(Message::encode)
                        .collect();
                    timed += start.elapsed();
                    let back = replies
                        .iter()
                        .map(|r| Message::decode(r).expect("decodes"))
                        .collect();
                    author.receive(back);
                }
                timed
            })
        });
        group.bench_function(format!("hub, {}", kind.name()), |b| {
            b.iter_custom(|iters| {
                let (mut author, mut hub, id) = hub_client(kind);
                let mut rng = SmallRng::seed_from_u64(1);
                let mut timed = Duration::ZERO;
                for seq in 1..=iters {
                    let (_, sync) = author
                        .edit(id, |d| kind.edit(d, seq, &mut rng))
                        .expect("held");
                    let frame = sync.expect("an edit is sent").encode();
                    let start = Instant::now();
                    let out = hub.handle(
                        Instant::now(),
                        [Input::Frame {
                            conn: CONN,
                            bytes: frame,
                        }],
                    );
                    timed += start.elapsed();
                    let back = out
                        .sends
                        .iter()
                        .map(|(_, bytes)| Message::decode(bytes).expect("decodes"))
                        .collect();
                    author.receive(back);
                }
                timed
            })
        });
    }
    group.finish();
}

fn local_edit(c: &mut Criterion) {
    let mut group = c.benchmark_group("client makes one edit");
    for kind in [Doc::SmallMap, Doc::Note5k] {
        group.bench_function(format!("replica, {}", kind.name()), |b| {
            b.iter_custom(|iters| {
                let (mut author, mut client, id) = direct_pair(kind);
                let mut rng = SmallRng::seed_from_u64(1);
                let mut timed = Duration::ZERO;
                for seq in 1..=iters {
                    let start = Instant::now();
                    let (_, sync) = client
                        .edit(id, |d| kind.edit(d, seq, &mut rng))
                        .expect("held");
                    let frame = sync.expect("an edit is sent").encode();
                    timed += start.elapsed();
                    let message = Message::decode(&frame).expect("decodes");
                    let replies = author.receive(vec![message]).replies;
                    client.receive(replies);
                }
                timed
            })
        });
        // With a hub, the client edits its stored copy and hands the change to the hub, which
        // applies it to its own copy before it can sync it.
        group.bench_function(format!("hub, {}", kind.name()), |b| {
            b.iter_custom(|iters| {
                let (mut author, mut hub, id) = hub_client(kind);
                let mut stored = hub.doc(&id).expect("loaded").clone();
                let mut rng = SmallRng::seed_from_u64(1);
                let mut timed = Duration::ZERO;
                for seq in 1..=iters {
                    let start = Instant::now();
                    let before = stored.get_heads();
                    kind.edit(&mut stored, seq, &mut rng);
                    let changes = stored.save_after(&before);
                    let out =
                        hub.handle(Instant::now(), [Input::LocalChanges { doc: id, changes }]);
                    timed += start.elapsed();
                    let to_author = out
                        .sends
                        .iter()
                        .map(|(_, bytes)| Message::decode(bytes).expect("decodes"))
                        .collect();
                    let replies = author.receive(to_author).replies;
                    let frames: Vec<Input> = replies
                        .into_iter()
                        .map(|m| Input::Frame {
                            conn: CONN,
                            bytes: m.encode(),
                        })
                        .collect();
                    hub.handle(Instant::now(), frames);
                }
                timed
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = receive, local_edit
}
criterion_main!(benches);
