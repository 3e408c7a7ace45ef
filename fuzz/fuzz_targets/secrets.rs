//! Invite codes and device tokens as people and clients type them: parsed and normalised, then
//! tried against a relay's API on a real database that holds one group, one invite and one
//! device.
//!
//! Must hold, whatever the text: no panic and no internal error; a code that parses displays
//! as four groups of four and parses back to itself however it is cased; and nothing but the
//! device's own token (and the invite's own code) gets in.

#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use chrono::{TimeDelta, Utc};
use libfuzzer_sys::fuzz_target;
use quaderno_server::accounts::secrets::{DeviceToken, InviteCode};
use quaderno_server::accounts::{self, GroupSlug, Joiner, NewInvite, Role};
use quaderno_server::api::{self, ApiState, AppError, JoinLimits, Rate};
use quaderno_server::db::Db;
use tower::ServiceExt;

/// A relay's API with one group, one unused invite and one device.
struct Relay {
    state: ApiState,
    token: String,
    code: InviteCode,
    runtime: tokio::runtime::Runtime,
}

fn relay() -> &'static Relay {
    static RELAY: OnceLock<Relay> = OnceLock::new();
    RELAY.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let db = Db::open(&dir).unwrap();
        let now = Utc::now();
        let invite = |role| NewInvite {
            group: "palermo".into(),
            role,
            uses: 1,
            expires_at: now + TimeDelta::days(7),
            created_by: "fuzz".into(),
        };
        let (token, code) = db
            .with_conn(|conn| {
                let slug = GroupSlug::parse("palermo").unwrap();
                accounts::create_group(conn, &slug, None, now)?;
                let first = accounts::create_invite(conn, &invite(Role::Editor), now)?;
                let newcomer = Joiner::Newcomer {
                    name: "Anna",
                    city: "Palermo",
                    device: "laptop",
                };
                let joined = accounts::join(conn, &first.display(), newcomer, now)?;
                let unused = accounts::create_invite(conn, &invite(Role::Reader), now)?;
                Ok((joined.token.unwrap().expose().to_owned(), unused))
            })
            .unwrap();
        // No rate limit here: every input must reach the code that checks it.
        let unlimited = Rate {
            burst: u32::MAX,
            interval: Duration::from_nanos(1),
        };
        let limits = JoinLimits {
            per_client: unlimited,
            global: unlimited,
        };
        Relay {
            state: ApiState::with_limits(db, "relay-fuzz", limits),
            token,
            code,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let typed = String::from_utf8_lossy(data);
    check_code(&typed);
    let relay = relay();
    let _ = DeviceToken::from_client(&typed).hash();
    relay.runtime.block_on(async {
        check_bearer_header(relay, data).await;
        check_query_token(relay, &typed).await;
        check_join(relay, &typed).await;
    });
});

/// A code that parses shows as `XXXX-XXXX-XXXX-XXXX` and reads back the same in any case.
fn check_code(typed: &str) {
    let Some(code) = InviteCode::parse(typed) else {
        return;
    };
    let shown = code.display();
    assert_eq!(shown.len(), 19, "{shown}");
    assert_eq!(shown.matches('-').count(), 3, "{shown}");
    assert_eq!(InviteCode::parse(&shown).as_ref(), Some(&code));
    assert_eq!(
        InviteCode::parse(&shown.to_lowercase()).as_ref(),
        Some(&code)
    );
    assert_eq!(InviteCode::parse(typed).unwrap().hash(), code.hash());
}

/// `GET /v1/me` with the bytes as the whole `Authorization` header, and as a bearer token.
async fn check_bearer_header(relay: &Relay, data: &[u8]) {
    let mut values = vec![data.to_vec()];
    values.push([b"Bearer ".as_slice(), data].concat());
    for value in values {
        let Ok(value) = HeaderValue::from_bytes(&value) else {
            continue;
        };
        let real = is_real_bearer(relay, &value);
        let request = Request::builder()
            .method(Method::GET)
            .uri("/v1/me")
            .header(header::AUTHORIZATION, value)
            .body(Body::empty())
            .unwrap();
        let status = send(relay, request).await;
        let expected = if real {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(status, expected);
    }
}

/// The header as the relay reads it: `Bearer`, in any case, a space, the token, spaces around.
fn is_real_bearer(relay: &Relay, value: &HeaderValue) -> bool {
    let Ok(value) = value.to_str() else {
        return false;
    };
    value.split_once(' ').is_some_and(|(scheme, token)| {
        scheme.eq_ignore_ascii_case("bearer") && token.trim() == relay.token
    })
}

/// The WebSocket endpoint's check, with the text as `?token=`.
async fn check_query_token(relay: &Relay, typed: &str) {
    let allowed =
        api::authorize_group(&relay.state, &HeaderMap::new(), Some(typed), "palermo").await;
    match allowed {
        Ok(_) => assert_eq!(typed.trim(), relay.token),
        Err(error) => assert_eq!(error, AppError::Unauthorized),
    }
}

/// `POST /v1/join` with the text as the code: only the invite's own code gets in.
async fn check_join(relay: &Relay, typed: &str) {
    let body = serde_json::json!({ "code": typed, "name": "X", "city": "Y", "device": "Z" });
    let request = Request::builder()
        .method(Method::POST)
        .uri("/v1/join")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let status = send(relay, request).await;
    if InviteCode::parse(typed).as_ref() == Some(&relay.code) {
        assert!(
            status.is_success() || status == StatusCode::GONE,
            "{status}"
        );
    } else {
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

async fn send(relay: &Relay, request: Request<Body>) -> StatusCode {
    let router = api::routes().with_state(relay.state.clone());
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR);
    status
}
