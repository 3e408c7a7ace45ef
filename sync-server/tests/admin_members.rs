//! `member list`, `member set-role`, `member remove`: through the real binary, with the
//! events the running relay reacts to.

mod admin_support;

use admin_support::DataDir;
use quaderno_server::accounts::{self, AdminEventKind, Role};

fn events(data: &DataDir) -> Vec<AdminEventKind> {
    let events = data
        .db()
        .with_conn(|c| Ok(accounts::admin_events_after(c, 0)?))
        .unwrap();
    events.into_iter().map(|e| e.kind).collect()
}

#[test]
fn member_list_shows_the_ids_to_type() {
    let data = DataDir::new();
    let code = data.group_with_invite("palermo", "editor", "2");
    let anna = data.join(&code, "Anna Rossi", "Palermo").participant.id;
    data.join(&code, "Marco", "Roma");

    let text = data.ok(&["member", "list", "--group", "palermo"]);

    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("ID  NAME        CITY     ROLE    DEVICES  JOINED"),
        "{text}"
    );
    assert!(
        lines[1].starts_with(&format!("{anna}   Anna Rossi  Palermo  editor  1")),
        "{text}"
    );
    assert!(text.contains("Name a member by ID"), "{text}");
    let json = data.json(&["member", "list", "--group", "palermo"]);
    assert_eq!(json["members"][0]["participant_id"], anna);
    assert_eq!(json["members"][1]["name"], "Marco");
}

#[test]
fn set_role_by_id_or_by_name_records_an_event() {
    let data = DataDir::new();
    let code = data.group_with_invite("palermo", "editor", "1");
    let anna = data.join(&code, "Anna", "Palermo").participant.id;

    let text = data.ok(&[
        "member",
        "set-role",
        "--group",
        "palermo",
        &anna.to_string(),
        "reader",
    ]);
    assert!(
        text.contains("is now reader in palermo (was editor)"),
        "{text}"
    );
    let json = data.json(&["member", "set-role", "--group", "palermo", "anna", "admin"]);
    assert_eq!(json["previous_role"], "reader");

    let role = data
        .db()
        .with_conn(move |c| Ok(accounts::role_in_group(c, anna, "palermo")?))
        .unwrap();
    assert_eq!(role, Some(Role::Admin));
    let changed = |role| AdminEventKind::RoleChanged {
        participant_id: anna,
        group: "palermo".into(),
        role,
    };
    assert_eq!(events(&data), [changed(Role::Reader), changed(Role::Admin)]);
}

#[test]
fn setting_the_same_role_changes_nothing() {
    let data = DataDir::new();
    let code = data.group_with_invite("palermo", "editor", "1");
    let anna = data.join(&code, "Anna", "Palermo").participant.id;

    let text = data.ok(&[
        "member",
        "set-role",
        "--group",
        "palermo",
        &anna.to_string(),
        "editor",
    ]);

    assert!(text.contains("nothing changed"), "{text}");
    assert!(events(&data).is_empty());
}

#[test]
fn remove_takes_the_group_away_and_records_an_event() {
    let data = DataDir::new();
    let code = data.group_with_invite("palermo", "editor", "1");
    let joined = data.join(&code, "Anna", "Palermo");
    let (anna, laptop) = (joined.participant.id, joined.device.device_id);

    let text = data.ok(&["member", "remove", "--group", "palermo", &anna.to_string()]);

    assert!(text.contains("Removed Anna of Palermo"), "{text}");
    assert!(text.contains("last group"), "{text}");
    let memberships = data
        .db()
        .with_conn(move |c| Ok(accounts::memberships(c, anna)?))
        .unwrap();
    assert!(memberships.is_empty());
    let removed = AdminEventKind::MemberRemoved {
        participant_id: anna,
        group: "palermo".into(),
    };
    // Palermo was Anna's only group: her laptop is revoked with her.
    let revoked = AdminEventKind::DeviceRevoked { device_id: laptop };
    assert_eq!(events(&data), [removed, revoked]);
}

#[test]
fn naming_nobody_or_several_people_is_a_user_error() {
    let data = DataDir::new();
    let code = data.group_with_invite("palermo", "editor", "3");
    data.join(&code, "Anna", "Palermo");
    data.join(&code, "Anna", "Trieste");
    let marco = data.join(&code, "Marco", "Roma").participant.id;
    data.ok(&["group", "create", "roma"]);

    let cases = [
        (
            vec!["member", "remove", "--group", "palermo", "Giulia"],
            "no participant `Giulia`",
        ),
        (
            vec!["member", "remove", "--group", "palermo", "Anna"],
            "several participants",
        ),
        (
            vec!["member", "set-role", "--group", "palermo", "999", "reader"],
            "no participant `999`",
        ),
        (
            vec!["member", "remove", "--group", "roma", "Marco"],
            "not a member of `roma`",
        ),
        (
            vec!["member", "list", "--group", "milano"],
            "no group named `milano`",
        ),
    ];
    for (args, hint) in cases {
        let run = data.run(&args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(hint), "{args:?}: {}", run.stderr);
    }
    let still = data
        .db()
        .with_conn(move |c| Ok(accounts::role_in_group(c, marco, "palermo")?))
        .unwrap();
    assert_eq!(still, Some(Role::Editor));
}
