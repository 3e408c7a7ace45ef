//! The participant on this machine: name and city, kept in the store's settings.

use quaderno_model::Author;
use quaderno_store::rusqlite::Connection;
use quaderno_store::settings;

use super::NotebookError;

const NAME: &str = "identity.name";
const CITY: &str = "identity.city";

/// The participant set by `init`, if any.
pub fn load(conn: &Connection) -> Result<Option<Author>, NotebookError> {
    let name = settings::get(conn, NAME)?;
    let city = settings::get(conn, CITY)?;
    Ok(name.zip(city).map(|(name, city)| Author { name, city }))
}

/// Saves the participant, after checking both fields.
pub fn save(conn: &Connection, author: &Author) -> Result<(), NotebookError> {
    settings::put(conn, NAME, &author.name)?;
    settings::put(conn, CITY, &author.city)?;
    Ok(())
}

/// The participant as it will be stored: each field trimmed, one non-empty line.
pub fn validate(name: &str, city: &str) -> Result<Author, NotebookError> {
    Ok(Author {
        name: one_line("the name", name)?,
        city: one_line("the city", city)?,
    })
}

fn one_line(field: &'static str, value: &str) -> Result<String, NotebookError> {
    let value = value.trim();
    if value.is_empty() || value.contains(['\n', '\r']) {
        return Err(NotebookError::InvalidIdentity { field });
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed() {
        let anna = validate("  Anna ", "Palermo\n").unwrap();
        assert_eq!(
            (anna.name.as_str(), anna.city.as_str()),
            ("Anna", "Palermo")
        );
    }

    #[test]
    fn empty_or_multiline_fields_are_refused() {
        assert!(matches!(
            validate(" ", "Roma"),
            Err(NotebookError::InvalidIdentity { field: "the name" })
        ));
        assert!(matches!(
            validate("Anna", "Ro\nma"),
            Err(NotebookError::InvalidIdentity { field: "the city" })
        ));
    }
}
