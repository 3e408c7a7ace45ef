//! The documents a run starts from and the edits it makes.

use anyhow::Context;
use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ROOT, ReadDoc};
use chrono::Utc;
use quaderno_model::{Author, NewNote, NoteEdit, create_note, edit_note};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::ledger::count_key;

const WORDS: &[&str] = &[
    "incontro",
    "servizi",
    "territorio",
    "comunità",
    "famiglie",
    "minori",
    "scuola",
    "salute",
    "casa",
    "lavoro",
    "rete",
    "progetto",
    "operatori",
    "assistente",
    "sociale",
    "distretto",
    "comune",
    "azienda",
    "sanitaria",
    "accoglienza",
    "tutela",
    "presa",
    "in",
    "carico",
    "integrazione",
    "verbale",
    "proposta",
    "gruppo",
    "supervisione",
    "caso",
    "percorso",
    "e",
    "di",
    "con",
    "per",
    "la",
    "il",
    "delle",
    "degli",
    "nel",
];

/// A small map document, the kind the reference harness edits.
pub fn small_map() -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(ROOT, "kind", "quaderno-bench")
        .expect("a put on a new document works");
    tx.commit();
    doc
}

/// A Quaderno note whose body grows to about `bytes` bytes over `changes` changes, as if it
/// had been written in that many sittings.
pub fn note(bytes: usize, changes: usize, seed: u64) -> anyhow::Result<Automerge> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let author = Author::new("Quaderno Bench", "Bologna");
    let new = NewNote {
        title: format!("Verbale dell'incontro {seed}"),
        ..NewNote::default()
    };
    let mut doc = create_note(&new, &author, Utc::now()).context("creating a note")?;
    let changes = changes.max(2);
    let mut body = String::with_capacity(bytes + 64);
    for step in 1..changes {
        let goal = bytes * step / (changes - 1);
        grow(&mut body, goal, &mut rng);
        let edit = NoteEdit {
            body: Some(body.clone()),
            ..NoteEdit::default()
        };
        edit_note(&mut doc, &edit, &author, Utc::now()).context("editing a note")?;
    }
    Ok(doc)
}

/// About `bytes` bytes of minutes text (words of a meeting of social services, a line break
/// every dozen words or so), the same for the same seed.
pub fn minutes(bytes: usize, seed: u64) -> String {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut text = String::with_capacity(bytes + 64);
    grow(&mut text, bytes, &mut rng);
    text
}

/// Appends words until `text` holds at least `goal` bytes.
fn grow(text: &mut String, goal: usize, rng: &mut SmallRng) {
    while text.len() < goal {
        text.push_str(WORDS[rng.random_range(0..WORDS.len())]);
        text.push(if rng.random_range(0..12) == 0 {
            '\n'
        } else {
            ' '
        });
    }
}

/// One edit of scenario 1: the author's count goes up by one.
pub fn count(doc: &mut Automerge, author: usize, seq: u64) {
    let mut tx = doc.transaction();
    tx.put(ROOT, count_key(author), seq)
        .expect("a put on the root map works");
    tx.commit();
}

/// One keystroke of scenario 5: a character inserted at a random place of the body, and the
/// author's count, in one change. Fails when the document has no text `body`.
pub fn keystroke(
    doc: &mut Automerge,
    author: usize,
    seq: u64,
    rng: &mut SmallRng,
) -> anyhow::Result<()> {
    let body = match doc.get(ROOT, "body")? {
        Some((automerge::Value::Object(ObjType::Text), id)) => id,
        _ => anyhow::bail!("the note has no text body"),
    };
    let len = doc.length(&body);
    let at = rng.random_range(0..=len);
    let letter = char::from(b'a' + rng.random_range(0..26u8));
    let mut tx = doc.transaction();
    tx.splice_text(&body, at, 0, letter.encode_utf8(&mut [0; 4]))?;
    tx.put(ROOT, count_key(author), seq)?;
    tx.commit();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::read_count;

    #[test]
    fn a_note_has_the_size_and_history_asked_for() {
        let doc = note(5000, 50, 1).unwrap();

        let note = quaderno_model::read_note(&doc).unwrap();
        assert!(
            (5000..5100).contains(&note.body.len()),
            "{}",
            note.body.len()
        );
        // The creation plus 49 edits.
        assert_eq!(doc.get_changes(&[]).len(), 50);
    }

    #[test]
    fn minutes_have_the_size_asked_for_and_depend_only_on_the_seed() {
        let text = minutes(5000, 7);

        assert!((5000..5100).contains(&text.len()), "{}", text.len());
        assert!(text.contains('\n'));
        assert_eq!(text, minutes(5000, 7));
        assert_ne!(text, minutes(5000, 8));
    }

    #[test]
    fn keystrokes_grow_the_body_and_count() {
        let mut doc = note(200, 3, 2).unwrap();
        let mut rng = SmallRng::seed_from_u64(3);
        let before = quaderno_model::read_note(&doc).unwrap().body.len();

        keystroke(&mut doc, 4, 1, &mut rng).unwrap();
        keystroke(&mut doc, 4, 2, &mut rng).unwrap();

        assert_eq!(
            quaderno_model::read_note(&doc).unwrap().body.len(),
            before + 2
        );
        assert_eq!(read_count(&doc, "s4"), 2);
        assert!(keystroke(&mut small_map(), 1, 1, &mut rng).is_err());
    }

    #[test]
    fn counting_edits_writes_the_authors_key() {
        let mut doc = small_map();
        count(&mut doc, 9, 3);

        assert_eq!(read_count(&doc, "s9"), 3);
    }
}
