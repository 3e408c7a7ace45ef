//! The page's secret: 256 random bits, given in the address the command opens and then kept
//! by the browser in a cookie. Never printed but on `quaderno ui`'s first line, never logged.
//!
//! It is kept in the data folder (`page.key`, which only this user can read, like the device
//! token beside it), so that the page's address stays the same across restarts of the
//! background service: a bookmark, and the browser's cookie, keep working.

use std::fmt;
use std::path::Path;

use subtle::ConstantTimeEq;

/// The query parameter that carries the secret in the first address.
pub const KEY_PARAM: &str = "key";
/// Where the secret is kept, in the data folder.
const KEY_FILE: &str = "page.key";

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A new secret from the operating system's random source, as 64 hex digits.
    pub fn random() -> Secret {
        let bytes: [u8; 32] = rand::random();
        Secret(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The data folder's secret, made and kept there the first time.
    pub fn stored(data_dir: &Path) -> anyhow::Result<Secret> {
        let path = data_dir.join(KEY_FILE);
        if let Ok(text) = std::fs::read_to_string(&path) {
            let text = text.trim();
            if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
                return Ok(Secret(text.to_owned()));
            }
        }
        let secret = Secret::random();
        super::browser::write_private(&path, &secret.0)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        Ok(secret)
    }

    /// The secret as it travels in the address and the cookie.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `given` is the secret, in time that does not depend on where they differ.
    pub fn matches(&self, given: &str) -> bool {
        self.0.len() == given.len() && bool::from(self.0.as_bytes().ct_eq(given.as_bytes()))
    }

    /// The name of the cookie for the page on `port`: cookies are shared by every port of a
    /// host, and two `quaderno ui` may run at once.
    pub fn cookie_name(port: u16) -> String {
        format!("quaderno-{port}")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

/// The value of cookie `name` in a `Cookie` header, if there.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}

/// The value of query parameter `name`, if there (the secret is hex: nothing to decode).
pub fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_256_bits_of_hex_and_never_debug_printed() {
        let secret = Secret::random();
        assert_eq!(secret.expose().len(), 64);
        assert!(secret.expose().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(secret, Secret::random());
        assert!(!format!("{secret:?}").contains(secret.expose()));
    }

    #[test]
    fn only_the_whole_secret_matches() {
        let secret = Secret::random();
        assert!(secret.matches(secret.expose()));
        assert!(!secret.matches(&secret.expose()[..63]));
        assert!(!secret.matches(""));
        assert!(!secret.matches(&"0".repeat(64)));
    }

    #[test]
    fn cookies_and_query_parameters_are_found_by_exact_name() {
        let header = "quaderno-78790=nope; quaderno-7879=abc; other=1";
        assert_eq!(cookie(header, "quaderno-7879"), Some("abc"));
        assert_eq!(cookie(header, "quaderno-1"), None);
        assert_eq!(query_param("a=1&key=ff&b", "key"), Some("ff"));
        assert_eq!(query_param("akey=ff", "key"), None);
    }
}
