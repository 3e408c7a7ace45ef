//! What the store should hold: the writes a script makes, applied to plain values, and the
//! same things read back from a store.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{Automerge, ChangeHash, sync};
use quaderno_store::index::{self, IndexEntry, ListFilter, ListedNote};
use quaderno_store::rusqlite::Connection;
use quaderno_store::{Store, StoreError, docs, settings};

pub const NAMESPACES: [&str; 2] = ["personal", "palermo"];
pub const IDS: [&str; 5] = ["d0", "d1", "d2", "d3", "d4"];

/// The group a note id is indexed under: one per id, as on a participant's computer.
pub fn index_group(id: &str) -> &'static str {
    NAMESPACES[usize::from(id.bytes().last().unwrap_or(0)) % NAMESPACES.len()]
}
pub const PEERS: [&str; 2] = ["relay-a", "relay-b"];
pub const SETTINGS: [&str; 2] = ["identity", "theme"];
pub const WORDS: [&str; 8] = [
    "minori",
    "scuola",
    "rete",
    "famiglie",
    "servizi",
    "verbale",
    "palermo",
    "accoglienza",
];

/// One write. Document writes carry their bytes, so parent and child write the same.
#[derive(Debug, Clone)]
pub enum Op {
    NewDoc {
        key: DocKey,
        snapshot: Vec<u8>,
    },
    Append {
        key: DocKey,
        changes: Vec<u8>,
    },
    Compact(DocKey),
    SyncState {
        key: DocKey,
        peer: &'static str,
        heads: Vec<ChangeHash>,
    },
    Index(IndexEntry),
    Unindex(&'static str),
    Setting {
        key: &'static str,
        value: String,
    },
    Delete(DocKey),
}

pub type DocKey = (&'static str, &'static str);

/// What the store should hold.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub docs: BTreeMap<DocKey, Automerge>,
    sync_states: BTreeMap<(DocKey, &'static str), Vec<ChangeHash>>,
    index: BTreeMap<&'static str, IndexEntry>,
    settings: BTreeMap<&'static str, String>,
}

impl Model {
    pub fn apply(&mut self, op: &Op) {
        match op {
            Op::NewDoc { key, snapshot } => {
                self.docs.insert(*key, Automerge::load(snapshot).unwrap());
            }
            Op::Append { key, changes } => {
                let doc = self.docs.get_mut(key).unwrap();
                doc.load_incremental(changes).unwrap();
            }
            Op::Compact(_) => {}
            Op::SyncState { key, peer, heads } => {
                self.sync_states.insert((*key, *peer), heads.clone());
            }
            Op::Index(entry) => {
                let id = IDS.iter().find(|id| **id == entry.id).unwrap();
                self.index.insert(id, entry.clone());
            }
            Op::Unindex(id) => {
                self.index.remove(id);
            }
            Op::Setting { key, value } => {
                self.settings.insert(key, value.clone());
            }
            Op::Delete(key) => {
                self.docs.remove(key);
                self.sync_states.retain(|(k, _), _| k != key);
            }
        }
    }

    pub fn observed(&self) -> Observed {
        let found = WORDS
            .iter()
            .map(|word| {
                let ids = self
                    .index
                    .values()
                    .filter(|e| !e.deleted && words_of(e).contains(*word))
                    .map(|e| e.id.clone())
                    .collect();
                (word.to_string(), ids)
            })
            .collect();
        Observed {
            docs: self
                .docs
                .iter()
                .map(|((ns, id), doc)| ((ns.to_string(), id.to_string()), heads(doc)))
                .collect(),
            sync_states: self
                .sync_states
                .iter()
                .map(|(((ns, id), peer), heads)| {
                    (
                        (ns.to_string(), id.to_string(), peer.to_string()),
                        sorted(heads.clone()),
                    )
                })
                .collect(),
            notes: self.index.values().map(listed).collect(),
            found,
            settings: self
                .settings
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }
}

/// Everything the tests compare, as read back from a store (or expected from the model).
#[derive(Debug, PartialEq)]
pub struct Observed {
    docs: BTreeMap<(String, String), Vec<ChangeHash>>,
    sync_states: BTreeMap<(String, String, String), Vec<ChangeHash>>,
    /// Every index row, by id.
    notes: Vec<ListedNote>,
    /// Each word of [`WORDS`] and the notes a search for it finds.
    found: BTreeMap<String, BTreeSet<String>>,
    settings: BTreeMap<String, String>,
}

pub fn observe(store: &Store) -> Result<Observed, StoreError> {
    let conn = store.conn();
    let mut observed = Observed {
        docs: BTreeMap::new(),
        sync_states: BTreeMap::new(),
        notes: Vec::new(),
        found: BTreeMap::new(),
        settings: BTreeMap::new(),
    };
    for ns in NAMESPACES {
        for id in docs::list_ids(conn, ns)? {
            let doc = docs::load(conn, ns, &id)?.expect("a listed document loads");
            observed.docs.insert((ns.to_owned(), id), heads(&doc));
        }
        for id in IDS {
            for (peer, state) in docs::sync_states(conn, ns, id)? {
                let key = (ns.to_owned(), id.to_owned(), peer);
                observed.sync_states.insert(key, sorted(state.shared_heads));
            }
        }
    }
    let everything = ListFilter {
        include_deleted: true,
        ..ListFilter::default()
    };
    observed.notes = store.list(&everything)?;
    observed.notes.sort_by(|a, b| a.id.cmp(&b.id));
    for word in WORDS {
        let hits = store.search(word, 100)?.into_iter().map(|h| h.id).collect();
        observed.found.insert(word.to_owned(), hits);
    }
    for key in SETTINGS {
        if let Some(value) = settings::get(conn, key)? {
            observed.settings.insert(key.to_owned(), value);
        }
    }
    Ok(observed)
}

/// What differs between two observations, entry by entry.
pub fn differences(found: &Observed, expected: &Observed) -> String {
    let mut out = String::new();
    diff_maps(&mut out, "document", &found.docs, &expected.docs);
    diff_maps(
        &mut out,
        "sync state",
        &found.sync_states,
        &expected.sync_states,
    );
    let by_id = |notes: &[ListedNote]| -> BTreeMap<String, ListedNote> {
        notes.iter().map(|n| (n.id.clone(), n.clone())).collect()
    };
    diff_maps(
        &mut out,
        "index row",
        &by_id(&found.notes),
        &by_id(&expected.notes),
    );
    diff_maps(&mut out, "search", &found.found, &expected.found);
    diff_maps(&mut out, "setting", &found.settings, &expected.settings);
    out
}

fn diff_maps<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
    out: &mut String,
    what: &str,
    found: &BTreeMap<K, V>,
    expected: &BTreeMap<K, V>,
) {
    let keys: BTreeSet<&K> = found.keys().chain(expected.keys()).collect();
    for key in keys {
        let (f, e) = (found.get(key), expected.get(key));
        if f != e {
            out.push_str(&format!("  {what} {key:?}: store {f:?}, model {e:?}\n"));
        }
    }
}

fn heads(doc: &Automerge) -> Vec<ChangeHash> {
    sorted(doc.get_heads())
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

fn words_of(entry: &IndexEntry) -> BTreeSet<&str> {
    [&entry.title, &entry.body]
        .into_iter()
        .flat_map(|text| text.split_whitespace())
        .chain(entry.tags.iter().map(String::as_str))
        .collect()
}

fn listed(entry: &IndexEntry) -> ListedNote {
    ListedNote {
        id: entry.id.clone(),
        group: entry.group.clone(),
        title: entry.title.clone(),
        tags: entry.tags.clone(),
        created_at: entry.created_at,
        updated_at: entry.updated_at,
        meeting_date: entry.meeting_date,
        place: entry.place.clone(),
        deleted: entry.deleted,
    }
}

pub fn write(conn: &Connection, ops: &[Op]) -> Result<(), StoreError> {
    for op in ops {
        match op {
            Op::NewDoc { key, snapshot } => {
                docs::put_snapshot(conn, key.0, key.1, snapshot)?;
            }
            Op::Append { key, changes } => {
                docs::append_changes(conn, key.0, key.1, changes)?;
            }
            Op::Compact(key) => docs::compact(conn, key.0, key.1)?,
            Op::SyncState { key, peer, heads } => {
                let mut state = sync::State::new();
                state.shared_heads = heads.clone();
                docs::put_sync_state(conn, key.0, key.1, peer, &state)?;
            }
            Op::Index(entry) => index::upsert(conn, entry)?,
            Op::Unindex(id) => index::remove(conn, index_group(id), id)?,
            Op::Setting { key, value } => settings::put(conn, key, value)?,
            Op::Delete(key) => docs::delete(conn, key.0, key.1)?,
        }
    }
    Ok(())
}
