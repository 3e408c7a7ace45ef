//! Who is behind each actor: the `authors` map, so history can name people.

use std::collections::HashMap;

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::{Author, ModelError, schema};

/// Records `author` under `actor` in the `authors` map, unless it is already
/// there. A document whose `authors` field is not a map is left as it is.
pub(crate) fn record_author(
    tx: &mut impl Transactable,
    actor: &ActorId,
    author: &Author,
) -> Result<(), ModelError> {
    let Some(authors) = authors_map(tx)? else {
        return Ok(());
    };
    let key = actor.to_hex_string();
    let entry = match tx.get(&authors, key.as_str())? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => tx.put_object(&authors, key.as_str(), ObjType::Map)?,
    };
    put_string_if_changed(tx, &entry, schema::NAME, &author.name)?;
    put_string_if_changed(tx, &entry, schema::CITY, &author.city)?;
    Ok(())
}

fn authors_map(tx: &mut impl Transactable) -> Result<Option<ObjId>, ModelError> {
    match tx.get(ROOT, schema::AUTHORS)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(Some(id)),
        Some(_) => Ok(None),
        None => Ok(Some(tx.put_object(ROOT, schema::AUTHORS, ObjType::Map)?)),
    }
}

fn put_string_if_changed(
    tx: &mut impl Transactable,
    obj: &ObjId,
    key: &str,
    value: &str,
) -> Result<(), ModelError> {
    if string_at(tx, obj, key).as_deref() != Some(value) {
        tx.put(obj, key, value)?;
    }
    Ok(())
}

fn string_at(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        (Value::Object(ObjType::Text), id) => doc.text(&id).ok(),
        _ => None,
    }
}

/// "Name (City)" for every actor listed in the document's `authors` map.
pub(crate) fn author_names(doc: &Automerge) -> HashMap<String, String> {
    let Ok(Some((Value::Object(ObjType::Map), authors))) = doc.get(ROOT, schema::AUTHORS) else {
        return HashMap::new();
    };
    doc.keys(&authors)
        .filter_map(|actor| {
            let (_, entry) = doc.get(&authors, actor.as_str()).ok()??;
            let name = string_at(doc, &entry, schema::NAME)?;
            let city = string_at(doc, &entry, schema::CITY).unwrap_or_default();
            Some((actor, Author { name, city }.to_string()))
        })
        .collect()
}

/// How history shows an actor nobody put a name to.
pub(crate) fn unknown_author(actor: &ActorId) -> String {
    let hex = actor.to_hex_string();
    format!("unknown ({})", &hex[..hex.len().min(8)])
}
