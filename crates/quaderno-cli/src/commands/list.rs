use quaderno_client::Notebook;
use quaderno_client::notebook::{ListFilter, ListedNote};

use crate::args::ListArgs;
use crate::output::Rendered;
use crate::output::json::{HitJson, ListedJson};
use crate::output::text::{short_id, table, title};

pub fn list(notebook: &Notebook, args: ListArgs) -> anyhow::Result<Rendered> {
    let filter = ListFilter {
        group: args.group,
        tag: args.tag,
        since: args.since,
        place: args.place,
        include_deleted: args.deleted,
    };
    let notes = notebook.list(&filter)?;
    let json: Vec<ListedJson<'_>> = notes.iter().map(ListedJson::from).collect();
    Ok(Rendered::new(list_text(&notes), json))
}

pub fn search(notebook: &Notebook, query: &str, limit: usize) -> anyhow::Result<Rendered> {
    let hits = notebook.search(query, limit)?;
    let mut text = String::new();
    for hit in &hits {
        text.push_str(&format!(
            "{}  {}\n    {}\n",
            short_id(&hit.id),
            title(&hit.title),
            one_line(&hit.snippet)
        ));
    }
    if hits.is_empty() {
        text = format!("no note contains every word of \"{query}\"");
    }
    let json: Vec<HitJson<'_>> = hits.iter().map(HitJson::from).collect();
    Ok(Rendered::new(text, json))
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

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
