//! One person on several computers: a device that is already in asks the relay for a short
//! one-time code (`POST /v1/devices/link`), and a new computer redeems it
//! (`POST /v1/devices/join`) to become one more device of the same participant, in all of
//! their groups at once.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::http::{JoinedGroup, RelayApi};
use super::{ApiError, RelayAccount};

/// What `POST /v1/devices/link` answers: a code that works once, until `expires_at` (ten
/// minutes after it was made).
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct LinkCode {
    /// In clear only here; whoever holds it can become this person on the relay.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for LinkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkCode")
            .field("code", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What `POST /v1/devices/join` answers: the new device's credentials and every group of
/// the person.
#[derive(Clone, Deserialize)]
pub struct Linked {
    /// The new device's token; a secret.
    pub token: String,
    pub peer_id: String,
    pub relay_peer_id: String,
    pub participant: LinkedParticipant,
    pub device: LinkedDevice,
    pub groups: Vec<JoinedGroup>,
    /// The person is an operator of the relay.
    #[serde(default)]
    pub operator: bool,
}

impl fmt::Debug for Linked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Linked")
            .field("token", &"<redacted>")
            .field("peer_id", &self.peer_id)
            .field("relay_peer_id", &self.relay_peer_id)
            .field("participant", &self.participant)
            .field("device", &self.device)
            .field("groups", &self.groups)
            .field("operator", &self.operator)
            .finish()
    }
}

impl Linked {
    /// The account this computer keeps for the relay at `url`.
    pub fn account(&self, url: &str) -> RelayAccount {
        RelayAccount {
            url: url.to_string(),
            token: self.token.clone(),
            peer_id: self.peer_id.clone(),
            relay_peer_id: self.relay_peer_id.clone(),
            device: self.device.name.clone(),
            plain: false,
        }
    }
}

/// The person, as the relay knows them: the names their history and presence show.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LinkedParticipant {
    pub id: i64,
    pub name: String,
    pub city: String,
}

/// The device just made.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LinkedDevice {
    pub id: i64,
    pub name: String,
    pub peer_id: String,
}

impl RelayApi {
    /// Asks for a one-time code that links another computer of the person whose device holds
    /// `token`.
    pub async fn link_device(&self, token: &str) -> Result<LinkCode, ApiError> {
        let request = self
            .http
            .post(self.url("/v1/devices/link"))
            .bearer_auth(token);
        self.answer(request).await
    }

    /// Redeems a link code: this computer becomes a device named `device` of the person who
    /// asked for the code. No token: the code is the credential.
    pub async fn join_with_link(&self, code: &str, device: &str) -> Result<Linked, ApiError> {
        let body = serde_json::json!({ "code": code, "device": device });
        let request = self.http.post(self.url("/v1/devices/join")).json(&body);
        self.answer(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer as `docs/admin-api.md` shows it.
    const LINKED: &str = r#"{
        "token": "qdt_secret", "peer_id": "device-9", "relay_peer_id": "relay-1",
        "participant": {"id": 3, "name": "Rita Bruni", "city": "Prato"},
        "device": {"id": 9, "name": "PC ufficio", "peer_id": "device-9"},
        "groups": [{"slug": "prato", "title": "Care leaver Prato", "role": "admin",
                    "index_doc": "3uQUjbaDfGKoHMh8XGHx7c9jNxyU"}],
        "operator": false
    }"#;

    #[test]
    fn a_link_answer_is_read_and_its_debug_hides_the_token() {
        let linked: Linked = serde_json::from_str(LINKED).unwrap();
        assert_eq!(linked.participant.name, "Rita Bruni");
        assert_eq!(linked.groups[0].role, "admin");
        assert!(!format!("{linked:?}").contains("qdt_secret"));
        let account = linked.account("http://127.0.0.1:7878");
        assert_eq!(
            (account.device.as_str(), account.peer_id.as_str()),
            ("PC ufficio", "device-9")
        );
    }

    #[test]
    fn a_link_answer_without_operator_means_not_an_operator() {
        let mut value: serde_json::Value = serde_json::from_str(LINKED).unwrap();
        value.as_object_mut().unwrap().remove("operator");
        let linked: Linked = serde_json::from_value(value).unwrap();
        assert!(!linked.operator);
    }

    #[test]
    fn a_link_code_is_read_and_its_debug_hides_the_code() {
        let code: LinkCode =
            serde_json::from_str(r#"{"code": "7K2M-QX9D", "expires_at": "2026-12-04T08:11:00Z"}"#)
                .unwrap();
        assert_eq!(code.code, "7K2M-QX9D");
        assert!(!format!("{code:?}").contains("7K2M"));
    }
}
