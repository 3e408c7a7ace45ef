//! The names Quaderno writes into its Automerge documents.

pub(crate) const TYPE: &str = "type";
pub(crate) const SCHEMA: &str = "schema";

pub(crate) const NOTE_TYPE: &str = "quaderno/note";
pub(crate) const TITLE: &str = "title";
pub(crate) const BODY: &str = "body";
pub(crate) const TAGS: &str = "tags";
pub(crate) const MEETING: &str = "meeting";
pub(crate) const DATE: &str = "date";
pub(crate) const PLACE: &str = "place";
pub(crate) const PARTICIPANTS: &str = "participants";
pub(crate) const CREATED_AT: &str = "created_at";
pub(crate) const CREATED_BY: &str = "created_by";
pub(crate) const DELETED: &str = "deleted";
pub(crate) const AUTHORS: &str = "authors";
pub(crate) const NAME: &str = "name";
pub(crate) const CITY: &str = "city";

pub(crate) const GROUP_INDEX_TYPE: &str = "quaderno/group-index";
pub(crate) const GROUP: &str = "group";
pub(crate) const NOTES: &str = "notes";
pub(crate) const ADDED_AT: &str = "added_at";
pub(crate) const ADDED_BY: &str = "added_by";

/// How meeting dates are written.
pub(crate) const DATE_FORMAT: &str = "%Y-%m-%d";

/// The schema version as written: a signed integer, which JavaScript reads as a plain number
/// (an unsigned one would reach it as a BigInt).
pub(crate) fn version_value() -> automerge::ScalarValue {
    automerge::ScalarValue::Int(crate::NOTE_SCHEMA_VERSION as i64)
}
