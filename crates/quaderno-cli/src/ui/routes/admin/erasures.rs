//! Erasing a note for everyone, erasing a passage from a note and its whole history, and the
//! receipts of the erasures, for a group's admins (and the relay's operators). The relay
//! records who erased which note, when and why (never what it said), drops it, and every
//! device of the group deletes it at its next contact: this one's live sync within a second,
//! which tells the pages. A redacted note goes on as a successor document, which the live sync
//! fetches in the same turn.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use quaderno_client::relays::{ApiError, Erased, ErasureReceipts};
use quaderno_model::DocumentId;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{On, for_group, relay_error};
use crate::ui::error::AppError;
use crate::ui::state::AppState;

#[derive(Debug, Deserialize)]
pub struct Why {
    reason: String,
}

/// `POST /api/admin/groups/{group}/notes/{doc}/erase` with `{"reason": "..."}`.
pub async fn erase(
    State(state): State<AppState>,
    Path((group, doc)): Path<(String, String)>,
    Query(on): Query<On>,
    Json(why): Json<Why>,
) -> Result<Json<Erased>, AppError> {
    let doc = note_id(&doc)?;
    let reason = reason(&why.reason)?;
    let caller = for_group(&state, &group, &on).await?;
    let erased = caller
        .api
        .erase_note(&caller.token, &group, &doc, reason)
        .await
        .map_err(relay_error)?;
    tracing::info!(%group, %doc, erasure = erased.erasure, "erased a note for everyone from the page");
    Ok(Json(erased))
}

/// What to take out of a note, and why. Its `Debug` leaves the passage out: it is the very text
/// that must be kept nowhere, logs included.
#[derive(Deserialize)]
pub struct Passage {
    passage: String,
    reason: String,
}

impl std::fmt::Debug for Passage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passage")
            .field("passage", &"<withheld>")
            .field("reason", &self.reason)
            .finish()
    }
}

/// `POST /api/admin/groups/{group}/notes/{doc}/redact` with `{"passage": "...", "reason": "..."}`:
/// every occurrence of the passage (whatever its case) leaves the note and its history. The
/// answer names the successor, which the page opens once the live sync has brought it.
pub async fn redact(
    State(state): State<AppState>,
    Path((group, doc)): Path<(String, String)>,
    Query(on): Query<On>,
    Json(asked): Json<Passage>,
) -> Result<Json<Value>, AppError> {
    let doc = note_id(&doc)?;
    let passage = passage(&asked.passage)?;
    let reason = reason(&asked.reason)?;
    let caller = for_group(&state, &group, &on).await?;
    let redacted = caller
        .api
        .redact_note(&caller.token, &group, &doc, passage, reason)
        .await
        .map_err(redact_error)?;
    tracing::info!(%group, %doc, successor = %redacted.successor, erasure = redacted.erasure, "erased a passage from a note from the page");
    Ok(Json(json!({
        "doc": redacted.doc,
        "successor": redacted.successor,
        "erasure": redacted.erasure,
    })))
}

/// The relay's refusals of a redaction. Passage and reason were checked here already, so a
/// `400` says the note the relay holds does not contain the passage.
fn redact_error(error: ApiError) -> AppError {
    match error {
        ApiError::Refused {
            status: 400,
            message,
            ..
        } => AppError::new(StatusCode::BAD_REQUEST, "passage_not_found", message),
        error => relay_error(error),
    }
}

/// `GET /api/admin/groups/{group}/erasures`: every erasure, newest first, with which devices
/// confirmed deleting the note.
pub async fn erasures(
    State(state): State<AppState>,
    Path(group): Path<String>,
    Query(on): Query<On>,
) -> Result<Json<Value>, AppError> {
    let caller = for_group(&state, &group, &on).await?;
    let erasures: Vec<ErasureReceipts> = caller
        .api
        .erasures(&caller.token, &group)
        .await
        .map_err(relay_error)?;
    Ok(Json(json!({ "erasures": erasures })))
}

fn note_id(doc: &str) -> Result<DocumentId, AppError> {
    doc.parse().map_err(|_| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("`{doc}` is not a note id"),
        )
    })
}

/// The reason, trimmed; an erasure always says why (it is kept and shown to the group).
fn reason(reason: &str) -> Result<&str, AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "reason_needed",
            "say why the note is erased: the reason is kept with the erasure",
        ));
    }
    Ok(reason)
}

/// The passage, trimmed, as the relay matches it: at least 2 characters, so that a stray
/// letter does not blank every word that holds it.
fn passage(passage: &str) -> Result<&str, AppError> {
    let passage = passage.trim();
    if passage.chars().count() < 2 {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "passage_needed",
            "write the text to erase: at least 2 characters",
        ));
    }
    Ok(passage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_erasure_needs_a_reason() {
        assert_eq!(
            reason("  nome di un minore \n").ok(),
            Some("nome di un minore")
        );
        let refused = reason(" \t ").unwrap_err();
        assert_eq!(refused.parts().0, "reason_needed");
    }

    #[test]
    fn a_passage_is_at_least_two_characters() {
        assert_eq!(passage("  Mario Rossi ").ok(), Some("Mario Rossi"));
        assert_eq!(passage(" è ").unwrap_err().parts().0, "passage_needed");
        assert_eq!(passage("").unwrap_err().parts().0, "passage_needed");
    }

    #[test]
    fn the_passage_is_withheld_from_debug() {
        let asked = Passage {
            passage: "Mario Rossi".into(),
            reason: "nome di un minore".into(),
        };
        assert!(!format!("{asked:?}").contains("Mario"));
    }

    #[test]
    fn a_passage_the_relay_does_not_find_is_said_so() {
        let refused = ApiError::Refused {
            status: 400,
            code: "bad_request".into(),
            message: "the note does not hold that passage".into(),
        };
        assert_eq!(redact_error(refused).parts().0, "passage_not_found");
    }

    #[test]
    fn only_a_note_id_names_a_note() {
        let doc = DocumentId::random();
        assert_eq!(note_id(&doc.to_string()).ok(), Some(doc));
        assert_eq!(note_id("../members").unwrap_err().parts().0, "bad_request");
    }
}
