//! Printing results: short aligned text for people, stable JSON for programs (`--json`,
//! documented in JSON.md).

pub mod json;
pub mod text;

/// A command's result in both forms; `main` prints the one asked for.
#[derive(Debug)]
pub struct Rendered {
    pub text: String,
    pub json: serde_json::Value,
}

impl Rendered {
    pub fn new(text: impl Into<String>, json: impl serde::Serialize) -> Rendered {
        Rendered {
            text: text.into(),
            json: serde_json::to_value(json).expect("output values serialize"),
        }
    }

    pub fn print(&self, json: bool) {
        if json {
            println!("{}", self.json);
        } else if !self.text.is_empty() {
            println!("{}", self.text.trim_end());
        }
    }
}
