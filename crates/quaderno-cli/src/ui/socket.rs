//! `GET /api/socket`: the page's WebSocket. A reader hands what the page sends to the live
//! sync, in order: the page is a peer of the hub of the note's group. A writer drains the
//! page's outbox. When either ends, the page's notes are closed for it.

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use quaderno_client::sync::{PageId, ToPage};
use quaderno_model::DocumentId;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::error::AppError;
use super::frames::{Frame, FromPage, SYNC, ToPageText, messages};
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
    let (to_page, from_hubs) = mpsc::unbounded_channel();
    let (sink, mut stream) = socket.split();
    let done = state.shutdown().child_token();
    let writer = tokio::spawn(write(sink, outbox, done.clone()));
    let relay = tokio::spawn(relay_from_hubs(
        state.clone(),
        page,
        from_hubs,
        done.clone(),
    ));
    let page_link = PageLink { page, to_page };
    loop {
        let next = tokio::select! {
            next = stream.next() => next,
            _ = done.cancelled() => break,
        };
        match next {
            Some(Ok(Message::Text(text))) => from_page(&state, &page_link, text.as_str()).await,
            Some(Ok(Message::Binary(bytes))) => frame(&state, page, &bytes).await,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            Some(Ok(_)) => {}
        }
    }
    done.cancel();
    state.pages().remove(page);
    if let Some(live) = state.live().await {
        live.page_gone(page).await;
    }
    let _ = writer.await;
    let _ = relay.await;
}

/// The page's number and where the hubs send it what it needs.
struct PageLink {
    page: PageId,
    to_page: mpsc::UnboundedSender<ToPage>,
}

/// What the hubs have for the page, into its outbox as frames.
async fn relay_from_hubs(
    state: AppState,
    page: PageId,
    mut from_hubs: mpsc::UnboundedReceiver<ToPage>,
    done: CancellationToken,
) {
    loop {
        let next = tokio::select! {
            next = from_hubs.recv() => next,
            _ = done.cancelled() => None,
        };
        let Some(out) = next else {
            return;
        };
        state.pages().send(page, messages(out));
    }
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

async fn from_page(state: &AppState, link: &PageLink, text: &str) {
    let page = link.page;
    let request = match serde_json::from_str::<FromPage>(text) {
        Ok(request) => request,
        Err(e) => return tell(state, page, None, "bad_message", &e.to_string()),
    };
    let Some(live) = state.live().await else {
        return tell(
            state,
            page,
            None,
            "store_failed",
            "the notes cannot be opened right now: restart Quaderno",
        );
    };
    match request {
        FromPage::Open { doc } => match live.open_page(page, doc, link.to_page.clone()).await {
            Ok(true) => {}
            Ok(false) => tell(
                state,
                page,
                Some(doc),
                "unknown_note",
                &format!("there is no note {doc} on this computer: it may have been removed"),
            ),
            Err(error) => refuse(state, page, Some(doc), error.into()),
        },
        FromPage::Close { doc } => live.close_page(page, doc).await,
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
    let Some(live) = state.live().await else {
        return;
    };
    let doc = frame.doc;
    if !live.page_sync(page, doc, frame.bytes).await {
        tell(
            state,
            page,
            Some(doc),
            "bad_message",
            "the page sent a sync message that cannot be read; reload the page",
        );
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
