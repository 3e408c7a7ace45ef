//! The live sync of every joined group and of the personal notebook, run by the page's
//! process: its hubs hold the notes open in pages. Started with the process, started again
//! when the groups or the participant change (the open pages follow), and listened to.

use std::time::Duration;

use quaderno_client::sync::{Live, LiveEvent};
use tokio::sync::broadcast::error::RecvError;

use super::frames::ToPageText;
use super::state::{AppState, Running};

/// How long a stopping live sync may take to say goodbye to its relays.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// Starts the live sync (again): the one running is stopped first, and the notes open in
/// pages are opened again in the new one.
pub async fn restart(state: &AppState) -> anyhow::Result<()> {
    let old = state.take_live().await;
    let open = old
        .as_ref()
        .map(|running| running.live.open_pages())
        .unwrap_or_default();
    if let Some(old) = old {
        stop(old).await;
    }
    let stop_token = state.shutdown().child_token();
    let live = Live::start_serving_pages(state.data_dir(), stop_token.clone())?;
    state
        .tasks()
        .spawn(forward(state.clone(), live.clone(), stop_token.clone()));
    live.adopt(open).await;
    if let Some(previous) = state
        .replace_live(Running {
            live,
            stop: stop_token,
        })
        .await
    {
        stop(previous).await;
    }
    state.status_changed();
    Ok(())
}

/// Stops a live sync and waits (a little) for it to finish.
pub async fn stop(running: Running) {
    running.stop.cancel();
    let _ = tokio::time::timeout(STOP_WAIT, running.live.stopped()).await;
}

/// Turns what the live sync reports into work for the pages: lists and the overview to fetch
/// again, and every page told of a note erased from its group (the pages that had it open
/// heard from its hub already; a page says it once). Notes and presence reach their pages
/// from the hubs directly.
async fn forward(state: AppState, live: Live, stop: tokio_util::sync::CancellationToken) {
    let mut events = live.subscribe();
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = stop.cancelled() => return,
        };
        match event {
            Ok(LiveEvent::Changed { .. }) => state.notes_changed(),
            Ok(LiveEvent::Presence { .. }) => {}
            Ok(LiveEvent::NoteErased { note }) => {
                state.pages().broadcast(&ToPageText::from(note).message());
                state.notes_changed();
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {
                state.notes_changed();
            }
            Err(RecvError::Closed) => return,
        }
    }
}
