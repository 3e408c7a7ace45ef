//! The relays this machine joined: where they are, and the device token for each; and the
//! one-time codes that link another computer of the same person ([`LinkCode`]); and governing
//! a group or the relay over its admin API ([`Members`], [`Invite`], [`RelayGroup`], ...).
//!
//! Tokens live in `relays.json` in the data folder, readable by its owner only (mode 0600),
//! never in the SQLite store and never in logs. The groups of each relay are recorded in the
//! store (see [`crate::groups`]).

mod admin;
mod file;
mod http;
mod link;

use serde::{Deserialize, Serialize};

pub use admin::{
    ActivityEvent, ActivityPage, CreatedInvite, Erased, ErasureDevice, ErasureReceipts, GroupName,
    Invite, InviteState, Member, MemberDevice, Members, NamedGroup, NewInvite, Operator,
    OperatorCode, RelayGroup, Removed, Revoked, Role, RoleChanged, account_for_group,
};
pub use file::{RELAYS_FILE, Relays};
pub use http::{
    ApiError, ChangesSince, Joined, JoinedGroup, Me, MeDevice, MeGroup, MeParticipant, RelayApi,
    RelayAuthors, RemoteErasure, VouchedActor, VouchedPeer,
};
pub use link::{LinkCode, Linked, LinkedDevice, LinkedParticipant};

/// One relay and this device's credentials on it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayAccount {
    /// `https://relay.example.org` or `http://127.0.0.1:7878`, without a trailing slash.
    pub url: String,
    /// The device token the relay issued; a secret.
    pub token: String,
    /// The peer id the relay bound to this device.
    pub peer_id: String,
    /// The relay's own peer id.
    pub relay_peer_id: String,
    /// The name this device was registered under.
    pub device: String,
    /// A plain automerge-repo relay (such as the JavaScript sync server): no HTTP API, no
    /// token; `url` is its WebSocket URL and a group is its index document's notes.
    #[serde(default)]
    pub plain: bool,
}

impl std::fmt::Debug for RelayAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayAccount")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .field("peer_id", &self.peer_id)
            .field("relay_peer_id", &self.relay_peer_id)
            .field("device", &self.device)
            .field("plain", &self.plain)
            .finish()
    }
}

/// A relay URL as typed (`relay.example.org`, `https://relay.example.org/`, `ws://…`), made into
/// the HTTP base URL the API uses.
pub fn normalize_url(input: &str) -> Result<String, url::ParseError> {
    let input = input.trim();
    let with_scheme = if input.contains("://") {
        input.to_string()
    } else if input.starts_with("127.") || input.starts_with("localhost") {
        format!("http://{input}")
    } else {
        format!("https://{input}")
    };
    let mut url = url::Url::parse(&with_scheme)?;
    let scheme = match url.scheme() {
        "ws" | "http" => "http",
        _ => "https",
    };
    url.set_scheme(scheme)
        .map_err(|()| url::ParseError::EmptyHost)?;
    url.set_query(None);
    url.set_fragment(None);
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The WebSocket URL of a group's sync endpoint.
pub fn sync_url(base: &str, group: &str) -> String {
    let ws = base
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    format!("{ws}/v1/groups/{group}/sync")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_normalized_to_an_http_base() {
        let cases = [
            ("relay.example.org", "https://relay.example.org"),
            ("https://relay.example.org/", "https://relay.example.org"),
            ("wss://relay.example.org", "https://relay.example.org"),
            ("ws://127.0.0.1:7878/", "http://127.0.0.1:7878"),
            ("127.0.0.1:7878", "http://127.0.0.1:7878"),
            (
                "http://10.0.0.5:7878/quaderno",
                "http://10.0.0.5:7878/quaderno",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_url(input).unwrap(), expected, "{input}");
        }
        assert_eq!(
            sync_url("https://relay.example.org", "palermo"),
            "wss://relay.example.org/v1/groups/palermo/sync"
        );
    }

    #[test]
    fn debug_hides_the_token() {
        let account = RelayAccount {
            url: "http://127.0.0.1:1".into(),
            token: "qdt_secret".into(),
            peer_id: "device-x".into(),
            relay_peer_id: "relay".into(),
            device: "laptop".into(),
            plain: false,
        };
        assert!(!format!("{account:?}").contains("qdt_secret"));
    }
}
