//! Erasing a note for everyone, and the receipts of the erasures, for a group's admins (and
//! the relay's operators). The relay records who erased which note, when and why (never what
//! it said), drops it, and every device of the group deletes it at its next contact: this
//! one's live sync within a second, which tells the pages.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use quaderno_client::relays::{Erased, ErasureReceipts};
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
    fn only_a_note_id_names_a_note() {
        let doc = DocumentId::random();
        assert_eq!(note_id(&doc.to_string()).ok(), Some(doc));
        assert_eq!(note_id("../members").unwrap_err().parts().0, "bad_request");
    }
}
