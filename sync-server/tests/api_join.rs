//! Joining a group with an invite code over `POST /v1/join`.

mod api_support;

use api_support::{RELAY_PEER_ID, Relay, token};
use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use quaderno_server::accounts::Role;
use serde_json::json;
use sha2::{Digest, Sha256};

#[tokio::test]
async fn a_newcomer_joins_and_gets_a_token_a_peer_id_and_the_group() {
    // Step 1: the coordinator creates a group and an editor invite.
    let relay = Relay::new();
    let group = relay.create_group("integrazione", "Integrazione sociosanitaria");
    let code = relay.invite("integrazione", Role::Editor, 1);

    // Step 2: Anna joins from Palermo.
    let joined = relay.join_as(&code, "Anna", "Palermo").await;

    assert!(token(&joined).starts_with("qdt_"));
    assert!(joined["peer_id"].as_str().unwrap().starts_with("device-"));
    assert_eq!(joined["device"]["peer_id"], joined["peer_id"]);
    assert_eq!(joined["participant"]["name"], "Anna");
    assert_eq!(joined["participant"]["city"], "Palermo");
    assert_eq!(
        joined["group"],
        json!({
            "slug": "integrazione",
            "title": "Integrazione sociosanitaria",
            "role": "editor",
            "index_doc": group.index_doc.to_string(),
        })
    );
    assert_eq!(joined["relay_peer_id"], RELAY_PEER_ID);

    // Step 3: her token works.
    let me = relay.get("/v1/me", Some(&token(&joined))).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["device"]["peer_id"], joined["peer_id"]);
}

#[tokio::test]
async fn the_token_is_stored_only_as_its_hash() {
    let relay = Relay::new();
    relay.create_group("roma", "Roma");
    let code = relay.invite("roma", Role::Reader, 1);
    let token = token(&relay.join_as(&code, "Marco", "Roma").await);

    let stored: Vec<(Vec<u8>, String, String)> = relay
        .db
        .with_conn(|conn| {
            let mut stmt = conn.prepare("SELECT token_hash, name, peer_id FROM devices")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .unwrap();
    assert_eq!(stored.len(), 1);
    let (hash, name, peer_id) = &stored[0];
    assert_eq!(hash.as_slice(), Sha256::digest(token.as_bytes()).as_slice());
    assert!(!name.contains(&token) && !peer_id.contains(&token));
    let file = std::fs::read(relay.db.path()).unwrap_or_default();
    let wal = std::fs::read(relay.db.path().with_extension("sqlite3-wal")).unwrap_or_default();
    for bytes in [file, wal] {
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
    }
}

#[tokio::test]
async fn a_single_use_code_works_once() {
    let relay = Relay::new();
    relay.create_group("bologna", "Bologna");
    let code = relay.invite("bologna", Role::Editor, 1);
    relay.join_as(&code, "Giulia", "Bologna").await;

    let body = json!({ "code": code, "name": "Luca", "city": "Bologna", "device": "phone" });
    let again = relay.join(body, None).await;

    assert_eq!(again.status, StatusCode::GONE);
    assert_eq!(again.body["code"], "invite_used_up");
    assert!(
        again.body["error"]
            .as_str()
            .unwrap()
            .contains("already been used")
    );
}

#[tokio::test]
async fn a_code_with_three_uses_lets_three_people_in() {
    let relay = Relay::new();
    relay.create_group("trieste", "Trieste");
    let code = relay.invite("trieste", Role::Reader, 3);
    for name in ["Sara", "Paolo", "Elena"] {
        relay.join_as(&code, name, "Trieste").await;
    }
    let body = json!({ "code": code, "name": "Dario", "city": "Trieste", "device": "pc" });
    assert_eq!(relay.join(body, None).await.body["code"], "invite_used_up");
}

#[tokio::test]
async fn an_expired_code_is_refused_saying_when_it_expired() {
    let relay = Relay::new();
    relay.create_group("ravenna", "Ravenna");
    let eight_days_ago = Utc::now() - TimeDelta::days(8);
    let code = relay.invite_at(
        "ravenna",
        Role::Editor,
        5,
        eight_days_ago,
        TimeDelta::days(7),
    );

    let body = json!({ "code": code, "name": "Chiara", "city": "Ravenna", "device": "laptop" });
    let answer = relay.join(body, None).await;

    assert_eq!(answer.status, StatusCode::GONE);
    assert_eq!(answer.body["code"], "invite_expired");
    assert!(
        answer.body["error"]
            .as_str()
            .unwrap()
            .contains("expired on")
    );
}

#[tokio::test]
async fn an_unknown_or_malformed_code_is_404() {
    let relay = Relay::new();
    relay.create_group("palermo", "Palermo");
    for code in ["AAAA-BBBB-CCCC-DDDD", "not a code"] {
        let body = json!({ "code": code, "name": "Anna", "city": "Palermo", "device": "laptop" });
        let answer = relay.join(body, None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{code}");
        assert_eq!(answer.body["code"], "invite_unknown");
    }
}

#[tokio::test]
async fn a_code_typed_in_lowercase_with_spaces_still_works() {
    let relay = Relay::new();
    relay.create_group("palermo", "Palermo");
    let code = relay.invite("palermo", Role::Editor, 1);
    let typed = code.to_lowercase().replace('-', " ");
    relay.join_as(&typed, "Anna", "Palermo").await;
}

#[tokio::test]
async fn a_signed_in_device_joins_a_second_group_without_a_new_token() {
    // Step 1: Anna joins Palermo's group.
    let relay = Relay::new();
    relay.create_group("palermo", "Palermo");
    let second = relay.create_group("minori", "Tutela minori");
    let first = relay
        .join_as(&relay.invite("palermo", Role::Editor, 1), "Anna", "Palermo")
        .await;
    let anna = token(&first);

    // Step 2: with her token, a reader invite to a second group adds it to her.
    let code = relay.invite("minori", Role::Reader, 1);
    let answer = relay.join(json!({ "code": code }), Some(&anna)).await;

    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert!(answer.body.get("token").is_none());
    assert_eq!(answer.body["peer_id"], first["peer_id"]);
    assert_eq!(answer.body["participant"]["id"], first["participant"]["id"]);
    assert_eq!(answer.body["group"]["role"], "reader");
    assert_eq!(
        answer.body["group"]["index_doc"],
        second.index_doc.to_string()
    );

    // Step 3: /v1/me lists both groups, with their roles.
    let me = relay.get("/v1/me", Some(&anna)).await.body;
    let groups: Vec<(&str, &str)> = me["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["slug"].as_str().unwrap(), g["role"].as_str().unwrap()))
        .collect();
    assert_eq!(groups, [("minori", "reader"), ("palermo", "editor")]);
}

#[tokio::test]
async fn joining_a_group_again_keeps_the_role_and_the_invite_use() {
    let relay = Relay::new();
    relay.create_group("palermo", "Palermo");
    let anna = token(
        &relay
            .join_as(&relay.invite("palermo", Role::Admin, 1), "Anna", "Palermo")
            .await,
    );
    let code = relay.invite("palermo", Role::Reader, 1);

    let again = relay.join(json!({ "code": code }), Some(&anna)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["group"]["role"], "admin");

    // The code was not spent on her: someone else can still use it.
    relay.join_as(&code, "Marco", "Roma").await;
}

#[tokio::test]
async fn a_retried_join_succeeds_even_though_the_code_is_now_used_up() {
    // Anna's laptop joins a second group, but the answer is lost on the way back.
    let relay = Relay::new();
    relay.create_group("palermo", "Palermo");
    relay.create_group("minori", "Tutela minori");
    let anna = token(
        &relay
            .join_as(&relay.invite("palermo", Role::Editor, 1), "Anna", "Palermo")
            .await,
    );
    let code = relay.invite("minori", Role::Editor, 1);
    relay.join(json!({ "code": code }), Some(&anna)).await;

    // Retrying with the same single-use code tells her she is in.
    let retry = relay.join(json!({ "code": code }), Some(&anna)).await;

    assert_eq!(retry.status, StatusCode::OK, "{:?}", retry.body);
    assert_eq!(retry.body["group"]["slug"], "minori");
}

#[tokio::test]
async fn a_bad_token_on_join_is_401_and_spends_nothing() {
    let relay = Relay::new();
    relay.create_group("palermo", "Palermo");
    let code = relay.invite("palermo", Role::Editor, 1);

    let answer = relay
        .join(json!({ "code": code }), Some("qdt_forged"))
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.body["code"], "unauthorized");
    relay.join_as(&code, "Anna", "Palermo").await;
}

#[tokio::test]
async fn a_newcomer_must_give_name_city_and_device_in_plain_text() {
    let relay = Relay::new();
    relay.create_group("palermo", "Palermo");
    let code = relay.invite("palermo", Role::Editor, 1);
    let cases = [
        json!({ "code": code }),
        json!({ "code": code, "name": "", "city": "Palermo", "device": "laptop" }),
        json!({ "code": code, "name": "A".repeat(101), "city": "Palermo", "device": "laptop" }),
        json!({ "code": code, "name": "Anna\nRossi", "city": "Palermo", "device": "laptop" }),
        json!({ "code": 42 }),
    ];
    for body in cases {
        let answer = relay.join(body.clone(), None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.body["code"], "bad_request");
    }
    // None of those spent the code.
    relay.join_as(&code, "Anna", "Palermo").await;
}
