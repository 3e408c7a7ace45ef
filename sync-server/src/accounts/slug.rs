//! Group slugs: the name of a group in URLs, storage namespaces and commands.

use std::fmt;

/// A checked group slug: 2 to 64 lowercase ASCII letters, digits and hyphens, starting with a
/// letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupSlug(String);

/// Why a text is not a group slug, worded for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a valid group name: use 2 to 64 lowercase letters, digits and hyphens, \
     starting with a letter or digit (for example `integrazione-2025`)"
)]
pub struct InvalidSlug(pub String);

impl GroupSlug {
    /// Checks `text` and wraps it.
    pub fn parse(text: &str) -> Result<Self, InvalidSlug> {
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        let valid =
            (2..=64).contains(&text.len()) && text.chars().all(allowed) && !text.starts_with('-');
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidSlug(text.chars().take(80).collect()))
        }
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GroupSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_names_with_digits_and_hyphens() {
        for ok in [
            "ab",
            "integrazione-sociosanitaria",
            "gruppo-3",
            "2025",
            &"a".repeat(64),
        ] {
            assert!(GroupSlug::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_what_would_not_fit_a_url_or_a_namespace() {
        for bad in [
            "a",
            "",
            "Gruppo",
            "due gruppi",
            "-lead",
            "già",
            "a/b",
            &"a".repeat(65),
        ] {
            assert!(GroupSlug::parse(bad).is_err(), "{bad}");
        }
    }
}
