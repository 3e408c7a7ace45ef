use std::io::Read;

use anyhow::Context;
use quaderno_client::Notebook;
use quaderno_model::{Meeting, NewNote};

use crate::args::NewArgs;
use crate::editor::{self, Edited};
use crate::output::json::NoteJson;
use crate::output::{Format, Rendered};

pub fn run(format: Format, notebook: &mut Notebook, args: NewArgs) -> anyhow::Result<Rendered> {
    let group = args.group.clone();
    let mut new = NewNote {
        title: args.title.unwrap_or_default(),
        body: String::new(),
        tags: args.tags,
        meeting: Meeting {
            date: args.date,
            place: args.place,
            participants: args.participants,
        },
    };
    let created = match args.body.as_deref() {
        Some("-") => {
            std::io::stdin()
                .read_to_string(&mut new.body)
                .context("cannot read the note from standard input")?;
            notebook.create(&new, group.as_deref())?
        }
        Some(text) => {
            new.body = text.to_owned();
            notebook.create(&new, group.as_deref())?
        }
        None => {
            notebook.check_writable(group.as_deref())?;
            let template = notebook.new_note_markdown(&new)?;
            match editor::edit(&template)? {
                Edited::Changed(file) => {
                    notebook.create_from_markdown(&file.text, &file.path, group.as_deref())?
                }
                unsaved => return Ok(editor::nothing_saved(format, &unsaved)),
            }
        }
    };
    Ok(format.render(|| created.id.clone(), || NoteJson::from(&created)))
}
