//! One note's print view: the page `quaderno export --format html` writes, which asks for the
//! browser's print dialog as it opens.

use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use quaderno_client::notebook::{NotebookError, PERSONAL_GROUP};
use serde::Deserialize;

use super::note_id;
use crate::ui::error::AppError;
use crate::ui::print::{Lang, page};
use crate::ui::state::AppState;

/// Its own style inline (the file stands alone), the page's own script, nothing else.
const PRINT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; \
    img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

#[derive(Debug, Deserialize)]
pub struct PrintQuery {
    #[serde(default)]
    lang: Option<String>,
}

pub async fn note(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<PrintQuery>,
) -> Result<Response, AppError> {
    let doc = note_id(&id)?;
    let lang = match query.lang.as_deref() {
        Some("en") => Lang::En,
        _ => Lang::It,
    };
    let html = state
        .notebook(move |nb| {
            let shown = nb.show(&doc.to_string())?;
            let group = match shown.group.as_str() {
                PERSONAL_GROUP => None,
                slug => Some(nb.group_title(slug)?.unwrap_or_else(|| slug.to_owned())),
            };
            Ok::<_, NotebookError>(page(
                &shown.note,
                group.as_deref(),
                lang,
                Some("/app/print.js"),
            ))
        })
        .await?;
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PRINT_POLICY),
    );
    Ok(response)
}
