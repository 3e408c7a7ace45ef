//! Reading a document as it is now or as it was at some heads, tolerant of
//! the shapes other automerge-repo clients write.

use std::collections::BTreeSet;

use automerge::{Automerge, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value};

use crate::ModelError;

/// Texts up to this many characters are read even by [`View::shape`].
const SHAPE_TEXT_LIMIT: usize = 256;

/// A document seen now or at past heads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    doc: &'a Automerge,
    heads: Option<&'a [ChangeHash]>,
    /// Whether long text fields are read, or only found to be text (see [`View::shape`]).
    read_texts: bool,
}

/// One field of a map as found in a document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field {
    Missing,
    Scalar(ScalarValue),
    Object(ObjType, ObjId),
}

impl<'a> View<'a> {
    /// The document as it is now.
    pub(crate) fn current(doc: &'a Automerge) -> Self {
        Self {
            doc,
            heads: None,
            read_texts: true,
        }
    }

    /// The document as it is now, with text fields longer than [`SHAPE_TEXT_LIMIT`] read as
    /// empty: what it takes to know that a document has a note's shape, without the cost of
    /// reading a long body. Every text whose content the reading checks (a `type` written as
    /// text by a JavaScript client) is far shorter.
    pub(crate) fn shape(doc: &'a Automerge) -> Self {
        Self {
            doc,
            heads: None,
            read_texts: false,
        }
    }

    /// The document as it was at `heads`.
    pub(crate) fn at(doc: &'a Automerge, heads: &'a [ChangeHash]) -> Self {
        Self {
            doc,
            heads: Some(heads),
            read_texts: true,
        }
    }

    pub(crate) fn doc(&self) -> &'a Automerge {
        self.doc
    }

    /// The field `key` of the map `obj`.
    pub(crate) fn field(&self, obj: &ObjId, key: &str) -> Result<Field, ModelError> {
        let found = match self.heads {
            Some(heads) => self.doc.get_at(obj, key, heads)?,
            None => self.doc.get(obj, key)?,
        };
        Ok(match found {
            None => Field::Missing,
            Some((Value::Scalar(s), _)) => Field::Scalar(s.into_owned()),
            Some((Value::Object(kind), id)) => Field::Object(kind, id),
        })
    }

    /// The keys of the map `obj`, in order.
    pub(crate) fn keys(&self, obj: &ObjId) -> Vec<String> {
        match self.heads {
            Some(heads) => self.doc.keys_at(obj, heads).collect(),
            None => self.doc.keys(obj).collect(),
        }
    }

    /// The elements of the list `obj`.
    fn elements(&self, obj: &ObjId) -> Vec<Field> {
        let values = match self.heads {
            Some(heads) => self.doc.values_at(obj, heads),
            None => self.doc.values(obj),
        };
        values
            .map(|(value, id)| match value {
                Value::Scalar(s) => Field::Scalar(s.into_owned()),
                Value::Object(kind) => Field::Object(kind, id),
            })
            .collect()
    }

    /// The string held by a text object.
    fn text(&self, obj: &ObjId) -> Result<String, ModelError> {
        if !self.read_texts && self.doc.length(obj) > SHAPE_TEXT_LIMIT {
            return Ok(String::new());
        }
        Ok(match self.heads {
            Some(heads) => self.doc.text_at(obj, heads)?,
            None => self.doc.text(obj)?,
        })
    }

    /// A string field, written either as text or as a plain string.
    pub(crate) fn string(
        &self,
        obj: &ObjId,
        key: &str,
        path: &str,
    ) -> Result<Option<String>, ModelError> {
        match self.field(obj, key)? {
            Field::Missing | Field::Scalar(ScalarValue::Null) => Ok(None),
            Field::Scalar(ScalarValue::Str(s)) => Ok(Some(s.to_string())),
            Field::Object(ObjType::Text, id) => self.text(&id).map(Some),
            other => Err(other.wrong_shape(path, "a string")),
        }
    }

    /// A map field, if present.
    pub(crate) fn map(
        &self,
        obj: &ObjId,
        key: &str,
        path: &str,
    ) -> Result<Option<ObjId>, ModelError> {
        match self.field(obj, key)? {
            Field::Missing | Field::Scalar(ScalarValue::Null) => Ok(None),
            Field::Object(ObjType::Map, id) => Ok(Some(id)),
            other => Err(other.wrong_shape(path, "a map")),
        }
    }

    /// A set of names written as a map `{name: true}` or a list of strings.
    pub(crate) fn name_set(
        &self,
        obj: &ObjId,
        key: &str,
        path: &str,
    ) -> Result<BTreeSet<String>, ModelError> {
        match self.field(obj, key)? {
            Field::Missing | Field::Scalar(ScalarValue::Null) => Ok(BTreeSet::new()),
            Field::Object(ObjType::Map, id) => self.names_in_map(&id),
            Field::Object(ObjType::List, id) => self.names_in_list(&id, path),
            other => Err(other.wrong_shape(path, "a map of names to true, or a list of names")),
        }
    }

    fn names_in_map(&self, obj: &ObjId) -> Result<BTreeSet<String>, ModelError> {
        let mut names = BTreeSet::new();
        for key in self.keys(obj) {
            if self.field(obj, &key)?.is_present() {
                names.insert(key);
            }
        }
        Ok(names)
    }

    fn names_in_list(&self, obj: &ObjId, path: &str) -> Result<BTreeSet<String>, ModelError> {
        self.elements(obj)
            .into_iter()
            .map(|element| match element {
                Field::Scalar(ScalarValue::Str(s)) => Ok(s.to_string()),
                Field::Object(ObjType::Text, id) => self.text(&id),
                other => Err(other.wrong_shape(path, "a list of strings")),
            })
            .collect()
    }
}

impl Field {
    /// Whether a set member counts as present (`false` and `null` do not).
    fn is_present(&self) -> bool {
        !matches!(
            self,
            Field::Missing | Field::Scalar(ScalarValue::Null | ScalarValue::Boolean(false))
        )
    }

    /// What this field looks like, for error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Field::Missing => "missing".to_owned(),
            Field::Object(kind, _) => format!("a {}", object_name(*kind)),
            Field::Scalar(scalar) => describe_scalar(scalar),
        }
    }

    /// The error for a field that is not what `path` should hold.
    pub(crate) fn wrong_shape(&self, path: &str, expected: &'static str) -> ModelError {
        ModelError::WrongShape {
            path: path.to_owned(),
            expected,
            found: self.describe(),
        }
    }
}

fn object_name(kind: ObjType) -> &'static str {
    match kind {
        ObjType::Map | ObjType::Table => "map",
        ObjType::List => "list",
        ObjType::Text => "text",
    }
}

fn describe_scalar(scalar: &ScalarValue) -> String {
    match scalar {
        ScalarValue::Str(s) => format!("the string {:?}", s.as_str()),
        ScalarValue::Bytes(_) => "bytes".to_owned(),
        ScalarValue::Null => "null".to_owned(),
        ScalarValue::Boolean(b) => format!("the boolean {b}"),
        ScalarValue::Timestamp(t) => format!("the timestamp {t}"),
        ScalarValue::Counter(_) => "a counter".to_owned(),
        ScalarValue::Int(n) => format!("the number {n}"),
        ScalarValue::Uint(n) => format!("the number {n}"),
        ScalarValue::F64(n) => format!("the number {n}"),
        ScalarValue::Unknown { .. } => "a value of an unknown type".to_owned(),
    }
}
