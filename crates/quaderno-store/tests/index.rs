//! The note index: listing with filters, full-text search with accents, lookups by id and title.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use quaderno_store::Store;
use quaderno_store::index::{IndexEntry, ListFilter};

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, 9, 30, 0).unwrap()
}

fn entry(id: &str, title: &str, body: &str) -> IndexEntry {
    IndexEntry {
        id: id.into(),
        group: "personal".into(),
        title: title.into(),
        body: body.into(),
        tags: vec![],
        created_at: at(1),
        updated_at: at(1),
        meeting_date: None,
        place: None,
        deleted: false,
    }
}

/// Three notes of a community of practice, as Anna would have them.
fn annas_notebook() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("quaderno.sqlite3")).unwrap();
    let notes = [
        IndexEntry {
            tags: vec!["verbale".into(), "minori".into()],
            meeting_date: NaiveDate::from_ymd_opt(2025, 3, 12),
            place: Some("Palermo, ASP 6".into()),
            group: "integrazione".into(),
            ..entry(
                "2aXk9",
                "Terzo incontro",
                "Abbiamo parlato della città e dell'integrazione sociosanitaria.",
            )
        },
        IndexEntry {
            tags: vec!["verbale".into()],
            meeting_date: NaiveDate::from_ymd_opt(2025, 2, 5),
            place: Some("Roma".into()),
            group: "integrazione".into(),
            ..entry(
                "2aY77",
                "Secondo incontro",
                "Presentazione dei servizi di Roma.",
            )
        },
        IndexEntry {
            created_at: at(20),
            ..entry(
                "9Qm1z",
                "Idee sparse",
                "Una lettura sul lavoro di comunità.",
            )
        },
    ];
    for note in &notes {
        store.upsert_index(note).unwrap();
    }
    (dir, store)
}

fn titles(notes: impl IntoIterator<Item = String>) -> Vec<String> {
    notes.into_iter().collect()
}

#[test]
fn listing_shows_the_most_recent_day_first() {
    let (_dir, store) = annas_notebook();

    let listed = store.list(&ListFilter::default()).unwrap();

    assert_eq!(
        titles(listed.into_iter().map(|n| n.title)),
        ["Idee sparse", "Terzo incontro", "Secondo incontro"]
    );
}

#[test]
fn each_filter_narrows_the_list() {
    let (_dir, store) = annas_notebook();
    let list =
        |filter: ListFilter| titles(store.list(&filter).unwrap().into_iter().map(|n| n.title));

    assert_eq!(
        list(ListFilter {
            group: Some("personal".into()),
            ..Default::default()
        }),
        ["Idee sparse"]
    );
    assert_eq!(
        list(ListFilter {
            tag: Some("MINORI".into()),
            ..Default::default()
        }),
        ["Terzo incontro"]
    );
    assert_eq!(
        list(ListFilter {
            since: NaiveDate::from_ymd_opt(2025, 3, 1),
            group: Some("integrazione".into()),
            ..Default::default()
        }),
        ["Terzo incontro"]
    );
    assert_eq!(
        list(ListFilter {
            place: Some("palermo".into()),
            ..Default::default()
        }),
        ["Terzo incontro"]
    );
}

#[test]
fn a_listed_note_carries_its_tags_and_meeting() {
    let (_dir, store) = annas_notebook();

    let note = store.note("2aXk9").unwrap().unwrap();

    let mut tags = note.tags.clone();
    tags.sort();
    assert_eq!(tags, ["minori", "verbale"]);
    assert_eq!(note.meeting_date, NaiveDate::from_ymd_opt(2025, 3, 12));
    assert_eq!(note.place.as_deref(), Some("Palermo, ASP 6"));
    assert_eq!(note.created_at, at(1));
}

#[test]
fn deleted_notes_leave_the_list_and_the_search_but_can_be_listed_on_request() {
    let (_dir, mut store) = annas_notebook();
    let mut gone = entry(
        "9Qm1z",
        "Idee sparse",
        "Una lettura sul lavoro di comunità.",
    );
    gone.deleted = true;
    store.upsert_index(&gone).unwrap();

    assert_eq!(store.list(&ListFilter::default()).unwrap().len(), 2);
    assert!(store.search("lettura", 10).unwrap().is_empty());
    let all = store
        .list(&ListFilter {
            include_deleted: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().any(|n| n.deleted));
}

#[test]
fn search_ignores_accents_and_case_and_ranks_title_matches_first() {
    let (_dir, mut store) = annas_notebook();
    store
        .upsert_index(&entry("7Zz00", "Città metropolitana", "Nota breve."))
        .unwrap();

    let hits = store.search("citta", 10).unwrap();

    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(hits[0].title, "Città metropolitana");
    assert_eq!(hits[1].title, "Terzo incontro");
    assert!(hits[1].snippet.contains("**città**"), "{}", hits[1].snippet);
    assert!(hits[0].rank <= hits[1].rank);
}

#[test]
fn search_needs_every_word_and_accepts_any_input() {
    let (_dir, store) = annas_notebook();

    let both = store.search("servizi Roma", 10).unwrap();
    let none = store.search("servizi Palermo", 10).unwrap();
    let odd = store.search(r#"roma" OR NEAR( -x:"#, 10).unwrap();

    assert_eq!(
        titles(both.into_iter().map(|h| h.title)),
        ["Secondo incontro"]
    );
    assert!(none.is_empty());
    assert!(odd.is_empty());
    assert!(store.search("   ", 10).unwrap().is_empty());
    assert_eq!(store.search("integr*", 10).unwrap().len(), 1);
}

#[test]
fn tags_are_searchable_too() {
    let (_dir, store) = annas_notebook();

    let hits = store.search("minori", 10).unwrap();

    assert_eq!(
        titles(hits.into_iter().map(|h| h.title)),
        ["Terzo incontro"]
    );
}

#[test]
fn reindexing_a_note_replaces_its_text_tags_and_title() {
    let (_dir, mut store) = annas_notebook();
    let mut renamed = entry("2aY77", "Secondo incontro (approvato)", "Testo nuovo.");
    renamed.group = "integrazione".into();
    renamed.tags = vec!["approvato".into()];

    store.upsert_index(&renamed).unwrap();

    assert!(store.search("Presentazione", 10).unwrap().is_empty());
    assert_eq!(store.search("nuovo", 10).unwrap().len(), 1);
    let by_tag = store
        .list(&ListFilter {
            tag: Some("verbale".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_tag.len(), 1);
    assert_eq!(
        store
            .notes_titled("Secondo incontro (approvato)")
            .unwrap()
            .len(),
        1
    );
    assert!(store.notes_titled("Secondo incontro").unwrap().is_empty());
}

#[test]
fn another_groups_copy_under_the_same_id_neither_replaces_nor_removes_the_note() {
    let (_dir, mut store) = annas_notebook();
    let forged = IndexEntry {
        group: "altro".into(),
        ..entry("2aXk9", "Falso", "Scritto da un altro gruppo.")
    };

    let refused = store.upsert_index(&forged).unwrap_err();

    assert!(
        matches!(&refused, quaderno_store::StoreError::NoteInAnotherGroup { id, group, other }
            if id == "2aXk9" && group == "integrazione" && other == "altro"),
        "{refused}"
    );
    let note = store.note("2aXk9").unwrap().unwrap();
    assert_eq!(
        (note.title.as_str(), note.group.as_str()),
        ("Terzo incontro", "integrazione")
    );
    assert!(store.search("Scritto", 10).unwrap().is_empty());
    store
        .write(|tx| quaderno_store::index::remove(tx, "altro", "2aXk9"))
        .unwrap();
    assert!(
        store.note("2aXk9").unwrap().is_some(),
        "removed only from its own group"
    );

    store
        .write(|tx| quaderno_store::index::move_note(tx, "9Qm1z", "integrazione"))
        .unwrap();
    assert_eq!(store.note("9Qm1z").unwrap().unwrap().group, "integrazione");
}

#[test]
fn notes_are_found_by_id_prefix_and_exact_title() {
    let (_dir, store) = annas_notebook();

    let prefixed: Vec<String> = store
        .notes_with_id_prefix("2a")
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();

    assert_eq!(prefixed, ["2aXk9", "2aY77"]);
    assert_eq!(store.notes_with_id_prefix("2aX").unwrap().len(), 1);
    assert!(
        store.notes_with_id_prefix("2ax").unwrap().is_empty(),
        "ids are case-sensitive"
    );
    assert_eq!(store.notes_titled("Idee sparse").unwrap()[0].id, "9Qm1z");
    assert!(store.notes_titled("idee sparse").unwrap().is_empty());
}

#[test]
fn titles_containing_a_word_are_suggested_shortest_first() {
    let (_dir, store) = annas_notebook();

    let suggested =
        quaderno_store::index::by_title_containing(store.conn(), "INCONTRO", 5).unwrap();

    assert_eq!(
        titles(suggested.into_iter().map(|n| n.title)),
        ["Terzo incontro", "Secondo incontro"]
    );
    assert_eq!(
        quaderno_store::index::groups(store.conn()).unwrap(),
        ["integrazione", "personal"]
    );
}

#[test]
fn settings_are_kept_and_replaced() {
    let (_dir, mut store) = annas_notebook();

    store
        .write(|tx| quaderno_store::settings::put(tx, "identity.name", "Anna"))
        .unwrap();
    store
        .write(|tx| quaderno_store::settings::put(tx, "identity.name", "Anna R."))
        .unwrap();

    assert_eq!(
        store.setting("identity.name").unwrap().as_deref(),
        Some("Anna R.")
    );
    assert_eq!(store.setting("identity.city").unwrap(), None);
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let (_dir, mut store) = annas_notebook();

    let result: Result<(), quaderno_store::StoreError> = store.write(|tx| {
        quaderno_store::index::upsert(tx, &entry("new01", "Mai salvata", "x"))?;
        Err(quaderno_store::rusqlite::Error::InvalidQuery.into())
    });

    assert!(result.is_err());
    assert!(store.note("new01").unwrap().is_none());
}

proptest::proptest! {
    /// Whatever a person types, search answers (possibly with nothing) instead of failing.
    #[test]
    fn no_input_makes_search_fail(query in "\\PC{0,40}") {
        let (_dir, store) = annas_notebook();
        proptest::prop_assert!(store.search(&query, 5).is_ok());
    }
}
