//! The relay hub's hot paths, as the profile of scenarios 1 and 5 shows them:
//!
//! - one edit arriving and being pushed to the document's other members, then their
//!   acknowledgements (scenario 1: small map documents, 10 members);
//! - the same work done with `automerge::sync` alone, no hub, no wire codec: the floor;
//! - a batch of keystrokes applied to a 5 KB and a 50 KB note, one at a time against all at once
//!   (scenario 5).
//!
//! Run with `cargo bench -p quaderno-sync --bench hub`.

mod support;

use std::time::{Duration, Instant};

use automerge::Automerge;
use automerge::sync::{self, SyncDoc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use quaderno_sync::Input;
use support::{Room, count, keystroke, note, small_map};

/// One edit in a document with 10 members: the relay applies it, acknowledges it and pushes it
/// to the 9 others (timed), the members take it in (not timed), then the relay takes their 9
/// acknowledgements in one turn (timed).
fn fan_out(c: &mut Criterion) {
    let mut group = c.benchmark_group("relay: one edit to 9 other members");
    group.bench_function("hub, small map", |b| {
        b.iter_custom(|iters| {
            let mut room = Room::new(10, &small_map());
            let mut timed = Duration::ZERO;
            for i in 0..iters {
                let frame = room.edit(0, |d| count(d, i as i64));
                let start = Instant::now();
                let out = room.hub.handle(Instant::now(), [frame]);
                timed += start.elapsed();
                let mut acks = Vec::new();
                for (conn, bytes) in out.sends {
                    let member = &mut room.members[conn.0 as usize - 1];
                    member.receive(&bytes);
                    if let Some(ack) = member.frame(room.id) {
                        acks.push(Input::Frame { conn, bytes: ack });
                    }
                }
                let start = Instant::now();
                let out = room.hub.handle(Instant::now(), acks);
                timed += start.elapsed();
                room.settle(out.sends);
            }
            timed
        })
    });
    group.bench_function("automerge alone (floor), small map", |b| {
        b.iter_custom(|iters| floor(iters, small_map(), |d, i| count(d, i as i64)))
    });
    group.finish();
}

/// The relay's part done with `automerge::sync` only: apply the change, generate a message for
/// each of the 9 others and for the sender, receive each acknowledgement, generate once more.
fn floor(iters: u64, doc: Automerge, edit: impl Fn(&mut Automerge, u64)) -> Duration {
    let mut relay = doc.clone();
    let mut members: Vec<(Automerge, sync::State, sync::State)> = (0..10)
        .map(|_| {
            let mut copy = doc.fork();
            copy.set_actor(automerge::ActorId::random());
            (copy, sync::State::new(), sync::State::new())
        })
        .collect();
    // Bring every pair in sync first.
    let sync_pair = |relay: &mut Automerge, m: &mut (Automerge, sync::State, sync::State)| {
        for _ in 0..10 {
            let a = m.0.generate_sync_message(&mut m.1);
            let b = relay.generate_sync_message(&mut m.2);
            if a.is_none() && b.is_none() {
                break;
            }
            if let Some(a) = a {
                relay.receive_sync_message(&mut m.2, a).unwrap();
            }
            if let Some(b) = b {
                m.0.receive_sync_message(&mut m.1, b).unwrap();
            }
        }
    };
    for m in members.iter_mut() {
        sync_pair(&mut relay, m);
    }
    let mut timed = Duration::ZERO;
    for i in 0..iters {
        edit(&mut members[0].0, i);
        let sender = &mut members[0];
        let carried = sender.0.generate_sync_message(&mut sender.1).unwrap();
        let start = Instant::now();
        relay
            .receive_sync_message(&mut members[0].2, carried)
            .unwrap();
        let pushes: Vec<Option<sync::Message>> = members
            .iter_mut()
            .map(|m| relay.generate_sync_message(&mut m.2))
            .collect();
        timed += start.elapsed();
        let mut acks = Vec::new();
        for (m, push) in members.iter_mut().zip(pushes) {
            if let Some(push) = push {
                m.0.receive_sync_message(&mut m.1, push).unwrap();
            }
            acks.push(m.0.generate_sync_message(&mut m.1));
        }
        let start = Instant::now();
        for (m, ack) in members.iter_mut().zip(acks) {
            if let Some(ack) = ack {
                relay.receive_sync_message(&mut m.2, ack).unwrap();
                let _ = relay.generate_sync_message(&mut m.2);
            }
        }
        timed += start.elapsed();
        for m in members.iter_mut() {
            sync_pair(&mut relay, m);
        }
    }
    timed
}

/// K keystrokes from K members reach the relay in one turn: applied one by one (K turns) or
/// as one batch (one turn), on notes of 5 KB and 50 KB.
fn keystrokes(c: &mut Criterion) {
    let mut group = c.benchmark_group("relay: 8 keystrokes in a note");
    group.sample_size(10);
    for bytes in [5_000, 50_000] {
        for batched in [false, true] {
            let label = if batched { "one turn" } else { "one turn each" };
            group.bench_function(
                BenchmarkId::new(label, format!("{} KB", bytes / 1000)),
                |b| {
                    b.iter_custom(|iters| {
                        let mut room = Room::new(8, &note(bytes));
                        let mut timed = Duration::ZERO;
                        for i in 0..iters {
                            let frames: Vec<Input> = (0..8)
                                .map(|n| {
                                    room.edit(n, |d| keystroke(d, (i as usize * 31 + n * 7) * 13))
                                })
                                .collect();
                            let start = Instant::now();
                            let sends = if batched {
                                room.hub.handle(Instant::now(), frames).sends
                            } else {
                                frames
                                    .into_iter()
                                    .flat_map(|f| room.hub.handle(Instant::now(), [f]).sends)
                                    .collect()
                            };
                            timed += start.elapsed();
                            room.settle(sends);
                        }
                        timed
                    })
                },
            );
        }
    }
    group.finish();
}

/// What Automerge alone costs on a note, the floor of scenario 5: applying one change or a
/// batch of 8, and generating the message that carries one new change to a peer.
fn note_floor(c: &mut Criterion) {
    let mut group = c.benchmark_group("automerge alone: a note");
    group.sample_size(10);
    for bytes in [5_000, 50_000] {
        let size = format!("{} KB", bytes / 1000);
        for batch in [1, 8] {
            group.bench_function(
                BenchmarkId::new(format!("apply {batch} keystrokes"), &size),
                |b| {
                    b.iter_custom(|iters| {
                        let mut relay = note(bytes);
                        let mut author = relay.fork();
                        let mut timed = Duration::ZERO;
                        for i in 0..iters {
                            let heads = author.get_heads();
                            for k in 0..batch {
                                keystroke(&mut author, (i as usize * 31 + k * 7) * 13);
                            }
                            let changes = author.get_changes(&heads);
                            let start = Instant::now();
                            relay.apply_changes(changes).unwrap();
                            timed += start.elapsed();
                        }
                        timed
                    })
                },
            );
        }
        group.bench_function(BenchmarkId::new("generate one push", &size), |b| {
            b.iter_custom(|iters| {
                let mut relay = note(bytes);
                let mut peer = relay.fork();
                let (mut relay_state, mut peer_state) = (sync::State::new(), sync::State::new());
                let mut timed = Duration::ZERO;
                for i in 0..iters {
                    keystroke(&mut relay, i as usize * 131);
                    for _ in 0..10 {
                        let start = Instant::now();
                        let push = relay.generate_sync_message(&mut relay_state);
                        timed += start.elapsed();
                        let back = match push {
                            Some(push) => {
                                peer.receive_sync_message(&mut peer_state, push).unwrap();
                                peer.generate_sync_message(&mut peer_state)
                            }
                            None => peer.generate_sync_message(&mut peer_state),
                        };
                        match back {
                            Some(back) => {
                                relay.receive_sync_message(&mut relay_state, back).unwrap()
                            }
                            None => break,
                        }
                    }
                }
                timed
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(4));
    targets = fan_out, keystrokes, note_floor
}
criterion_main!(benches);
