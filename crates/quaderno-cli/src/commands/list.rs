use quaderno_client::Notebook;
use quaderno_client::notebook::{ListFilter, ListedNote, SearchHit};

use crate::args::ListArgs;
use crate::output::json::{HitJson, ListedJson};
use crate::output::text::{short_id, table, title};
use crate::output::{Format, Rendered};

pub fn list(format: Format, notebook: &Notebook, args: ListArgs) -> anyhow::Result<Rendered> {
    let filter = ListFilter {
        group: args.group,
        tag: args.tag,
        since: args.since,
        place: args.place,
        include_deleted: args.deleted,
    };
    let notes = notebook.list(&filter)?;
    let json = || notes.iter().map(ListedJson::from).collect::<Vec<_>>();
    Ok(format.render(|| list_text(&notes), json))
}

pub fn search(
    format: Format,
    notebook: &Notebook,
    query: &str,
    limit: usize,
) -> anyhow::Result<Rendered> {
    let hits = notebook.search(query, limit)?;
    let json = || hits.iter().map(HitJson::from).collect::<Vec<_>>();
    Ok(format.render(|| hits_text(&hits, query), json))
}

fn list_text(notes: &[ListedNote]) -> String {
    if notes.is_empty() {
        return "no notes".to_owned();
    }
    let rows: Vec<Vec<String>> = notes
        .iter()
        .map(|n| {
            let day = n.meeting_date.unwrap_or_else(|| n.created_at.date_naive());
            let mark = if n.deleted { " (in the bin)" } else { "" };
            vec![
                short_id(&n.id),
                day.to_string(),
                n.group.clone(),
                format!("{}{mark}", title(&n.title)),
                n.tags.join(","),
            ]
        })
        .collect();
    table(&rows)
}

fn hits_text(hits: &[SearchHit], query: &str) -> String {
    if hits.is_empty() {
        return format!("no note contains every word of \"{query}\"");
    }
    let line = |hit: &SearchHit| {
        format!(
            "{}  {}\n    {}\n",
            short_id(&hit.id),
            title(&hit.title),
            one_line(&hit.snippet)
        )
    };
    hits.iter().map(line).collect()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
