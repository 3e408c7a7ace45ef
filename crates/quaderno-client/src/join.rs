//! `quaderno join RELAY_URL CODE`: redeeming an invite (or an operator code) for this device;
//! and, in [`link`], one person's other computers.

mod link;

use std::path::Path;

use crate::ClientError;
use quaderno_model::DocumentId;

use crate::groups;
use crate::notebook::{Notebook, NotebookError, STORE_FILE};
use crate::relays::{self, JoinedGroup, RelayAccount, RelayApi, Relays};

pub use link::{DeviceLink, LinkOutcome, join_with_link, link_device};

/// What joining did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinOutcome {
    pub relay_url: String,
    /// The group joined, with this participant's role in it; `None` for an operator code,
    /// which joins no group.
    pub group: Option<JoinedGroup>,
    /// The participant is an operator of the relay: they govern every group from the page.
    pub operator: bool,
    /// False when an existing device on this relay joined one more group.
    pub new_device: bool,
    /// A plain automerge-repo relay: nothing was registered there.
    pub plain: bool,
    pub device: String,
}

/// Redeems `code` on the relay at `relay_url`. A device already known to that relay joins the
/// new group with its existing token; otherwise the participant set with `quaderno init`
/// becomes a new device named `device` (the machine's host name by default).
///
/// An operator code makes the participant an operator of the relay: the account is saved and
/// no group is recorded.
pub async fn join(
    data_dir: &Path,
    relay_url: &str,
    code: &str,
    device: Option<&str>,
) -> Result<JoinOutcome, ClientError> {
    let notebook = Notebook::open(data_dir)?;
    let author = notebook
        .identity()
        .cloned()
        .ok_or(NotebookError::NoIdentity)?;
    let url = relays::normalize_url(relay_url)
        .map_err(|_| ClientError::BadRelayUrl(relay_url.to_string()))?;
    let mut accounts = Relays::load(data_dir)?;
    let existing = accounts.get(&url).cloned();
    let device_name = device.map(str::to_string).unwrap_or_else(host_name);
    let api = RelayApi::new(&url);
    let answer = match &existing {
        Some(account) => api.join(code, None, Some(&account.token)).await,
        None => {
            api.join(code, Some((&author.name, &author.city, &device_name)), None)
                .await
        }
    }
    .map_err(|e| match e {
        relays::ApiError::Unreachable { url, reason } => ClientError::Unreachable { url, reason },
        relays::ApiError::CaFile(error) => ClientError::CaFile(error),
        other => ClientError::Join(other),
    })?;
    if answer.group.is_none() && !answer.operator {
        return Err(ClientError::Protocol {
            url,
            reason: "the join answer names no group and no operator".into(),
        });
    }

    let new_device = answer.token.is_some();
    let account = match (answer.token, existing) {
        (Some(token), _) => RelayAccount {
            url: url.clone(),
            token,
            peer_id: answer.peer_id,
            relay_peer_id: answer.relay_peer_id,
            device: answer.device.name.clone(),
            plain: false,
        },
        (None, Some(account)) => account,
        (None, None) => {
            return Err(ClientError::Protocol {
                url,
                reason: "the relay issued no token for a new device".into(),
            });
        }
    };
    // The token first: a group recorded without its token could never sync.
    accounts.upsert(account.clone());
    accounts.save(data_dir)?;
    if let Some(group) = &answer.group {
        let conn = quaderno_store::open_connection(&data_dir.join(STORE_FILE))?;
        groups::ensure_schema(&conn)?;
        groups::record(&conn, &url, group)?;
    }
    Ok(JoinOutcome {
        relay_url: url,
        group: answer.group,
        operator: answer.operator,
        new_device,
        device: account.device,
        plain: false,
    })
}

/// Records a group kept on a plain automerge-repo relay (no invites, no tokens): its notes are
/// the ones its index document lists. `relay_url` is the relay's `ws://` or `wss://` URL.
pub fn join_plain(
    data_dir: &Path,
    relay_url: &str,
    group: &str,
    index_doc: DocumentId,
    device: Option<&str>,
) -> Result<JoinOutcome, ClientError> {
    let notebook = Notebook::open(data_dir)?;
    notebook.identity().ok_or(NotebookError::NoIdentity)?;
    let url = relay_url.trim().trim_end_matches('/').to_string();
    if !(url.starts_with("ws://") || url.starts_with("wss://")) {
        return Err(ClientError::BadRelayUrl(format!(
            "{relay_url} (a plain relay is given by its ws:// or wss:// URL)"
        )));
    }
    let slug = group.trim();
    if slug.is_empty() || slug == crate::notebook::PERSONAL_GROUP {
        return Err(ClientError::BadRelayUrl(format!(
            "`{group}` cannot name a group"
        )));
    }
    let device_name = device.map(str::to_string).unwrap_or_else(host_name);
    let mut accounts = Relays::load(data_dir)?;
    let account = accounts.get(&url).cloned().unwrap_or_else(|| RelayAccount {
        url: url.clone(),
        token: String::new(),
        peer_id: format!("quaderno-{:016x}", rand::random::<u64>()),
        relay_peer_id: String::new(),
        device: device_name,
        plain: true,
    });
    accounts.upsert(account.clone());
    accounts.save(data_dir)?;
    let conn = quaderno_store::open_connection(&data_dir.join(STORE_FILE))?;
    groups::ensure_schema(&conn)?;
    let joined = JoinedGroup {
        slug: slug.to_string(),
        title: slug.to_string(),
        role: "editor".into(),
        index_doc,
    };
    groups::record(&conn, &url, &joined)?;
    Ok(JoinOutcome {
        relay_url: url,
        group: Some(joined),
        operator: false,
        new_device: false,
        device: account.device,
        plain: true,
    })
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "computer".to_string())
}

#[cfg(test)]
mod tests {
    use crate::relays::Joined;

    #[test]
    fn an_operator_code_answers_with_no_group() {
        let answer = r#"{"token": "qdt_secret", "peer_id": "device-4", "relay_peer_id": "relay",
            "participant": {"id": 4, "name": "Marco", "city": "Roma"},
            "device": {"id": 4, "name": "portatile", "peer_id": "device-4"},
            "group": null, "operator": true}"#;
        let joined: Joined = serde_json::from_str(answer).unwrap();
        assert!(joined.group.is_none() && joined.operator);
        assert!(!format!("{joined:?}").contains("qdt_secret"));
    }

    #[test]
    fn a_join_answer_without_operator_is_a_member_only() {
        let answer = r#"{"peer_id": "device-4", "relay_peer_id": "relay",
            "device": {"id": 4, "name": "portatile", "peer_id": "device-4"},
            "group": {"slug": "prato", "title": "Prato", "role": "editor",
                      "index_doc": "3uQUjbaDfGKoHMh8XGHx7c9jNxyU"}}"#;
        let joined: Joined = serde_json::from_str(answer).unwrap();
        assert_eq!(joined.group.unwrap().role, "editor");
        assert!(!joined.operator);
    }
}
