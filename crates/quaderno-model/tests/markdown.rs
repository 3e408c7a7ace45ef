//! Exporting the approved minutes as Markdown for the project report, and
//! importing Markdown files back.

mod common;

use common::*;
use proptest::prelude::*;
use quaderno_model::markdown::{from_markdown, to_markdown};
use quaderno_model::{DocumentId, Meeting, Note, read_note};

const ID: &str = "3uQUjbaDfGKoHMh8XGHx7c9jNxyU";

fn id() -> DocumentId {
    ID.parse().unwrap()
}

#[test]
fn the_export_is_front_matter_a_blank_line_and_the_body() {
    let note = read_note(&annas_minutes()).unwrap();
    let text = to_markdown(&id(), &note, Some("integrazione"));
    assert_eq!(
        text,
        "---
id: 3uQUjbaDfGKoHMh8XGHx7c9jNxyU
title: Terzo incontro
group: integrazione
tags:
- minori
- rete
date: 2024-03-05
place: Palermo
participants:
- Anna
- Marco
created_at: 2024-03-05T10:00:00Z
created_by: Anna (Palermo)
---

Primo punto: accoglienza.

Secondo punto: rete dei servizi.
"
    );
}

#[test]
fn a_deleted_note_says_so_and_empty_fields_are_left_out() {
    let mut note = read_note(&annas_minutes()).unwrap();
    note.deleted = true;
    note.meeting = Meeting::default();
    let text = to_markdown(&id(), &note, None);
    assert!(text.contains("\ndeleted: true\n"), "{text}");
    assert!(!text.contains("date:") && !text.contains("place:") && !text.contains("group:"));
    assert!(text.contains("participants: []"), "{text}");
}

#[test]
fn importing_the_export_gives_back_the_note() {
    let note = read_note(&annas_minutes()).unwrap();
    let back = from_markdown(&to_markdown(&id(), &note, Some("integrazione"))).unwrap();

    assert_eq!(back.id, Some(id()));
    assert_eq!(back.group.as_deref(), Some("integrazione"));
    assert_eq!(back.note.title, note.title);
    assert_eq!(back.note.body, note.body);
    assert_eq!(back.note.tags, note.tags);
    assert_eq!(back.note.meeting, note.meeting);
    assert_eq!(back.created_at, Some(note.created_at));
    assert_eq!(back.created_by.as_deref(), Some("Anna (Palermo)"));
    assert!(!back.deleted);
}

#[test]
fn awkward_bodies_come_back_byte_for_byte() {
    let bodies = [
        "",
        "no newline at the end",
        "one newline\n",
        "\n\nleading blank lines",
        "\n",
        "---",
        "---\n",
        "text\n---\nmore\n---\n",
        "\r\n---\r\nwindows\r\n",
        "title: not front matter\n",
    ];
    let mut note = read_note(&annas_minutes()).unwrap();
    for body in bodies {
        note.body = body.to_owned();
        let back = from_markdown(&to_markdown(&id(), &note, None)).unwrap();
        assert_eq!(back.note.body, body);
        assert_eq!(back.note.title, note.title);
    }
}

#[test]
fn a_file_without_front_matter_is_all_body_titled_by_its_first_heading() {
    let text = "Appunti sparsi\n\n# Incontro di Ravenna\n\nTesto.\n";
    let imported = from_markdown(text).unwrap();
    assert_eq!(imported.note.title, "Incontro di Ravenna");
    assert_eq!(imported.note.body, text);
    assert_eq!(imported.id, None);

    let untitled = from_markdown("solo testo").unwrap();
    assert_eq!(
        (untitled.note.title.as_str(), untitled.note.body.as_str()),
        ("", "solo testo")
    );
}

#[test]
fn hand_written_front_matter_is_accepted() {
    let text =
        "---\ntitle: 2024\ntags: [a, b]\ndate: '2024-03-05'\nplace:\ndeleted: false\n---\nCorpo\n";
    let imported = from_markdown(text).unwrap();
    assert_eq!(imported.note.title, "2024");
    assert_eq!(imported.note.tags, ["a", "b"]);
    assert_eq!(imported.note.meeting.date, Some(date("2024-03-05")));
    assert_eq!(imported.note.meeting.place, None);
    assert_eq!(imported.note.body, "Corpo\n");
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let text = "---\ntitle: x\nluogo: Roma\n---\n";
    let err = from_markdown(text).unwrap_err();
    assert_eq!(err.line, 3);
    assert!(err.message.contains("unknown key `luogo`"), "{err}");
    assert!(err.message.contains("place"), "lists the known keys: {err}");
}

#[test]
fn a_bad_date_says_how_to_write_one() {
    let err = from_markdown("---\ntitle: x\n\ndate: 5 marzo 2024\n---\n").unwrap_err();
    assert_eq!(err.line, 4);
    assert!(err.message.contains("date must be YYYY-MM-DD"), "{err}");
    assert!(from_markdown("---\ndate: 2024-02-30\n---\n").is_err());
}

#[test]
fn a_bad_tag_or_id_says_what_is_wrong() {
    let err = from_markdown("---\ntags:\n- home visit\n---\n").unwrap_err();
    assert_eq!(err.line, 2);
    assert!(err.message.contains("home-visit"), "{err}");

    let err = from_markdown("---\nid: not-an-id\n---\n").unwrap_err();
    assert!(err.message.contains("not a document id"), "{err}");

    let err = from_markdown("---\ntags: urgente\n---\n").unwrap_err();
    assert!(err.message.contains("must be a list"), "{err}");
}

#[test]
fn malformed_yaml_points_at_the_line_in_the_file() {
    let text = "---\ntitle: x\ntags: [a, b\nplace: Roma\n---\nbody\n";
    let err = from_markdown(text).unwrap_err();
    assert_eq!(err.line, 4, "where the parser noticed: {err}");
    assert!(err.message.contains("not valid YAML"), "{err}");
    assert!(
        err.message.contains("at line 3"),
        "where the list started: {err}"
    );
    assert!(!err.message.contains("column"), "{err}");

    let err = from_markdown("---\ntitle: x\n  bad: indent\n---\n").unwrap_err();
    assert_eq!(err.line, 3, "{err}");

    let err = from_markdown("---\ntitle: x\ntags: []\ntitle: y\n---\n").unwrap_err();
    assert_eq!(err.line, 4, "the repeated key: {err}");
    assert!(err.message.contains("duplicate"), "{err}");
}

#[test]
fn front_matter_that_is_not_a_map_or_never_closes_is_refused() {
    assert_eq!(from_markdown("---\n- a\n- b\n---\n").unwrap_err().line, 2);
    let err = from_markdown("---\ntitle: x\nbody without a closing line\n").unwrap_err();
    assert_eq!(err.line, 1);
}

/// Text as it comes in titles and bodies, Markdown and YAML specials included.
fn any_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        "[a-zA-Zàèìòù0-9 ]{0,12}",
        Just("---".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\n---\n".to_owned()),
        Just("# ".to_owned()),
        Just(": ".to_owned()),
        Just("- ".to_owned()),
        Just("'\"".to_owned()),
        Just("🙂👩‍⚕️".to_owned()),
        Just("  ".to_owned()),
        Just("\t".to_owned()),
        Just("{[&*!|>%@`]}".to_owned()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("2024-03-05".to_owned()),
        Just("~".to_owned()),
        any::<String>(),
    ];
    proptest::collection::vec(pieces, 0..8).prop_map(|p| p.concat())
}

fn any_name() -> impl Strategy<Value = String> {
    any_text()
        .prop_map(|t| t.trim().to_owned())
        .prop_filter("names are not blank", |t| !t.is_empty())
}

fn any_note() -> impl Strategy<Value = Note> {
    let tags = proptest::collection::btree_set("[a-zA-Zàè0-9_#:-]{1,10}", 0..4);
    let names = proptest::collection::btree_set(any_name(), 0..4);
    let day = proptest::option::of((2000i32..2100, 1u32..=12, 1u32..=28));
    (
        any_text(),
        any_text(),
        tags,
        proptest::option::of(any_name()),
        names,
        day,
        any::<bool>(),
    )
        .prop_map(|(title, body, tags, place, names, day, deleted)| Note {
            title,
            body,
            tags: tags.into_iter().collect(),
            meeting: Meeting {
                date: day.map(|(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()),
                place,
                participants: names.into_iter().collect(),
            },
            created_at: at("10:00"),
            created_by: "Anna (Palermo)".into(),
            deleted,
            schema: 1,
        })
}

proptest! {
    #[test]
    fn export_then_import_gives_the_same_note(note in any_note(), group in proptest::option::of(any_name())) {
        let id = DocumentId::random();
        let text = to_markdown(&id, &note, group.as_deref());
        let back = from_markdown(&text).unwrap();

        prop_assert_eq!(back.id, Some(id));
        prop_assert_eq!(back.group, group);
        prop_assert_eq!(&back.note.title, &note.title);
        prop_assert_eq!(&back.note.body, &note.body);
        prop_assert_eq!(&back.note.tags, &note.tags);
        prop_assert_eq!(&back.note.meeting, &note.meeting);
        prop_assert_eq!(back.created_at, Some(note.created_at));
        prop_assert_eq!(back.deleted, note.deleted);
    }
}
