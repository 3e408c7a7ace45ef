//! Joining is rate-limited, so invite codes cannot be guessed by brute force.

mod api_support;

use std::net::SocketAddr;
use std::time::Duration;

use api_support::Relay;
use axum::http::{StatusCode, header};
use quaderno_server::api::{JoinLimits, Rate};
use serde_json::json;

fn tight(per_client: u32, global: u32) -> Relay {
    let rate = |burst| Rate {
        burst,
        interval: Duration::from_secs(60),
    };
    Relay::with_limits(JoinLimits {
        per_client: rate(per_client),
        global: rate(global),
    })
}

fn guess() -> serde_json::Value {
    json!({ "code": "AAAA-BBBB-CCCC-DDDD", "name": "X", "city": "Y", "device": "Z" })
}

fn client(n: u8) -> Option<SocketAddr> {
    Some(SocketAddr::from(([198, 51, 100, n], 40_000)))
}

#[tokio::test]
async fn a_client_guessing_codes_is_told_to_wait() {
    let relay = tight(3, 100);
    for _ in 0..3 {
        let answer = relay.join_from(guess(), None, client(1)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
    }

    let refused = relay.join_from(guess(), None, client(1)).await;

    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.body["code"], "rate_limited");
    let wait: u64 = refused.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Another client is not punished for it.
    assert_eq!(
        relay.join_from(guess(), None, client(2)).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn many_clients_together_meet_the_global_limit() {
    let relay = tight(10, 4);
    for n in 1..=4 {
        assert_eq!(
            relay.join_from(guess(), None, client(n)).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let refused = relay.join_from(guess(), None, client(5)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_limited_client_cannot_use_even_a_valid_code() {
    let relay = tight(1, 100);
    relay.create_group("palermo", "Palermo");
    let code = relay.invite("palermo", quaderno_server::accounts::Role::Editor, 1);
    relay.join_from(guess(), None, client(1)).await;

    let body = json!({ "code": code, "name": "Anna", "city": "Palermo", "device": "laptop" });
    let refused = relay.join_from(body, None, client(1)).await;

    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
}
