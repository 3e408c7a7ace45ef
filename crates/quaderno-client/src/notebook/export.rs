//! Exporting notes as files: Markdown (which `import` reads back), or another form the caller
//! makes ([`NoteFormat`]).

use std::path::{Path, PathBuf};

use quaderno_model::markdown::to_markdown;
use quaderno_model::{DocumentId, Note};
use quaderno_store::index::{ListFilter, ListedNote};

use super::documents::load_existing_doc;
use super::{Notebook, NotebookError};

/// Which notes to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportSelection<'a> {
    /// One note, by reference (deleted or not).
    Note(&'a str),
    /// Every note of a group that is not deleted.
    Group(&'a str),
    /// Every note that is not deleted.
    All,
}

/// One file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    pub id: String,
    pub title: String,
    pub path: PathBuf,
}

/// How a note is written as a file.
pub trait NoteFormat {
    /// The file name's extension, without the dot.
    fn extension(&self) -> &'static str;
    /// The file's text for note `id` of `group`.
    fn text(&self, id: &DocumentId, note: &Note, group: &str) -> String;
}

/// Markdown with the note's fields as front matter: what `import` reads back.
#[derive(Debug, Clone, Copy, Default)]
pub struct Markdown;

impl NoteFormat for Markdown {
    fn extension(&self) -> &'static str {
        "md"
    }

    fn text(&self, id: &DocumentId, note: &Note, group: &str) -> String {
        to_markdown(id, note, Some(group))
    }
}

impl Notebook {
    /// Writes the selected notes into `out_dir` (created if needed), one Markdown file each,
    /// named by [`export_file_name`]; an existing file of the same name is replaced.
    pub fn export(
        &self,
        selection: ExportSelection<'_>,
        out_dir: &Path,
    ) -> Result<Vec<ExportedFile>, NotebookError> {
        self.export_as(selection, out_dir, &Markdown)
    }

    /// As [`Notebook::export`], each note written in `format`.
    pub fn export_as(
        &self,
        selection: ExportSelection<'_>,
        out_dir: &Path,
        format: &dyn NoteFormat,
    ) -> Result<Vec<ExportedFile>, NotebookError> {
        let notes = self.selected(selection)?;
        std::fs::create_dir_all(out_dir).map_err(|source| NotebookError::Io {
            action: "create the folder",
            path: out_dir.to_owned(),
            source,
        })?;
        notes
            .iter()
            .map(|listed| self.export_one(listed, out_dir, format))
            .collect()
    }

    /// The note as a Markdown file, without writing it: its file name and text.
    pub fn markdown(&self, doc: &DocumentId) -> Result<(String, String), NotebookError> {
        let (listed, note) = self.by_id(doc)?;
        let name = export_file_name(&note.title, &listed.id);
        Ok((name, to_markdown(doc, &note, Some(&listed.group))))
    }

    fn selected(&self, selection: ExportSelection<'_>) -> Result<Vec<ListedNote>, NotebookError> {
        let filter = match selection {
            ExportSelection::Note(reference) => return Ok(vec![self.resolve(reference)?]),
            ExportSelection::Group(group) => ListFilter {
                group: Some(group.to_owned()),
                ..ListFilter::default()
            },
            ExportSelection::All => ListFilter::default(),
        };
        self.list(&filter)
    }

    fn export_one(
        &self,
        listed: &ListedNote,
        out_dir: &Path,
        format: &dyn NoteFormat,
    ) -> Result<ExportedFile, NotebookError> {
        let doc = load_existing_doc(self.store.conn(), &self.actor, &listed.group, &listed.id)
            .map_err(|e| self.set_damage_aside(e))?;
        let note = quaderno_model::read_note(&doc)?;
        let id: DocumentId = listed
            .id
            .parse()
            .map_err(|_| NotebookError::MissingDocument {
                id: listed.id.clone(),
            })?;
        let path = out_dir.join(file_name(&note.title, &listed.id, format.extension()));
        let text = format.text(&id, &note, &listed.group);
        std::fs::write(&path, text).map_err(|source| NotebookError::Io {
            action: "write",
            path: path.clone(),
            source,
        })?;
        Ok(ExportedFile {
            id: listed.id.clone(),
            title: note.title,
            path,
        })
    }
}

impl Notebook {
    /// The title a joined group goes by; `None` for the personal notebook or a group not
    /// joined.
    pub fn group_title(&self, slug: &str) -> Result<Option<String>, NotebookError> {
        let group =
            crate::groups::get(self.store.conn(), slug).map_err(NotebookError::from_client)?;
        Ok(group.map(|g| g.title))
    }
}

/// `<title in lower case, words joined by dashes>-<first 8 characters of the id>.md`: readable,
/// and unique even when two notes share a title.
pub fn export_file_name(title: &str, id: &str) -> String {
    file_name(title, id, "md")
}

/// As [`export_file_name`], with extension `extension`.
pub fn file_name(title: &str, id: &str, extension: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut slug = words.join("-");
    if let Some((cut, _)) = slug.char_indices().nth(60) {
        slug.truncate(cut);
        slug = slug.trim_end_matches('-').to_owned();
    }
    let short: String = id.chars().take(8).collect();
    if slug.is_empty() {
        format!("note-{short}.{extension}")
    } else {
        format!("{slug}-{short}.{extension}")
    }
}

#[cfg(test)]
mod tests {
    use super::export_file_name;

    #[test]
    fn titles_become_readable_file_names() {
        assert_eq!(
            export_file_name("Terzo incontro: città & servizi", "2aXk9rT7abc"),
            "terzo-incontro-città-servizi-2aXk9rT7.md"
        );
    }

    #[test]
    fn an_empty_title_still_gives_a_name() {
        assert_eq!(export_file_name(" / ", "2aXk9rT7abc"), "note-2aXk9rT7.md");
    }

    #[test]
    fn long_titles_are_cut() {
        let name = export_file_name(&"parola ".repeat(30), "2aXk9rT7");
        assert!(name.chars().count() <= 60 + 1 + 8 + 3, "{name}");
        assert!(name.ends_with("-2aXk9rT7.md"));
        assert!(!name.contains("--"));
    }
}
