//! Attacks on invite codes against the running relay: a code used past its uses or after it
//! expired, made-up and malformed codes, and guessing codes by brute force.
//!
//! A used-up or expired code says so: only someone who holds a real code (80 random bits) can
//! get that answer, and they need to know what to ask their coordinator for. Anything else gets
//! the same 404 whether it looks like a code or not, and guessing is rate-limited in a way that
//! does not tell a right guess from a wrong one.

use std::time::Duration;

use quaderno_store::rusqlite;
use quaderno_tests::probe::Answer;
use quaderno_tests::relay::Relay;
use serde_json::json;

struct Setup {
    relay: Relay,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        quaderno_tests::init_tls();
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::start(dir.path(), &[]);
        relay.create_group("bologna");
        Self { relay, _dir: dir }
    }

    /// An invite code with `uses` uses, made with the admin command.
    fn invite(&self, uses: u32) -> String {
        let json = self.relay.admin(&[
            "--json",
            "invite",
            "create",
            "--group",
            "bologna",
            "--role",
            "editor",
            "--uses",
            &uses.to_string(),
        ]);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value["code"].as_str().unwrap().to_string()
    }

    /// `POST /v1/join` as a newcomer with `code`.
    async fn join(&self, code: &str, name: &str) -> Answer {
        let body = json!({ "code": code, "name": name, "city": "Bologna", "device": "laptop" });
        let response = reqwest::Client::new()
            .post(format!("{}/v1/join", self.relay.url))
            .json(&body)
            .send()
            .await
            .expect("the relay answers");
        let status = response.status().as_u16();
        let mut headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(name, _)| name.as_str() != "date")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        headers.sort();
        let body = response.bytes().await.unwrap().to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_works_for_its_uses_and_then_says_it_is_used_up() {
    let s = Setup::new();
    let code = s.invite(2);
    assert_eq!(s.join(&code, "Anna").await.status, 200);
    assert_eq!(s.join(&code.to_lowercase(), "Bruno").await.status, 200);

    let third = s.join(&code, "Carla").await;

    assert_eq!(third.status, 410, "{}", third.text());
    assert_eq!(third.code(), "invite_used_up");
    let members = s.relay.admin(&["member", "list", "--group", "bologna"]);
    assert!(!members.contains("Carla"), "{members}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_code_is_refused_saying_when_it_expired() {
    // A code made for a week; then the week passes (its expiry moves into the past).
    let s = Setup::new();
    let code = s.invite(5);
    let db = rusqlite::Connection::open(s.relay.data_dir.join("relay.sqlite3")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    let an_hour_ago = chrono::Utc::now().timestamp_millis() - 3_600_000;
    let changed = db
        .execute("UPDATE invites SET expires_at = ?1", [an_hour_ago])
        .unwrap();
    assert_eq!(changed, 1);

    let refused = s.join(&code, "Anna").await;

    assert_eq!(refused.status, 410, "{}", refused.text());
    assert_eq!(refused.code(), "invite_expired");
    assert!(refused.text().contains("expired"), "{}", refused.text());
    let members = s.relay.admin(&["member", "list", "--group", "bologna"]);
    assert!(!members.contains("Anna"), "{members}");
}

#[tokio::test(flavor = "multi_thread")]
async fn made_up_and_malformed_codes_get_the_same_404() {
    let s = Setup::new();
    let real = s.invite(1);
    let made_up = if real.starts_with('Z') {
        "YYYY-YYYY-YYYY-YYYY"
    } else {
        "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
    };
    let reference = s.join(made_up, "Mallory").await;
    assert_eq!(reference.status, 404, "{}", reference.text());
    assert_eq!(reference.code(), "invite_unknown");

    let long = "A".repeat(10_000);
    let malformed = [
        "",
        "ABCD",
        "ABCD-EFGH-JKMN-PQRU",
        "ÄBCD-EFGH-JKMN-PQRS",
        "' OR 1=1 --",
        real.get(..14).unwrap(),
        long.as_str(),
    ];
    for code in malformed {
        assert_eq!(s.join(code, "Mallory").await, reference, "{code:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn guessing_codes_is_rate_limited_and_the_limit_does_not_tell_a_right_guess() {
    // Mallory guesses from one address: 20 attempts go through, then she must wait.
    let s = Setup::new();
    let real = s.invite(1);
    for i in 0..20 {
        let guess = format!("{:04}-AAAA-BBBB-CCCC", i);
        assert_eq!(s.join(&guess, "Mallory").await.status, 404, "guess {i}");
    }
    let limited = s.join("9999-AAAA-BBBB-CCCC", "Mallory").await;
    assert_eq!(limited.status, 429, "{}", limited.text());
    assert_eq!(limited.code(), "rate_limited");
    let wait: u64 = header(&limited, "retry-after").parse().unwrap();
    assert!((1..=3).contains(&wait), "retry after {wait} s");

    // Even the right code gets the same refusal while she is limited (the seconds to wait
    // count down on their own), and the refusal does not use it up.
    let right_but_limited = s.join(&real, "Mallory").await;
    assert_eq!(
        without_digits(&right_but_limited),
        without_digits(&limited),
        "a right guess must look like a wrong one"
    );
    let wait: u64 = header(&right_but_limited, "retry-after").parse().unwrap();
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let anna = s.join(&real, "Anna").await;
    assert_eq!(anna.status, 200, "{}", anna.text());
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// The answer with every digit replaced, for answers that differ only in seconds to wait.
fn without_digits(answer: &Answer) -> Answer {
    let mask = |s: &str| {
        s.chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect()
    };
    Answer {
        status: answer.status,
        headers: answer
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), mask(v)))
            .collect(),
        body: mask(&answer.text()).into_bytes(),
    }
}
