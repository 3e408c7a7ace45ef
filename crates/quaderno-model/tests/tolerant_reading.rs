//! Notes written by other automerge-repo clients (a JavaScript app, an older
//! or newer Quaderno) are read when they can be, and refused clearly when not.

mod common;

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ROOT, ReadDoc, ScalarValue};
use common::*;
use quaderno_model::{
    DocKind, Meeting, ModelError, NoteEdit, create_group_index, doc_kind, edit_note, read_note,
};

/// A document written by `write`, as another program would.
fn written_by_another_app(
    write: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
) -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    write(&mut tx);
    tx.commit();
    doc
}

fn javascript_note() -> Automerge {
    written_by_another_app(|tx| {
        tx.put(ROOT, "type", "quaderno/note").unwrap();
        tx.put(ROOT, "schema", ScalarValue::Int(1)).unwrap();
        tx.put(ROOT, "title", "Scritta dal browser").unwrap();
        tx.put(ROOT, "body", "Testo semplice").unwrap();
        let tags = tx.put_object(ROOT, "tags", ObjType::List).unwrap();
        tx.insert(&tags, 0, "rete").unwrap();
        tx.insert(&tags, 1, "minori").unwrap();
        tx.insert(&tags, 2, "rete").unwrap();
        let meeting = tx.put_object(ROOT, "meeting", ObjType::Map).unwrap();
        tx.put(
            &meeting,
            "date",
            ScalarValue::Timestamp(at("10:00").timestamp_millis()),
        )
        .unwrap();
        let people = tx
            .put_object(&meeting, "participants", ObjType::List)
            .unwrap();
        tx.insert(&people, 0, "Giulia").unwrap();
        tx.put(
            ROOT,
            "created_at",
            ScalarValue::Timestamp(at("09:00").timestamp_millis()),
        )
        .unwrap();
    })
}

#[test]
fn plain_strings_tag_lists_and_js_dates_are_read() {
    let note = read_note(&javascript_note()).unwrap();
    assert_eq!(note.title, "Scritta dal browser");
    assert_eq!(note.body, "Testo semplice");
    assert_eq!(note.tags, ["minori", "rete"], "sorted, without repeats");
    assert_eq!(note.meeting.date, Some(date("2024-03-05")));
    assert_eq!(note.meeting.participants, ["Giulia"]);
    assert_eq!(note.created_at, at("09:00"));
    assert_eq!(note.created_by, "");
    assert!(!note.deleted);
}

#[test]
fn editing_such_a_note_turns_it_into_the_quaderno_shape() {
    let mut doc = javascript_note();
    let edit = NoteEdit {
        title: Some("Scritta dal browser, rivista".into()),
        add_tags: vec!["scuola".into()],
        participants: Some(vec!["Giulia".into(), "Anna".into()]),
        ..NoteEdit::default()
    };
    edit_note(&mut doc, &edit, &anna(), at("11:00"))
        .unwrap()
        .unwrap();
    let note = read_note(&doc).unwrap();
    assert_eq!(note.title, "Scritta dal browser, rivista");
    assert_eq!(note.tags, ["minori", "rete", "scuola"]);
    assert_eq!(note.meeting.participants, ["Anna", "Giulia"]);

    // Now a text, so the next title edit is a splice.
    let again = NoteEdit {
        title: Some("Scritta dal browser, rivista!".into()),
        ..NoteEdit::default()
    };
    let ops_before = doc.stats().num_ops;
    edit_note(&mut doc, &again, &anna(), at("11:05")).unwrap();
    assert_eq!(doc.stats().num_ops - ops_before, 1);
}

#[test]
fn a_note_with_only_a_title_reads_with_defaults() {
    let doc = written_by_another_app(|tx| {
        tx.put(ROOT, "title", "Solo il titolo").unwrap();
    });
    let note = read_note(&doc).unwrap();
    assert_eq!(note.title, "Solo il titolo");
    assert_eq!((note.body.as_str(), note.tags.len()), ("", 0));
    assert_eq!(note.meeting, Meeting::default());
    assert_eq!(note.schema, 1);
    assert_eq!(doc_kind(&doc), DocKind::Note);
}

#[test]
fn a_missing_creation_time_is_the_time_of_the_first_change() {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(ROOT, "type", "quaderno/note").unwrap();
    tx.commit_with(
        automerge::transaction::CommitOptions::default().with_time(at("08:30").timestamp()),
    );
    assert_eq!(read_note(&doc).unwrap().created_at, at("08:30"));
}

#[test]
fn a_field_of_the_wrong_shape_is_named_in_the_error() {
    let doc = written_by_another_app(|tx| {
        tx.put(ROOT, "type", "quaderno/note").unwrap();
        tx.put(ROOT, "title", 42).unwrap();
    });
    let err = read_note(&doc).unwrap_err();
    assert!(matches!(err, ModelError::WrongShape { .. }));
    let message = err.to_string();
    assert!(
        message.contains("`title`") && message.contains("42"),
        "{message}"
    );
}

#[test]
fn a_meeting_date_that_is_not_a_date_is_an_error() {
    let doc = written_by_another_app(|tx| {
        tx.put(ROOT, "type", "quaderno/note").unwrap();
        let meeting = tx.put_object(ROOT, "meeting", ObjType::Map).unwrap();
        tx.put(&meeting, "date", "5 marzo").unwrap();
    });
    let message = read_note(&doc).unwrap_err().to_string();
    assert!(
        message.contains("meeting.date") && message.contains("YYYY-MM-DD"),
        "{message}"
    );
}

#[test]
fn a_note_from_a_newer_quaderno_is_refused_and_left_untouched() {
    let mut doc = written_by_another_app(|tx| {
        tx.put(ROOT, "type", "quaderno/note").unwrap();
        tx.put(ROOT, "schema", 2u64).unwrap();
        tx.put(ROOT, "title", "dal futuro").unwrap();
    });
    let heads = doc.get_heads();
    let message = read_note(&doc).unwrap_err().to_string();
    assert!(message.contains("newer version of Quaderno"), "{message}");
    let edit = NoteEdit {
        title: Some("x".into()),
        ..NoteEdit::default()
    };
    assert!(matches!(
        edit_note(&mut doc, &edit, &anna(), at("11:00")),
        Err(ModelError::NewerSchema { found: 2 })
    ));
    assert_eq!(doc.get_heads(), heads);
}

#[test]
fn a_document_not_received_yet_is_empty() {
    let err = read_note(&Automerge::new()).unwrap_err();
    assert!(matches!(err, ModelError::EmptyDocument), "{err}");
    assert_eq!(doc_kind(&Automerge::new()), DocKind::Unknown);
}

#[test]
fn a_group_index_or_a_stranger_document_is_not_a_note() {
    let index = create_group_index("integrazione", at("09:00"));
    let message = read_note(&index).unwrap_err().to_string();
    assert!(
        message.contains("group index, not a Quaderno note"),
        "{message}"
    );

    let todo = written_by_another_app(|tx| {
        tx.put(ROOT, "type", "todo-list").unwrap();
    });
    let message = read_note(&todo).unwrap_err().to_string();
    assert!(message.contains("\"todo-list\""), "{message}");
    assert_eq!(doc_kind(&todo), DocKind::Unknown);
}

#[test]
fn tags_set_to_false_do_not_count() {
    let doc = written_by_another_app(|tx| {
        tx.put(ROOT, "type", "quaderno/note").unwrap();
        let tags = tx.put_object(ROOT, "tags", ObjType::Map).unwrap();
        tx.put(&tags, "kept", true).unwrap();
        tx.put(&tags, "dropped", false).unwrap();
    });
    assert_eq!(read_note(&doc).unwrap().tags, ["kept"]);
}

/// How JavaScript automerge 3 writes `{ type: "…", … }`: every string becomes a text object.
fn with_text_type(kind: &str) -> Automerge {
    written_by_another_app(|tx| {
        let text = tx.put_object(ROOT, "type", ObjType::Text).unwrap();
        tx.splice_text(&text, 0, 0, kind).unwrap();
        tx.put(ROOT, "schema", ScalarValue::Int(1)).unwrap();
        let notes = tx.put_object(ROOT, "notes", ObjType::Map).unwrap();
        let _ = notes;
    })
}

#[test]
fn regression_a_type_written_as_text_by_a_javascript_client_is_recognised() {
    let index = with_text_type("quaderno/group-index");
    assert_eq!(doc_kind(&index), DocKind::GroupIndex);
    assert_eq!(quaderno_model::index_entries(&index).unwrap(), vec![]);
    assert_eq!(doc_kind(&with_text_type("quaderno/note")), DocKind::Note);
    assert_eq!(doc_kind(&with_text_type("somebody/else")), DocKind::Unknown);
}

#[test]
fn checking_a_note_agrees_with_reading_it_on_every_shape() {
    let long_body = written_by_another_app(|tx| {
        tx.put(ROOT, "type", "quaderno/note").unwrap();
        let body = tx.put_object(ROOT, "body", ObjType::Text).unwrap();
        tx.splice_text(&body, 0, 0, &"Presenti: Anna, Bruno.\n".repeat(2_000))
            .unwrap();
    });
    let wrong_title = written_by_another_app(|tx| {
        tx.put(ROOT, "type", "quaderno/note").unwrap();
        tx.put(ROOT, "title", 42).unwrap();
    });
    let wrong_date = written_by_another_app(|tx| {
        tx.put(ROOT, "type", "quaderno/note").unwrap();
        let meeting = tx.put_object(ROOT, "meeting", ObjType::Map).unwrap();
        tx.put(&meeting, "date", "5 marzo").unwrap();
    });
    let newer = written_by_another_app(|tx| {
        tx.put(ROOT, "type", "quaderno/note").unwrap();
        tx.put(ROOT, "schema", 2u64).unwrap();
    });
    let documents = [
        javascript_note(),
        long_body,
        wrong_title,
        wrong_date,
        newer,
        Automerge::new(),
        create_group_index("integrazione", at("09:00")),
        with_text_type("quaderno/note"),
        with_text_type("somebody/else"),
    ];
    for (i, doc) in documents.iter().enumerate() {
        let read = read_note(doc).map(drop).map_err(|e| e.to_string());
        let checked = quaderno_model::check_note(doc).map_err(|e| e.to_string());
        assert_eq!(checked, read, "document {i}");
    }
    assert!(quaderno_model::check_note(&documents[1]).is_ok());
    assert!(quaderno_model::check_note(&documents[2]).is_err());
}
