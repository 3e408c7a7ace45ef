//! Three laptops edit the same notes offline and sync pair by pair, in any order. After a full
//! sync they hold the same notes, and on each of them the list and the search agree with the
//! documents: no index row is left behind by a change that arrived from another laptop.

use std::collections::{BTreeMap, BTreeSet};

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, ChangeHash};
use chrono::NaiveDate;
use proptest::prelude::*;
use quaderno_client::notebook::{ListFilter, ListedNote, Notebook, PERSONAL_GROUP};
use quaderno_model::{Meeting, NewNote, Note, NoteEdit, read_note};
use quaderno_store::docs;
use tempfile::TempDir;

const REPLICAS: usize = 3;
const TAGS: [&str; 4] = ["verbale", "scuola", "rete", "famiglie"];
const PLACES: [&str; 3] = ["Palermo", "Catania", "Messina"];
const PEOPLE: [&str; 4] = ["Anna", "Marco", "Giulia", "Luca"];

#[derive(Debug, Clone, Copy)]
enum Field {
    Title,
    Body,
}

/// What happens next: one laptop changes a note it holds, or two laptops sync.
#[derive(Debug, Clone)]
enum Step {
    Create {
        on: usize,
    },
    /// Types a new word (and a space) at a position of the title or body.
    Insert {
        on: usize,
        note: u8,
        field: Field,
        at: u16,
    },
    /// Deletes up to `len` characters from a position of the title or body.
    Delete {
        on: usize,
        note: u8,
        field: Field,
        at: u16,
        len: u8,
    },
    Tag {
        on: usize,
        note: u8,
        tag: usize,
        add: bool,
    },
    /// Sets what is `Some`: date (`Some(None)` clears it), place, participants.
    Meeting {
        on: usize,
        note: u8,
        date: Option<Option<u8>>,
        place: Option<Option<usize>>,
        participants: Option<Vec<usize>>,
    },
    Bin {
        on: usize,
        note: u8,
        deleted: bool,
    },
    /// Two laptops exchange every note either holds: by merging the stored documents, or with
    /// Automerge sync messages until neither has anything to send.
    Sync {
        a: usize,
        b: usize,
        messages: bool,
    },
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![1 => Just(Field::Title), 3 => Just(Field::Body)]
}

fn step() -> impl Strategy<Value = Step> {
    let on = 0..REPLICAS;
    prop_oneof![
        1 => on.clone().prop_map(|on| Step::Create { on }),
        5 => (on.clone(), any::<u8>(), field(), any::<u16>())
            .prop_map(|(on, note, field, at)| Step::Insert { on, note, field, at }),
        3 => (on.clone(), any::<u8>(), field(), any::<u16>(), 1..12u8)
            .prop_map(|(on, note, field, at, len)| Step::Delete { on, note, field, at, len }),
        2 => (on.clone(), any::<u8>(), 0..TAGS.len(), any::<bool>())
            .prop_map(|(on, note, tag, add)| Step::Tag { on, note, tag, add }),
        2 => (
            on.clone(),
            any::<u8>(),
            proptest::option::of(proptest::option::of(0..28u8)),
            proptest::option::of(proptest::option::of(0..PLACES.len())),
            proptest::option::of(proptest::collection::vec(0..PEOPLE.len(), 0..3)),
        )
            .prop_map(|(on, note, date, place, participants)| Step::Meeting {
                on,
                note,
                date,
                place,
                participants,
            }),
        1 => (on.clone(), any::<u8>(), any::<bool>())
            .prop_map(|(on, note, deleted)| Step::Bin { on, note, deleted }),
        3 => (on.clone(), on, any::<bool>())
            .prop_map(|(a, b, messages)| Step::Sync { a, b, messages }),
    ]
}

struct Laptop {
    _dir: TempDir,
    notebook: Notebook,
}

/// The three laptops, the notes created so far and every word ever typed.
struct World {
    laptops: Vec<Laptop>,
    notes: Vec<String>,
    words: BTreeSet<String>,
    next_word: usize,
}

impl World {
    fn new() -> World {
        let people = [
            ("Anna", "Palermo"),
            ("Marco", "Catania"),
            ("Giulia", "Messina"),
        ];
        let laptops = people
            .iter()
            .map(|(name, city)| {
                let dir = tempfile::tempdir().unwrap();
                let mut notebook = Notebook::open(&dir.path().join("data")).unwrap();
                notebook.init(name, city).unwrap();
                Laptop {
                    _dir: dir,
                    notebook,
                }
            })
            .collect();
        World {
            laptops,
            notes: Vec::new(),
            words: BTreeSet::new(),
            next_word: 0,
        }
    }

    /// A word never typed before.
    fn word(&mut self) -> String {
        self.next_word += 1;
        let word = format!("w{}", self.next_word);
        self.words.insert(word.clone());
        word
    }

    fn run(&mut self, step: &Step) {
        match *step {
            Step::Create { on } => self.create(on),
            Step::Insert {
                on,
                note,
                field,
                at,
            } => {
                let word = self.word();
                self.retype(on, note, field, |text| {
                    let at = usize::from(at) % (text.len() + 1);
                    text.insert_str(at, &format!("{word} "));
                });
            }
            Step::Delete {
                on,
                note,
                field,
                at,
                len,
            } => self.retype(on, note, field, |text| {
                let at = usize::from(at) % (text.len() + 1);
                let end = (at + usize::from(len)).min(text.len());
                text.replace_range(at..end, "");
            }),
            Step::Tag { on, note, tag, add } => {
                if let Some(id) = self.pick(on, note) {
                    let tag = vec![TAGS[tag].to_owned()];
                    let (add, remove) = if add { (tag, vec![]) } else { (vec![], tag) };
                    self.laptops[on].notebook.tag(&id, &add, &remove).unwrap();
                }
            }
            Step::Meeting {
                on,
                note,
                date,
                place,
                ref participants,
            } => {
                let edit = NoteEdit {
                    date: date.map(|d| d.map(|d| day(u32::from(d)))),
                    place: place.map(|p| p.map(|p| PLACES[p].to_owned())),
                    participants: participants
                        .as_ref()
                        .map(|people| people.iter().map(|&p| PEOPLE[p].to_owned()).collect()),
                    ..NoteEdit::default()
                };
                self.edit(on, note, &edit);
            }
            Step::Bin { on, note, deleted } => {
                if let Some(id) = self.pick(on, note) {
                    self.laptops[on].notebook.set_deleted(&id, deleted).unwrap();
                }
            }
            Step::Sync { a, b, messages } => self.sync(a, b, messages),
        }
    }

    fn create(&mut self, on: usize) {
        let new = NewNote {
            title: self.word(),
            body: format!("{} {}\n", self.word(), self.word()),
            tags: vec![TAGS[0].to_owned()],
            meeting: Meeting::default(),
        };
        let created = self.laptops[on].notebook.create(&new, None).unwrap();
        self.notes.push(created.id);
    }

    /// The id of one of the notes laptop `on` holds, chosen by `note`.
    fn pick(&self, on: usize, note: u8) -> Option<String> {
        let held = self.held(on);
        (!held.is_empty()).then(|| held[usize::from(note) % held.len()].clone())
    }

    /// The notes laptop `on` holds, in creation order (from its documents, not its index).
    fn held(&self, on: usize) -> Vec<String> {
        let stored = stored_ids(&self.laptops[on].notebook);
        self.notes
            .iter()
            .filter(|id| stored.contains(*id))
            .cloned()
            .collect()
    }

    fn edit(&mut self, on: usize, note: u8, edit: &NoteEdit) {
        if let Some(id) = self.pick(on, note) {
            self.laptops[on].notebook.edit(&id, edit).unwrap();
        }
    }

    /// Changes the title or body as a person would, from the text shown now.
    fn retype(&mut self, on: usize, note: u8, field: Field, change: impl FnOnce(&mut String)) {
        let Some(id) = self.pick(on, note) else {
            return;
        };
        let shown = self.laptops[on].notebook.show(&id).unwrap().note;
        let mut edit = NoteEdit::default();
        match field {
            Field::Title => {
                let mut title = shown.title;
                change(&mut title);
                edit.title = Some(title);
            }
            Field::Body => {
                let mut body = shown.body;
                change(&mut body);
                edit.body = Some(body);
            }
        }
        self.laptops[on].notebook.edit(&id, &edit).unwrap();
    }

    fn sync(&mut self, a: usize, b: usize, messages: bool) {
        if a == b {
            return;
        }
        let ids: BTreeSet<String> = self.held(a).into_iter().chain(self.held(b)).collect();
        for id in ids {
            let (mut doc_a, before_a) = loaded(&self.laptops[a].notebook, &id);
            let (mut doc_b, before_b) = loaded(&self.laptops[b].notebook, &id);
            if messages {
                exchange(&mut doc_a, &mut doc_b);
            } else {
                doc_a.merge(&mut doc_b.clone()).unwrap();
                doc_b.merge(&mut doc_a.clone()).unwrap();
            }
            for (on, doc, before) in [(a, &doc_a, before_a), (b, &doc_b, before_b)] {
                self.laptops[on]
                    .notebook
                    .save_doc_changes(PERSONAL_GROUP, &id, doc, &before)
                    .unwrap();
            }
        }
    }

    /// Every laptop syncs with every other, so each holds everything.
    fn sync_all(&mut self) {
        for (a, b) in [(0, 1), (1, 2), (0, 2)] {
            self.sync(a, b, false);
        }
    }
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 1 + d).unwrap()
}

/// The ids of every document stored, read from the document rows.
fn stored_ids(notebook: &Notebook) -> BTreeSet<String> {
    let conn = quaderno_store::open_connection(notebook.path()).unwrap();
    docs::list_ids(&conn, PERSONAL_GROUP)
        .unwrap()
        .into_iter()
        .collect()
}

/// The stored document (empty when the laptop does not hold it yet) and its heads.
fn loaded(notebook: &Notebook, id: &str) -> (Automerge, Vec<ChangeHash>) {
    let doc = notebook
        .load_doc(PERSONAL_GROUP, id)
        .unwrap()
        .unwrap_or_default();
    let heads = doc.get_heads();
    (doc, heads)
}

/// The Automerge sync protocol between two documents, until neither has anything to send.
fn exchange(a: &mut Automerge, b: &mut Automerge) {
    let (mut state_a, mut state_b) = (sync::State::new(), sync::State::new());
    for _ in 0..64 {
        let to_b = a.generate_sync_message(&mut state_a);
        let to_a = b.generate_sync_message(&mut state_b);
        if to_a.is_none() && to_b.is_none() {
            return;
        }
        if let Some(message) = to_b {
            b.receive_sync_message(&mut state_b, message).unwrap();
        }
        if let Some(message) = to_a {
            a.receive_sync_message(&mut state_a, message).unwrap();
        }
    }
    panic!("the sync protocol did not finish in 64 rounds");
}

/// The words full-text search sees in a note: runs of letters and digits, lower-cased.
fn words_of(note: &Note) -> BTreeSet<String> {
    let tags = note.tags.join(" ");
    [note.title.as_str(), note.body.as_str(), tags.as_str()]
        .iter()
        .flat_map(|text| text.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn assert_row_matches(row: &ListedNote, note: &Note, laptop: usize) {
    let context = format!("laptop {laptop}, note {}", row.id);
    assert_eq!(row.group, PERSONAL_GROUP, "{context}");
    assert_eq!(row.title, note.title, "{context}");
    assert_eq!(row.tags, note.tags, "{context}");
    assert_eq!(row.place, note.meeting.place, "{context}");
    assert_eq!(row.meeting_date, note.meeting.date, "{context}");
    assert_eq!(row.deleted, note.deleted, "{context}");
}

/// After the full sync: the same notes everywhere, and each laptop's index agrees with them.
fn assert_converged(world: &World) {
    let all: BTreeSet<String> = world.notes.iter().cloned().collect();
    let first = &world.laptops[0].notebook;
    let mut notes = BTreeMap::new();
    let mut heads = BTreeMap::new();
    for id in &all {
        let (doc, doc_heads) = loaded(first, id);
        notes.insert(id.clone(), read_note(&doc).unwrap());
        heads.insert(id.clone(), doc_heads);
    }

    for (laptop, Laptop { notebook, .. }) in world.laptops.iter().enumerate() {
        assert_eq!(stored_ids(notebook), all, "laptop {laptop} documents");
        for id in &all {
            let (doc, doc_heads) = loaded(notebook, id);
            assert_eq!(doc_heads, heads[id], "laptop {laptop}, heads of {id}");
            assert_eq!(read_note(&doc).unwrap(), notes[id], "laptop {laptop}, {id}");
        }

        let everything = ListFilter {
            include_deleted: true,
            ..ListFilter::default()
        };
        let rows = notebook.list(&everything).unwrap();
        let listed: BTreeSet<String> = rows.iter().map(|r| r.id.clone()).collect();
        assert_eq!(listed, all, "laptop {laptop} index rows");
        for row in &rows {
            assert_row_matches(row, &notes[&row.id], laptop);
        }
        let shown: BTreeSet<String> = notebook
            .list(&ListFilter::default())
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        let not_deleted: BTreeSet<String> = notes
            .iter()
            .filter(|(_, n)| !n.deleted)
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(shown, not_deleted, "laptop {laptop} default list");

        assert_search_agrees(world, notebook, &notes, laptop);
    }
}

/// Every word ever typed (and every word now in a note) finds exactly the notes, not in the bin,
/// that contain it: a word deleted everywhere finds nothing.
fn assert_search_agrees(
    world: &World,
    notebook: &Notebook,
    notes: &BTreeMap<String, Note>,
    laptop: usize,
) {
    let words_now: BTreeMap<&String, BTreeSet<String>> =
        notes.iter().map(|(id, n)| (id, words_of(n))).collect();
    let candidates: BTreeSet<String> = world
        .words
        .iter()
        .cloned()
        .chain(words_now.values().flatten().cloned())
        .chain(TAGS.iter().map(|t| t.to_string()))
        .collect();
    for word in candidates {
        let expected: BTreeSet<String> = notes
            .iter()
            .filter(|(id, n)| !n.deleted && words_now[id].contains(&word))
            .map(|(id, _)| id.clone())
            .collect();
        let found: BTreeSet<String> = notebook
            .search(&word, 1000)
            .unwrap()
            .into_iter()
            .map(|hit| hit.id)
            .collect();
        assert_eq!(found, expected, "laptop {laptop} searching {word:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn three_laptops_converge_and_their_indexes_agree_with_their_notes(
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let mut world = World::new();
        world.create(0);
        for step in &steps {
            world.run(step);
        }
        world.sync_all();
        assert_converged(&world);
    }
}
