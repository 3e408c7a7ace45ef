//! Checks on the short texts people type: names, cities, titles, device names.

use super::{AccountsError, Result};

/// The longest name, city or device name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest group title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// `value` trimmed, when it is non-empty, at most `max` characters and free of control
/// characters.
pub(crate) fn clean(field: &'static str, value: &str, max: usize) -> Result<String> {
    let invalid = |problem| AccountsError::InvalidText { field, problem };
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if value.chars().count() > max {
        return Err(invalid("is too long"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(
            "must not contain control characters such as new lines",
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_accepts_ordinary_names() {
        assert_eq!(clean("name", "  Anna Rossi ", 100).unwrap(), "Anna Rossi");
        assert_eq!(clean("city", "Forlì", 100).unwrap(), "Forlì");
    }

    #[test]
    fn refuses_empty_long_and_multiline_text() {
        assert!(clean("name", "   ", 100).is_err());
        assert!(clean("name", &"a".repeat(101), 100).is_err());
        assert!(clean("name", "Anna\nRossi", 100).is_err());
    }
}
