//! One person on several computers, through the real relay and the real `quaderno`: Rita links
//! her office computer from her laptop with a one-time code. The new computer, on which
//! `quaderno init` was never run, is in both of her groups at once, with her roles and her
//! name, and what she writes there reaches her laptop through the relay. The code works once;
//! the relay lists her once, with both devices. The page does the same through its API. And
//! the coordinating body's first operator joins with the code the relay's command line
//! printed.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use quaderno_tests::ui::UiProcess;
use serde_json::{Value, json};

const SOON: Duration = Duration::from_secs(30);

/// A relay with two groups, and Rita on her laptop: an editor in one, a reader in the other.
struct Story {
    relay: Relay,
    laptop: Quaderno,
    _dir: tempfile::TempDir,
}

impl Story {
    fn new() -> Story {
        quaderno_tests::init_tls();
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::start(dir.path(), &[]);
        relay.admin(&[
            "group",
            "create",
            "palermo",
            "--title",
            "Integrazione sociosanitaria",
        ]);
        relay.admin(&["group", "create", "prato", "--title", "Care leaver Prato"]);
        let laptop = Quaderno::fresh();
        laptop.ok(&["init", "--name", "Rita Bruni", "--city", "Prato"]);
        let editor = relay.invite("palermo", "editor");
        laptop.ok(&["join", &relay.url, &editor, "--device", "portatile"]);
        let reader = relay.invite("prato", "reader");
        laptop.ok(&["join", &relay.url, &reader, "--device", "portatile"]);
        Story {
            relay,
            laptop,
            _dir: dir,
        }
    }

    /// A code from Rita's laptop, as `quaderno --json device link` prints it.
    fn link_code(&self) -> Value {
        self.laptop.json(&["device", "link"])
    }

    /// The group's members, as the relay's `member list` shows them.
    fn members(&self, group: &str) -> Vec<Value> {
        let listed = self
            .relay
            .admin(&["--json", "member", "list", "--group", group]);
        let listed: Value = serde_json::from_str(&listed).expect("member list prints JSON");
        listed["members"].as_array().cloned().unwrap_or_default()
    }
}

/// `(group, role)` pairs, sorted, from a list of `{group, role}`.
fn roles(groups: &Value) -> Vec<(String, String)> {
    let mut roles: Vec<(String, String)> = groups
        .as_array()
        .expect("a list of groups")
        .iter()
        .map(|g| {
            (
                g["group"].as_str().unwrap().to_string(),
                g["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    roles.sort();
    roles
}

fn ritas_roles() -> Vec<(String, String)> {
    vec![
        ("palermo".into(), "editor".into()),
        ("prato".into(), "reader".into()),
    ]
}

/// Polls `done` until it holds or `limit` passes; says whether it held.
fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    done()
}

#[test]
fn a_second_computer_is_linked_with_a_code_that_works_once() {
    let s = Story::new();

    // Step 1: on her laptop, Rita asks for a code; it is valid for ten minutes and comes with
    // the exact command to type on the other computer.
    let link = s.link_code();
    let code = link["code"].as_str().expect("a code").to_string();
    let expires: DateTime<Utc> = link["expires_at"].as_str().unwrap().parse().unwrap();
    let left = expires - Utc::now();
    assert!(
        left > chrono::TimeDelta::minutes(9) && left <= chrono::TimeDelta::minutes(10),
        "the code is valid for 10 minutes: {link}"
    );
    assert_eq!(link["relay"], json!(s.relay.url));
    let command = format!("quaderno join --link {code} {}", s.relay.url);
    assert_eq!(link["command"], json!(command));
    let told = s.laptop.ok(&["device", "link"]);
    assert!(
        told.contains("10 minutes") && told.contains("quaderno join --link "),
        "the text says how long and what to type: {told}"
    );

    // Step 2: the office computer is new: no `quaderno init`. It joins with the code and is
    // in both of her groups, with her roles, signing as Rita.
    let office = Quaderno::fresh();
    let joined = office.json(&[
        "join",
        "--link",
        &code,
        &s.relay.url,
        "--device",
        "PC ufficio",
    ]);
    assert_eq!(roles(&joined["groups"]), ritas_roles(), "{joined}");
    assert_eq!(joined["participant"]["name"], "Rita Bruni");
    assert_eq!(joined["identity_set"], true);
    assert_eq!(joined["device"], "PC ufficio");
    let status = office.json(&["status", "--offline"]);
    assert_eq!(roles(&status["groups"]), ritas_roles(), "{status}");

    // Step 3: she writes a note at the office; her laptop gets it through the relay, signed
    // with her name.
    let note = office.json(&[
        "new",
        "--group",
        "palermo",
        "--title",
        "Verbale dall'ufficio",
        "--body",
        "Scritto sul PC dell'ufficio.",
    ]);
    let id = note["id"].as_str().unwrap().to_string();
    assert!(
        note["created_by"].to_string().contains("Rita Bruni"),
        "the note is signed by Rita: {note}"
    );
    office.ok(&["sync"]);
    let arrived = eventually(SOON, || {
        s.laptop.ok(&["sync"]);
        s.laptop
            .run(&["show", &id])
            .stdout
            .contains("Scritto sul PC dell'ufficio.")
    });
    assert!(arrived, "the note written at the office reached the laptop");

    // Step 4: in the group where she reads, the office computer reads too.
    let refused = office.run(&["new", "--group", "prato", "--title", "No", "--body", "x"]);
    assert_eq!(refused.code, 2, "a reader's write is refused: {refused:?}");

    // Step 5: the code worked once; a third computer is told so, and keeps nothing.
    let third = Quaderno::fresh();
    let again = third.run(&["join", "--link", &code, &s.relay.url]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(
        again.stderr.contains("already been used") && again.stderr.contains("quaderno device link"),
        "the refusal says what happened and what to do: {}",
        again.stderr
    );
    assert!(!third.data_dir().join("relays.json").exists());

    // Step 6: the relay lists Rita once in each group, with both of her devices.
    for group in ["palermo", "prato"] {
        let members = s.members(group);
        let ritas: Vec<&Value> = members
            .iter()
            .filter(|m| m["name"] == "Rita Bruni")
            .collect();
        assert_eq!(
            ritas.len(),
            1,
            "Rita is listed once in {group}: {members:?}"
        );
        assert_eq!(ritas[0]["active_devices"], 2, "{members:?}");
    }

    // Step 7: a computer already registered on the relay does not link-join it again.
    let fresh_code = s.link_code()["code"].as_str().unwrap().to_string();
    let twice = s.laptop.run(&["join", "--link", &fresh_code, &s.relay.url]);
    assert_eq!(twice.code, 2, "{twice:?}");
    assert!(
        twice.stderr.contains("already registered"),
        "{}",
        twice.stderr
    );
}

#[test]
fn a_computer_on_several_relays_is_asked_which_one_to_link() {
    let s = Story::new();
    let dir = tempfile::tempdir().unwrap();
    let other = Relay::start(dir.path(), &[]);
    other.create_group("roma");
    s.laptop
        .ok(&["join", &other.url, &other.invite("roma", "editor")]);

    let unsure = s.laptop.run(&["device", "link"]);
    assert_eq!(unsure.code, 2, "{unsure:?}");
    assert!(
        unsure.stderr.contains("--relay")
            && unsure.stderr.contains(&s.relay.url)
            && unsure.stderr.contains(&other.url),
        "the error names the relays and how to pick one: {}",
        unsure.stderr
    );
    let link = s.laptop.json(&["device", "link", "--relay", &other.url]);
    assert_eq!(link["relay"], json!(other.url));

    let nowhere = Quaderno::fresh().run(&["device", "link"]);
    assert_eq!(nowhere.code, 2, "{nowhere:?}");
    assert!(
        nowhere.stderr.contains("quaderno join"),
        "{}",
        nowhere.stderr
    );
}

#[test]
fn the_first_operator_joins_with_the_code_from_the_relays_command_line() {
    let s = Story::new();
    let issued = s.relay.admin(&[
        "--json",
        "operator",
        "add",
        "--name",
        "Coordinamento regionale",
    ]);
    let issued: Value = serde_json::from_str(&issued).expect("operator add prints JSON");
    let code = issued["code"].as_str().expect("a code").to_string();

    let marco = Quaderno::fresh();
    marco.ok(&["init", "--name", "Marco Neri", "--city", "Firenze"]);
    let joined = marco.json(&["join", &s.relay.url, &code, "--device", "ufficio"]);
    assert_eq!(joined["operator"], true, "{joined}");
    assert_eq!(joined["group"], Value::Null, "{joined}");
    assert_eq!(joined["new_device"], true, "{joined}");
    let status = marco.json(&["status", "--offline"]);
    assert_eq!(
        status["groups"],
        json!([]),
        "an operator code joins no group"
    );
    let operators = s.relay.admin(&["--json", "operator", "list"]);
    assert!(operators.contains("Marco Neri"), "{operators}");

    // The text says what he now is and where he governs.
    let issued = s
        .relay
        .admin(&["--json", "operator", "add", "--name", "Giulia"]);
    let code: Value = serde_json::from_str(&issued).unwrap();
    let giulia = Quaderno::fresh();
    giulia.ok(&["init", "--name", "Giulia", "--city", "Palermo"]);
    let told = giulia.ok(&["join", &s.relay.url, code["code"].as_str().unwrap()]);
    assert!(
        told.contains("now an operator of the relay") && told.contains("Gestione dei gruppi"),
        "{told}"
    );

    // The code worked once.
    let again = Quaderno::fresh();
    again.ok(&["init", "--name", "Qualcuno", "--city", "Roma"]);
    let refused = again.run(&["join", &s.relay.url, code["code"].as_str().unwrap()]);
    assert_eq!(refused.code, 2, "{refused:?}");
}

/// A call to a page's API with the headers the page itself sends; the answer's status and
/// JSON body.
fn page(ui: &UiProcess, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", ui.origin()))
            .header("Origin", ui.origin())
            .header("Cookie", format!("quaderno-{}={}", ui.port, ui.key()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the page answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    })
}

#[test]
fn the_page_links_a_new_computer_and_it_writes_at_once() {
    let s = Story::new();

    // Step 1: the button on the laptop's page asks for a code.
    let laptop_ui = UiProcess::start(s.laptop.data_dir());
    let (status, link) = page(&laptop_ui, "POST", "/api/devices/link", None);
    assert_eq!(status, 200, "{link}");
    assert_eq!(link["relay_url"], json!(s.relay.url));
    let code = link["code"].as_str().expect("a code").to_string();
    assert!(link["expires_at"].is_string(), "{link}");

    // Step 2: the join dialog of a new computer's page, which never said who it is.
    let office = Quaderno::fresh();
    let office_ui = UiProcess::start(office.data_dir());
    let body = json!({ "relay": s.relay.url, "code": code, "device": "PC ufficio" });
    let (status, joined) = page(&office_ui, "POST", "/api/join-link", Some(body.clone()));
    assert_eq!(status, 200, "{joined}");
    assert_eq!(roles(&joined["groups"]), ritas_roles(), "{joined}");
    let (_, overview) = page(&office_ui, "GET", "/api/overview", None);
    assert_eq!(
        overview["identity"],
        json!({ "name": "Rita Bruni", "city": "Prato" }),
        "the page knows who it is now: {overview}"
    );

    // Step 3: a note made in the office's page reaches the laptop through the relay.
    let new = json!({ "group": "palermo", "title": "Dalla pagina dell'ufficio" });
    let (status, note) = page(&office_ui, "POST", "/api/notes", Some(new));
    assert_eq!(status, 200, "{note}");
    let id = note["id"].as_str().unwrap().to_string();
    let arrived = eventually(SOON, || {
        s.laptop.run(&["sync"]);
        s.laptop
            .run(&["show", &id])
            .stdout
            .contains("Dalla pagina dell'ufficio")
    });
    assert!(
        arrived,
        "the note made in the office's page reached the laptop"
    );

    // Step 4: the same code again is refused, with a code the page can word.
    let other = Quaderno::fresh();
    let other_ui = UiProcess::start(other.data_dir());
    let (status, refused) = page(&other_ui, "POST", "/api/join-link", Some(body));
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], "link_code_used", "{refused}");
}
