//! Writing and editing a note, as a participant does on her own machine.

mod common;

use automerge::{ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use common::*;
use quaderno_model::{
    DocKind, ModelError, NOTE_SCHEMA_VERSION, NewNote, NoteEdit, create_note, doc_kind, edit_note,
    history, read_note,
};

#[test]
fn anna_writes_the_minutes_and_reads_back_what_she_wrote() {
    let doc = annas_minutes();
    let note = read_note(&doc).unwrap();

    assert_eq!(note.title, "Terzo incontro");
    assert_eq!(note.body, minutes().body);
    assert_eq!(note.tags, ["minori", "rete"]);
    assert_eq!(note.meeting.date, Some(date("2024-03-05")));
    assert_eq!(note.meeting.place.as_deref(), Some("Palermo"));
    assert_eq!(note.meeting.participants, ["Anna", "Marco"], "sorted");
    assert_eq!(note.created_at, at("10:00"));
    assert_eq!(note.created_by, "Anna (Palermo)");
    assert!(!note.deleted);
    assert_eq!(note.schema, NOTE_SCHEMA_VERSION);
    assert_eq!(doc_kind(&doc), DocKind::Note);
}

#[test]
fn the_document_has_the_documented_shape() {
    let doc = annas_minutes();
    let scalar = |obj: &ObjId, key: &str| match doc.get(obj, key).unwrap().unwrap().0 {
        Value::Scalar(s) => s.into_owned(),
        other => panic!("{key} is {other:?}"),
    };
    let object = |obj: &ObjId, key: &str| match doc.get(obj, key).unwrap().unwrap() {
        (Value::Object(kind), id) => (kind, id),
        other => panic!("{key} is {other:?}"),
    };
    assert_eq!(
        scalar(&ROOT, "type"),
        ScalarValue::Str("quaderno/note".into())
    );
    // A signed integer: JavaScript reads it as a plain number.
    assert_eq!(scalar(&ROOT, "schema"), ScalarValue::Int(1));
    assert_eq!(
        scalar(&ROOT, "created_at"),
        ScalarValue::Timestamp(at("10:00").timestamp_millis())
    );
    assert_eq!(
        scalar(&ROOT, "created_by"),
        ScalarValue::Str("Anna (Palermo)".into())
    );
    assert_eq!(scalar(&ROOT, "deleted"), ScalarValue::Boolean(false));
    assert_eq!(object(&ROOT, "title").0, ObjType::Text);
    assert_eq!(object(&ROOT, "body").0, ObjType::Text);
    let (_, tags) = object(&ROOT, "tags");
    assert_eq!(scalar(&tags, "minori"), ScalarValue::Boolean(true));
    let (_, meeting) = object(&ROOT, "meeting");
    assert_eq!(
        scalar(&meeting, "date"),
        ScalarValue::Str("2024-03-05".into())
    );
    assert_eq!(
        scalar(&meeting, "place"),
        ScalarValue::Str("Palermo".into())
    );
    let (_, participants) = object(&meeting, "participants");
    assert_eq!(scalar(&participants, "Anna"), ScalarValue::Boolean(true));
    let (_, authors) = object(&ROOT, "authors");
    let (_, entry) = object(&authors, &doc.get_actor().to_hex_string());
    assert_eq!(scalar(&entry, "name"), ScalarValue::Str("Anna".into()));
    assert_eq!(scalar(&entry, "city"), ScalarValue::Str("Palermo".into()));
}

#[test]
fn the_creation_is_one_change_called_created_at_the_given_time() {
    let doc = annas_minutes();
    let changes = doc.get_changes_meta(&[]);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].message.as_deref(), Some("created"));
    assert_eq!(changes[0].timestamp, at("10:00").timestamp());
}

#[test]
fn an_edit_is_one_change_whose_message_says_what_changed() {
    let mut doc = annas_minutes();
    let edit = NoteEdit {
        title: Some("Terzo incontro (bozza)".into()),
        body: Some(
            minutes()
                .body
                .replace("accoglienza", "accoglienza e ascolto"),
        ),
        add_tags: vec!["urgente".into()],
        remove_tags: vec!["rete".into()],
        deleted: Some(true),
        ..NoteEdit::default()
    };
    let hash = edit_note(&mut doc, &edit, &marco(), at("11:00"))
        .unwrap()
        .unwrap();

    let change = doc.get_change_meta_by_hash(&hash).unwrap();
    assert_eq!(
        change.message.as_deref(),
        Some("title; body +10 -0 chars; tags +urgente -rete; deleted")
    );
    assert_eq!(change.timestamp, at("11:00").timestamp());
    let note = read_note(&doc).unwrap();
    assert_eq!(note.title, "Terzo incontro (bozza)");
    assert!(note.body.contains("accoglienza e ascolto"));
    assert_eq!(note.tags, ["minori", "urgente"]);
    assert!(note.deleted);
}

#[test]
fn the_meeting_can_be_changed_and_cleared() {
    let mut doc = annas_minutes();
    let edit = NoteEdit {
        date: Some(Some(date("2024-03-12"))),
        place: Some(None),
        participants: Some(vec!["Anna".into(), " Giulia ".into(), "".into()]),
        ..NoteEdit::default()
    };
    let hash = edit_note(&mut doc, &edit, &anna(), at("11:00"))
        .unwrap()
        .unwrap();

    let meeting = read_note(&doc).unwrap().meeting;
    assert_eq!(meeting.date, Some(date("2024-03-12")));
    assert_eq!(meeting.place, None);
    assert_eq!(meeting.participants, ["Anna", "Giulia"]);
    let summary = doc
        .get_change_meta_by_hash(&hash)
        .unwrap()
        .message
        .unwrap()
        .into_owned();
    assert_eq!(summary, "date; place; participants");
}

#[test]
fn restoring_a_deleted_note_says_restored() {
    let mut doc = annas_minutes();
    let delete = NoteEdit {
        deleted: Some(true),
        ..NoteEdit::default()
    };
    let restore = NoteEdit {
        deleted: Some(false),
        ..NoteEdit::default()
    };
    edit_note(&mut doc, &delete, &anna(), at("11:00")).unwrap();
    edit_note(&mut doc, &restore, &anna(), at("11:05")).unwrap();
    assert!(!read_note(&doc).unwrap().deleted);
    assert_eq!(history(&doc).last().unwrap().summary, "restored");
}

#[test]
fn an_edit_that_changes_nothing_commits_nothing() {
    let mut doc = annas_minutes();
    let note = read_note(&doc).unwrap();
    let same = NoteEdit {
        title: Some(note.title.clone()),
        body: Some(note.body.clone()),
        add_tags: vec!["minori".into()],
        remove_tags: vec!["not-there".into()],
        date: Some(note.meeting.date),
        place: Some(note.meeting.place.clone()),
        participants: Some(vec!["Marco".into(), "Anna".into()]),
        deleted: Some(false),
    };
    let heads = doc.get_heads();

    assert_eq!(
        edit_note(&mut doc, &same, &marco(), at("11:00")).unwrap(),
        None
    );
    assert_eq!(
        edit_note(&mut doc, &NoteEdit::default(), &marco(), at("11:00")).unwrap(),
        None
    );
    assert_eq!(doc.get_heads(), heads);
}

#[test]
fn a_tag_with_a_space_is_refused_and_nothing_is_written() {
    let mut doc = annas_minutes();
    let heads = doc.get_heads();
    let edit = NoteEdit {
        title: Some("changed".into()),
        add_tags: vec!["home visit".into()],
        ..NoteEdit::default()
    };
    let err = edit_note(&mut doc, &edit, &anna(), at("11:00")).unwrap_err();
    assert!(matches!(err, ModelError::InvalidTag { .. }), "{err}");
    assert!(
        err.to_string().contains("home-visit"),
        "says what to do: {err}"
    );
    assert_eq!(doc.get_heads(), heads);

    let new = NewNote {
        tags: vec!["a,b".into()],
        ..NewNote::default()
    };
    assert!(create_note(&new, &anna(), at("10:00")).is_err());
}

#[test]
fn tags_are_trimmed_but_keep_their_case() {
    let new = NewNote {
        tags: vec![" Urgente ".into(), "Urgente".into()],
        ..NewNote::default()
    };
    let doc = create_note(&new, &anna(), at("10:00")).unwrap();
    assert_eq!(read_note(&doc).unwrap().tags, ["Urgente"]);
}

#[test]
fn a_tag_both_added_and_removed_ends_up_removed() {
    let mut doc = annas_minutes();
    let edit = NoteEdit {
        add_tags: vec!["rete".into(), "nuovo".into()],
        remove_tags: vec!["rete".into(), "nuovo".into()],
        ..NoteEdit::default()
    };
    edit_note(&mut doc, &edit, &anna(), at("11:00")).unwrap();
    assert_eq!(read_note(&doc).unwrap().tags, ["minori"]);
}

#[test]
fn each_editor_is_recorded_once_under_their_actor() {
    let mut doc = annas_minutes();
    let mut marcos = replica_of(&doc);
    let edit = |text: &str| NoteEdit {
        body: Some(text.into()),
        ..NoteEdit::default()
    };
    edit_note(&mut marcos, &edit("uno"), &marco(), at("11:00")).unwrap();
    let ops_before = marcos.stats().num_ops;
    edit_note(&mut marcos, &edit("uno due"), &marco(), at("11:01")).unwrap();
    let second_change_ops = marcos.stats().num_ops - ops_before;
    sync_both(&mut doc, &mut marcos);

    assert_eq!(
        second_change_ops, 4,
        "only the inserted characters, no author entry again"
    );
    let authors: Vec<String> = history(&doc).into_iter().map(|e| e.author).collect();
    assert_eq!(
        authors,
        ["Anna (Palermo)", "Marco (Bologna)", "Marco (Bologna)"]
    );
}

#[test]
fn noteedit_between_finds_only_what_differs() {
    let doc = annas_minutes();
    let current = read_note(&doc).unwrap();
    let mut wanted = minutes();
    wanted.body.push_str("Terzo punto.\n");
    wanted.tags = vec!["minori".into(), "scuola".into()];
    wanted.meeting.participants.reverse();

    let edit = NoteEdit::between(&current, &wanted);
    assert_eq!(edit.title, None);
    assert_eq!(edit.body.as_deref(), Some(wanted.body.as_str()));
    assert_eq!(edit.add_tags, ["scuola"]);
    assert_eq!(edit.remove_tags, ["rete"]);
    assert_eq!(
        (edit.date, edit.place, edit.participants),
        (None, None, None)
    );
    assert_eq!(edit.deleted, None);
}
