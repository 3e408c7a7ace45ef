//! Which kind of Quaderno document a document is.

use automerge::{Automerge, ROOT, ScalarValue};

use crate::view::{Field, View};
use crate::{ModelError, NOTE_SCHEMA_VERSION, schema};

/// The kinds of document Quaderno knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// A note.
    Note,
    /// The index of a group's notes.
    GroupIndex,
    /// Anything else, including a document not received yet.
    Unknown,
}

impl DocKind {
    fn name(self) -> &'static str {
        match self {
            DocKind::Note => "note",
            DocKind::GroupIndex => "group index",
            DocKind::Unknown => "unknown document",
        }
    }
}

/// The kind of `doc`, from its `type` field (or, for documents without one,
/// from the fields a note or group index has).
pub fn doc_kind(doc: &Automerge) -> DocKind {
    kind_in(View::current(doc))
}

pub(crate) fn kind_in(view: View<'_>) -> DocKind {
    match view.field(&ROOT, schema::TYPE) {
        Ok(Field::Missing) => kind_from_fields(view),
        // JavaScript clients store every string as collaborative text, `type` included.
        Ok(Field::Scalar(ScalarValue::Str(_)) | Field::Object(automerge::ObjType::Text, _)) => {
            match view
                .string(&ROOT, schema::TYPE, "type")
                .ok()
                .flatten()
                .as_deref()
            {
                Some(schema::NOTE_TYPE) => DocKind::Note,
                Some(schema::GROUP_INDEX_TYPE) => DocKind::GroupIndex,
                _ => DocKind::Unknown,
            }
        }
        _ => DocKind::Unknown,
    }
}

fn kind_from_fields(view: View<'_>) -> DocKind {
    let has = |key| !matches!(view.field(&ROOT, key), Ok(Field::Missing) | Err(_));
    if has(schema::TITLE) || has(schema::BODY) {
        DocKind::Note
    } else if has(schema::NOTES) && has(schema::GROUP) {
        DocKind::GroupIndex
    } else {
        DocKind::Unknown
    }
}

/// Checks that `view` is a document of kind `expected` that this version can
/// read, and returns its schema version.
pub(crate) fn expect_kind(view: View<'_>, expected: DocKind) -> Result<u64, ModelError> {
    if view.keys(&ROOT).is_empty() {
        return Err(ModelError::EmptyDocument);
    }
    let found = kind_in(view);
    if found != expected {
        return Err(ModelError::WrongKind {
            expected: expected.name(),
            found: describe_kind(view, found),
        });
    }
    let version = schema_version(view)?;
    if version > NOTE_SCHEMA_VERSION {
        return Err(ModelError::NewerSchema { found: version });
    }
    Ok(version)
}

fn describe_kind(view: View<'_>, kind: DocKind) -> String {
    match (kind, view.field(&ROOT, schema::TYPE)) {
        (DocKind::Unknown, Ok(Field::Scalar(ScalarValue::Str(t)))) => {
            format!("a {:?} document", t.as_str())
        }
        (DocKind::Unknown, _) => "a document without a Quaderno type".to_owned(),
        (kind, _) => format!("a Quaderno {}", kind.name()),
    }
}

fn schema_version(view: View<'_>) -> Result<u64, ModelError> {
    let field = view.field(&ROOT, schema::SCHEMA)?;
    match &field {
        Field::Missing | Field::Scalar(ScalarValue::Null) => Ok(NOTE_SCHEMA_VERSION),
        Field::Scalar(ScalarValue::Uint(n)) => Ok(*n),
        Field::Scalar(ScalarValue::Int(n)) if *n >= 0 => Ok(*n as u64),
        Field::Scalar(ScalarValue::F64(n)) if *n >= 0.0 && n.fract() == 0.0 => Ok(*n as u64),
        _ => Err(field.wrong_shape("schema", "a whole number")),
    }
}
