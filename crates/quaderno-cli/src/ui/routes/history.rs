//! A note's history: its steps, the note at any of them, and taking its text back.

use axum::Json;
use axum::extract::{Path, State};
use quaderno_model::{HistoryStep, Note};
use serde::Deserialize;
use serde_json::{Value, json};

use super::note_id;
use crate::ui::error::AppError;
use crate::ui::state::AppState;

pub async fn steps(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<HistoryStep>>, AppError> {
    let doc = note_id(&id)?;
    let steps = state.notebook(move |nb| nb.history_steps(&doc)).await?;
    Ok(Json(steps))
}

pub async fn version(
    State(state): State<AppState>,
    Path((id, change)): Path<(String, String)>,
) -> Result<Json<Value>, AppError> {
    let doc = note_id(&id)?;
    let (note, diff) = state
        .notebook(move |nb| {
            let note = nb.version_at(&doc, &change)?;
            // A change that ends no step (named by hand) has no difference to show.
            let diff = nb.step_diff(&doc, &change).ok();
            Ok::<_, quaderno_client::notebook::NotebookError>((note, diff))
        })
        .await?;
    let mut json = note_json(&note);
    json["diff"] = serde_json::to_value(diff).unwrap_or_default();
    Ok(Json(json))
}

#[derive(Debug, Deserialize)]
pub struct Restore {
    change: String,
}

/// Gives the note back its title and text as they were at a step.
pub async fn restore(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(restore): Json<Restore>,
) -> Result<Json<Value>, AppError> {
    let doc = note_id(&id)?;
    let pushed = state
        .notebook(move |nb| nb.restore_text(&doc, &restore.change))
        .await?;
    let changed = pushed.is_some();
    state.written(pushed).await;
    Ok(Json(json!({ "changed": changed })))
}

fn note_json(note: &Note) -> Value {
    json!({
        "title": note.title,
        "body": note.body,
        "tags": note.tags,
        "meeting": {
            "date": note.meeting.date,
            "place": note.meeting.place,
            "participants": note.meeting.participants,
        },
        "created_at": note.created_at,
        "created_by": note.created_by,
        "deleted": note.deleted,
    })
}
