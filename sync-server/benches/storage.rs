//! The relay's storage write for one turn of a group, as `relay/storage.rs` commits it: for
//! each document that changed, its new changes appended (with the store's compaction when the
//! appended changes outweigh the snapshot) and the group's change sequence advanced, all in one
//! transaction. The group's actor waits for this commit before it acknowledges anything, so
//! its time is part of every edit's latency.
//!
//! Run with `cargo bench -p quaderno-server --bench storage`.

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT};
use chrono::Utc;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use quaderno_model::DocumentId;
use quaderno_server::accounts::{self, GroupSlug};
use quaderno_server::db::Db;
use quaderno_store::docs;

const GROUP: &str = "bench";

/// A document and the bytes of its latest change, as the hub writes them.
struct Doc {
    id: DocumentId,
    text: String,
    doc: Automerge,
}

impl Doc {
    fn new() -> Doc {
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(ROOT, "kind", "bench").unwrap();
        tx.commit();
        let id = DocumentId::random();
        Doc {
            id,
            text: id.to_string(),
            doc,
        }
    }

    /// One more edit (scenario 1's small map), as `save_after` hands it to storage.
    fn edit(&mut self, n: i64) -> Vec<u8> {
        let heads = self.doc.get_heads();
        let mut tx = self.doc.transaction();
        tx.put(ROOT, "n", n).unwrap();
        tx.commit();
        self.doc.save_after(&heads)
    }
}

fn turns(c: &mut Criterion) {
    let mut group = c.benchmark_group("relay storage: one turn's commit");
    for changed in [1usize, 10, 100] {
        group.bench_function(BenchmarkId::new("documents changed", changed), |b| {
            b.iter_custom(|iters| {
                let dir = tempfile::tempdir().unwrap();
                let db = Db::open(dir.path()).unwrap();
                let slug = GroupSlug::parse(GROUP).unwrap();
                db.with_conn(|conn| {
                    Ok(accounts::create_group(
                        conn,
                        &slug,
                        None,
                        &accounts::Actor::command_line("bench"),
                        Utc::now(),
                    )?)
                })
                .unwrap();
                let mut conn = quaderno_store::open_connection(db.path()).unwrap();
                let mut docs: Vec<Doc> = (0..changed).map(|_| Doc::new()).collect();
                let mut timed = Duration::ZERO;
                for i in 0..iters {
                    let writes: Vec<(usize, Vec<u8>)> = docs
                        .iter_mut()
                        .enumerate()
                        .map(|(n, d)| (n, d.edit(i as i64)))
                        .collect();
                    let start = Instant::now();
                    let tx = conn.transaction().unwrap();
                    for (n, bytes) in &writes {
                        let doc = &docs[*n];
                        docs::append_changes(&tx, GROUP, &doc.text, bytes).unwrap();
                        accounts::record_doc_change(&tx, GROUP, &doc.id).unwrap();
                    }
                    tx.commit().unwrap();
                    timed += start.elapsed();
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
    targets = turns
}
criterion_main!(benches);
