//! Short, aligned text for people.

use chrono::{DateTime, Local, Utc};

/// How many characters of an id people see: enough to tell notes apart and to type back.
pub const SHORT_ID: usize = 8;

/// Titles longer than this are cut in tables.
const TITLE_WIDTH: usize = 48;

pub fn short_id(id: &str) -> String {
    id.chars().take(SHORT_ID).collect()
}

/// "1 note", "3 notes".
pub fn notes(n: usize) -> String {
    if n == 1 {
        "1 note".into()
    } else {
        format!("{n} notes")
    }
}

pub fn local_time(time: DateTime<Utc>) -> String {
    time.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

pub fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

pub fn title(text: &str) -> String {
    cut(text, TITLE_WIDTH)
}

/// Rows as columns padded to the widest cell (by characters); the last column is not padded.
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out =
        String::with_capacity(rows.len() * (widths.iter().sum::<usize>() + 2 * columns + 1));
    for row in rows {
        let line_start = out.len();
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                let padding = widths[i] - cell.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', padding));
            }
        }
        let trimmed = out[line_start..].trim_end().len();
        out.truncate(line_start + trimmed);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_by_characters_not_bytes() {
        let rows = vec![
            vec!["città".to_owned(), "a".to_owned(), "x".to_owned()],
            vec!["roma".to_owned(), "bbb".to_owned(), "y".to_owned()],
        ];
        assert_eq!(table(&rows), "città  a    x\nroma   bbb  y\n");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(cut("integrazione", 6), "integ…");
        assert_eq!(cut("breve", 6), "breve");
    }
}
