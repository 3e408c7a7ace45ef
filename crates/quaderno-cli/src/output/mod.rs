//! Printing results: short aligned text for people, stable JSON for programs (`--json`,
//! documented in JSON.md).

pub mod json;
pub mod text;

use std::fmt::Display;
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

/// Set once standard output's reader has gone.
static READER_GONE: AtomicBool = AtomicBool::new(false);

/// Prints `text` and a newline on standard output, at once (a watch's lines are read as they
/// come). A reader that has gone (`| head`, `less` quit) ends the output quietly: this line and
/// every later one are dropped, and the command finishes what it was doing and exits as it
/// would have. Any other failure to write is said once on stderr.
pub fn line(text: impl Display) {
    if READER_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{text}").and_then(|()| out.flush());
    if let Err(error) = written
        && !READER_GONE.swap(true, Ordering::Relaxed)
        && error.kind() != ErrorKind::BrokenPipe
    {
        eprintln!("quaderno: cannot write the output: {error}");
    }
}

/// Which form the person asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// A command's result in the form asked for, ready to print.
#[derive(Debug)]
pub struct Rendered(String);

impl Format {
    /// Renders only the form asked for: listing thousands of notes builds one, not both.
    pub fn render<J: Serialize>(
        self,
        text: impl FnOnce() -> String,
        json: impl FnOnce() -> J,
    ) -> Rendered {
        match self {
            Format::Text => Rendered(text()),
            Format::Json => {
                Rendered(serde_json::to_string(&json()).expect("output values serialize"))
            }
        }
    }
}

impl Rendered {
    /// Nothing to print (the command printed as it went).
    pub fn empty() -> Self {
        Rendered(String::new())
    }

    pub fn print(&self) {
        let text = self.0.trim_end();
        if !text.is_empty() {
            line(text);
        }
    }
}
