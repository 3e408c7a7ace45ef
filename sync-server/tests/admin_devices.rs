//! `device list` and `device revoke` through the real binary.

mod admin_support;

use admin_support::DataDir;
use quaderno_server::accounts::{self, AdminEventKind};

#[test]
fn a_revoked_device_stops_authenticating_and_the_relay_is_told() {
    // Step 1: Anna joins; her token works.
    let data = DataDir::new();
    let code = data.group_with_invite("palermo", "editor", "1");
    let joined = data.join(&code, "Anna", "Palermo");
    let token = joined.token.unwrap().expose().to_owned();
    let device = joined.device.device_id;
    let check = |token: String| {
        data.db()
            .with_conn(move |c| Ok(accounts::authenticate(c, &token)?))
            .unwrap()
    };
    assert_eq!(check(token.clone()).unwrap().device_id, device);

    // Step 2: her laptop is lost; the coordinator revokes it.
    let text = data.ok(&["device", "revoke", &device.to_string()]);
    assert!(text.contains("Revoked device"), "{text}");

    // Step 3: the token no longer works, and an event tells the running relay.
    assert_eq!(check(token), None);
    let events = data
        .db()
        .with_conn(|c| Ok(accounts::admin_events_after(c, 0)?))
        .unwrap();
    assert_eq!(
        events[0].kind,
        AdminEventKind::DeviceRevoked { device_id: device }
    );
    let listed = data.json(&["device", "list"]);
    assert!(listed[0]["revoked_at"].is_string());
}

#[test]
fn revoking_twice_or_an_unknown_device_is_a_user_error() {
    let data = DataDir::new();
    let code = data.group_with_invite("palermo", "editor", "1");
    let device = data
        .join(&code, "Anna", "Palermo")
        .device
        .device_id
        .to_string();
    data.ok(&["device", "revoke", &device]);

    let twice = data.run(&["device", "revoke", &device]);
    assert_eq!(twice.code, 2);
    assert!(twice.stderr.contains("already revoked"), "{}", twice.stderr);
    let unknown = data.run(&["device", "revoke", "999"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("device list"), "{}", unknown.stderr);
}

#[test]
fn device_list_shows_each_device_and_filters_by_participant() {
    let data = DataDir::new();
    let code = data.group_with_invite("palermo", "editor", "2");
    let anna = data.join(&code, "Anna", "Palermo");
    data.join(&code, "Marco", "Roma");

    let text = data.ok(&["device", "list"]);
    assert!(text.starts_with("ID  PARTICIPANT"), "{text}");
    assert!(text.contains(&anna.device.peer_id), "{text}");
    assert!(text.contains("never") && text.contains("active"), "{text}");

    let only_anna = data.json(&["device", "list", "--participant", "Anna"]);
    assert_eq!(only_anna.as_array().unwrap().len(), 1);
    assert_eq!(only_anna[0]["peer_id"], anna.device.peer_id.as_str());
    assert!(only_anna[0].get("token_hash").is_none());
}
