//! Full-text search over title, body and tags.

use rusqlite::{Connection, params};

use super::SearchHit;
use crate::StoreError;

/// Notes matching every word of `query`, best first (deleted notes never match).
///
/// The query is what a person types: words, each matched as a word (accents and case ignored);
/// a word ending in `*` matches as a prefix. FTS5 syntax (`AND`, `"`, `NEAR`, `-`, `:`) has no
/// special meaning, so no input can make the query fail. An empty query finds nothing.
pub fn search(conn: &Connection, query: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
    let Some(fts) = fts_query(query) else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(
        "SELECT n.id, n.grp, n.title,
                snippet(notes_fts, -1, '**', '**', '…', 12),
                bm25(notes_fts, 10.0, 1.0, 5.0) AS score
         FROM notes_fts JOIN notes n ON n.key = notes_fts.rowid
         WHERE notes_fts MATCH ?1 AND n.deleted = 0
         ORDER BY score, n.id
         LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![fts, limit as i64], |row| {
        Ok(SearchHit {
            id: row.get(0)?,
            group: row.get(1)?,
            title: row.get(2)?,
            snippet: row.get(3)?,
            rank: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Turns what a person typed into an FTS5 query: each whitespace-separated word becomes a quoted
/// string (quotes doubled), so it cannot be read as syntax; a trailing `*` stays outside the
/// quotes as a prefix match. `None` when there is no word to look for.
pub fn fts_query(input: &str) -> Option<String> {
    let terms: Vec<String> = input.split_whitespace().filter_map(term).collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

fn term(word: &str) -> Option<String> {
    let (stem, prefix) = match word.strip_suffix('*') {
        Some(stem) => (stem.trim_end_matches('*'), true),
        None => (word, false),
    };
    if !stem.chars().any(char::is_alphanumeric) {
        return None;
    }
    let quoted = format!("\"{}\"", stem.replace('"', "\"\""));
    Some(if prefix { quoted + "*" } else { quoted })
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn words_are_quoted_and_all_required() {
        assert_eq!(
            fts_query("minori  Palermo").as_deref(),
            Some(r#""minori" "Palermo""#)
        );
    }

    #[test]
    fn syntax_characters_lose_their_meaning() {
        assert_eq!(
            fts_query(r#"a"b NEAR(x -y: AND"#).as_deref(),
            Some(r#""a""b" "NEAR(x" "-y:" "AND""#)
        );
    }

    #[test]
    fn a_trailing_star_is_a_prefix_match() {
        assert_eq!(fts_query("integr*").as_deref(), Some(r#""integr"*"#));
    }

    #[test]
    fn nothing_to_search_for_gives_none() {
        assert_eq!(fts_query("  * -- "), None);
        assert_eq!(fts_query(""), None);
    }
}
