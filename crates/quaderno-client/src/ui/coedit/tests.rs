//! The engine with pages played by Automerge peers in Rust, over a real store.

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ROOT, ReadDoc};
use quaderno_model::{DocumentId, NewNote, NoteEdit};

use super::*;
use crate::Notebook;

/// A browser tab: its copy of the note and its sync state with the engine.
struct Page {
    id: PageId,
    doc: Automerge,
    state: sync::State,
}

impl Page {
    fn new(id: u64) -> Page {
        Page {
            id: PageId(id),
            doc: Automerge::new(),
            state: sync::State::new(),
        }
    }

    /// Takes in what the engine sent this page.
    fn take(&mut self, effects: &Effects) {
        for (page, message) in &effects.to_pages {
            if *page != self.id {
                continue;
            }
            match message {
                ToPage::Snapshot { bytes, .. } => {
                    self.doc.load_incremental(bytes).unwrap();
                }
                ToPage::Reset { bytes, .. } => {
                    self.doc = Automerge::load(bytes).unwrap();
                    self.state = sync::State::new();
                }
                ToPage::Sync { message, .. } => {
                    let message = sync::Message::decode(message).unwrap();
                    self.doc
                        .receive_sync_message(&mut self.state, message)
                        .unwrap();
                }
                ToPage::Resync { .. } => self.state = sync::State::new(),
                ToPage::Moved { .. } | ToPage::Gone { .. } => {}
            }
        }
    }

    fn body(&self) -> String {
        let (_, body) = self.doc.get(ROOT, "body").unwrap().unwrap();
        self.doc.text(&body).unwrap()
    }

    /// Types `text` at `pos` of the body, as one change.
    fn type_at(&mut self, pos: usize, text: &str) {
        let (_, body) = self.doc.get(ROOT, "body").unwrap().unwrap();
        let mut tx = self.doc.transaction();
        tx.splice_text(&body, pos, 0, text).unwrap();
        tx.commit();
    }

    fn message(&mut self) -> Option<Vec<u8>> {
        self.doc
            .generate_sync_message(&mut self.state)
            .map(|m| m.encode())
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    notebook: Notebook,
    engine: CoEditing,
    note: DocumentId,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut notebook = Notebook::open(dir.path()).unwrap();
    notebook.init("Anna", "Palermo").unwrap();
    let new = NewNote {
        title: "Verbale".into(),
        body: "Presenti: 12".into(),
        ..NewNote::default()
    };
    let note = notebook.create(&new, None).unwrap().id.parse().unwrap();
    let engine = CoEditing::open_store(dir.path()).unwrap();
    Setup {
        _dir: dir,
        notebook,
        engine,
        note,
    }
}

/// Exchanges messages between the engine and the pages until nobody has anything to say.
fn settle(engine: &mut CoEditing, doc: DocumentId, pages: &mut [&mut Page]) -> Vec<Effects> {
    let mut all = Vec::new();
    for _ in 0..10 {
        let mut quiet = true;
        for i in 0..pages.len() {
            let Some(message) = pages[i].message() else {
                continue;
            };
            quiet = false;
            let effects = engine.receive(pages[i].id, doc, &message).unwrap();
            for page in pages.iter_mut() {
                page.take(&effects);
            }
            all.push(effects);
        }
        if quiet {
            return all;
        }
    }
    panic!("the pages and the engine never settled");
}

#[test]
fn a_page_gets_the_note_and_its_typing_is_stored_and_reaches_the_other_page() {
    let Setup {
        _dir,
        notebook,
        mut engine,
        note,
    } = setup();
    let (mut anna, mut bruno) = (Page::new(1), Page::new(2));

    // Step 1: both pages open the note; the first one to open it enters it.
    let opened = engine.open(anna.id, note).unwrap();
    assert!(matches!(
        &opened.presence[..],
        [PresenceChange::Enter { .. }]
    ));
    anna.take(&opened);
    let opened = engine.open(bruno.id, note).unwrap();
    assert!(opened.presence.is_empty(), "already entered");
    bruno.take(&opened);
    settle(&mut engine, note, &mut [&mut anna, &mut bruno]);
    assert_eq!(anna.body(), "Presenti: 12");

    // Step 2: Anna types; the change is stored, goes to the relay and to Bruno's page.
    anna.type_at(12, " persone");
    let effects = settle(&mut engine, note, &mut [&mut anna, &mut bruno]);
    assert_eq!(bruno.body(), "Presenti: 12 persone");
    assert_eq!(
        notebook.show(&note.to_string()).unwrap().note.body,
        "Presenti: 12 persone"
    );
    let to_relay: Vec<_> = effects.iter().flat_map(|e| &e.to_relay).collect();
    assert_eq!(to_relay.len(), 1, "one change, pushed once");
    assert!(effects.iter().any(|e| e.notes_changed));
    let found = notebook.search("persone", 5).unwrap();
    assert_eq!(found.len(), 1, "the index has the new text");

    // Step 3: our own chunk is not folded in again.
    let refreshed = engine.refresh().unwrap();
    assert!(refreshed.to_pages.is_empty(), "{refreshed:?}");
    assert!(!refreshed.notes_changed);

    // Step 4: Bruno closes; Anna's page going away leaves the note.
    assert!(engine.close(bruno.id, note).presence.is_empty());
    let gone = engine.page_gone(anna.id);
    assert!(matches!(&gone.presence[..], [PresenceChange::Leave { .. }]));
    assert!(engine.open_notes().is_empty());
}

#[test]
fn an_edit_made_elsewhere_reaches_the_page_and_merges_with_its_typing() {
    let Setup {
        _dir,
        mut notebook,
        mut engine,
        note,
    } = setup();
    let mut anna = Page::new(1);
    anna.take(&engine.open(anna.id, note).unwrap());
    settle(&mut engine, note, &mut [&mut anna]);

    // The page types at the start while, elsewhere, the notebook appends at the end.
    anna.type_at(0, "Verbale. ");
    let edit = NoteEdit {
        body: Some("Presenti: 12. Assenti: 3".into()),
        ..NoteEdit::default()
    };
    notebook.edit(&note.to_string(), &edit).unwrap();

    let refreshed = engine.refresh().unwrap();
    assert!(refreshed.notes_changed);
    anna.take(&refreshed);
    settle(&mut engine, note, &mut [&mut anna]);

    let expected = "Verbale. Presenti: 12. Assenti: 3";
    assert_eq!(anna.body(), expected);
    assert_eq!(
        notebook.show(&note.to_string()).unwrap().note.body,
        expected
    );
}

fn chunk_kinds(notebook_dir: &std::path::Path, note: &DocumentId) -> Vec<docs::ChunkKind> {
    let conn = quaderno_store::open_connection(&notebook_dir.join(STORE_FILE)).unwrap();
    docs::load_chunks(&conn, "personal", &note.to_string())
        .unwrap()
        .into_iter()
        .map(|chunk| chunk.kind)
        .collect()
}

#[test]
fn typing_is_stored_keystroke_by_keystroke_and_compacted_once_quiet() {
    let Setup {
        _dir: dir,
        mut notebook,
        engine,
        note,
    } = setup();
    let mut engine = engine.compacting_after(std::time::Duration::ZERO);
    let mut anna = Page::new(1);
    anna.take(&engine.open(anna.id, note).unwrap());
    settle(&mut engine, note, &mut [&mut anna]);

    // Far more than compaction pays for, with no pause (no refresh) in between.
    let typed = " con Bruno, Carla e Dario, e gli operatori del centro diurno".repeat(4);
    for (i, letter) in typed.chars().enumerate() {
        anna.type_at(12 + i, &letter.to_string());
        settle(&mut engine, note, &mut [&mut anna]);
    }
    let stored = chunk_kinds(dir.path(), &note);
    let incremental = stored
        .iter()
        .filter(|kind| **kind == docs::ChunkKind::Incremental)
        .count();
    assert_eq!(incremental, typed.chars().count(), "{stored:?}");

    // A pause: the note is folded into one snapshot, and nothing of it is lost or sent again.
    let refreshed = engine.refresh().unwrap();
    assert!(
        refreshed.to_pages.is_empty() && !refreshed.notes_changed,
        "{refreshed:?}"
    );
    assert_eq!(
        chunk_kinds(dir.path(), &note),
        vec![docs::ChunkKind::Snapshot]
    );
    let expected = format!("Presenti: 12{typed}");
    assert_eq!(
        notebook.show(&note.to_string()).unwrap().note.body,
        expected
    );

    // Edits go on both ways after it.
    let edit = NoteEdit {
        body: Some(format!("{expected}.")),
        ..NoteEdit::default()
    };
    notebook.edit(&note.to_string(), &edit).unwrap();
    anna.take(&engine.refresh().unwrap());
    anna.type_at(0, "Oggi. ");
    settle(&mut engine, note, &mut [&mut anna]);
    assert_eq!(anna.body(), format!("Oggi. {expected}."));
    assert_eq!(
        notebook.show(&note.to_string()).unwrap().note.body,
        format!("Oggi. {expected}.")
    );
}

#[test]
fn a_change_that_breaks_the_note_is_refused_and_the_page_reset() {
    let Setup {
        _dir,
        notebook,
        mut engine,
        note,
    } = setup();
    let mut page = Page::new(1);
    page.take(&engine.open(page.id, note).unwrap());
    settle(&mut engine, note, &mut [&mut page]);

    let mut tx = page.doc.transaction();
    tx.put_object(ROOT, "title", ObjType::List).unwrap();
    tx.commit();
    let message = page.message().unwrap();
    let effects = engine.receive(page.id, note, &message).unwrap();

    assert!(effects.to_relay.is_empty());
    assert!(
        effects
            .to_pages
            .iter()
            .any(|(_, m)| matches!(m, ToPage::Reset { .. })),
        "{effects:?}"
    );
    page.take(&effects);
    assert_eq!(
        notebook.show(&note.to_string()).unwrap().note.title,
        "Verbale"
    );
    page.type_at(0, "Oggi. ");
    settle(&mut engine, note, &mut [&mut page]);
    assert_eq!(
        notebook.show(&note.to_string()).unwrap().note.body,
        "Oggi. Presenti: 12"
    );
}

#[test]
fn unknown_notes_and_unreadable_messages_are_refused() {
    let Setup {
        _dir,
        notebook: _,
        mut engine,
        note,
    } = setup();
    let stranger = DocumentId::random();
    assert!(matches!(
        engine.open(PageId(1), stranger),
        Err(UiError::UnknownNote { .. })
    ));
    assert!(matches!(
        engine.receive(PageId(1), note, &[0x42, 0x01]),
        Err(UiError::BadMessage { .. })
    ));
    let mut page = Page::new(1);
    page.type_at_fresh();
    let message = page.message().unwrap();
    assert!(matches!(
        engine.receive(PageId(1), note, &message),
        Err(UiError::NotOpen { .. })
    ));
}

impl Page {
    /// Gives a fresh page something to say without opening anything.
    fn type_at_fresh(&mut self) {
        let mut tx = self.doc.transaction();
        tx.put(ROOT, "x", 1).unwrap();
        tx.commit();
    }
}

#[test]
fn a_note_moved_into_a_group_follows_in_the_open_pages() {
    let Setup {
        _dir,
        mut notebook,
        mut engine,
        note,
    } = setup();
    crate::groups::record(
        &quaderno_store::open_connection(notebook.path()).unwrap(),
        "http://127.0.0.1:1",
        &crate::relays::JoinedGroup {
            slug: "palermo".into(),
            title: "Palermo".into(),
            role: "editor".into(),
            index_doc: DocumentId::random(),
        },
    )
    .unwrap();
    let mut page = Page::new(1);
    page.take(&engine.open(page.id, note).unwrap());

    notebook
        .move_to_group(&note.to_string(), "palermo")
        .unwrap();
    let effects = engine.refresh().unwrap();

    assert!(effects.to_pages.iter().any(|(_, m)| matches!(
        m,
        ToPage::Moved { group, .. } if group == "palermo"
    )));
    assert_eq!(engine.open_notes(), vec![("palermo".to_string(), note)]);
    page.type_at(0, "Ora condivisa. ");
    let effects = settle(&mut engine, note, &mut [&mut page]);
    let groups: Vec<&str> = effects
        .iter()
        .flat_map(|e| &e.to_relay)
        .map(|(group, _, _)| group.as_str())
        .collect();
    assert_eq!(groups, ["palermo"]);
}

#[test]
fn typing_that_arrives_just_after_a_move_is_stored_in_the_new_group() {
    let Setup {
        _dir,
        mut notebook,
        mut engine,
        note,
    } = setup();
    crate::groups::record(
        &quaderno_store::open_connection(notebook.path()).unwrap(),
        "http://127.0.0.1:1",
        &crate::relays::JoinedGroup {
            slug: "palermo".into(),
            title: "Palermo".into(),
            role: "editor".into(),
            index_doc: DocumentId::random(),
        },
    )
    .unwrap();
    let mut page = Page::new(1);
    page.take(&engine.open(page.id, note).unwrap());
    settle(&mut engine, note, &mut [&mut page]);

    // The note moves; the page's next keystroke reaches the engine before any refresh.
    notebook
        .move_to_group(&note.to_string(), "palermo")
        .unwrap();
    page.type_at(0, "Subito: ");
    let effects = settle(&mut engine, note, &mut [&mut page]);

    let moved = effects
        .iter()
        .flat_map(|e| &e.to_pages)
        .any(|(_, m)| matches!(m, ToPage::Moved { group, .. } if group == "palermo"));
    assert!(moved, "the page hears of the move");
    let groups: Vec<&str> = effects
        .iter()
        .flat_map(|e| &e.to_relay)
        .map(|(group, _, _)| group.as_str())
        .collect();
    assert_eq!(groups, ["palermo"]);
    let shown = notebook.show(&note.to_string()).unwrap();
    assert_eq!(
        (shown.group.as_str(), shown.note.body.as_str()),
        ("palermo", "Subito: Presenti: 12")
    );
    let conn = quaderno_store::open_connection(notebook.path()).unwrap();
    assert!(
        !quaderno_store::docs::exists(&conn, "personal", &note.to_string()).unwrap(),
        "nothing is left behind in the personal notebook"
    );
}

#[test]
fn typing_in_a_group_one_may_only_read_is_refused() {
    let Setup {
        _dir,
        mut notebook,
        mut engine,
        note,
    } = setup();
    let conn = quaderno_store::open_connection(notebook.path()).unwrap();
    crate::groups::record(
        &conn,
        "http://127.0.0.1:1",
        &crate::relays::JoinedGroup {
            slug: "archivio".into(),
            title: "Archivio".into(),
            role: "editor".into(),
            index_doc: DocumentId::random(),
        },
    )
    .unwrap();
    notebook
        .move_to_group(&note.to_string(), "archivio")
        .unwrap();
    conn.execute(
        "UPDATE sync_groups SET role = 'reader' WHERE slug = 'archivio'",
        [],
    )
    .unwrap();
    let mut page = Page::new(1);
    page.take(&engine.open(page.id, note).unwrap());
    settle(&mut engine, note, &mut [&mut page]);

    page.type_at(0, "Non si può. ");
    let effects = settle(&mut engine, note, &mut [&mut page]);

    assert!(effects.iter().all(|e| e.to_relay.is_empty()));
    assert!(
        effects
            .iter()
            .flat_map(|e| &e.to_pages)
            .any(|(_, m)| matches!(m, ToPage::Reset { .. }))
    );
    assert_eq!(
        page.body(),
        "Presenti: 12",
        "the page's copy is the stored one again"
    );
    assert_eq!(
        notebook.show(&note.to_string()).unwrap().note.body,
        "Presenti: 12"
    );
}
