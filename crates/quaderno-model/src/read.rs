//! Reading a note document into a [`Note`].

use automerge::{Automerge, ObjId, ROOT, ScalarValue};
use chrono::{DateTime, NaiveDate, Utc};

use crate::kind::{DocKind, expect_kind};
use crate::view::{Field, View};
use crate::{Meeting, ModelError, Note, history, schema};

/// The note held by `doc`, as it is now.
pub fn read_note(doc: &Automerge) -> Result<Note, ModelError> {
    read_note_in(View::current(doc))
}

/// Whether [`read_note`] would read `doc`, without reading its text: a fraction of the cost on
/// a long note (the text fields are only found to be text).
pub fn check_note(doc: &Automerge) -> Result<(), ModelError> {
    read_note_in(View::shape(doc)).map(drop)
}

pub(crate) fn read_note_in(view: View<'_>) -> Result<Note, ModelError> {
    let schema_version = expect_kind(view, DocKind::Note)?;
    Ok(Note {
        title: view
            .string(&ROOT, schema::TITLE, "title")?
            .unwrap_or_default(),
        body: view
            .string(&ROOT, schema::BODY, "body")?
            .unwrap_or_default(),
        tags: view
            .name_set(&ROOT, schema::TAGS, "tags")?
            .into_iter()
            .collect(),
        meeting: read_meeting(view)?,
        created_at: read_created_at(view)?,
        created_by: view
            .string(&ROOT, schema::CREATED_BY, "created_by")?
            .unwrap_or_default(),
        deleted: read_bool(view, &ROOT, schema::DELETED, "deleted")?,
        schema: schema_version,
    })
}

fn read_meeting(view: View<'_>) -> Result<Meeting, ModelError> {
    let Some(meeting) = view.map(&ROOT, schema::MEETING, "meeting")? else {
        return Ok(Meeting::default());
    };
    Ok(Meeting {
        date: read_date(view, &meeting)?,
        place: view
            .string(&meeting, schema::PLACE, "meeting.place")?
            .filter(|p| !p.is_empty()),
        participants: view
            .name_set(&meeting, schema::PARTICIPANTS, "meeting.participants")?
            .into_iter()
            .collect(),
    })
}

fn read_date(view: View<'_>, meeting: &ObjId) -> Result<Option<NaiveDate>, ModelError> {
    let field = view.field(meeting, schema::DATE)?;
    let wrong = || field.wrong_shape("meeting.date", "a YYYY-MM-DD date");
    match &field {
        Field::Missing | Field::Scalar(ScalarValue::Null) => Ok(None),
        Field::Scalar(ScalarValue::Str(s)) => NaiveDate::parse_from_str(s, schema::DATE_FORMAT)
            .map(Some)
            .map_err(|_| wrong()),
        Field::Scalar(ScalarValue::Timestamp(ms)) => DateTime::from_timestamp_millis(*ms)
            .map(|t| Some(t.date_naive()))
            .ok_or_else(wrong),
        _ => Err(wrong()),
    }
}

fn read_created_at(view: View<'_>) -> Result<DateTime<Utc>, ModelError> {
    let field = view.field(&ROOT, schema::CREATED_AT)?;
    let wrong = || field.wrong_shape("created_at", "a timestamp");
    let millis = match &field {
        Field::Missing | Field::Scalar(ScalarValue::Null) => {
            return Ok(history::first_change_time(view.doc()));
        }
        Field::Scalar(ScalarValue::Timestamp(ms) | ScalarValue::Int(ms)) => *ms,
        Field::Scalar(ScalarValue::Uint(ms)) => i64::try_from(*ms).map_err(|_| wrong())?,
        Field::Scalar(ScalarValue::F64(ms)) => *ms as i64,
        Field::Scalar(ScalarValue::Str(s)) => {
            return DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| wrong());
        }
        _ => return Err(wrong()),
    };
    DateTime::from_timestamp_millis(millis).ok_or_else(wrong)
}

fn read_bool(view: View<'_>, obj: &ObjId, key: &str, path: &str) -> Result<bool, ModelError> {
    match view.field(obj, key)? {
        Field::Missing | Field::Scalar(ScalarValue::Null) => Ok(false),
        Field::Scalar(ScalarValue::Boolean(b)) => Ok(b),
        other => Err(other.wrong_shape(path, "true or false")),
    }
}
