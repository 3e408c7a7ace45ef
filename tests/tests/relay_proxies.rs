//! Behind a proxy (`serve --trusted-proxy`): the relay limits joins per client as the proxy
//! names it in `X-Forwarded-For`, and believes the header from no one else.
//!
//! Every request here comes from 127.0.0.1; the header plays the part of the proxy's word
//! for who the client is. Joins are limited to 20 attempts at once per client.

use quaderno_tests::relay::Relay;
use serde_json::json;

/// More attempts than one client's burst of joins.
const MAX_ATTEMPTS: usize = 40;

fn relay(flags: &[&str]) -> (Relay, tempfile::TempDir) {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    (Relay::start(dir.path(), flags), dir)
}

/// One join with a made-up code, "from" the client `forwarded_for` names: its status.
async fn guess(relay: &Relay, forwarded_for: &str) -> u16 {
    let body = json!({ "code": "AAAA-BBBB-CCCC-DDDD", "name": "X", "city": "Y", "device": "Z" });
    reqwest::Client::new()
        .post(format!("{}/v1/join", relay.url))
        .header("x-forwarded-for", forwarded_for)
        .json(&body)
        .send()
        .await
        .expect("the relay answers")
        .status()
        .as_u16()
}

/// Guesses until the relay says to wait; how many it took first.
async fn guesses_until_limited(relay: &Relay, forwarded_for: &str) -> usize {
    for attempt in 0..MAX_ATTEMPTS {
        match guess(relay, forwarded_for).await {
            429 => return attempt,
            404 => {}
            other => panic!("a made-up code got {other}"),
        }
    }
    panic!("{MAX_ATTEMPTS} guesses and never limited")
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_a_join_limit_of_its_own() {
    let (relay, _dir) = relay(&["--trusted-proxy", "127.0.0.1/32"]);

    // Step 1: one client behind the proxy guesses until it is limited.
    let taken = guesses_until_limited(&relay, "198.51.100.1").await;
    assert!(
        (20..=21).contains(&taken),
        "{taken} guesses before the limit"
    );

    // Step 2: another client behind the same proxy still may try.
    assert_eq!(guess(&relay, "198.51.100.2").await, 404);

    // Step 3: the first client cannot escape by writing another address in front of the
    // one the proxy appended.
    assert_eq!(guess(&relay, "203.0.113.5, 198.51.100.1").await, 429);
}

#[tokio::test]
async fn from_a_peer_that_is_not_a_trusted_proxy_x_forwarded_for_is_ignored() {
    for flags in [&[][..], &["--trusted-proxy", "192.0.2.1"][..]] {
        let (relay, _dir) = relay(flags);
        let taken = guesses_until_limited(&relay, "198.51.100.1").await;
        assert!((20..=21).contains(&taken), "{flags:?}: {taken} guesses");

        // A forged header is no fresh limit: every request is 127.0.0.1's.
        assert_eq!(guess(&relay, "198.51.100.2").await, 429, "{flags:?}");
    }
}
