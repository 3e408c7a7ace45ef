//! Device tokens, invite codes and peer ids: how they are made, shown and hashed.
//!
//! A secret is shown once and stored only as its SHA-256. Both newtypes hide their value in
//! `Debug`, so a stray `{:?}` in a log line cannot leak one.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of every device token, so a leaked one is easy to recognise and grep for.
const TOKEN_PREFIX: &str = "qdt_";
/// Crockford's base32 alphabet: no I, L, O or U, so codes survive being read aloud.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 4 groups of 4 characters of 5 bits each: 80 bits.
const CODE_GROUPS: usize = 4;
const CODE_GROUP_LEN: usize = 4;
const CODE_LEN: usize = CODE_GROUPS * CODE_GROUP_LEN;

/// A SHA-256 digest, the only form in which a secret is stored.
pub type SecretHash = [u8; 32];

/// A device token: 256 random bits, `qdt_` + base58.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceToken(String);

impl DeviceToken {
    /// A fresh token from the operating system's random source.
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self(format!(
            "{TOKEN_PREFIX}{}",
            bs58::encode(bytes).into_string()
        ))
    }

    /// Wraps a token received from a client; it is only ever hashed.
    pub fn from_client(value: &str) -> Self {
        Self(value.trim().to_owned())
    }

    /// The text to hand to the device, once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The digest kept in the `devices` table.
    pub fn hash(&self) -> SecretHash {
        sha256(self.0.as_bytes())
    }
}

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceToken(<redacted>)")
    }
}

/// An invite code such as `7K2M-QX9D-4HNP-RT3V`: 80 random bits, easy to type.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteCode(String);

impl InviteCode {
    /// A fresh code from the operating system's random source.
    pub fn generate() -> Self {
        let bytes: [u8; CODE_LEN] = rand::random();
        let chars: String = bytes
            .iter()
            .map(|b| char::from(CROCKFORD[usize::from(b % 32)]))
            .collect();
        Self(chars)
    }

    /// Reads a code as a person typed it: any case, with or without hyphens and spaces, and
    /// the look-alikes I/L for 1 and O for 0. `None` when it cannot be a code at all.
    pub fn parse(typed: &str) -> Option<Self> {
        let mut chars = String::with_capacity(CODE_LEN);
        for c in typed.chars().filter(|c| !matches!(c, '-' | ' ')) {
            chars.push(normalise_code_char(c)?);
        }
        (chars.len() == CODE_LEN).then_some(Self(chars))
    }

    /// The code grouped for reading, e.g. `7K2M-QX9D-4HNP-RT3V`; shown once.
    pub fn display(&self) -> String {
        let groups: Vec<&str> = (0..CODE_GROUPS)
            .map(|i| &self.0[i * CODE_GROUP_LEN..(i + 1) * CODE_GROUP_LEN])
            .collect();
        groups.join("-")
    }

    /// The digest kept in the `invites` table.
    pub fn hash(&self) -> SecretHash {
        sha256(self.0.as_bytes())
    }
}

impl fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InviteCode(<redacted>)")
    }
}

fn normalise_code_char(c: char) -> Option<char> {
    let byte = u8::try_from(c).ok()?.to_ascii_uppercase();
    let byte = match byte {
        b'I' | b'L' => b'1',
        b'O' => b'0',
        other => other,
    };
    CROCKFORD.contains(&byte).then_some(char::from(byte))
}

/// A device's automerge-repo peer id, chosen by the relay and bound to the device's token.
pub fn new_peer_id() -> String {
    let bytes: [u8; 16] = rand::random();
    format!("device-{}", bs58::encode(bytes).into_string())
}

/// Compares two digests in constant time.
pub fn hashes_match(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

fn sha256(bytes: &[u8]) -> SecretHash {
    let digest = Sha256::digest(bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_slice());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_behind_a_recognisable_prefix() {
        let token = DeviceToken::generate();
        let body = token.expose().strip_prefix(TOKEN_PREFIX).unwrap();
        assert_eq!(bs58::decode(body).into_vec().unwrap().len(), 32);
        assert_ne!(token, DeviceToken::generate());
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let token = DeviceToken::generate();
        let code = InviteCode::generate();
        assert!(!format!("{token:?}").contains(token.expose()));
        assert!(!format!("{code:?}").contains(&code.display()[..4]));
    }

    #[test]
    fn a_code_reads_back_however_it_was_typed() {
        let code = InviteCode::generate();
        let shown = code.display();
        assert_eq!(shown.len(), 19);
        let typed = shown.to_lowercase().replace('-', " ");
        assert_eq!(InviteCode::parse(&typed), Some(code.clone()));
        assert_eq!(InviteCode::parse(&shown).unwrap().hash(), code.hash());
    }

    #[test]
    fn look_alike_letters_read_as_digits() {
        let typed = "IOL0-0000-0000-0000";
        assert_eq!(
            InviteCode::parse(typed).unwrap().display(),
            "1010-0000-0000-0000"
        );
    }

    #[test]
    fn impossible_codes_are_refused() {
        assert_eq!(InviteCode::parse("ABCD-EFGH"), None);
        assert_eq!(InviteCode::parse("ABCD-EFGH-JKMN-PQRU"), None);
        assert_eq!(InviteCode::parse("ABCD-EFGH-JKMN-PQRS-T"), None);
        assert_eq!(InviteCode::parse("ÄBCD-EFGH-JKMN-PQRS"), None);
    }

    #[test]
    fn hashes_compare_in_constant_time() {
        let token = DeviceToken::generate();
        assert!(hashes_match(&token.hash(), &token.hash()));
        assert!(!hashes_match(
            &token.hash(),
            &DeviceToken::generate().hash()
        ));
    }
}
