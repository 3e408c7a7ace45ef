//! What this device may govern, relay by relay, so the page shows "Gestione del gruppo" to a
//! group's admins and "Gestione dei gruppi" to a relay's operators (and nothing to others).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use futures_util::future::join_all;
use quaderno_client::relays::{Me, RelayAccount, RelayApi, Relays};
use serde::Serialize;

use super::relay_error;
use crate::ui::error::AppError;
use crate::ui::state::AppState;

/// How long the page waits for a relay before it counts as offline here.
const ASK_WITHIN: Duration = Duration::from_secs(4);

#[derive(Debug, Serialize)]
pub struct Access {
    relays: Vec<RelayAccess>,
}

/// One relay, as `/v1/me` described this device there.
#[derive(Debug, Serialize)]
pub struct RelayAccess {
    url: String,
    /// The relay answered; when it did not, `error` says why and nothing else is known.
    reachable: bool,
    error: Option<&'static str>,
    operator: bool,
    /// This person on the relay, to mark "you" among the members (and keep them from
    /// demoting or removing themselves).
    participant_id: Option<i64>,
    /// This computer among their devices.
    device_id: Option<i64>,
    groups: Vec<GroupAccess>,
}

#[derive(Debug, Serialize)]
pub struct GroupAccess {
    slug: String,
    title: String,
    role: String,
    admin: bool,
}

/// `GET /api/admin/access`: every relay of this computer, asked at the same time.
pub async fn access(State(state): State<AppState>) -> Result<Json<Access>, AppError> {
    let data_dir = state.data_dir().to_owned();
    let accounts = tokio::task::spawn_blocking(move || Relays::load(&data_dir)).await??;
    let asked = accounts
        .relays
        .into_iter()
        .filter(|account| !account.plain)
        .map(ask);
    Ok(Json(Access {
        relays: join_all(asked).await,
    }))
}

async fn ask(account: RelayAccount) -> RelayAccess {
    let api = RelayApi::new(&account.url);
    let answer = match tokio::time::timeout(ASK_WITHIN, api.me(&account.token)).await {
        Ok(Ok(me)) => Ok(me),
        Ok(Err(error)) => Err(relay_error(error).parts().0),
        Err(_) => Err("relay_unreachable"),
    };
    describe(account.url, answer)
}

/// What the page is told about one relay, from what it answered.
fn describe(url: String, answer: Result<Me, &'static str>) -> RelayAccess {
    match answer {
        Ok(me) => RelayAccess {
            url,
            reachable: true,
            error: None,
            operator: me.operator,
            participant_id: me.participant.map(|p| p.id),
            device_id: me.device.map(|d| d.id),
            groups: me
                .groups
                .into_iter()
                .map(|g| GroupAccess {
                    admin: g.role == "admin",
                    slug: g.slug,
                    title: g.title,
                    role: g.role,
                })
                .collect(),
        },
        Err(code) => RelayAccess {
            url,
            reachable: false,
            error: Some(code),
            operator: false,
            participant_id: None,
            device_id: None,
            groups: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_and_operators_are_told_apart_from_the_others() {
        let me: Me = serde_json::from_value(serde_json::json!({
            "participant": {"id": 3, "name": "Elena Rossi", "city": "Prato"},
            "device": {"id": 7, "name": "portatile", "peer_id": "device-7"},
            "peer_id": "device-7", "relay_peer_id": "relay", "operator": false,
            "groups": [
                {"slug": "prato", "title": "Care leaver Prato", "role": "admin",
                 "index_doc": "3uQUjbaDfGKoHMh8XGHx7c9jNxyU"},
                {"slug": "roma", "title": "Roma", "role": "editor",
                 "index_doc": "3uQUjbaDfGKoHMh8XGHx7c9jNxyU"}
            ]
        }))
        .unwrap();

        let access = describe("http://127.0.0.1:7878".into(), Ok(me));

        assert!(access.reachable && !access.operator);
        assert_eq!(
            (access.participant_id, access.device_id),
            (Some(3), Some(7))
        );
        let admin: Vec<(&str, bool)> = access
            .groups
            .iter()
            .map(|g| (g.slug.as_str(), g.admin))
            .collect();
        assert_eq!(admin, [("prato", true), ("roma", false)]);
    }

    #[test]
    fn a_relay_that_does_not_answer_grants_nothing() {
        let access = describe("http://127.0.0.1:7878".into(), Err("relay_unreachable"));
        assert!(!access.reachable && !access.operator && access.groups.is_empty());
        assert_eq!(access.error, Some("relay_unreachable"));
    }
}
