//! Listing notes and finding them by id or title, from the index only.

use rusqlite::{Connection, ToSql};

use super::row::{LISTED_COLUMNS, date_text, listed_note};
use super::{ListFilter, ListedNote};
use crate::StoreError;

/// Notes matching `filter`, the most recent day first (then the most recently created).
pub fn list(conn: &Connection, filter: &ListFilter) -> Result<Vec<ListedNote>, StoreError> {
    let (conditions, args) = conditions(filter);
    let sql = format!(
        "SELECT {LISTED_COLUMNS} FROM notes n WHERE {} ORDER BY n.day DESC, n.created_at DESC",
        conditions.join(" AND ")
    );
    let args: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
    query(conn, &sql, &args)
}

/// The note with exactly this id.
pub fn by_id(conn: &Connection, id: &str) -> Result<Option<ListedNote>, StoreError> {
    let sql = format!("SELECT {LISTED_COLUMNS} FROM notes n WHERE n.id = ?1");
    Ok(query(conn, &sql, &[&id])?.pop())
}

/// Notes whose id starts with `prefix` (ids are case-sensitive).
pub fn by_id_prefix(conn: &Connection, prefix: &str) -> Result<Vec<ListedNote>, StoreError> {
    let sql = format!(
        "SELECT {LISTED_COLUMNS} FROM notes n WHERE substr(n.id, 1, length(?1)) = ?1 ORDER BY n.id"
    );
    query(conn, &sql, &[&prefix])
}

/// Notes with exactly this title.
pub fn by_title(conn: &Connection, title: &str) -> Result<Vec<ListedNote>, StoreError> {
    let sql = format!("SELECT {LISTED_COLUMNS} FROM notes n WHERE n.title = ?1 ORDER BY n.id");
    query(conn, &sql, &[&title])
}

/// Up to `limit` notes whose title contains `text` (case-insensitive for ASCII letters),
/// shortest title first: suggestions for a reference that matched nothing.
pub fn by_title_containing(
    conn: &Connection,
    text: &str,
    limit: usize,
) -> Result<Vec<ListedNote>, StoreError> {
    let sql = format!(
        "SELECT {LISTED_COLUMNS} FROM notes n WHERE instr(lower(n.title), lower(?1)) > 0 \
         ORDER BY length(n.title), n.id LIMIT ?2"
    );
    query(conn, &sql, &[&text, &(limit as i64)])
}

/// The groups that have at least one note.
pub fn groups(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT DISTINCT grp FROM notes ORDER BY grp")?;
    let rows = stmt.query_map([], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The SQL conditions and their arguments for a filter: a pure decision, tested below.
fn conditions(filter: &ListFilter) -> (Vec<&'static str>, Vec<Box<dyn ToSql>>) {
    let mut conditions = vec!["1"];
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    if !filter.include_deleted {
        conditions.push("n.deleted = 0");
    }
    if let Some(group) = &filter.group {
        conditions.push("n.grp = ?");
        args.push(Box::new(group.clone()));
    }
    if let Some(tag) = &filter.tag {
        conditions
            .push("EXISTS (SELECT 1 FROM note_tags t WHERE t.note_key = n.key AND t.tag = ?)");
        args.push(Box::new(tag.clone()));
    }
    if let Some(since) = &filter.since {
        conditions.push("n.day >= ?");
        args.push(Box::new(date_text(since)));
    }
    if let Some(place) = &filter.place {
        conditions.push("instr(lower(n.place), lower(?)) > 0");
        args.push(Box::new(place.clone()));
    }
    (conditions, args)
}

fn query(conn: &Connection, sql: &str, args: &[&dyn ToSql]) -> Result<Vec<ListedNote>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, listed_note)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_filter_hides_deleted_notes_only() {
        let (conditions, args) = conditions(&ListFilter::default());
        assert_eq!(conditions, vec!["1", "n.deleted = 0"]);
        assert!(args.is_empty());
    }

    #[test]
    fn every_filter_adds_one_condition_with_one_argument() {
        let filter = ListFilter {
            group: Some("personal".into()),
            tag: Some("minori".into()),
            since: chrono::NaiveDate::from_ymd_opt(2025, 3, 1),
            place: Some("Palermo".into()),
            include_deleted: true,
        };
        let (conditions, args) = conditions(&filter);
        assert_eq!(conditions.len(), 5);
        assert_eq!(args.len(), 4);
    }
}
