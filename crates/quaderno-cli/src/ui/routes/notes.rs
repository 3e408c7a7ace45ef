//! Listing, creating and changing notes; exporting one; rendering Markdown.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use quaderno_client::notebook::{FieldsEdit, NoteList, NoteQuery};
use serde::Deserialize;
use serde_json::{Value, json};

use super::note_id;
use crate::ui::error::AppError;
use crate::ui::markdown::render as render_markdown;
use crate::ui::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<NoteQuery>,
) -> Result<Json<NoteList>, AppError> {
    let list = state.notebook(move |nb| nb.list_notes(&query)).await?;
    Ok(Json(list))
}

#[derive(Debug, Deserialize)]
pub struct NewNote {
    group: Option<String>,
    title: String,
}

pub async fn create(
    State(state): State<AppState>,
    Json(new): Json<NewNote>,
) -> Result<Json<Value>, AppError> {
    let (shown, pushed) = state
        .notebook(move |nb| nb.create_note(new.group.as_deref(), &new.title))
        .await?;
    state.written(pushed).await;
    Ok(Json(json!({ "id": shown.id, "group": shown.group })))
}

pub async fn fields(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(form): Json<FieldsEdit>,
) -> Result<Json<Value>, AppError> {
    let doc = note_id(&id)?;
    let pushed = state
        .notebook(move |nb| nb.edit_fields(&doc, &form))
        .await?;
    let changed = pushed.is_some();
    state.written(pushed).await;
    Ok(Json(json!({ "changed": changed })))
}

#[derive(Debug, Deserialize)]
pub struct Bin {
    deleted: bool,
}

pub async fn bin(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(bin): Json<Bin>,
) -> Result<Json<Value>, AppError> {
    let doc = note_id(&id)?;
    let pushed = state
        .notebook(move |nb| nb.bin_note(&doc, bin.deleted))
        .await?;
    state.written(pushed).await;
    Ok(Json(json!({ "deleted": bin.deleted })))
}

#[derive(Debug, Deserialize)]
pub struct MoveTo {
    group: String,
}

pub async fn move_to(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(to): Json<MoveTo>,
) -> Result<Json<Value>, AppError> {
    let doc = note_id(&id)?;
    let pushed = state
        .notebook(move |nb| nb.move_note(&doc, &to.group))
        .await?;
    let group = pushed.group.clone();
    state.written(Some(pushed)).await;
    if let Some(live) = state.live().await {
        live.moved(doc, &group).await;
    }
    Ok(Json(json!({ "group": group })))
}

/// The note as a Markdown file to download.
pub async fn markdown(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let doc = note_id(&id)?;
    let (name, text) = state.notebook(move |nb| nb.markdown(&doc)).await?;
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_name(&name),
        percent_encode(&name)
    );
    Ok((
        [
            (CONTENT_TYPE, "text/markdown; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct Markdown {
    markdown: String,
}

/// Markdown as safe HTML, for the preview.
pub async fn render(Json(input): Json<Markdown>) -> Json<Value> {
    Json(json!({ "html": render_markdown(&input.markdown) }))
}

/// The file name with anything but plain ASCII letters, digits, `.` and `-` as `_`.
fn ascii_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_work_in_every_browser() {
        let name = "terzo-incontro-città-2aXk9rT7.md";
        assert_eq!(ascii_name(name), "terzo-incontro-citt_-2aXk9rT7.md");
        assert_eq!(
            percent_encode(name),
            "terzo-incontro-citt%C3%A0-2aXk9rT7.md"
        );
    }
}
