//! A benchmark, not a test (ignored by default; `scripts/bench-roles.sh` runs it): the time
//! from an admin's role change over the admin API to the member's running `sync --watch`
//! reporting the new role, over 50 changes, as p50 and p99. Changes are 3 s apart, as an admin
//! at a page makes them: a connection steady for 2 s is reconnected at once when the relay
//! closes it, and that is the path measured.

mod faults_common;

use std::time::{Duration, Instant};

use faults_common::{Community, GROUP};
use quaderno_tests::cli::Quaderno;

const CHANGES: usize = 50;
const APART: Duration = Duration::from_secs(3);

fn member(c: &Community, name: &str, role: &str) -> Quaderno {
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", name, "--city", "Prato"]);
    let code = c.relay.invite(GROUP, role);
    q.ok(&["join", &c.relay.url, &code, "--device", "laptop"]);
    q
}

fn token_of(q: &Quaderno) -> String {
    let relays = std::fs::read_to_string(q.data_dir().join("relays.json")).unwrap();
    let relays: serde_json::Value = serde_json::from_str(&relays).unwrap();
    relays["relays"][0]["token"].as_str().unwrap().to_owned()
}

fn wait_for_role(lines: &std::sync::mpsc::Receiver<String>, role: &str) -> Option<Instant> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let line = lines.recv_timeout(left).ok()?;
        let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if event["event"] == "role" && event["role"] == role {
            return Some(Instant::now());
        }
    }
    None
}

#[test]
#[ignore = "a benchmark: run with scripts/bench-roles.sh"]
fn role_change_to_the_members_watch() {
    quaderno_tests::init_tls();
    let c = Community::new();
    let elena = member(&c, "Elena", "admin");
    let rita = member(&c, "Rita", "editor");
    rita.ok(&["sync"]);
    let (mut watch, lines) = rita.spawn_lines(&["--json", "sync", "--watch"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let admin = token_of(&elena);
    let members: serde_json::Value = runtime.block_on(async {
        http.get(format!("{}/v1/groups/{GROUP}/admin/members", c.relay.url))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let rita_id = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Rita")
        .map(|m| m["participant_id"].clone())
        .unwrap();
    let url = format!(
        "{}/v1/groups/{GROUP}/admin/members/{rita_id}/role",
        c.relay.url
    );
    let mut took = Vec::with_capacity(CHANGES);
    for i in 0..CHANGES {
        std::thread::sleep(APART);
        let role = if i % 2 == 0 { "reader" } else { "editor" };
        let answered = runtime.block_on(async {
            let response = http
                .put(&url)
                .bearer_auth(&admin)
                .json(&serde_json::json!({ "role": role }))
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success());
            Instant::now()
        });
        let seen = wait_for_role(&lines, role).expect("the watch reported the new role");
        took.push(seen - answered);
    }
    let _ = watch.kill();
    let _ = watch.wait();
    took.sort();
    let at = |q: f64| took[((took.len() as f64 * q).ceil() as usize).clamp(1, took.len()) - 1];
    println!(
        "role change to the member's watch over {CHANGES} changes: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        at(0.50).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0,
        took[took.len() - 1].as_secs_f64() * 1000.0
    );
}
