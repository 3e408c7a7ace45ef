//! Fills a joined group of a data folder with notes for benchmarks: each note has a body of
//! about `--kb` KB built up over `--changes` changes, as minutes written in several sittings.
//! Then `quaderno sync` takes them to the relay.
//!
//!   cargo run --release -p quaderno-client --example seed_group -- DATA_DIR GROUP [--notes 1000] [--kb 5] [--changes 50]

use std::path::PathBuf;

use automerge::ActorId;
use chrono::Utc;
use quaderno_client::notebook::{Notebook, reindex, save_new_doc};
use quaderno_model::{Author, DocumentId, NewNote, NoteEdit, create_note, edit_note};

const WORDS: &[&str] = &[
    "incontro",
    "servizi",
    "territorio",
    "casa",
    "accoglienza",
    "famiglie",
    "educatori",
    "rete",
    "progetto",
    "comune",
    "minori",
    "ascolto",
    "percorso",
    "quartiere",
    "volontari",
    "sportello",
];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (data_dir, group) = match args.as_slice() {
        [dir, group, ..] => (PathBuf::from(dir), group.clone()),
        _ => anyhow::bail!("usage: seed_group DATA_DIR GROUP [--notes N] [--kb K] [--changes C]"),
    };
    let flag = |name: &str, default: usize| -> usize {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (notes, kb, changes) = (
        flag("--notes", 1000),
        flag("--kb", 5),
        flag("--changes", 50),
    );
    let notebook = Notebook::open(&data_dir)?;
    let author = notebook.identity().cloned().unwrap_or(Author {
        name: "Seed".into(),
        city: "Bench".into(),
    });
    drop(notebook);
    let conn =
        quaderno_store::open_connection(&data_dir.join(quaderno_client::notebook::STORE_FILE))?;
    let started = std::time::Instant::now();
    for batch in (0..notes).collect::<Vec<_>>().chunks(100) {
        let tx = conn.unchecked_transaction()?;
        for &n in batch {
            let doc = note_with_history(n, kb * 1024, changes, &author)?;
            let id = DocumentId::random().to_string();
            save_new_doc(&tx, &group, &id, &doc)?;
            reindex(&tx, &group, &id, &doc)?;
        }
        tx.commit()?;
    }
    println!(
        "seeded {notes} notes of ~{kb} KB with {changes} changes each in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A note whose body grows to about `bytes` over `changes` changes.
fn note_with_history(
    n: usize,
    bytes: usize,
    changes: usize,
    author: &Author,
) -> anyhow::Result<automerge::Automerge> {
    let new = NewNote {
        title: format!("Verbale {n}"),
        body: String::new(),
        ..NewNote::default()
    };
    let mut doc = create_note(&new, author, Utc::now())?;
    doc.set_actor(ActorId::random());
    let per_change = bytes / changes.max(1);
    let mut body = String::new();
    for c in 1..changes.max(1) {
        while body.len() < per_change * c {
            body.push_str(WORDS[(n * 7 + body.len()) % WORDS.len()]);
            body.push(if body.len() % 90 < 8 { '\n' } else { ' ' });
        }
        let edit = NoteEdit {
            body: Some(body.clone()),
            ..NoteEdit::default()
        };
        edit_note(&mut doc, &edit, author, Utc::now())?;
    }
    Ok(doc)
}
