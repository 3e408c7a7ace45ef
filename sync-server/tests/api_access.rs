//! Who may see what: `/v1/me`, a group's changes, and the check before the WebSocket upgrade.

mod api_support;

use api_support::{Relay, token};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use chrono::Utc;
use quaderno_model::DocumentId;
use quaderno_server::accounts::{self, AdminEventKind, Role};
use quaderno_server::api::{AppError, authorize_group};

/// A relay with group `palermo` and one editor, Anna; returns her token.
async fn palermo_with_anna() -> (Relay, String) {
    let relay = Relay::new();
    relay.create_group("palermo", "Palermo");
    let code = relay.invite("palermo", Role::Editor, 1);
    let anna = token(&relay.join_as(&code, "Anna", "Palermo").await);
    (relay, anna)
}

#[tokio::test]
async fn me_without_a_valid_token_is_401() {
    let (relay, _) = palermo_with_anna().await;
    for token in [None, Some("qdt_unknown"), Some("")] {
        let answer = relay.get("/v1/me", token).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(answer.body["code"], "unauthorized");
    }
}

#[tokio::test]
async fn me_describes_the_participant_the_device_and_the_relay() {
    let (relay, anna) = palermo_with_anna().await;
    let me = relay.get("/v1/me", Some(&anna)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["participant"]["name"], "Anna");
    assert_eq!(me.body["device"]["name"], "laptop");
    assert_eq!(me.body["groups"][0]["slug"], "palermo");
    assert_eq!(me.body["groups"][0]["role"], "editor");
    assert_eq!(me.body["relay_peer_id"], api_support::RELAY_PEER_ID);
}

#[tokio::test]
async fn a_revoked_device_no_longer_authenticates_and_the_relay_hears_of_it() {
    let (relay, anna) = palermo_with_anna().await;
    let me = relay.get("/v1/me", Some(&anna)).await.body;
    let device_id = me["device"]["id"].as_i64().unwrap();
    let before = relay
        .db
        .with_conn(|c| Ok(accounts::latest_admin_event(c)?))
        .unwrap();

    relay
        .db
        .with_conn(|c| Ok(accounts::revoke_device(c, device_id, &cli(), Utc::now())?))
        .unwrap();

    assert_eq!(
        relay.get("/v1/me", Some(&anna)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let events = relay
        .db
        .with_conn(move |c| Ok(accounts::admin_events_after(c, before)?))
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, AdminEventKind::DeviceRevoked { device_id });
}

#[tokio::test]
async fn a_member_reads_what_changed_since_a_position() {
    // Step 1: a new group holds only its index document.
    let (relay, anna) = palermo_with_anna().await;
    let group = relay
        .db
        .with_conn(|c| Ok(accounts::group(c, "palermo")?))
        .unwrap()
        .unwrap();
    let all = relay
        .get("/v1/groups/palermo/changes?since=0", Some(&anna))
        .await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(
        all.body["docs"],
        serde_json::json!([group.index_doc.to_string()])
    );
    assert_eq!(all.body["latest"], 1);

    // Step 2: two notes change, then the first again.
    let (minutes, agenda) = (DocumentId::random(), DocumentId::random());
    for doc in [minutes, agenda, minutes] {
        relay
            .db
            .with_conn(move |c| Ok(accounts::record_doc_change(c, "palermo", &doc)?))
            .unwrap();
    }

    // Step 3: since 1, both notes, the least recently changed first; since 4, nothing.
    let since_1 = relay
        .get("/v1/groups/palermo/changes?since=1", Some(&anna))
        .await
        .body;
    let expected = serde_json::json!([agenda.to_string(), minutes.to_string()]);
    assert_eq!(since_1["docs"], expected);
    assert_eq!(since_1["latest"], 4);
    let since_4 = relay
        .get("/v1/groups/palermo/changes?since=4", Some(&anna))
        .await
        .body;
    assert_eq!(since_4["docs"], serde_json::json!([]));
    // No `since` means from the start.
    let from_start = relay
        .get("/v1/groups/palermo/changes", Some(&anna))
        .await
        .body;
    assert_eq!(from_start["docs"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_bad_since_is_400_for_a_member() {
    let (relay, anna) = palermo_with_anna().await;
    let answer = relay
        .get("/v1/groups/palermo/changes?since=-1", Some(&anna))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body["code"], "bad_request");
}

#[tokio::test]
async fn a_non_member_and_an_unknown_group_get_the_same_403() {
    let (relay, anna) = palermo_with_anna().await;
    relay.create_group("roma", "Roma");

    let other_group = relay
        .get("/v1/groups/roma/changes?since=0", Some(&anna))
        .await;
    let no_group = relay
        .get("/v1/groups/milano/changes?since=0", Some(&anna))
        .await;

    assert_eq!(other_group.status, StatusCode::FORBIDDEN);
    assert_eq!(no_group.status, StatusCode::FORBIDDEN);
    assert_eq!(other_group.body, no_group.body);
    assert_eq!(other_group.body["code"], "forbidden");
}

#[tokio::test]
async fn without_a_token_a_group_is_401_whether_it_exists_or_not() {
    let (relay, _) = palermo_with_anna().await;
    let existing = relay.get("/v1/groups/palermo/changes", None).await;
    let missing = relay.get("/v1/groups/milano/changes", None).await;
    assert_eq!(existing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(existing.body, missing.body);
}

#[tokio::test]
async fn a_member_removed_from_their_last_group_loses_their_token_too() {
    let (relay, anna) = palermo_with_anna().await;
    let me = relay.get("/v1/me", Some(&anna)).await.body;
    let id = me["participant"]["id"].as_i64().unwrap();

    relay
        .db
        .with_conn(move |c| {
            Ok(accounts::remove_member(
                c,
                "palermo",
                id,
                &cli(),
                Utc::now(),
            )?)
        })
        .unwrap();

    let answer = relay.get("/v1/groups/palermo/changes", Some(&anna)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        relay.get("/v1/me", Some(&anna)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn authorize_group_takes_the_header_or_the_query_token() {
    let (relay, anna) = palermo_with_anna().await;
    let mut with_header = HeaderMap::new();
    let bearer = HeaderValue::from_str(&format!("Bearer {anna}")).unwrap();
    with_header.insert(header::AUTHORIZATION, bearer);
    let none = HeaderMap::new();

    let (auth, role, group) = authorize_group(&relay.state, &with_header, None, "palermo")
        .await
        .unwrap();
    assert_eq!(
        (auth.participant.as_str(), role, group.slug.as_str()),
        ("Anna", Role::Editor, "palermo")
    );

    let by_query = authorize_group(&relay.state, &none, Some(&anna), "palermo").await;
    assert_eq!(by_query.unwrap().0, auth);

    let missing = authorize_group(&relay.state, &none, None, "palermo").await;
    assert_eq!(missing.unwrap_err(), AppError::Unauthorized);
    let elsewhere = authorize_group(&relay.state, &none, Some(&anna), "milano").await;
    assert_eq!(elsewhere.unwrap_err(), AppError::Forbidden);
}

#[tokio::test]
async fn a_role_change_shows_at_once() {
    let (relay, anna) = palermo_with_anna().await;
    let id = relay.get("/v1/me", Some(&anna)).await.body["participant"]["id"]
        .as_i64()
        .unwrap();

    let previous = relay
        .db
        .with_conn(move |c| {
            Ok(accounts::set_role(
                c,
                "palermo",
                id,
                Role::Reader,
                &cli(),
                Utc::now(),
            )?)
        })
        .unwrap();

    assert_eq!(previous, Role::Editor);
    let me = relay.get("/v1/me", Some(&anna)).await.body;
    assert_eq!(me["groups"][0]["role"], "reader");
    let events = relay
        .db
        .with_conn(|c| Ok(accounts::admin_events_after(c, 0)?))
        .unwrap();
    let role_changed = AdminEventKind::RoleChanged {
        participant_id: id,
        group: "palermo".into(),
        role: Role::Reader,
    };
    assert_eq!(events.last().unwrap().kind, role_changed);
}

fn cli() -> accounts::Actor {
    accounts::Actor::command_line("cli:test")
}
