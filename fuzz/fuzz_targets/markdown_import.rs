//! Markdown import, as `quaderno import` and `quaderno new` use it: any UTF-8 text.
//!
//! Must hold: no panic; a file that imports becomes a note document (unless a tag cannot be
//! stored, which is an error, not a panic); and that note, exported and imported again, comes
//! back with the same title, body, tags and meeting.

#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use quaderno_model::markdown::{from_markdown, to_markdown};
use quaderno_model::{Author, DocumentId, create_note, read_note};

fuzz_target!(|text: &str| {
    let Ok(imported) = from_markdown(text) else {
        return;
    };
    let author = Author::new("Anna", "Palermo");
    let now = Utc.with_ymd_and_hms(2024, 3, 5, 10, 0, 0).unwrap();
    let Ok(doc) = create_note(&imported.note, &author, now) else {
        return;
    };
    let note = read_note(&doc).expect("a note just created reads back");
    let id = imported
        .id
        .unwrap_or_else(|| DocumentId::from_bytes([1; 16]));
    let exported = to_markdown(&id, &note, imported.group.as_deref());
    let back = from_markdown(&exported)
        .unwrap_or_else(|e| panic!("the export does not import: {e}\n{exported}"));
    assert_eq!(back.note.title, note.title, "title\n{exported}");
    assert_eq!(back.note.body, note.body, "body\n{exported}");
    assert_eq!(back.note.tags, note.tags, "tags\n{exported}");
    assert_eq!(back.note.meeting, note.meeting, "meeting\n{exported}");
    assert_eq!(back.id, Some(id));
});
