//! Turning any error into one line on stderr and an exit code.

use quaderno_client::{ClientError, NotebookError};
use serde_json::json;

/// Exit code for a problem the person can fix by changing what they asked.
pub const USER_ERROR: u8 = 2;
/// Exit code for anything else.
pub const FAILURE: u8 = 1;
/// Exit code when a relay could not be reached: nothing local changed, try again later.
pub const UNREACHABLE: u8 = 3;

/// A sync that could not finish for a reason with its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum SyncFailed {
    #[error("{0}")]
    Unreachable(String),
}

/// A problem with what the person asked for, found by the command itself.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

/// Prints `error` on stderr (one line; JSON with `--json`) and returns the exit code.
pub fn report(error: &anyhow::Error, json: bool) -> u8 {
    let notebook = error.downcast_ref::<NotebookError>();
    let client = error.downcast_ref::<ClientError>();
    let unreachable = error.is::<SyncFailed>() || client.is_some_and(ClientError::is_unreachable);
    let user = error.is::<UserError>()
        || notebook.is_some_and(NotebookError::is_user_error)
        || client.is_some_and(ClientError::is_user_error);
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
    if unreachable {
        UNREACHABLE
    } else if user {
        USER_ERROR
    } else {
        FAILURE
    }
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
