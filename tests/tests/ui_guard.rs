//! The page answers only to the browser of the person who started `quaderno ui`: every refusal,
//! seen from outside with raw HTTP requests (any Host, Origin or cookie), and from another site
//! open in the same browser.

use std::io::{Read, Write};
use std::net::TcpStream;

use quaderno_tests::cli::Quaderno;
use quaderno_tests::ui::{Browsers, UiProcess};
use serde_json::json;

/// An HTTP/1.1 answer: status, headers (lower-case names) and body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request with exactly these headers (and a body for POST).
fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("quaderno ui listens");
    let mut text = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        text.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes()).unwrap();
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

/// A participant with `quaderno ui` running, and the headers its own page would send.
struct Setup {
    q: Quaderno,
    ui: UiProcess,
    host: String,
    origin: String,
    cookie: String,
}

fn setup() -> Setup {
    let q = Quaderno::fresh();
    q.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    q.ok(&[
        "new",
        "--title",
        "Appunti riservati",
        "--body",
        "Solo per me.",
    ]);
    let ui = UiProcess::start(q.data_dir());
    let host = format!("127.0.0.1:{}", ui.port);
    let origin = ui.origin();
    let cookie = format!("quaderno-{}={}", ui.port, ui.key());
    Setup {
        q,
        ui,
        host,
        origin,
        cookie,
    }
}

fn titles(q: &Quaderno) -> Vec<String> {
    q.json(&["list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_address_with_the_key_lets_the_browser_in_with_a_strict_cookie() {
    let s = setup();
    let first = format!("/?key={}", s.ui.key());
    let welcome = request(s.ui.port, "GET", &first, &[("Host", &s.host)], "");
    // A page that moves on to `/` itself, so that the strict cookie goes with it even when
    // the browser came from elsewhere (the file `quaderno open` gives it).
    assert_eq!(welcome.status, 200);
    assert!(welcome.body.contains("url=/\""), "{}", welcome.body);
    let cookie = welcome.header("set-cookie").expect("a cookie");
    assert!(cookie.starts_with(&format!("{}; ", s.cookie)), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let page = request(
        s.ui.port,
        "GET",
        "/",
        &[("Host", &s.host), ("Cookie", &s.cookie)],
        "",
    );
    assert_eq!(page.status, 200);
    let policy = page.header("content-security-policy").unwrap_or_default();
    assert!(policy.contains("frame-ancestors 'none'") && policy.contains("script-src 'self'"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let overview = request(
        s.ui.port,
        "GET",
        "/api/overview",
        &[("Host", &s.host), ("Cookie", &s.cookie)],
        "",
    );
    assert_eq!(overview.status, 200, "{}", overview.body);
    assert!(overview.body.contains("Palermo"));
}

#[test]
fn without_the_key_nothing_is_shown() {
    let s = setup();
    let host = [("Host", s.host.as_str())];
    let page = request(s.ui.port, "GET", "/", &host, "");
    assert_eq!(page.status, 403);
    assert!(page.body.contains("Quaderno è protetto"), "{}", page.body);
    assert!(!page.body.contains("Appunti riservati"));

    let wrong = request(
        s.ui.port,
        "GET",
        &format!("/?key={}", "0".repeat(64)),
        &host,
        "",
    );
    assert_eq!(wrong.status, 403);
    assert!(wrong.header("set-cookie").is_none());

    let notes = request(s.ui.port, "GET", "/api/notes", &host, "");
    assert_eq!(notes.status, 403);
    assert!(!notes.body.contains("Appunti riservati"));

    let old_cookie = format!("quaderno-{}={}", s.ui.port, "ab".repeat(32));
    let earlier_run = request(
        s.ui.port,
        "GET",
        "/api/notes",
        &[("Host", &s.host), ("Cookie", &old_cookie)],
        "",
    );
    assert_eq!(
        earlier_run.status, 403,
        "a cookie of an earlier run is refused"
    );
}

#[test]
fn another_host_name_is_refused_even_with_the_cookie() {
    let s = setup();
    for host in [
        format!("evil.example:{}", s.ui.port),
        "127.0.0.1:1".to_string(),
        format!("127.0.0.1.nip.io:{}", s.ui.port),
    ] {
        let answer = request(
            s.ui.port,
            "GET",
            "/api/notes",
            &[("Host", &host), ("Cookie", &s.cookie)],
            "",
        );
        assert_eq!(answer.status, 403, "Host: {host}");
        assert!(!answer.body.contains("Appunti riservati"));
    }
    let localhost = format!("localhost:{}", s.ui.port);
    let answer = request(
        s.ui.port,
        "GET",
        "/api/notes",
        &[("Host", &localhost), ("Cookie", &s.cookie)],
        "",
    );
    assert_eq!(answer.status, 200, "localhost is this computer too");
}

#[test]
fn changes_must_come_from_the_page_itself() {
    let s = setup();
    let body = r#"{"title":"Scritta da un altro sito"}"#;
    let from = |origin: Option<&str>| {
        let mut headers = vec![("Host", s.host.as_str()), ("Cookie", s.cookie.as_str())];
        if let Some(origin) = origin {
            headers.push(("Origin", origin));
        }
        request(s.ui.port, "POST", "/api/notes", &headers, body).status
    };
    assert_eq!(from(Some("http://evil.example")), 403);
    assert_eq!(from(Some("http://127.0.0.1:1")), 403);
    assert_eq!(from(Some("null")), 403);
    assert_eq!(from(None), 403, "a change without Origin");
    assert!(!titles(&s.q).contains(&"Scritta da un altro sito".to_string()));

    assert_eq!(from(Some(&s.origin)), 200);
    assert!(titles(&s.q).contains(&"Scritta da un altro sito".to_string()));

    let embedded = request(
        s.ui.port,
        "GET",
        "/api/notes",
        &[
            ("Host", &s.host),
            ("Cookie", &s.cookie),
            ("Sec-Fetch-Site", "same-site"),
            ("Sec-Fetch-Mode", "no-cors"),
        ],
        "",
    );
    assert_eq!(
        embedded.status, 403,
        "another site of this machine embedding the notes"
    );
}

#[test]
fn the_socket_opens_only_for_the_page() {
    let s = setup();
    let upgrade = |origin: Option<&str>, cookie: Option<&str>| {
        let mut headers = vec![
            ("Host", s.host.as_str()),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ];
        if let Some(origin) = origin {
            headers.push(("Origin", origin));
        }
        if let Some(cookie) = cookie {
            headers.push(("Cookie", cookie));
        }
        let mut stream = TcpStream::connect(("127.0.0.1", s.ui.port)).unwrap();
        let mut text = "GET /api/socket HTTP/1.1\r\n".to_string();
        for (name, value) in headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str("\r\n");
        stream.write_all(text.as_bytes()).unwrap();
        let mut first = [0u8; 12];
        stream.read_exact(&mut first).unwrap();
        String::from_utf8_lossy(&first[9..12])
            .parse::<u16>()
            .unwrap()
    };
    assert_eq!(upgrade(Some("http://evil.example"), Some(&s.cookie)), 403);
    assert_eq!(upgrade(None, Some(&s.cookie)), 403);
    assert_eq!(upgrade(Some(&s.origin), None), 403);
    assert_eq!(upgrade(Some(&s.origin), Some(&s.cookie)), 101);
}

#[test]
fn another_site_in_the_same_browser_can_neither_read_nor_write() {
    let s = setup();
    let mut b = Browsers::start();
    b.launch("anna", &s.ui.url, "it-IT");
    b.wait("anna", "body[data-ready=true]");
    let tried = b.run(json!({ "cmd": "foreign", "name": "anna", "target": s.ui.origin() }));
    let read = &tried["read"];
    assert!(
        read.get("error").is_some() || read["status"] == 403,
        "the other site read the notes: {read}"
    );
    assert!(!read.to_string().contains("Appunti riservati"), "{read}");
    assert_eq!(tried["socket"], "refused", "{tried}");
    assert!(!titles(&s.q).contains(&"from another site".to_string()));
    // The page itself still works in that browser.
    b.run(json!({ "cmd": "goto", "name": "anna", "url": s.ui.origin() }));
    b.wait("anna", "body[data-ready=true]");
}
