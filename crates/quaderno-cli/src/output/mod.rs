//! Printing results: short aligned text for people, stable JSON for programs (`--json`,
//! documented in JSON.md).

pub mod json;
pub mod text;

use serde::Serialize;

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
            println!("{text}");
        }
    }
}
