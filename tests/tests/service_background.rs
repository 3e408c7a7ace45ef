//! The background service without systemd: its command, `quaderno ui --no-open`, started as
//! `quaderno open` and the autostart entry start it. Edits made on this computer while no page
//! is open reach the relay; the page opened twice, and after a restart, is at the same address
//! with the same key; `quaderno service` installs, reports and removes it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use quaderno_tests::cli::{Quaderno, Run};
use quaderno_tests::relay::Relay;

const GROUP: &str = "ravenna";

/// A participant whose `quaderno open` hands the browser's address to a script that writes it
/// down, and whose home folder is a temporary one with no systemd session.
struct Participant {
    quaderno: Quaderno,
    home: tempfile::TempDir,
    port: u16,
}

impl Participant {
    fn joined(relay: &Relay, name: &str) -> Participant {
        let quaderno = Quaderno::fresh();
        quaderno.ok(&["init", "--name", name, "--city", "Ravenna"]);
        let code = relay.invite(GROUP, "editor");
        quaderno.ok(&["join", &relay.url, &code, "--device", "portatile"]);
        let home = tempfile::tempdir().unwrap();
        let browser = home.path().join("browser.sh");
        std::fs::write(
            &browser,
            format!(
                "#!/bin/sh\necho \"$1\" >> {}\n",
                home.path().join("opened").display()
            ),
        )
        .unwrap();
        make_executable(&browser);
        Participant {
            quaderno,
            home,
            port: free_port(),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut command = self.quaderno.command(args);
        command
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("BROWSER", self.home.path().join("browser.sh"))
            .env("QUADERNO_UI_PORT", self.port.to_string())
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("DBUS_SESSION_BUS_ADDRESS");
        self.quaderno.run_command(command, "")
    }

    fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "quaderno {args:?} failed: {}", run.stderr);
        run.stdout
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut with_json = vec!["--json"];
        with_json.extend_from_slice(args);
        serde_json::from_str(&self.ok(&with_json)).unwrap()
    }

    /// What the browser was given, each time: the file that sends it on to the page.
    fn opened(&self) -> Vec<String> {
        std::fs::read_to_string(self.home.path().join("opened"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The address with its key, as the file given to the browser the `times`-th time holds
    /// it (the browser is started in the background: waited for, 10 s at most).
    fn address_given_to_browser(&self, times: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.opened().len() < times {
            assert!(
                Instant::now() < deadline,
                "the browser was not opened a {times}th time within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let file = self.opened()[times - 1].clone();
        let path = PathBuf::from(file.strip_prefix("file://").expect("a file address"));
        let page = std::fs::read_to_string(path).unwrap();
        let start = page.find("url=").expect("a redirect") + 4;
        let end = start + page[start..].find('"').unwrap();
        page[start..end].to_owned()
    }

    fn page_pid(&self) -> Option<u64> {
        self.json(&["service", "status"])["page_pid"].as_u64()
    }

    fn wait_until_stopped(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.page_pid().is_some() {
            assert!(
                Instant::now() < deadline,
                "the page did not stop within 10 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Participant {
    fn drop(&mut self) {
        // The page runs in a session of its own: it must not outlive the test.
        let _ = self.run(&["service", "uninstall"]);
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn relay() -> (tempfile::TempDir, Relay) {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.create_group(GROUP);
    (dir, relay)
}

/// Syncs `who` until it holds a note titled `title`, for at most 10 s.
fn until_synced(who: &Quaderno, title: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        who.ok(&["sync"]);
        let list = who.ok(&["list"]);
        if list.contains(title) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "`{title}` did not arrive within 10 s: {list}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn edits_made_with_no_page_open_reach_the_relay_and_the_page_keeps_its_address() {
    let (_dir, relay) = relay();
    let anna = Participant::joined(&relay, "Anna");
    let bruno = Quaderno::fresh();
    bruno.ok(&["init", "--name", "Bruno", "--city", "Ravenna"]);
    let code = relay.invite(GROUP, "editor");
    bruno.ok(&["join", &relay.url, &code, "--device", "ufficio"]);

    let first = anna.json(&["open"])["address"].as_str().unwrap().to_owned();
    assert_eq!(first, format!("http://127.0.0.1:{}/", anna.port));
    let key = anna.address_given_to_browser(1);
    assert!(key.starts_with(&first) && key.contains("?key="), "{key}");
    let page = anna.page_pid().expect("`open` started the page");

    // No page is open in any browser; the service syncs what the command line writes.
    anna.ok(&[
        "new",
        "--group",
        GROUP,
        "--title",
        "Verbale del 3 dicembre",
        "--body",
        "Presenti: Anna, Bruno.",
    ]);
    until_synced(&bruno, "Verbale del 3 dicembre");

    // Opened again: the same page, the same address, the same key.
    let second = anna.json(&["open"])["address"].as_str().unwrap().to_owned();
    assert_eq!(second, first);
    assert_eq!(anna.address_given_to_browser(2), key);
    assert_eq!(anna.page_pid(), Some(page), "a second page was started");

    // Stopped and started again (a logout, a reboot): still the same address and key, so a
    // bookmark and the browser's cookie keep working.
    anna.ok(&["service", "uninstall"]);
    anna.wait_until_stopped();
    let third = anna.json(&["open"])["address"].as_str().unwrap().to_owned();
    assert_eq!(third, first);
    assert_eq!(anna.address_given_to_browser(3), key);
    assert_ne!(anna.page_pid(), Some(page));

    // And `quaderno sync` goes through it.
    let sync = anna.run(&["sync"]);
    assert_eq!(sync.code, 0, "{}", sync.stderr);
}

#[test]
fn without_systemd_the_service_is_an_autostart_entry_started_at_once() {
    let (_dir, relay) = relay();
    let anna = Participant::joined(&relay, "Anna");
    let installed = anna.json(&["service", "install", "--port", &anna.port.to_string()]);
    assert_eq!(installed["manager"], "autostart", "{installed}");
    let entry = anna.home.path().join("config/autostart/quaderno.desktop");
    assert_eq!(installed["file"], entry.to_str().unwrap());
    let text = std::fs::read_to_string(&entry).unwrap();
    let data_dir = anna.quaderno.data_dir().to_str().unwrap();
    assert!(
        text.contains(&format!(
            " --data-dir {data_dir} ui --no-open --port {}\n",
            anna.port
        )),
        "{text}"
    );
    assert!(
        text.contains("Name[it]=Quaderno (sincronizzazione)"),
        "{text}"
    );

    // Started now, not only at the next login.
    let deadline = Instant::now() + Duration::from_secs(10);
    while anna.page_pid().is_none() {
        assert!(
            Instant::now() < deadline,
            "the service did not start within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = anna.ok(&["service", "status"]);
    assert!(
        status.contains("started at login by the desktop"),
        "{status}"
    );
    let address = anna.json(&["open"])["address"].as_str().unwrap().to_owned();
    assert_eq!(address, format!("http://127.0.0.1:{}/", anna.port));

    let removed = anna.ok(&["service", "uninstall"]);
    assert!(removed.contains("removed:"), "{removed}");
    assert!(!entry.exists());
    anna.wait_until_stopped();
    let status = anna.ok(&["service", "status"]);
    assert!(status.contains("not installed"), "{status}");
}
