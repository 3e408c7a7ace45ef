//! Turning any error into one line on stderr and an exit code.

use quaderno_client::NotebookError;
use serde_json::json;

/// Exit code for a problem the person can fix by changing what they asked.
pub const USER_ERROR: u8 = 2;
/// Exit code for anything else.
pub const FAILURE: u8 = 1;

/// A problem with what the person asked for, found by the command itself.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

/// Prints `error` on stderr (one line; JSON with `--json`) and returns the exit code.
pub fn report(error: &anyhow::Error, json: bool) -> u8 {
    let notebook = error.downcast_ref::<NotebookError>();
    let user = error.is::<UserError>() || notebook.is_some_and(NotebookError::is_user_error);
    let message = one_line(error);
    if json {
        let candidates: Vec<_> = notebook
            .map(|e| {
                e.candidates()
                    .iter()
                    .map(|c| json!({ "id": c.id, "title": c.title }))
                    .collect()
            })
            .unwrap_or_default();
        eprintln!(
            "{}",
            json!({ "error": { "message": message, "user_error": user, "candidates": candidates } })
        );
    } else {
        eprintln!("quaderno: {message}");
    }
    if user { USER_ERROR } else { FAILURE }
}

fn one_line(error: &anyhow::Error) -> String {
    let chain: Vec<String> = error.chain().map(|e| e.to_string()).collect();
    let mut message = chain.join(": ");
    // The notebook's messages already include their causes.
    if error.downcast_ref::<NotebookError>().is_some() {
        message = error.to_string();
    }
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
