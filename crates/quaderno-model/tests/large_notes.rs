//! Long minutes stay quick to read and edit. Automerge spends time
//! proportional to the text on every insertion, so an edit must not turn
//! into thousands of splices, and nothing may grow with the square of the
//! text. The limits are generous (unoptimised builds on a shared machine);
//! a quadratic regression overshoots them many times over.

mod common;

use std::time::{Duration, Instant};

use automerge::ReadDoc;
use common::*;
use quaderno_model::{NewNote, NoteEdit, create_note, edit_note, read_note};

/// About `bytes` of Italian-looking minutes, different for each `seed`.
fn minutes_text(bytes: usize, seed: u64) -> String {
    const WORDS: [&str; 10] = [
        "accoglienza",
        "rete",
        "servizi",
        "minori",
        "famiglia",
        "città",
        "🙂",
        "scuola",
        "incontro",
        "verbale",
    ];
    let mut text = String::new();
    let mut x = seed;
    while text.len() < bytes {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        text.push_str(WORDS[(x >> 33) as usize % WORDS.len()]);
        text.push(if (x >> 20).is_multiple_of(12) {
            '\n'
        } else {
            ' '
        });
    }
    text
}

fn within(limit: Duration, what: &str, run: impl FnOnce()) {
    let started = Instant::now();
    run();
    let took = started.elapsed();
    assert!(took < limit, "{what} took {took:?}, limit {limit:?}");
}

#[test]
fn a_50_kb_note_is_read_and_edited_quickly() {
    let body = minutes_text(50_000, 1);
    let new = NewNote {
        body: body.clone(),
        ..NewNote::default()
    };
    let mut doc = create_note(&new, &anna(), at("10:00")).unwrap();

    within(Duration::from_secs(1), "reading", || {
        assert_eq!(read_note(&doc).unwrap().body, body);
    });

    let mut typed = body.clone();
    typed.insert_str(25_000, "Nuovo punto all'ordine del giorno. ");
    let ops_before = doc.stats().num_ops;
    within(Duration::from_secs(2), "typing a sentence", || {
        let edit = NoteEdit {
            body: Some(typed.clone()),
            ..NoteEdit::default()
        };
        edit_note(&mut doc, &edit, &anna(), at("10:05")).unwrap();
    });
    assert_eq!(
        doc.stats().num_ops - ops_before,
        35,
        "one op per typed character"
    );
    assert_eq!(read_note(&doc).unwrap().body, typed);
}

#[test]
fn replacing_a_whole_50_kb_body_stays_linear() {
    let new = NewNote {
        body: minutes_text(50_000, 1),
        ..NewNote::default()
    };
    let mut doc = create_note(&new, &anna(), at("10:00")).unwrap();
    let other = minutes_text(50_000, 99);

    within(Duration::from_secs(15), "replacing the body", || {
        let edit = NoteEdit {
            body: Some(other.clone()),
            ..NoteEdit::default()
        };
        edit_note(&mut doc, &edit, &anna(), at("10:05")).unwrap();
    });
    assert_eq!(read_note(&doc).unwrap().body, other);
}

#[test]
fn a_find_and_replace_across_a_50_kb_body_stays_quick() {
    let body = minutes_text(50_000, 7);
    let new = NewNote {
        body: body.clone(),
        ..NewNote::default()
    };
    let mut doc = create_note(&new, &anna(), at("10:00")).unwrap();
    let replaced = body.replace("verbale", "resoconto");

    within(Duration::from_secs(10), "replacing every `verbale`", || {
        let edit = NoteEdit {
            body: Some(replaced.clone()),
            ..NoteEdit::default()
        };
        edit_note(&mut doc, &edit, &anna(), at("10:05")).unwrap();
    });
    assert_eq!(read_note(&doc).unwrap().body, replaced);
}
