use quaderno_client::Notebook;
use serde_json::json;

use crate::output::text::short_id;
use crate::output::{Format, Rendered};

pub fn run(
    format: Format,
    notebook: &mut Notebook,
    note: &str,
    changes: &[String],
) -> anyhow::Result<Rendered> {
    let (add, remove) = split_changes(changes);
    let listed = notebook.resolve(note)?;
    let tags = notebook.tag(&listed.id, &add, &remove)?;
    let shown = if tags.is_empty() {
        "none".to_owned()
    } else {
        tags.join(", ")
    };
    let text = || format!("{}  tags: {shown}", short_id(&listed.id));
    Ok(format.render(text, || json!({ "id": listed.id, "tags": tags })))
}

/// `+a` adds `a`, `-a` removes it, a bare `a` adds it.
fn split_changes(changes: &[String]) -> (Vec<String>, Vec<String>) {
    let mut add = Vec::new();
    let mut remove = Vec::new();
    for change in changes {
        match change.strip_prefix('-') {
            Some(tag) => remove.push(tag.to_owned()),
            None => add.push(change.strip_prefix('+').unwrap_or(change).to_owned()),
        }
    }
    (add, remove)
}

#[cfg(test)]
mod tests {
    use super::split_changes;

    #[test]
    fn plus_adds_minus_removes_and_bare_adds() {
        let changes: Vec<String> = ["+minori", "-bozza", "verbale"].map(String::from).to_vec();
        assert_eq!(
            split_changes(&changes),
            (
                vec!["minori".into(), "verbale".into()],
                vec!["bozza".into()]
            )
        );
    }
}
