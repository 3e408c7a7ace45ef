//! Tags: one word each, kept as written apart from surrounding spaces.

use std::collections::BTreeSet;

use crate::ModelError;

/// The tag as Quaderno stores it (trimmed), or why it cannot be a tag.
pub fn normalize_tag(tag: &str) -> Result<String, ModelError> {
    let trimmed = tag.trim();
    let problem = if trimmed.is_empty() {
        Some("is empty: give a word, such as `urgent`")
    } else if trimmed.chars().any(char::is_whitespace) {
        Some("contains a space: join the words with `-`, such as `home-visit`")
    } else if trimmed.contains(',') {
        Some("contains a comma: give each tag on its own")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(ModelError::InvalidTag {
            tag: tag.to_owned(),
            problem,
        }),
        None => Ok(trimmed.to_owned()),
    }
}

/// The set of tags as stored, or the first one that cannot be a tag.
pub(crate) fn normalize_tags(tags: &[String]) -> Result<BTreeSet<String>, ModelError> {
    tags.iter().map(|t| normalize_tag(t)).collect()
}

/// Participant names as stored: trimmed, blanks dropped.
pub(crate) fn normalize_names(names: &[String]) -> BTreeSet<String> {
    names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A place as stored: trimmed, and none when blank.
pub(crate) fn normalize_place(place: Option<&str>) -> Option<String> {
    place
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_keeps_its_case_and_loses_surrounding_spaces() {
        assert_eq!(normalize_tag("  Urgent ").unwrap(), "Urgent");
        assert_eq!(
            normalize_tag("minori-stranieri").unwrap(),
            "minori-stranieri"
        );
        assert_eq!(normalize_tag("città").unwrap(), "città");
    }

    #[test]
    fn a_tag_with_spaces_says_to_join_the_words() {
        let err = normalize_tag("home visit").unwrap_err().to_string();
        assert!(err.contains("home visit") && err.contains('-'), "{err}");
        assert!(normalize_tag("a\tb").is_err());
    }

    #[test]
    fn empty_tags_and_tags_with_commas_are_refused() {
        assert!(
            normalize_tag("   ")
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        assert!(
            normalize_tag("a,b")
                .unwrap_err()
                .to_string()
                .contains("comma")
        );
    }

    #[test]
    fn tag_lists_become_sorted_sets() {
        let tags = ["b".to_owned(), "a".to_owned(), " b ".to_owned()];
        let set = normalize_tags(&tags).unwrap();
        assert_eq!(set.into_iter().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn participant_names_are_trimmed_and_blanks_dropped() {
        let names = [" Anna ".to_owned(), "".to_owned(), "Marco".to_owned()];
        let set = normalize_names(&names);
        assert_eq!(set.into_iter().collect::<Vec<_>>(), ["Anna", "Marco"]);
    }

    #[test]
    fn a_blank_place_is_no_place() {
        assert_eq!(normalize_place(Some("  ")), None);
        assert_eq!(normalize_place(Some(" Roma ")).as_deref(), Some("Roma"));
    }
}
