//! Finding the Markdown files to import.

use std::path::{Path, PathBuf};

use crate::notebook::NotebookError;

/// The files to import: each path that is a file, and every `.md` or `.markdown` file under
/// each path that is a folder (recursively, skipping hidden entries), each folder's files in
/// name order.
pub fn markdown_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, NotebookError> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| io("read", path, source))?;
        if meta.is_dir() {
            collect(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), NotebookError> {
    let mut entries = std::fs::read_dir(dir)
        .and_then(|entries| {
            entries
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|source| io("read the folder", dir, source))?;
    entries.sort();
    for path in entries.into_iter().filter(|p| !is_hidden(p)) {
        if path.is_dir() {
            collect(&path, files)?;
        } else if is_markdown(&path) {
            files.push(path);
        }
    }
    Ok(())
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> NotebookError {
    NotebookError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_searched_recursively_for_markdown_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("2025/marzo")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        for file in [
            "b.md",
            "a.MD",
            "foto.jpg",
            "2025/marzo/c.markdown",
            ".git/x.md",
            "2025/d.md",
        ] {
            std::fs::write(root.join(file), "x").unwrap();
        }
        let single = root.join("foto.jpg");

        let files = markdown_files(&[root.to_owned(), single.clone()]).unwrap();

        let names: Vec<String> = files
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "2025/d.md",
                "2025/marzo/c.markdown",
                "a.MD",
                "b.md",
                "foto.jpg"
            ]
        );
    }

    #[test]
    fn a_missing_path_is_an_error_naming_it() {
        let error = markdown_files(&[PathBuf::from("/no/such/folder")]).unwrap_err();
        assert!(error.to_string().contains("/no/such/folder"), "{error}");
    }
}
