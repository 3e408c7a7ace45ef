//! A member's role in a group.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a member may do in a group. Ordered: each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Syncs the group's notes read-only.
    Reader,
    /// Creates and edits the group's notes.
    Editor,
    /// An editor who also coordinates the group.
    Admin,
}

impl Role {
    /// Whether changes from this member may reach the group.
    pub fn can_write(self) -> bool {
        self >= Role::Editor
    }

    /// The role as stored and typed: `reader`, `editor` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that is not one of the three roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a role: use reader, editor or admin")]
pub struct InvalidRole(pub String);

impl FromStr for Role {
    type Err = InvalidRole;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "reader" => Ok(Role::Reader),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(InvalidRole(other.chars().take(40).collect())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_editors_and_admins_write() {
        assert!(!Role::Reader.can_write());
        assert!(Role::Editor.can_write());
        assert!(Role::Admin.can_write());
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in [Role::Reader, Role::Editor, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("owner".parse::<Role>().is_err());
    }
}
