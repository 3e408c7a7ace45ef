//! `GET /api/socket`: the page's WebSocket. A reader applies what the page sends, in order; a
//! writer drains the page's outbox. When either ends, the page's notes are closed for it.

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use quaderno_client::ui::PageId;
use quaderno_model::DocumentId;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::error::AppError;
use super::frames::{Frame, FromPage, SYNC, ToPageText};
use super::live::presence_now;
use super::state::AppState;

/// The largest frame a page may send (a whole pasted book still fits).
const MAX_FRAME: usize = 16 << 20;

pub async fn socket(State(state): State<AppState>, upgrade: WebSocketUpgrade) -> Response {
    let tasks = state.tasks().clone();
    upgrade
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| tasks.track_future(page(socket, state)))
}

async fn page(socket: WebSocket, state: AppState) {
    let (page, outbox) = state.pages().register();
    let (sink, mut stream) = socket.split();
    let done = state.shutdown().child_token();
    let writer = tokio::spawn(write(sink, outbox, done.clone()));
    loop {
        let next = tokio::select! {
            next = stream.next() => next,
            _ = done.cancelled() => break,
        };
        match next {
            Some(Ok(Message::Text(text))) => from_page(&state, page, text.as_str()).await,
            Some(Ok(Message::Binary(bytes))) => frame(&state, page, &bytes).await,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            Some(Ok(_)) => {}
        }
    }
    done.cancel();
    state.pages().remove(page);
    if let Ok(effects) = state
        .coedit(move |c| Ok::<_, AppError>(c.page_gone(page)))
        .await
    {
        state.deliver(effects).await;
    }
    let _ = writer.await;
}

async fn write(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut outbox: mpsc::Receiver<Message>,
    done: CancellationToken,
) {
    loop {
        let message = tokio::select! {
            message = outbox.recv() => message,
            _ = done.cancelled() => None,
        };
        let Some(message) = message else {
            break;
        };
        if sink.send(message).await.is_err() {
            break;
        }
    }
    done.cancel();
    let _ = sink.send(Message::Close(None)).await;
}

async fn from_page(state: &AppState, page: PageId, text: &str) {
    let request = match serde_json::from_str::<FromPage>(text) {
        Ok(request) => request,
        Err(e) => return tell(state, page, None, "bad_message", &e.to_string()),
    };
    match request {
        FromPage::Open { doc } => {
            match state.coedit(move |c| c.open(page, doc)).await {
                Ok(effects) => state.deliver(effects).await,
                Err(error) => return refuse(state, page, Some(doc), error),
            }
            let presence = presence_now(state, doc).await;
            state.pages().send(page, vec![presence.message()]);
        }
        FromPage::Close { doc } => {
            if let Ok(effects) = state
                .coedit(move |c| Ok::<_, AppError>(c.close(page, doc)))
                .await
            {
                state.deliver(effects).await;
            }
        }
    }
}

async fn frame(state: &AppState, page: PageId, bytes: &[u8]) {
    let frame = match Frame::decode(bytes) {
        Ok(frame) if frame.kind == SYNC => frame,
        Ok(_) => {
            return tell(
                state,
                page,
                None,
                "bad_message",
                "only sync frames are accepted",
            );
        }
        Err(e) => return tell(state, page, None, "bad_message", &e.to_string()),
    };
    let doc = frame.doc;
    match state
        .coedit(move |c| c.receive(page, frame.doc, &frame.bytes))
        .await
    {
        Ok(effects) => state.deliver(effects).await,
        Err(error) => refuse(state, page, Some(doc), error),
    }
}

fn refuse(state: &AppState, page: PageId, doc: Option<DocumentId>, error: AppError) {
    let (code, message) = error.parts();
    tell(state, page, doc, code, &message);
}

fn tell(state: &AppState, page: PageId, doc: Option<DocumentId>, code: &str, message: &str) {
    let error = ToPageText::Error {
        doc,
        code: code.to_owned(),
        message: message.to_owned(),
    };
    state.pages().send(page, vec![error.message()]);
}
