//! Headless Chromium browsers on Quaderno's page, driven by `tests/js/ui_driver.mjs` (Node and
//! `playwright-core`, with Debian's Chromium): one request per line, one answer per line.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// No command takes longer than this (each wait inside has its own, shorter deadline).
const ANSWER_WITHIN: Duration = Duration::from_secs(90);

/// The driver process and the browsers it runs, each known by a name ("anna", "bruno").
#[derive(Debug)]
pub struct Browsers {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<String>,
    next: u64,
}

impl Browsers {
    pub fn start() -> Browsers {
        let chromium =
            std::env::var("QUADERNO_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            std::path::Path::new(&chromium).exists(),
            "{chromium} is missing: install Debian's chromium (`apt-get install chromium`; .ci/run does)"
        );
        let dir = crate::js::dir();
        assert!(
            dir.join("node_modules/playwright-core").exists(),
            "{}/node_modules/playwright-core is missing: run `npm ci` there (.ci/run does)",
            dir.display()
        );
        let mut child = Command::new("node")
            .arg("ui_driver.mjs")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs (install Node.js 20 or newer)");
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let (tx, answers) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Browsers {
            child,
            stdin,
            answers,
            next: 0,
        }
    }

    /// Sends one command and returns its answer; panics if it failed.
    pub fn run(&mut self, mut command: Value) -> Value {
        let answer = self.try_run(&mut command);
        assert_eq!(
            answer["ok"], true,
            "browser command {command} failed: {answer}"
        );
        answer
    }

    /// Sends one command and returns its answer, failed or not.
    pub fn try_run(&mut self, command: &mut Value) -> Value {
        self.next += 1;
        command["id"] = json!(self.next);
        writeln!(self.stdin, "{command}").expect("the driver reads commands");
        loop {
            let line = self
                .answers
                .recv_timeout(ANSWER_WITHIN)
                .unwrap_or_else(|_| panic!("no answer to {command} within {ANSWER_WITHIN:?}"));
            let answer: Value = serde_json::from_str(&line)
                .unwrap_or_else(|_| panic!("the driver printed {line:?}"));
            if answer["id"] == json!(self.next) {
                return answer;
            }
        }
    }

    /// Opens a browser named `name` on `url` (`locale` sets the browser's language).
    pub fn launch(&mut self, name: &str, url: &str, locale: &str) -> Value {
        self.run(json!({ "cmd": "launch", "name": name, "url": url, "locale": locale }))
    }

    pub fn click(&mut self, name: &str, selector: &str) {
        self.run(json!({ "cmd": "click", "name": name, "selector": selector }));
    }

    pub fn fill(&mut self, name: &str, selector: &str, value: &str) {
        self.run(json!({ "cmd": "fill", "name": name, "selector": selector, "value": value }));
    }

    pub fn wait(&mut self, name: &str, selector: &str) {
        self.run(json!({ "cmd": "wait", "name": name, "selector": selector }));
    }

    /// Types `text` key by key at `at` ("start", "end" or a position) of a field.
    pub fn type_at(&mut self, name: &str, selector: &str, at: Value, text: &str) {
        self.run(
            json!({ "cmd": "type", "name": name, "selector": selector, "at": at, "text": text }),
        );
    }

    pub fn value(&mut self, name: &str, selector: &str) -> String {
        let answer = self.run(json!({ "cmd": "value", "name": name, "selector": selector }));
        answer["value"].as_str().unwrap_or_default().to_string()
    }

    pub fn text(&mut self, name: &str, selector: &str) -> String {
        let answer = self.run(json!({ "cmd": "text", "name": name, "selector": selector }));
        answer["value"].as_str().unwrap_or_default().to_string()
    }

    /// Waits (up to `within`) until the value of a field, or the text of an element with
    /// `text: true`, holds every string of `contains`; returns whether it did, and the value.
    pub fn until(
        &mut self,
        name: &str,
        selector: &str,
        contains: &[&str],
        text: bool,
        within: Duration,
    ) -> (bool, String) {
        let answer = self.run(json!({
            "cmd": "until", "name": name, "selector": selector, "contains": contains,
            "text": text, "timeout": within.as_millis() as u64,
        }));
        (
            answer["met"] == true,
            answer["value"].as_str().unwrap_or_default().to_string(),
        )
    }

    /// Evaluates `expression` in the page (a promise is awaited) and returns its value.
    pub fn eval(&mut self, name: &str, expression: &str) -> Value {
        self.run(json!({ "cmd": "eval", "name": name, "expression": expression }))["value"].clone()
    }

    /// Starts noting, in the page, the moment (`Date.now()`) `condition` first holds after any
    /// change to the page, as `window[mark]`; [`Browsers::noted`] reads it. Two pages of one
    /// browser read the same clock, so the time between an act in one and its effect in the
    /// other can be measured.
    pub fn note_when(&mut self, name: &str, mark: &str, condition: &str) {
        self.eval(
            name,
            &format!(
                "window.{mark} = null; new MutationObserver(() => {{ if (window.{mark} === null && ({condition})) window.{mark} = Date.now(); }}).observe(document.body, {{ subtree: true, attributes: true, childList: true }}); true"
            ),
        );
    }

    /// When the page noted `mark` (see [`Browsers::note_when`]), in ms; `None` if not yet.
    pub fn noted(&mut self, name: &str, mark: &str) -> Option<f64> {
        self.eval(name, &format!("window.{mark}")).as_f64()
    }

    /// Now, by the page's clock, in ms.
    pub fn now(&mut self, name: &str) -> f64 {
        self.eval(name, "Date.now()")
            .as_f64()
            .expect("the page tells the time")
    }

    /// Waits until `expression` is true in the page; says whether it became so within `limit`.
    pub fn until_true(&mut self, name: &str, expression: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.eval(name, expression) == json!(true) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn attribute(&mut self, name: &str, selector: &str, attribute: &str) -> Option<String> {
        let answer = self.run(json!({
            "cmd": "attribute", "name": name, "selector": selector, "attribute": attribute,
        }));
        answer["value"].as_str().map(str::to_string)
    }

    /// Saves a picture of what `name` sees as `target/ui-screenshots/{file}.png`.
    pub fn screenshot(&mut self, name: &str, file: &str) -> PathBuf {
        let path = screenshot_dir().join(format!("{file}.png"));
        self.run(json!({ "cmd": "screenshot", "name": name, "file": path }));
        path
    }

    /// `name`'s page with the note `title` of `group` open and ready to type in, within `limit`.
    pub fn open_note(&mut self, name: &str, group: &str, title: &str, limit: Duration) {
        self.click(name, &format!(r#".group-button[data-group="{group}"]"#));
        let (listed, list) = self.until(name, "#notes", &[title], true, limit);
        assert!(listed, "{name} sees «{title}» listed: {list}");
        self.click(name, &format!(".note-item:has-text(\"{title}\")"));
        assert!(self.until_true(
            name,
            &format!("document.querySelector('#note-title')?.value === {title:?} && !document.querySelector('#note-body').disabled"),
            limit
        ));
    }

    /// Pictures of what `name` sees, wide (`{file}-1440`) and at a phone's width (`{file}-390`);
    /// the page is wide again afterwards.
    pub fn screenshots_wide_and_narrow(&mut self, name: &str, file: &str) {
        self.screenshot(name, &format!("{file}-1440"));
        self.run(json!({ "cmd": "viewport", "name": name, "width": 390, "height": 844 }));
        self.screenshot(name, &format!("{file}-390"));
        self.run(json!({ "cmd": "viewport", "name": name, "width": 1440 }));
    }

    /// Errors the page reported (uncaught exceptions, console errors).
    pub fn page_errors(&mut self, name: &str) -> Vec<String> {
        let answer = self.run(json!({ "cmd": "errors", "name": name }));
        serde_json::from_value(answer["value"].clone()).unwrap_or_default()
    }
}

impl Drop for Browsers {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", json!({ "cmd": "exit" }));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/ui-screenshots`, beside the binaries the tests run.
pub fn screenshot_dir() -> PathBuf {
    let quaderno = crate::bin::path("quaderno");
    let target = quaderno
        .parent()
        .and_then(|profile| profile.parent())
        .expect("binaries live in target/<profile>");
    target.join("ui-screenshots")
}
