//! Document ids, as automerge-repo writes them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const URL_PREFIX: &str = "automerge:";

/// The id of a note or group index: a 16-byte UUID, written as bs58check the way
/// automerge-repo does (`3uQUjbaDfGKoHMh8XGHx7c9jNxyU`, or `automerge:3uQU…` as a URL).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

impl DocumentId {
    /// A new random id (UUID v4).
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().into_bytes())
    }

    /// The id made of these 16 bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes of the id.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The automerge-repo URL of the document, `automerge:<id>`.
    pub fn url(&self) -> String {
        format!("{URL_PREFIX}{self}")
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A string that is not a document id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a document id ({problem}); a document id looks like \
     3uQUjbaDfGKoHMh8XGHx7c9jNxyU or automerge:3uQUjbaDfGKoHMh8XGHx7c9jNxyU"
)]
pub struct InvalidDocumentId {
    input: String,
    problem: &'static str,
}

impl FromStr for DocumentId {
    type Err = InvalidDocumentId;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = |problem| InvalidDocumentId {
            input: input.to_owned(),
            problem,
        };
        let bare = input.strip_prefix(URL_PREFIX).unwrap_or(input);
        let bytes = bs58::decode(bare)
            .with_check(None)
            .into_vec()
            .map_err(|e| {
                invalid(match e {
                    bs58::decode::Error::InvalidChecksum { .. } => "its checksum is wrong",
                    bs58::decode::Error::NoChecksum => "it is too short",
                    _ => "it is not base58",
                })
            })?;
        let bytes: [u8; 16] = bytes
            .try_into()
            .map_err(|_| invalid("it does not hold 16 bytes"))?;
        Ok(Self(bytes))
    }
}

impl Serialize for DocumentId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DocumentId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM_AUTOMERGE_REPO: &str = "3uQUjbaDfGKoHMh8XGHx7c9jNxyU";

    #[test]
    fn an_automerge_repo_id_parses_and_prints_back_the_same() {
        let id: DocumentId = FROM_AUTOMERGE_REPO.parse().unwrap();
        assert_eq!(id.to_string(), FROM_AUTOMERGE_REPO);
        assert_eq!(format!("{id:?}"), FROM_AUTOMERGE_REPO);
        assert_eq!(id.url(), format!("automerge:{FROM_AUTOMERGE_REPO}"));
    }

    #[test]
    fn a_url_parses_to_the_same_id_as_the_bare_id() {
        let bare: DocumentId = FROM_AUTOMERGE_REPO.parse().unwrap();
        let url: DocumentId = format!("automerge:{FROM_AUTOMERGE_REPO}").parse().unwrap();
        assert_eq!(bare, url);
    }

    #[test]
    fn random_ids_round_trip_through_their_text() {
        for _ in 0..100 {
            let id = DocumentId::random();
            assert_eq!(id.to_string().parse::<DocumentId>().unwrap(), id);
            assert_eq!(id.url().parse::<DocumentId>().unwrap(), id);
        }
    }

    #[test]
    fn a_typo_is_caught_by_the_checksum() {
        let typo = FROM_AUTOMERGE_REPO.replace('Q', "R");
        let err = typo.parse::<DocumentId>().unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
    }

    #[test]
    fn the_wrong_length_or_alphabet_is_refused_with_an_example() {
        let short = bs58::encode([1u8; 8]).with_check().into_string();
        for bad in [short.as_str(), "not-an-id!", "", "automerge:"] {
            let err = bad.parse::<DocumentId>().unwrap_err();
            assert!(err.to_string().contains("looks like"), "{err}");
        }
    }

    #[test]
    fn serde_writes_and_reads_the_string() {
        let id = DocumentId::random();
        let json = serde_norway::to_string(&id).unwrap();
        assert_eq!(json.trim(), id.to_string());
        assert_eq!(serde_norway::from_str::<DocumentId>(&json).unwrap(), id);
        assert!(serde_norway::from_str::<DocumentId>("nonsense").is_err());
    }
}
