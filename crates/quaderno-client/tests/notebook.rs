//! The offline notebook, as a participant uses it.

use std::path::PathBuf;

use chrono::NaiveDate;
use quaderno_client::notebook::{
    At, ExportSelection, ImportOutcome, ListFilter, Notebook, NotebookError,
};
use quaderno_model::{Meeting, NewNote, NoteEdit};

fn annas_notebook() -> (tempfile::TempDir, Notebook) {
    let dir = tempfile::tempdir().unwrap();
    let mut notebook = Notebook::open(&dir.path().join("data")).unwrap();
    notebook.init("Anna", "Palermo").unwrap();
    (dir, notebook)
}

fn minutes() -> NewNote {
    NewNote {
        title: "Terzo incontro".into(),
        body: "Apertura.\n\nDiscussione sui servizi.\n".into(),
        tags: vec!["verbale".into()],
        meeting: Meeting {
            date: NaiveDate::from_ymd_opt(2025, 3, 12),
            place: Some("Palermo".into()),
            participants: vec!["Anna".into(), "Marco".into()],
        },
    }
}

#[test]
fn writing_before_init_says_to_run_init() {
    let dir = tempfile::tempdir().unwrap();
    let mut notebook = Notebook::open(dir.path()).unwrap();

    let error = notebook.create(&minutes(), None).unwrap_err();

    assert!(matches!(error, NotebookError::NoIdentity));
    assert!(
        error
            .to_string()
            .contains("quaderno init --name NAME --city CITY")
    );
}

#[test]
fn a_new_note_lands_in_the_personal_notebook_and_can_be_found_by_title_and_prefix() {
    let (_dir, mut notebook) = annas_notebook();

    let created = notebook.create(&minutes(), None).unwrap();

    assert_eq!(created.group, "personal");
    assert_eq!(created.note.created_by, "Anna (Palermo)");
    assert_eq!(notebook.show("Terzo incontro").unwrap().id, created.id);
    assert_eq!(
        notebook.show(&created.id[..6]).unwrap().note.body,
        minutes().body
    );
    assert_eq!(notebook.list(&ListFilter::default()).unwrap().len(), 1);
}

#[test]
fn a_note_cannot_go_to_a_group_this_machine_does_not_know() {
    let (_dir, mut notebook) = annas_notebook();

    let error = notebook
        .create(&minutes(), Some("integrazione"))
        .unwrap_err();

    assert!(matches!(error, NotebookError::UnknownGroup { .. }));
    assert!(error.is_user_error());
}

#[test]
fn edits_tags_and_the_bin_are_kept_in_the_index() {
    let (_dir, mut notebook) = annas_notebook();
    let id = notebook.create(&minutes(), None).unwrap().id;

    let edit = NoteEdit {
        title: Some("Terzo incontro (approvato)".into()),
        ..NoteEdit::default()
    };
    assert!(notebook.edit(&id, &edit).unwrap().is_some());
    assert!(
        notebook.edit(&id, &edit).unwrap().is_none(),
        "the same edit again changes nothing"
    );
    let tags = notebook
        .tag(&id, &["minori".into()], &["verbale".into()])
        .unwrap();
    assert_eq!(tags, ["minori"]);
    let by_tag = ListFilter {
        tag: Some("minori".into()),
        ..ListFilter::default()
    };
    assert_eq!(
        notebook.list(&by_tag).unwrap()[0].title,
        "Terzo incontro (approvato)"
    );

    let (_, changed) = notebook.set_deleted(&id, true).unwrap();
    assert!(changed);
    assert!(notebook.list(&ListFilter::default()).unwrap().is_empty());
    assert!(notebook.search("servizi", 10).unwrap().is_empty());
    assert!(
        notebook.show(&id).unwrap().note.deleted,
        "a deleted note can still be shown"
    );

    notebook.set_deleted(&id, false).unwrap();
    assert_eq!(notebook.search("servizi", 10).unwrap()[0].id, id);
}

#[test]
fn an_unknown_note_suggests_similar_titles_and_an_ambiguous_one_lists_the_candidates() {
    let (_dir, mut notebook) = annas_notebook();
    notebook.create(&minutes(), None).unwrap();
    notebook.create(&minutes(), None).unwrap();

    let unknown = notebook.show("incontro").unwrap_err();
    let ambiguous = notebook.show("Terzo incontro").unwrap_err();

    assert!(matches!(unknown, NotebookError::UnknownNote { .. }));
    assert_eq!(unknown.candidates().len(), 2);
    assert!(matches!(ambiguous, NotebookError::AmbiguousNote { .. }));
    assert_eq!(ambiguous.candidates().len(), 2);
    assert!(ambiguous.is_user_error());
}

#[test]
fn editing_as_markdown_saves_only_what_changed_and_the_log_shows_who() {
    let (_dir, mut notebook) = annas_notebook();
    let id = notebook.create(&minutes(), None).unwrap().id;
    let draft = notebook.draft(&id).unwrap();
    let edited = draft.text.replace(
        "Discussione sui servizi.",
        "Discussione sui servizi sociali.",
    );

    let change = notebook
        .save_draft(&draft, &edited, &PathBuf::from("edit.md"))
        .unwrap();
    let again = notebook.draft(&id).unwrap();
    let unchanged = notebook
        .save_draft(&again, &edited, &PathBuf::from("edit.md"))
        .unwrap();

    assert!(change.is_some());
    assert!(unchanged.is_none());
    let (_, history) = notebook.log(&id).unwrap();
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|h| h.author == "Anna (Palermo)"));
    let first = history[0].hash.to_string();
    let before = notebook
        .show_at(&id, &At::Change(first[..8].into()))
        .unwrap();
    assert_eq!(before.note.body, minutes().body);
    assert!(
        notebook
            .show(&id)
            .unwrap()
            .note
            .body
            .contains("servizi sociali")
    );
}

#[test]
fn malformed_markdown_from_the_editor_names_the_file_and_line() {
    let (_dir, mut notebook) = annas_notebook();
    let id = notebook.create(&minutes(), None).unwrap().id;
    let draft = notebook.draft(&id).unwrap();

    let error = notebook
        .save_draft(
            &draft,
            "---\ntitle: Terzo\ndate: ieri\n---\n\nbody",
            &PathBuf::from("edit.md"),
        )
        .unwrap_err();

    assert!(
        matches!(error, NotebookError::Markdown { line: 3, .. }),
        "{error}"
    );
    assert!(error.to_string().starts_with("edit.md:3:"), "{error}");
}

#[test]
fn two_editor_windows_on_the_same_note_keep_both_paragraphs() {
    let (dir, mut anna) = annas_notebook();
    let id = anna.create(&minutes(), None).unwrap().id;
    let mut other_process = Notebook::open(&dir.path().join("data")).unwrap();

    // Step 1: both open the note in an editor.
    let first = anna.draft(&id).unwrap();
    let second = other_process.draft(&id).unwrap();
    // Step 2: each changes a different paragraph and saves, one after the other.
    let first_text = first.text.replace("Apertura.", "Apertura alle 10.");
    let second_text = second.text.replace("sui servizi.", "sui servizi di Roma.");
    anna.save_draft(&first, &first_text, &PathBuf::from("a.md"))
        .unwrap();
    other_process
        .save_draft(&second, &second_text, &PathBuf::from("b.md"))
        .unwrap();

    // Step 3: the note holds both edits.
    assert_eq!(
        anna.show(&id).unwrap().note.body,
        "Apertura alle 10.\n\nDiscussione sui servizi di Roma.\n"
    );
    assert_eq!(anna.log(&id).unwrap().1.len(), 3);
}

#[test]
fn export_then_import_into_another_notebook_gives_the_same_notes() {
    let (dir, mut anna) = annas_notebook();
    let id = anna.create(&minutes(), None).unwrap().id;
    anna.create(
        &NewNote {
            title: "Idee".into(),
            body: "Una lettura.".into(),
            ..NewNote::default()
        },
        None,
    )
    .unwrap();
    let out = dir.path().join("export");

    let files = anna.export(ExportSelection::All, &out).unwrap();
    let mut marco = Notebook::open(&dir.path().join("marco")).unwrap();
    marco.init("Marco", "Roma").unwrap();
    let mut reported = Vec::new();
    let imported = marco
        .import(std::slice::from_ref(&out), None, false, |note| {
            reported.push(note.id.clone())
        })
        .unwrap();

    assert_eq!(files.len(), 2);
    assert_eq!(imported.len(), 2);
    assert_eq!(reported.len(), 2);
    assert!(imported.iter().all(|n| n.outcome == ImportOutcome::Created));
    let original = anna.show(&id).unwrap().note;
    let copy = marco.show(&id).unwrap().note;
    assert_eq!(
        (copy.title, copy.body, copy.tags, copy.meeting),
        (
            original.title,
            original.body,
            original.tags,
            original.meeting
        )
    );
}

#[test]
fn importing_a_file_of_a_note_that_exists_edits_it() {
    let (dir, mut notebook) = annas_notebook();
    let id = notebook.create(&minutes(), None).unwrap().id;
    let out = dir.path().join("export");
    let file = notebook
        .export(ExportSelection::Note(&id), &out)
        .unwrap()
        .remove(0)
        .path;
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("Apertura.", "Apertura alle 10.")).unwrap();

    let first = notebook
        .import(std::slice::from_ref(&file), None, false, |_| {})
        .unwrap();
    let again = notebook.import(&[file], None, false, |_| {}).unwrap();

    assert_eq!(first[0].outcome, ImportOutcome::Updated);
    assert_eq!(again[0].outcome, ImportOutcome::Unchanged);
    assert_eq!(notebook.list(&ListFilter::default()).unwrap().len(), 1);
    assert!(
        notebook
            .show(&id)
            .unwrap()
            .note
            .body
            .starts_with("Apertura alle 10.")
    );
}

#[test]
fn a_malformed_file_stops_the_import_before_anything_is_saved() {
    let (dir, mut notebook) = annas_notebook();
    let folder = dir.path().join("in");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("a.md"), "---\ntitle: Buona\n---\n\nTesto.").unwrap();
    std::fs::write(
        folder.join("b.md"),
        "---\ntitle: Rotta\ndate: ieri\n---\n\nTesto.",
    )
    .unwrap();

    let error = notebook
        .import(std::slice::from_ref(&folder), None, false, |_| {})
        .unwrap_err();

    let NotebookError::Markdown { path, line, .. } = &error else {
        panic!("{error}")
    };
    assert_eq!((path, *line), (&folder.join("b.md"), 3));
    assert!(notebook.list(&ListFilter::default()).unwrap().is_empty());
}

#[test]
fn a_document_changed_elsewhere_is_saved_and_reindexed_in_one_step() {
    let (_dir, mut notebook) = annas_notebook();
    let id = notebook.create(&minutes(), None).unwrap().id;

    // A copy of the note changes outside the notebook (as a sync will bring it).
    let mut doc = notebook.load_doc("personal", &id).unwrap().unwrap();
    let before = doc.get_heads();
    let marco = quaderno_model::Author::new("Marco", "Roma");
    let edit = NoteEdit {
        add_tags: vec!["approvato".into()],
        ..NoteEdit::default()
    };
    quaderno_model::edit_note(&mut doc, &edit, &marco, chrono::Utc::now()).unwrap();

    assert!(
        notebook
            .save_doc_changes("personal", &id, &doc, &before)
            .unwrap()
    );
    assert!(
        !notebook
            .save_doc_changes("personal", &id, &doc, &doc.get_heads())
            .unwrap()
    );

    let tagged = ListFilter {
        tag: Some("approvato".into()),
        ..ListFilter::default()
    };
    assert_eq!(notebook.list(&tagged).unwrap()[0].id, id);
    notebook.reindex("personal", &id).unwrap();
    assert_eq!(
        notebook.log(&id).unwrap().1.last().unwrap().author,
        "Marco (Roma)"
    );
}
