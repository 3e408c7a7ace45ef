//! A note whose stored bytes were damaged on this machine: it is named, kept aside, and every
//! other note goes on working.

use quaderno_client::notebook::{ListFilter, Notebook, NotebookError};
use quaderno_model::{NewNote, NoteEdit};
use quaderno_store::rusqlite::{Connection, params};

fn note(title: &str, body: &str) -> NewNote {
    NewNote {
        title: title.into(),
        body: body.into(),
        ..NewNote::default()
    }
}

/// Flips bytes in the middle of every stored chunk of the note, as a failing disk would.
fn flip_bytes(notebook: &Notebook, id: &str) {
    let conn = Connection::open(notebook.path()).unwrap();
    let chunks: Vec<(i64, Vec<u8>)> = conn
        .prepare("SELECT id, bytes FROM chunks WHERE doc_id = ?1")
        .unwrap()
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (chunk, mut bytes) in chunks {
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        conn.execute(
            "UPDATE chunks SET bytes = ?1 WHERE id = ?2",
            params![bytes, chunk],
        )
        .unwrap();
    }
}

fn set_aside_rows(notebook: &Notebook, id: &str) -> i64 {
    let conn = Connection::open(notebook.path()).unwrap();
    conn.query_row(
        "SELECT COUNT(*) FROM damaged_chunks WHERE doc_id = ?1",
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn a_damaged_personal_note_is_named_kept_aside_and_leaves_the_others_alone() {
    // Step 1: Anna has two personal notes; a disk damages the first.
    let dir = tempfile::tempdir().unwrap();
    let mut notebook = Notebook::open(&dir.path().join("data")).unwrap();
    notebook.init("Anna", "Palermo").unwrap();
    let damaged = notebook
        .create(&note("Colloquio", "Appunti riservati."), None)
        .unwrap();
    let healthy = notebook
        .create(&note("Laboratorio", "Idee per maggio."), None)
        .unwrap();
    flip_bytes(&notebook, &damaged.id);

    // Step 2: showing it names it and says there is no copy elsewhere to sync from.
    let error = notebook.show(&damaged.id).unwrap_err();
    assert!(matches!(error, NotebookError::Damaged { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("\"Colloquio\""), "{message}");
    assert!(message.contains("backup or an export"), "{message}");
    assert!(!error.is_user_error());

    // Its bytes are kept aside, and it stays damaged (never silently shown half).
    assert_eq!(set_aside_rows(&notebook, &damaged.id), 1);
    assert!(matches!(
        notebook.show(&damaged.id),
        Err(NotebookError::Damaged { .. })
    ));
    let edit = NoteEdit {
        body: Some("Riscritto.".into()),
        ..NoteEdit::default()
    };
    assert!(matches!(
        notebook.edit(&damaged.id, &edit),
        Err(NotebookError::Damaged { .. })
    ));

    // Step 3: the other note, the list and the search work as before.
    assert_eq!(
        notebook.show(&healthy.id).unwrap().note.body,
        "Idee per maggio."
    );
    notebook.edit(&healthy.id, &edit).unwrap();
    assert_eq!(notebook.list(&ListFilter::default()).unwrap().len(), 2);
    assert_eq!(notebook.search("Riscritto", 10).unwrap().len(), 1);
}
