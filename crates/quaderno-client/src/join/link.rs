//! `quaderno device link` and `quaderno join --link CODE RELAY_URL`: one person on several
//! computers. A computer that is already in asks its relay for a one-time code; the new
//! computer redeems it and becomes one more device of the same participant, in every one of
//! their groups, signing as they do.

use std::fmt;
use std::path::Path;

use chrono::{DateTime, Utc};
use quaderno_model::Author;

use crate::ClientError;
use crate::groups;
use crate::notebook::{Notebook, STORE_FILE};
use crate::relays::{self, ApiError, JoinedGroup, RelayAccount, RelayApi, Relays};

/// A code for another computer of the same person.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceLink {
    /// The relay the code is for: the other computer types it after the code.
    pub relay_url: String,
    /// Works once; whoever holds it can become this person on the relay.
    pub code: String,
    /// Ten minutes after the code was made.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for DeviceLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceLink")
            .field("relay_url", &self.relay_url)
            .field("code", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What joining with a link code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkOutcome {
    pub relay_url: String,
    /// This computer's name in the person's device list.
    pub device: String,
    /// The person, as the relay knows them.
    pub participant: Author,
    /// This computer knew no participant yet (`quaderno init` was never run): it now signs
    /// as `participant`.
    pub identity_set: bool,
    /// Who signs the changes made on this computer.
    pub identity: Author,
    /// Every group of the person, with their role in each.
    pub groups: Vec<JoinedGroup>,
    /// The person is an operator of the relay.
    pub operator: bool,
}

/// Asks the relay for a one-time code that makes another computer a device of the person
/// using this one. `relay` picks the relay when this computer is registered on several.
pub async fn link_device(data_dir: &Path, relay: Option<&str>) -> Result<DeviceLink, ClientError> {
    let wanted = relay
        .map(|typed| {
            relays::normalize_url(typed).map_err(|_| ClientError::BadRelayUrl(typed.to_string()))
        })
        .transpose()?;
    let accounts = Relays::load(data_dir)?;
    let account = choose_account(&accounts.relays, wanted.as_deref())?;
    let code = RelayApi::new(&account.url)
        .link_device(&account.token)
        .await
        .map_err(|e| link_refusal(&account.url, e))?;
    Ok(DeviceLink {
        relay_url: account.url.clone(),
        code: code.code,
        expires_at: code.expires_at,
    })
}

/// Redeems a link code made on another computer of the same person: this computer becomes a
/// device named `device` (its host name by default) in every group of theirs. When it knows
/// no participant yet, it takes the person's name and city from the relay, so a new computer
/// needs nothing else.
///
/// A relay this data folder already has an account on is refused: this computer is already
/// one of that person's (or someone's) devices there.
pub async fn join_with_link(
    data_dir: &Path,
    relay_url: &str,
    code: &str,
    device: Option<&str>,
) -> Result<LinkOutcome, ClientError> {
    let mut notebook = Notebook::open(data_dir)?;
    let url = relays::normalize_url(relay_url)
        .map_err(|_| ClientError::BadRelayUrl(relay_url.to_string()))?;
    let mut accounts = Relays::load(data_dir)?;
    if let Some(existing) = accounts.get(&url) {
        return Err(ClientError::AlreadyRegistered {
            url,
            device: existing.device.clone(),
        });
    }
    let device_name = device.map(str::to_string).unwrap_or_else(super::host_name);
    let linked = RelayApi::new(&url)
        .join_with_link(code, &device_name)
        .await
        .map_err(|e| code_refusal(&url, e))?;

    // The token first: a group recorded without its token could never sync.
    accounts.upsert(linked.account(&url));
    accounts.save(data_dir)?;
    record_groups(data_dir, &url, &linked.groups)?;
    let participant = Author {
        name: linked.participant.name.clone(),
        city: linked.participant.city.clone(),
    };
    let identity_set = notebook.identity().is_none();
    let identity = match notebook.identity() {
        Some(identity) => identity.clone(),
        None => notebook.init(&participant.name, &participant.city)?.clone(),
    };
    Ok(LinkOutcome {
        relay_url: url,
        device: linked.device.name,
        participant,
        identity_set,
        identity,
        groups: linked.groups,
        operator: linked.operator,
    })
}

/// Records every group in one transaction: all of them, or (a group of the same name held on
/// another relay) none.
fn record_groups(data_dir: &Path, url: &str, joined: &[JoinedGroup]) -> Result<(), ClientError> {
    let mut conn = quaderno_store::open_connection(&data_dir.join(STORE_FILE))?;
    groups::ensure_schema(&conn)?;
    let tx = conn.transaction()?;
    for group in joined {
        groups::record(&tx, url, group)?;
    }
    tx.commit()?;
    Ok(())
}

/// The account to ask for a link code: the one on `wanted`, else the only one there is.
/// Plain automerge-repo relays have no accounts to link.
fn choose_account<'a>(
    accounts: &'a [RelayAccount],
    wanted: Option<&str>,
) -> Result<&'a RelayAccount, ClientError> {
    let usable: Vec<&RelayAccount> = accounts.iter().filter(|a| !a.plain).collect();
    let known = || {
        usable
            .iter()
            .map(|a| a.url.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (wanted, usable.as_slice()) {
        (_, []) => Err(ClientError::NotJoined),
        (Some(url), _) => usable
            .iter()
            .find(|a| a.url == url)
            .copied()
            .ok_or_else(|| ClientError::NotRegisteredOn {
                url: url.to_string(),
                relays: known(),
            }),
        (None, [only]) => Ok(only),
        (None, _) => Err(ClientError::SeveralRelays { relays: known() }),
    }
}

/// Why the relay would not make a link code.
fn link_refusal(url: &str, error: ApiError) -> ClientError {
    match error {
        ApiError::Unreachable { url, reason } => ClientError::Unreachable { url, reason },
        ApiError::CaFile(error) => ClientError::CaFile(error),
        error if is_missing_endpoint(&error) => ClientError::NoDeviceLinks {
            url: url.to_string(),
        },
        other => ClientError::Linking(other),
    }
}

/// Why the relay would not take a link code, said so that the person knows what to do next
/// (the relay words these for invites).
fn code_refusal(url: &str, error: ApiError) -> ClientError {
    let refused = |wanted: &str| matches!(&error, ApiError::Refused { code, .. } if code == wanted);
    if refused("invite_used_up") {
        ClientError::LinkCodeUsed
    } else if refused("invite_expired") {
        ClientError::LinkCodeExpired
    } else if refused("invite_unknown") {
        ClientError::LinkCodeUnknown {
            url: url.to_string(),
        }
    } else if is_missing_endpoint(&error) {
        ClientError::NoDeviceLinks {
            url: url.to_string(),
        }
    } else if let ApiError::Unreachable { url, reason } = error {
        ClientError::Unreachable { url, reason }
    } else if let ApiError::CaFile(error) = error {
        ClientError::CaFile(error)
    } else {
        ClientError::Join(error)
    }
}

/// A relay older than device links answers their addresses with a bare 404 or 405.
fn is_missing_endpoint(error: &ApiError) -> bool {
    matches!(error, ApiError::Refused { status: 404 | 405, code, .. } if code == "http")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(url: &str, plain: bool) -> RelayAccount {
        RelayAccount {
            url: url.into(),
            token: "qdt_x".into(),
            peer_id: "device-1".into(),
            relay_peer_id: "relay".into(),
            device: "portatile".into(),
            plain,
        }
    }

    const PRATO: &str = "https://prato.example.org";
    const ROMA: &str = "https://roma.example.org";
    const JS: &str = "ws://127.0.0.1:3030";

    /// Which account `device link` takes: `Ok(url)`, or `Err(words of the error)`.
    struct Case {
        name: &'static str,
        accounts: Vec<RelayAccount>,
        wanted: Option<&'static str>,
        expected: Result<&'static str, &'static str>,
    }

    #[test]
    fn the_relay_to_link_on_is_the_only_one_or_the_one_named() {
        let one = || vec![account(PRATO, false), account(JS, true)];
        let two = || vec![account(PRATO, false), account(ROMA, false)];
        let case = |name, accounts, wanted, expected| Case {
            name,
            accounts,
            wanted,
            expected,
        };
        let cases = [
            case("the only relay", one(), None, Ok(PRATO)),
            case("the one named", two(), Some(ROMA), Ok(ROMA)),
            case("several, none named", two(), None, Err("several relays")),
            case(
                "named, not registered",
                one(),
                Some(ROMA),
                Err("no account on"),
            ),
            case(
                "a plain relay only",
                vec![account(JS, true)],
                None,
                Err("not joined"),
            ),
            case("nothing at all", vec![], Some(PRATO), Err("not joined")),
        ];
        for Case {
            name,
            accounts,
            wanted,
            expected,
        } in cases
        {
            let chosen = choose_account(&accounts, wanted).map(|a| a.url.as_str());
            match (chosen, expected) {
                (Ok(url), Ok(expected)) => assert_eq!(url, expected, "{name}"),
                (Err(e), Err(expected)) => {
                    let message = e.to_string();
                    assert!(message.contains(expected), "{name}: {message}");
                }
                (got, _) => panic!("{name}: got {got:?}"),
            }
        }
    }

    #[test]
    fn several_relays_are_named_so_that_one_can_be_picked() {
        let two = [account(PRATO, false), account(ROMA, false)];
        let message = choose_account(&two, None).unwrap_err().to_string();
        assert!(
            message.contains(PRATO) && message.contains(ROMA),
            "{message}"
        );
        assert!(message.contains("--relay"), "{message}");
    }

    fn refused(status: u16, code: &str) -> ApiError {
        ApiError::Refused {
            status,
            code: code.into(),
            message: "words for invites".into(),
        }
    }

    #[test]
    fn a_refused_link_code_says_what_to_do_next() {
        let cases = [
            (refused(410, "invite_used_up"), "already been used"),
            (refused(410, "invite_expired"), "10 minutes"),
            (refused(404, "invite_unknown"), "typed correctly"),
            (refused(404, "http"), "older"),
            (refused(429, "rate_limited"), "words for invites"),
        ];
        for (error, expected) in cases {
            let message = code_refusal(PRATO, error).to_string();
            assert!(message.contains(expected), "{expected}: {message}");
        }
        let offline = ApiError::Unreachable {
            url: PRATO.into(),
            reason: "Connection refused".into(),
        };
        assert!(code_refusal(PRATO, offline).is_unreachable());
    }

    #[test]
    fn a_link_code_refused_to_a_revoked_device_says_so() {
        let message = link_refusal(PRATO, refused(401, "unauthorized")).to_string();
        assert!(message.contains("cannot make a link code"), "{message}");
        let message = link_refusal(PRATO, refused(405, "http")).to_string();
        assert!(message.contains("older"), "{message}");
    }

    #[test]
    fn a_device_link_does_not_show_its_code_in_debug() {
        let link = DeviceLink {
            relay_url: PRATO.into(),
            code: "7K2M-QX9D".into(),
            expires_at: Utc::now(),
        };
        assert!(!format!("{link:?}").contains("7K2M"));
    }
}
