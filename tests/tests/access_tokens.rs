//! Attacks on device tokens against the running relay: none, malformed, guessed from another
//! device's by prefix or by a changed character, revoked. Each is refused, and the refusal is
//! the same, byte for byte, whether or not the token (or the device behind it) ever existed.

use std::time::Duration;

use quaderno_tests::probe::{self, Answer, Credentials};
use quaderno_tests::raw;
use quaderno_tests::relay::{Joined, Relay};

struct Setup {
    relay: Relay,
    anna: Joined,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn new() -> Self {
        quaderno_tests::init_tls();
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::start(dir.path(), &[]);
        relay.create_group("palermo");
        let code = relay.invite("palermo", "editor");
        let anna = relay.join(&code, "Anna").await;
        Self {
            relay,
            anna,
            _dir: dir,
        }
    }

    /// Every way in: the sync endpoint (header and query), `/v1/me`, a group's changes.
    async fn answers(&self, credentials: &Credentials) -> Vec<(&'static str, Answer)> {
        let sync = self.relay.sync_url("palermo");
        let ws = match probe::upgrade(&sync, credentials).await {
            Ok(_) => panic!("{credentials:?} opened the sync endpoint"),
            Err(answer) => answer,
        };
        let base = &self.relay.url;
        vec![
            ("the sync endpoint", ws),
            (
                "/v1/me",
                probe::get(&format!("{base}/v1/me"), credentials).await,
            ),
            (
                "a group's changes",
                probe::get(&format!("{base}/v1/groups/palermo/changes"), credentials).await,
            ),
        ]
    }
}

/// Tokens an attacker may try, named; none of them is a valid token.
fn guesses(real: &str) -> Vec<(String, String)> {
    let body = real.strip_prefix("qdt_").expect("tokens start with qdt_");
    let last = real.chars().last().unwrap();
    let changed_last = if last == 'x' { 'y' } else { 'x' };
    let mut guesses = vec![
        ("the prefix alone", "qdt_".to_string()),
        ("the first half", real[..real.len() / 2].to_string()),
        (
            "all but the last character",
            real[..real.len() - 1].to_string(),
        ),
        (
            "the last character changed",
            format!("{}{changed_last}", &real[..real.len() - 1]),
        ),
        ("one character more", format!("{real}x")),
        ("in upper case", real.to_uppercase()),
        ("without the prefix", body.to_string()),
        ("a space inside", format!("{} {}", &real[..10], &real[10..])),
        (
            "a made-up token",
            "qdt_4vJ9tN1Z7m2Lr8QeW3xYb5KcHd6Pf2Gs9Tu1Vw3Xy".into(),
        ),
        ("a very long one", format!("qdt_{}", "A".repeat(5_000))),
        ("SQL", "qdt_' OR '1'='1".into()),
    ];
    guesses.retain(|(_, token)| token != real);
    guesses
        .into_iter()
        .map(|(name, token)| (name.to_string(), token))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_token_and_malformed_tokens_get_the_same_401_everywhere() {
    let s = Setup::new().await;
    let reference = s.answers(&Credentials::Nothing).await;
    for (_, answer) in &reference {
        assert_eq!(answer.status, 401, "{}", answer.text());
        assert_eq!(answer.code(), "unauthorized");
    }

    let malformed = [
        Credentials::Header(String::new()),
        Credentials::Header("Bearer".into()),
        Credentials::Header("Bearer ".into()),
        Credentials::Header("Basic YW5uYTpwYWxlcm1v".into()),
        Credentials::Header(s.anna.token.clone()),
        Credentials::Header(format!("Token {}", s.anna.token)),
        Credentials::Bearer("\t garbage \t".into()),
        Credentials::Query(String::new()),
    ];
    for credentials in malformed {
        let answers = s.answers(&credentials).await;
        for ((place, answer), (_, expected)) in answers.iter().zip(&reference) {
            assert_eq!(answer, expected, "{credentials:?} at {place}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_guessed_from_a_real_one_get_the_same_401_as_any_other() {
    // Mallory has seen part of Anna's token (over her shoulder, in a screenshot) and tries
    // what is close to it, in the header and in the query.
    let s = Setup::new().await;
    let reference = s.answers(&Credentials::Bearer("qdt_nothing".into())).await;
    for (name, token) in guesses(&s.anna.token) {
        for credentials in [
            Credentials::Bearer(token.clone()),
            Credentials::Query(token.clone()),
        ] {
            let sync = s.relay.sync_url("palermo");
            let refused = probe::upgrade(&sync, &credentials)
                .await
                .err()
                .unwrap_or_else(|| panic!("{name}: {credentials:?} opened the sync endpoint"));
            assert_eq!(refused, reference[0].1, "{name} as {credentials:?}");
        }
        let answers = s.answers(&Credentials::Bearer(token)).await;
        assert_eq!(answers, reference, "{name}");
    }

    // Anna's own token still works, in either form.
    for credentials in [
        Credentials::Bearer(s.anna.token.clone()),
        Credentials::Query(s.anna.token.clone()),
    ] {
        let mut conn = probe::upgrade(&s.relay.sync_url("palermo"), &credentials)
            .await
            .expect("the real token opens the endpoint");
        conn.send(raw::join(&s.anna.peer_id)).await;
        assert!(
            conn.read_until(Duration::from_secs(10), |c| c.received("peer") == 1)
                .await
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_token_gets_the_same_401_as_one_that_never_existed() {
    // Anna's laptop is lost; the coordinator revokes it.
    let s = Setup::new().await;
    let never = s.answers(&Credentials::Bearer("qdt_nothing".into())).await;
    let devices: serde_json::Value =
        serde_json::from_str(&s.relay.admin(&["--json", "device", "list"])).unwrap();
    let id = devices
        .as_array()
        .or_else(|| devices["devices"].as_array())
        .into_iter()
        .flatten()
        .find(|d| d["peer_id"] == s.anna.peer_id.as_str())
        .map(|d| d["id"].to_string())
        .expect("Anna's laptop is listed");
    s.relay.admin(&["device", "revoke", &id]);

    // Whoever holds the laptop cannot tell a revoked token from a wrong one.
    let revoked = s.answers(&Credentials::Bearer(s.anna.token.clone())).await;
    assert_eq!(revoked, never);
    let by_query = probe::upgrade(
        &s.relay.sync_url("palermo"),
        &Credentials::Query(s.anna.token.clone()),
    )
    .await
    .expect_err("refused");
    assert_eq!(by_query, never[0].1);
}
