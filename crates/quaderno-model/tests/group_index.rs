//! A group's index lists its notes, so a participant who joins in month six
//! finds them all.

mod common;

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ROOT, ReadDoc};
use common::*;
use quaderno_model::{
    DocKind, DocumentId, ModelError, add_to_index, create_group_index, doc_kind, history,
    index_entries, index_lists, remove_from_index,
};

#[test]
fn notes_added_by_two_members_are_both_listed_after_a_sync() {
    // Step 1: the coordinator creates the group's index.
    let mut annas = create_group_index("integrazione", at("09:00"));
    assert_eq!(doc_kind(&annas), DocKind::GroupIndex);
    assert_eq!(index_entries(&annas).unwrap(), []);

    // Step 2: Anna and Marco each add a note while offline.
    let mut marcos = replica_of(&annas);
    let (hers, his) = (DocumentId::random(), DocumentId::random());
    add_to_index(&mut annas, &hers, &anna(), at("10:00"))
        .unwrap()
        .unwrap();
    add_to_index(&mut marcos, &his, &marco(), at("10:05"))
        .unwrap()
        .unwrap();

    // Step 3: they sync; both see both notes.
    sync_both(&mut annas, &mut marcos);
    let mut expected = vec![hers, his];
    expected.sort_by_key(|id| id.to_string());
    assert_eq!(index_entries(&annas).unwrap(), expected);
    assert_eq!(index_entries(&marcos).unwrap(), expected);
}

#[test]
fn adding_twice_or_removing_what_is_not_there_changes_nothing() {
    let mut index = create_group_index("integrazione", at("09:00"));
    let note = DocumentId::random();
    assert!(!index_lists(&index, &note).unwrap());
    assert!(
        add_to_index(&mut index, &note, &anna(), at("10:00"))
            .unwrap()
            .is_some()
    );
    assert_eq!(
        add_to_index(&mut index, &note, &anna(), at("10:01")).unwrap(),
        None
    );
    assert!(index_lists(&index, &note).unwrap());
    assert!(!index_lists(&index, &DocumentId::random()).unwrap());

    assert!(
        remove_from_index(&mut index, &note, at("11:00"))
            .unwrap()
            .is_some()
    );
    assert_eq!(
        remove_from_index(&mut index, &note, at("11:01")).unwrap(),
        None
    );
    assert_eq!(index_entries(&index).unwrap(), []);

    let summaries: Vec<String> = history(&index).into_iter().map(|e| e.summary).collect();
    assert_eq!(
        summaries,
        [
            "created the index of group integrazione".to_owned(),
            format!("added {note}"),
            format!("removed {note}"),
        ]
    );
}

#[test]
fn a_note_is_not_a_group_index() {
    let mut note = annas_minutes();
    let err = add_to_index(&mut note, &DocumentId::random(), &anna(), at("10:00")).unwrap_err();
    assert!(matches!(err, ModelError::WrongKind { .. }), "{err}");
    assert!(
        err.to_string().contains("not a Quaderno group index"),
        "{err}"
    );
}

#[test]
fn an_entry_that_is_not_a_document_id_is_reported() {
    let mut index = create_group_index("integrazione", at("09:00"));
    let mut tx = index.transaction();
    let notes = match tx.get(ROOT, "notes").unwrap().unwrap() {
        (automerge::Value::Object(ObjType::Map), id) => id,
        other => panic!("notes is {other:?}"),
    };
    tx.put(&notes, "not-an-id", true).unwrap();
    tx.commit();
    let err = index_entries(&index).unwrap_err();
    assert!(err.to_string().contains("not-an-id"), "{err}");
}

#[test]
fn an_empty_document_is_not_yet_an_index() {
    let mut empty = Automerge::new();
    let err = add_to_index(&mut empty, &DocumentId::random(), &anna(), at("10:00")).unwrap_err();
    assert!(matches!(err, ModelError::EmptyDocument), "{err}");
}
