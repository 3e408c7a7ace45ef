//! The admin API of a real relay process, over real HTTP and WebSockets on 127.0.0.1: who may
//! govern a group (its admins and the relay's operators, nobody else, and nobody learns what
//! exists), invites made, listed and revoked, removal and revocation that close live
//! connections within a second and last, one person with two devices, the activity log.

use std::time::{Duration, Instant};

use quaderno_tests::raw::RawConn;
use quaderno_tests::relay::Relay;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Within a second, as the issue promises; measured from the admin call's answer.
const ONE_SECOND: Duration = Duration::from_secs(1);

struct Answer {
    status: StatusCode,
    body: Value,
    text: String,
}

async fn call(
    relay: &Relay,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", relay.url))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the relay answers");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { status, body, text }
}

async fn get(relay: &Relay, path: &str, token: &str) -> Answer {
    call(relay, Method::GET, path, token, None).await
}

/// A relay with the care leavers' group of Prato (Elena admin, Rita editor) and Firenze's
/// (Marco admin).
struct Community {
    relay: Relay,
    _dir: tempfile::TempDir,
    elena: String,
    rita: String,
    rita_peer: String,
    rita_id: i64,
    marco: String,
}

async fn community() -> Community {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.admin(&["group", "create", "prato", "--title", "Care leaver Prato"]);
    relay.admin(&[
        "group",
        "create",
        "firenze",
        "--title",
        "Care leaver Firenze",
    ]);
    let elena = relay.join(&relay.invite("prato", "admin"), "Elena").await;
    let rita = relay.join(&relay.invite("prato", "editor"), "Rita").await;
    let marco = relay.join(&relay.invite("firenze", "admin"), "Marco").await;
    let me = get(&relay, "/v1/me", &rita.token).await;
    Community {
        rita_id: me.body["participant"]["id"].as_i64().unwrap(),
        rita_peer: rita.peer_id,
        rita: rita.token,
        elena: elena.token,
        marco: marco.token,
        relay,
        _dir: dir,
    }
}

/// Every admin endpoint of a group, as (method, path, body).
fn admin_calls(group: &str, participant: i64) -> Vec<(Method, String, Option<Value>)> {
    let g = format!("/v1/groups/{group}/admin");
    vec![
        (Method::GET, format!("{g}/members"), None),
        (
            Method::PUT,
            format!("{g}/members/{participant}/role"),
            Some(json!({ "role": "reader" })),
        ),
        (Method::DELETE, format!("{g}/members/{participant}"), None),
        (Method::GET, format!("{g}/invites"), None),
        (
            Method::POST,
            format!("{g}/invites"),
            Some(json!({ "role": "editor" })),
        ),
        (Method::DELETE, format!("{g}/invites/1"), None),
        (Method::POST, format!("{g}/devices/1/revoke"), None),
        (Method::GET, format!("{g}/activity"), None),
        (Method::GET, format!("{g}/activity.csv"), None),
    ]
}

#[tokio::test]
async fn only_the_groups_admins_govern_it_and_everyone_else_gets_the_same_403() {
    let c = community().await;
    let relay = &c.relay;
    for (method, path, body) in admin_calls("prato", c.rita_id) {
        let editor = call(relay, method.clone(), &path, &c.rita, body.clone()).await;
        let other_admin = call(relay, method.clone(), &path, &c.marco, body.clone()).await;
        let nowhere = path.replace("/prato/", "/milano/");
        let missing = call(relay, method.clone(), &nowhere, &c.marco, body.clone()).await;
        assert_eq!(editor.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(editor.text, other_admin.text, "{method} {path}");
        assert_eq!(other_admin.status, missing.status, "{method} {path}");
        assert_eq!(other_admin.text, missing.text, "{method} {path}");
    }
    // A participant, invite or device that does not exist is refused like a group one may
    // not see, even to the group's admin.
    for path in [
        "/v1/groups/prato/admin/members/999999",
        "/v1/groups/prato/admin/invites/999999",
        "/v1/groups/prato/admin/members/nobody",
    ] {
        let answer = call(relay, Method::DELETE, path, &c.elena, None).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
    }
    let foreign_device = get(relay, "/v1/me", &c.marco).await.body["device"]["id"].clone();
    let path = format!("/v1/groups/prato/admin/devices/{foreign_device}/revoke");
    let answer = call(relay, Method::POST, &path, &c.elena, None).await;
    assert_eq!(
        answer.status,
        StatusCode::FORBIDDEN,
        "Marco's device is not Prato's"
    );
    // Operators' endpoints refuse a group admin.
    for path in ["/v1/admin/groups", "/v1/admin/operators"] {
        assert_eq!(
            get(relay, path, &c.elena).await.status,
            StatusCode::FORBIDDEN
        );
    }
    // Elena, Prato's admin, sees her group: each member once.
    let members = get(relay, "/v1/groups/prato/admin/members", &c.elena).await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.text);
    let names: Vec<&str> = members.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Elena", "Rita"]);
    // An admin cannot demote or remove themselves.
    let elena_id = get(relay, "/v1/me", &c.elena).await.body["participant"]["id"].clone();
    let own = format!("/v1/groups/prato/admin/members/{elena_id}/role");
    let answer = call(
        relay,
        Method::PUT,
        &own,
        &c.elena,
        Some(json!({"role": "reader"})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
}

async fn join_as(relay: &Relay, code: &str, name: &str) -> Answer {
    let body = json!({ "code": code, "name": name, "city": "Prato", "device": "portatile" });
    let response = reqwest::Client::new()
        .post(format!("{}/v1/join", relay.url))
        .json(&body)
        .send()
        .await
        .expect("the relay answers");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

#[tokio::test]
async fn an_invite_made_over_http_is_listed_with_its_uses_and_once_revoked_says_so() {
    let c = community().await;
    let relay = &c.relay;
    let invites = "/v1/groups/prato/admin/invites";
    let body = json!({ "role": "reader", "uses": 2, "expires_in_days": 3 });
    let made = call(relay, Method::POST, invites, &c.elena, Some(body)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert_eq!(made.body["relay_url"], json!(relay.url));
    let code = made.body["code"].as_str().unwrap().to_owned();
    let id = made.body["id"].as_i64().unwrap();

    assert_eq!(join_as(relay, &code, "Sara").await.status, StatusCode::OK);
    let listed = get(relay, invites, &c.elena).await;
    let mine = listed.body["invites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .cloned()
        .expect("the invite is listed");
    assert_eq!(mine["uses"], 2);
    assert_eq!(mine["uses_left"], 1);
    assert_eq!(mine["state"], "active");
    assert!(mine.get("code").is_none(), "codes are never listed");
    assert!(!listed.text.contains(&code), "codes are never listed");

    let revoked = call(
        relay,
        Method::DELETE,
        &format!("{invites}/{id}"),
        &c.elena,
        None,
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    let refused = join_as(relay, &code, "Luca").await;
    assert_eq!(refused.status, StatusCode::GONE);
    assert_eq!(refused.body["code"], "invite_revoked");
    assert!(refused.text.contains("withdrawn"), "{}", refused.text);
    let listed = get(relay, invites, &c.elena).await;
    assert!(listed.text.contains("\"revoked\""), "{}", listed.text);

    // A used-up invite says so, differently.
    let body = json!({ "role": "editor", "uses": 1 });
    let once = call(relay, Method::POST, invites, &c.elena, Some(body)).await;
    let code = once.body["code"].as_str().unwrap();
    assert_eq!(join_as(relay, code, "Luca").await.status, StatusCode::OK);
    let again = join_as(relay, code, "Pia").await;
    assert_eq!(again.status, StatusCode::GONE);
    assert_eq!(again.body["code"], "invite_used_up");
}

/// How long a live connection took to close, if it closed within `limit`.
async fn closes_within(conn: &mut RawConn, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    conn.read_until_closed(limit)
        .await
        .then(|| started.elapsed())
}

#[tokio::test]
async fn a_removed_member_is_cut_off_within_a_second_and_no_old_invite_or_token_brings_them_back() {
    let c = community().await;
    let relay = &c.relay;
    // Rita is also in Firenze, so her token outlives her removal from Prato.
    let firenze = relay.invite("firenze", "reader");
    relay.join_with_token(&firenze, &c.rita).await;
    let multi = relay.admin(&[
        "--json", "invite", "create", "--group", "prato", "--role", "editor", "--uses", "10",
    ]);
    let multi: Value = serde_json::from_str(&multi).unwrap();
    let multi = multi["code"].as_str().unwrap().to_owned();
    let mut live = RawConn::joined(&relay.sync_url("prato"), &c.rita, &c.rita_peer).await;

    let path = format!("/v1/groups/prato/admin/members/{}", c.rita_id);
    let removed = call(relay, Method::DELETE, &path, &c.elena, None).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    let closed = closes_within(&mut live, ONE_SECOND).await;
    assert!(
        closed.is_some(),
        "Rita's connection to Prato is still open after a second"
    );
    eprintln!("Rita's connection closed {closed:?} after the removal");

    // Her token no longer opens Prato, and no invite made before the removal lets her back.
    let changes = get(relay, "/v1/groups/prato/changes", &c.rita).await;
    assert_eq!(changes.status, StatusCode::FORBIDDEN);
    let back = reqwest::Client::new()
        .post(format!("{}/v1/join", relay.url))
        .bearer_auth(&c.rita)
        .json(&json!({ "code": multi }))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), StatusCode::FORBIDDEN);
    assert!(back.text().await.unwrap().contains("removed"));
    // A new invite, made after the removal, does.
    let fresh = relay.invite("prato", "reader");
    let joined = relay.join_with_token(&fresh, &c.rita).await;
    assert_eq!(joined.group.role, "reader");

    // Removed from her last groups, her token stops working everywhere.
    let rita = c.rita_id.to_string();
    relay.admin(&["member", "remove", "--group", "prato", &rita]);
    relay.admin(&["member", "remove", "--group", "firenze", &rita]);
    assert_eq!(
        get(relay, "/v1/me", &c.rita).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_device_revoked_by_the_groups_admin_is_cut_off_within_a_second() {
    let c = community().await;
    let relay = &c.relay;
    let mut live = RawConn::joined(&relay.sync_url("prato"), &c.rita, &c.rita_peer).await;
    let members = get(relay, "/v1/groups/prato/admin/members", &c.elena).await;
    let rita = members.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Rita")
        .cloned()
        .unwrap();
    assert_eq!(rita["online"], true, "{rita}");
    let device = rita["devices"][0]["id"].as_i64().unwrap();

    let path = format!("/v1/groups/prato/admin/devices/{device}/revoke");
    let revoked = call(relay, Method::POST, &path, &c.elena, None).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    let closed = closes_within(&mut live, ONE_SECOND).await;
    assert!(
        closed.is_some(),
        "the revoked device is still connected after a second"
    );
    eprintln!("the revoked device's connection closed {closed:?} after the call");
    assert_eq!(
        get(relay, "/v1/me", &c.rita).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn one_person_with_two_devices_is_one_member_and_removal_closes_both() {
    let c = community().await;
    let relay = &c.relay;
    let link = call(relay, Method::POST, "/v1/devices/link", &c.rita, None).await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text);
    let code = link.body["code"].as_str().unwrap().to_owned();
    let body = json!({ "code": code, "device": "PC ufficio" });
    let response = reqwest::Client::new()
        .post(format!("{}/v1/devices/join", relay.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let office: Value = response.json().await.unwrap();
    assert_eq!(office["participant"]["id"], c.rita_id);
    assert_eq!(office["groups"][0]["slug"], "prato");
    assert_eq!(office["groups"][0]["role"], "editor");
    // The code works once.
    let again = reqwest::Client::new()
        .post(format!("{}/v1/devices/join", relay.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::GONE);

    let office_token = office["token"].as_str().unwrap();
    let office_peer = office["peer_id"].as_str().unwrap();
    let sync = relay.sync_url("prato");
    let mut laptop = RawConn::joined(&sync, &c.rita, &c.rita_peer).await;
    let mut desk = RawConn::joined(&sync, office_token, office_peer).await;
    let members = get(relay, "/v1/groups/prato/admin/members", &c.elena).await;
    let ritas: Vec<&Value> = members.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["name"] == "Rita")
        .collect();
    assert_eq!(ritas.len(), 1, "one person, listed once");
    let devices = ritas[0]["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    assert!(devices.iter().all(|d| d["online"] == true), "{devices:?}");

    let path = format!("/v1/groups/prato/admin/members/{}", c.rita_id);
    let removed = call(relay, Method::DELETE, &path, &c.elena, None).await;
    assert_eq!(removed.body["revoked_devices"].as_array().unwrap().len(), 2);
    assert!(
        closes_within(&mut laptop, ONE_SECOND).await.is_some(),
        "laptop still open"
    );
    assert!(
        closes_within(&mut desk, ONE_SECOND).await.is_some(),
        "office PC still open"
    );
}

#[tokio::test]
async fn the_activity_log_says_who_did_what_and_cannot_be_changed() {
    let c = community().await;
    let relay = &c.relay;
    let path = format!("/v1/groups/prato/admin/members/{}/role", c.rita_id);
    let body = json!({ "role": "reader" });
    let changed = call(relay, Method::PUT, &path, &c.elena, Some(body)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.body["previous_role"], "editor");
    let invite = json!({ "role": "editor" });
    call(
        relay,
        Method::POST,
        "/v1/groups/prato/admin/invites",
        &c.elena,
        Some(invite),
    )
    .await;

    let log = get(relay, "/v1/groups/prato/admin/activity", &c.elena).await;
    let events = log.body["events"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions[..2],
        ["invite_created", "role_changed"],
        "{actions:?}"
    );
    assert!(actions.contains(&"joined") && actions.contains(&"group_created"));
    let role = &events[1];
    assert_eq!(role["actor"], "Elena");
    assert_eq!(role["target"], "Rita");
    assert_eq!(role["detail"], "editor → reader");
    // Firenze's log is Firenze's.
    assert!(!log.text.contains("Marco"), "{}", log.text);

    let csv = reqwest::Client::new()
        .get(format!("{}/v1/groups/prato/admin/activity.csv", relay.url))
        .bearer_auth(&c.elena)
        .send()
        .await
        .unwrap();
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with("seq,at,actor,action,target,detail\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains(",Elena,role_changed,Rita,editor → reader\r\n"),
        "{csv}"
    );
    // Nothing in the API changes it.
    for method in [Method::PUT, Method::DELETE, Method::POST, Method::PATCH] {
        let answer = call(
            relay,
            method.clone(),
            "/v1/groups/prato/admin/activity",
            &c.elena,
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    // The relay's command line shows the same log.
    let text = relay.admin(&["activity", "--group", "prato"]);
    assert!(
        text.contains("role_changed") && text.contains("Elena"),
        "{text}"
    );
}

#[tokio::test]
async fn the_first_operator_comes_from_the_command_line_and_governs_every_group() {
    let c = community().await;
    let relay = &c.relay;
    let issued = relay.admin(&["--json", "operator", "add", "--name", "Coordinamento"]);
    let issued: Value = serde_json::from_str(&issued).unwrap();
    let code = issued["code"].as_str().unwrap();
    let joined = join_as(relay, code, "Giulia").await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.text);
    assert_eq!(joined.body["operator"], true);
    assert_eq!(joined.body["group"], Value::Null);
    let giulia = joined.body["token"].as_str().unwrap().to_owned();
    assert_eq!(get(relay, "/v1/me", &giulia).await.body["operator"], true);
    // The code made one operator, once.
    assert_eq!(join_as(relay, code, "Altro").await.status, StatusCode::GONE);

    let made = call(
        relay,
        Method::POST,
        "/v1/admin/groups",
        &giulia,
        Some(json!({ "slug": "ravenna", "title": "Housing First Ravenna" })),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let renamed = call(
        relay,
        Method::PATCH,
        "/v1/admin/groups/ravenna",
        &giulia,
        Some(json!({ "title": "Housing First Ravenna e Lugo" })),
    )
    .await;
    assert_eq!(renamed.body["title"], "Housing First Ravenna e Lugo");
    assert!(
        relay
            .admin(&["group", "list"])
            .contains("Housing First Ravenna e Lugo")
    );
    // She appoints the first admin with an admin invite, and governs any group.
    let first = call(
        relay,
        Method::POST,
        "/v1/groups/ravenna/admin/invites",
        &giulia,
        Some(json!({ "role": "admin" })),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let prato = get(relay, "/v1/groups/prato/admin/members", &giulia).await;
    assert_eq!(prato.status, StatusCode::OK);
    let groups = get(relay, "/v1/admin/groups", &giulia).await;
    assert_eq!(groups.body["groups"].as_array().unwrap().len(), 3);
    let next = call(
        relay,
        Method::POST,
        "/v1/admin/operators/invites",
        &giulia,
        Some(json!({})),
    )
    .await;
    assert_eq!(next.status, StatusCode::CREATED, "{}", next.text);
    assert!(relay.admin(&["operator", "list"]).contains("Giulia"));
}
