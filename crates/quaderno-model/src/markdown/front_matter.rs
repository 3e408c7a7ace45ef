//! Finding the front matter and the body in a Markdown file.

use super::MarkdownError;

const FENCE: &str = "---";

/// A file split into its YAML front matter and its body.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Parts<'a> {
    /// The YAML between the fences.
    pub(super) yaml: &'a str,
    /// The file line the YAML starts on.
    pub(super) yaml_line: usize,
    /// Everything after the closing fence and one blank line.
    pub(super) body: &'a str,
}

/// Splits `text` if it starts with a `---` line; `None` if it has no front matter.
pub(super) fn split(text: &str) -> Result<Option<Parts<'_>>, MarkdownError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(after_open) = strip_fence_line(text) else {
        return Ok(None);
    };
    let mut offset = 0;
    while offset < after_open.len() {
        let rest = &after_open[offset..];
        if let Some(body) = strip_fence_line(rest) {
            return Ok(Some(Parts {
                yaml: &after_open[..offset],
                yaml_line: 2,
                body: strip_blank_line(body),
            }));
        }
        offset += rest.find('\n').map_or(rest.len(), |n| n + 1);
    }
    Err(MarkdownError::new(
        1,
        "the front matter opened by `---` is never closed: add a line with just `---` after it",
    ))
}

/// The text after a first line that is exactly `---`.
fn strip_fence_line(text: &str) -> Option<&str> {
    let (line, rest) = match text.find('\n') {
        Some(n) => (&text[..n], &text[n + 1..]),
        None => (text, ""),
    };
    (line.strip_suffix('\r').unwrap_or(line) == FENCE).then_some(rest)
}

fn strip_blank_line(body: &str) -> &str {
    body.strip_prefix("\r\n")
        .or_else(|| body.strip_prefix('\n'))
        .unwrap_or(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_a_fence_has_no_front_matter() {
        assert_eq!(split("# Title\n\ntext").unwrap(), None);
        assert_eq!(split("").unwrap(), None);
        assert_eq!(split("----\n").unwrap(), None);
    }

    #[test]
    fn the_body_starts_after_the_closing_fence_and_one_blank_line() {
        let parts = split("---\ntitle: x\n---\n\n\nbody\n---\n")
            .unwrap()
            .unwrap();
        assert_eq!(parts.yaml, "title: x\n");
        assert_eq!(parts.body, "\nbody\n---\n");
    }

    #[test]
    fn windows_line_endings_are_understood() {
        let parts = split("---\r\ntitle: x\r\n---\r\n\r\nbody\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(parts.yaml, "title: x\r\n");
        assert_eq!(parts.body, "body\r\n");
    }

    #[test]
    fn empty_front_matter_and_a_missing_body_are_fine() {
        let parts = split("---\n---").unwrap().unwrap();
        assert_eq!((parts.yaml, parts.body), ("", ""));
    }

    #[test]
    fn an_unclosed_front_matter_points_at_line_one() {
        let err = split("---\ntitle: x\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("never closed"), "{err}");
    }
}
