//! People, times and notes shared by the test stories.
#![allow(dead_code)]

use automerge::{ActorId, Automerge};
use chrono::{DateTime, NaiveDate, Utc};
use quaderno_model::{Author, Meeting, NewNote, create_note};

pub fn anna() -> Author {
    Author::new("Anna", "Palermo")
}

pub fn marco() -> Author {
    Author::new("Marco", "Bologna")
}

/// A moment on the day of the third meeting, "HH:MM".
pub fn at(hh_mm: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2024-03-05T{hh_mm}:00Z"))
        .unwrap()
        .with_timezone(&Utc)
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

pub fn minutes() -> NewNote {
    NewNote {
        title: "Terzo incontro".into(),
        body: "Primo punto: accoglienza.\n\nSecondo punto: rete dei servizi.\n".into(),
        tags: vec!["minori".into(), "rete".into()],
        meeting: Meeting {
            date: Some(date("2024-03-05")),
            place: Some("Palermo".into()),
            participants: vec!["Marco".into(), "Anna".into()],
        },
    }
}

/// Anna's note, created at 10:00.
pub fn annas_minutes() -> Automerge {
    create_note(&minutes(), &anna(), at("10:00")).unwrap()
}

/// A copy of `doc` edited by someone else, as after a sync.
pub fn replica_of(doc: &Automerge) -> Automerge {
    doc.fork().with_actor(ActorId::random())
}

/// Brings both documents up to date with each other.
pub fn sync_both(a: &mut Automerge, b: &mut Automerge) {
    a.merge(b).unwrap();
    b.merge(a).unwrap();
}
