//! The history of the minutes: who wrote what, when, and the note as it was.

mod common;

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ROOT};
use common::*;
use quaderno_model::{
    ModelError, NoteEdit, edit_note, history, note_at, note_at_time, read_note, resolve_change,
};

fn retitle(doc: &mut Automerge, title: &str, who: &quaderno_model::Author, hh_mm: &str) {
    let edit = NoteEdit {
        title: Some(title.into()),
        ..NoteEdit::default()
    };
    edit_note(doc, &edit, who, at(hh_mm)).unwrap().unwrap();
}

/// Anna writes at 10:00, Marco retitles at 11:00, Anna again at 12:00.
fn three_versions() -> Automerge {
    let mut doc = annas_minutes();
    let mut marcos = replica_of(&doc);
    retitle(&mut marcos, "Verbale", &marco(), "11:00");
    doc.merge(&mut marcos).unwrap();
    retitle(&mut doc, "Verbale approvato", &anna(), "12:00");
    doc
}

#[test]
fn the_history_names_people_and_says_what_they_did() {
    let doc = three_versions();
    let entries = history(&doc);

    let lines: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e.time.format("%H:%M").to_string(),
                e.author.clone(),
                e.summary.clone(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("10:00".into(), "Anna (Palermo)".into(), "created".into()),
            ("11:00".into(), "Marco (Bologna)".into(), "title".into()),
            ("12:00".into(), "Anna (Palermo)".into(), "title".into()),
        ]
    );
}

#[test]
fn each_version_can_be_shown_again() {
    let doc = three_versions();
    let titles: Vec<String> = history(&doc)
        .iter()
        .map(|e| note_at(&doc, &e.hash).unwrap().title)
        .collect();
    assert_eq!(titles, ["Terzo incontro", "Verbale", "Verbale approvato"]);
}

#[test]
fn the_note_at_a_time_holds_every_change_made_by_then() {
    let doc = three_versions();
    assert_eq!(
        note_at_time(&doc, at("10:00")).unwrap().title,
        "Terzo incontro"
    );
    assert_eq!(note_at_time(&doc, at("11:30")).unwrap().title, "Verbale");
    assert_eq!(
        note_at_time(&doc, at("23:59")).unwrap(),
        read_note(&doc).unwrap()
    );
}

#[test]
fn before_it_was_created_the_note_did_not_exist() {
    let doc = three_versions();
    let err = note_at_time(&doc, at("09:59")).unwrap_err();
    assert!(matches!(err, ModelError::NotYetCreated { .. }), "{err}");
    assert!(err.to_string().contains("did not exist yet"), "{err}");
    assert!(err.to_string().contains("2024-03-05T10:00:00"), "{err}");
}

#[test]
fn a_change_made_on_a_clock_that_runs_behind_counts_from_what_it_builds_on() {
    // Marco's laptop clock says 09:00, but he edited Anna's 10:00 note.
    let mut doc = annas_minutes();
    retitle(&mut doc, "Verbale", &marco(), "09:00");
    let too_early = note_at_time(&doc, at("09:30")).unwrap_err();
    assert!(
        matches!(too_early, ModelError::NotYetCreated { .. }),
        "{too_early}"
    );
    assert_eq!(note_at_time(&doc, at("10:00")).unwrap().title, "Verbale");
    assert_eq!(
        history(&doc)[1].time.format("%H:%M").to_string(),
        "09:00",
        "shows his clock"
    );
}

#[test]
fn concurrent_changes_are_listed_in_the_same_order_on_every_laptop() {
    let mut annas = annas_minutes();
    let mut marcos = replica_of(&annas);
    retitle(&mut annas, "Versione di Anna", &anna(), "11:00");
    retitle(&mut marcos, "Versione di Marco", &marco(), "11:00");
    let mut giulias = replica_of(&annas);
    giulias.merge(&mut marcos).unwrap();
    annas.merge(&mut marcos).unwrap();
    marcos.merge(&mut giulias).unwrap();

    assert_eq!(history(&annas), history(&marcos));
    assert_eq!(history(&annas), history(&giulias));
    assert_eq!(history(&annas).len(), 3);
}

#[test]
fn changes_from_other_programs_get_a_plain_summary_and_an_unknown_author() {
    let mut doc = annas_minutes();
    let stranger = ActorId::from([0xab; 16]);
    doc.set_actor(stranger);
    let mut tx = doc.transaction();
    tx.put(ROOT, "deleted", true).unwrap();
    tx.commit();

    let last = history(&doc).pop().unwrap();
    assert_eq!(last.summary, "edited");
    assert_eq!(last.author, "unknown (abababab)");
    assert_eq!(
        last.time.timestamp(),
        at("10:00").timestamp(),
        "no time: the one before"
    );
    assert!(read_note(&doc).unwrap().deleted);
}

#[test]
fn a_change_is_found_from_a_short_prefix_of_its_hash() {
    let doc = three_versions();
    let entries = history(&doc);
    let hash = entries[1].hash;
    let hex = hash.to_string();

    assert_eq!(resolve_change(&doc, &hex[..8]).unwrap(), hash);
    assert_eq!(resolve_change(&doc, &hex.to_uppercase()).unwrap(), hash);
    assert_eq!(resolve_change(&doc, &hex).unwrap(), hash);
}

#[test]
fn bad_change_prefixes_say_what_to_do() {
    let doc = three_versions();
    let err = |prefix: &str| resolve_change(&doc, prefix).unwrap_err();

    assert!(matches!(
        err("abc"),
        ModelError::ChangePrefixTooShort { .. }
    ));
    assert!(matches!(err("xyz!"), ModelError::ChangePrefixNotHex { .. }));
    let hashes: Vec<String> = history(&doc).iter().map(|e| e.hash.to_string()).collect();
    let absent = ["0000", "ffff"]
        .into_iter()
        .find(|p| !hashes.iter().any(|h| h.starts_with(p)));
    assert!(matches!(
        err(absent.unwrap()),
        ModelError::UnknownChange { .. }
    ));
}

#[test]
fn an_unknown_change_is_an_error_not_a_panic() {
    let doc = three_versions();
    let other = annas_minutes();
    let foreign = history(&other)[0].hash;
    assert!(matches!(
        note_at(&doc, &foreign),
        Err(ModelError::UnknownChange { .. })
    ));
}
