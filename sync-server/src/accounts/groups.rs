//! Groups: each a community of practice with its own storage namespace and index document.

use chrono::{DateTime, Utc};
use quaderno_model::{DocumentId, create_group_index};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::activity::{self, Action, Actor, Entry};
use super::changes::record_doc_change;
use super::slug::GroupSlug;
use super::text::{MAX_TITLE_CHARS, clean};
use super::time::{from_millis, to_millis};
use super::{AccountsError, Result};

/// A group as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Its name in URLs, commands and the storage namespace.
    pub slug: String,
    /// Its display title.
    pub title: String,
    /// The document listing its notes.
    pub index_doc: DocumentId,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A group with the counts `group list` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    /// The group.
    #[serde(flatten)]
    pub group: Group,
    /// How many participants are members.
    pub members: u64,
    /// How many documents (the index included) it holds.
    pub documents: u64,
    /// How many of its members are admins.
    pub admins: u64,
}

/// Creates a group and its empty index document, stored in the group's namespace.
/// Call inside a transaction, so the group never exists without its index.
pub fn create_group(
    conn: &Connection,
    slug: &GroupSlug,
    title: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Group> {
    let title = clean("title", title.unwrap_or(slug.as_str()), MAX_TITLE_CHARS)?;
    if group(conn, slug.as_str())?.is_some() {
        return Err(AccountsError::GroupExists(slug.to_string()));
    }
    let index_doc = DocumentId::random();
    let index = create_group_index(slug.as_str(), now);
    conn.execute(
        "INSERT INTO groups (slug, title, index_doc, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![slug.as_str(), title, index_doc.to_string(), to_millis(now)],
    )?;
    let id = index_doc.to_string();
    quaderno_store::docs::put_snapshot(conn, slug.as_str(), &id, &index.save())?;
    record_doc_change(conn, slug.as_str(), &index_doc)?;
    let entry = Entry {
        group: Some(slug.as_str()),
        action: Action::GroupCreated,
        target: slug.to_string(),
        detail: title.clone(),
    };
    activity::record(conn, actor, entry, now)?;
    Ok(Group {
        slug: slug.to_string(),
        title,
        index_doc,
        created_at: now,
    })
}

/// Gives the group a new title; its slug, and so every address and code, stays. Call inside a
/// transaction.
pub fn rename_group(
    conn: &Connection,
    slug: &str,
    title: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Group> {
    let group = existing_group(conn, slug)?;
    let title = clean("title", title, MAX_TITLE_CHARS)?;
    if title == group.title {
        return Ok(group);
    }
    conn.execute(
        "UPDATE groups SET title = ?2 WHERE slug = ?1",
        params![slug, title],
    )?;
    let entry = Entry {
        group: Some(slug),
        action: Action::GroupRenamed,
        target: slug.to_owned(),
        detail: format!("«{}» → «{title}»", group.title),
    };
    activity::record(conn, actor, entry, now)?;
    Ok(Group { title, ..group })
}

/// The group with this slug, if any.
pub fn group(conn: &Connection, slug: &str) -> Result<Option<Group>> {
    let row = conn
        .prepare_cached("SELECT slug, title, index_doc, created_at FROM groups WHERE slug = ?1")?
        .query_row([slug], read_row)
        .optional()?;
    row.map(into_group).transpose()
}

/// The group with this slug, or an error naming it.
pub fn existing_group(conn: &Connection, slug: &str) -> Result<Group> {
    group(conn, slug)?.ok_or_else(|| AccountsError::UnknownGroup(slug.to_owned()))
}

/// Every group with its member and document counts, by slug.
pub fn list_groups(conn: &Connection) -> Result<Vec<GroupSummary>> {
    let mut stmt = conn.prepare_cached(
        "SELECT g.slug, g.title, g.index_doc, g.created_at,
                (SELECT COUNT(*) FROM memberships m WHERE m.grp = g.slug),
                (SELECT COUNT(*) FROM group_changes c WHERE c.grp = g.slug),
                (SELECT COUNT(*) FROM memberships m WHERE m.grp = g.slug AND m.role = 'admin')
         FROM groups g ORDER BY g.slug",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok((
            read_row(row)?,
            row.get::<_, i64>(4)?,
            row.get::<_, i64>(5)?,
            row.get::<_, i64>(6)?,
        ))
    })?;
    rows.map(|row| {
        let (group, members, documents, admins) = row?;
        Ok(GroupSummary {
            group: into_group(group)?,
            members: members.unsigned_abs(),
            documents: documents.unsigned_abs(),
            admins: admins.unsigned_abs(),
        })
    })
    .collect()
}

/// Every group's slug, for searches across groups.
pub(crate) fn all_slugs(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT slug FROM groups ORDER BY slug")?;
    let rows = stmt.query_map([], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

type Row = (String, String, String, i64);

pub(crate) fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

pub(crate) fn into_group((slug, title, index_doc, created): Row) -> Result<Group> {
    let index_doc = index_doc
        .parse()
        .map_err(|_| AccountsError::Corrupt(format!("index document id of group {slug}")))?;
    Ok(Group {
        slug,
        title,
        index_doc,
        created_at: from_millis(created)?,
    })
}
