use std::fmt::Write;

use quaderno_client::Notebook;
use quaderno_client::notebook::{At, ShownNote};
use serde_json::json;

use crate::output::json::{ChangeJson, NoteJson};
use crate::output::text::{local_time, short_id, table};
use crate::output::{Format, Rendered};

pub fn show(
    format: Format,
    notebook: &Notebook,
    note: &str,
    at: Option<&str>,
) -> anyhow::Result<Rendered> {
    let shown = match at {
        Some(at) => notebook.show_at(note, &at.parse::<At>()?)?,
        None => notebook.show(note)?,
    };
    Ok(format.render(|| note_text(&shown), || NoteJson::from(&shown)))
}

pub fn log(format: Format, notebook: &Notebook, note: &str) -> anyhow::Result<Rendered> {
    let (shown, history) = notebook.log(note)?;
    let rows: Vec<Vec<String>> = history
        .iter()
        .map(|h| {
            vec![
                h.hash.to_string()[..8].to_owned(),
                local_time(h.time),
                match &h.claimed {
                    Some(claimed) => format!("{} (signed as «{claimed}»)", h.author),
                    None => h.author.clone(),
                },
                h.summary.clone(),
            ]
        })
        .collect();
    let text = || {
        format!(
            "{} ({})\n{}",
            shown.note.title,
            short_id(&shown.id),
            table(&rows)
        )
    };
    let json = || {
        let changes: Vec<ChangeJson<'_>> = history.iter().map(ChangeJson::from).collect();
        json!({ "id": shown.id, "title": shown.note.title, "changes": changes })
    };
    Ok(format.render(text, json))
}

fn note_text(shown: &ShownNote) -> String {
    let note = &shown.note;
    let mut fields = vec![
        field("id", &shown.id),
        field("group", &shown.group),
        field(
            "created",
            &format!("{} by {}", local_time(note.created_at), note.created_by),
        ),
    ];
    let optional = [
        ("tags", note.tags.join(", ")),
        (
            "date",
            note.meeting.date.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("place", note.meeting.place.clone().unwrap_or_default()),
        ("people", note.meeting.participants.join(", ")),
    ];
    fields.extend(
        optional
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| field(k, v)),
    );
    if note.deleted {
        fields.push(field(
            "status",
            &format!("in the bin (quaderno restore {})", short_id(&shown.id)),
        ));
    }
    let mut text = format!("{}\n{}", note.title, table(&fields));
    let _ = write!(text, "\n{}", note.body);
    text
}

fn field(name: &str, value: &str) -> Vec<String> {
    vec![name.to_owned(), value.to_owned()]
}
