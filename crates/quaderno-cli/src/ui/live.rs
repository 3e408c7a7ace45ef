//! The live sync of every joined group, run by the page's process: started with it, started
//! again when the groups or the participant change, and listened to.

use std::time::Duration;

use quaderno_client::sync::{Live, LiveEvent};
use tokio::sync::broadcast::error::RecvError;

use super::frames::{Person, ToPageText};
use super::state::{AppState, Running};

/// How often open notes are checked against the store when nothing told us to (edits made by
/// other processes, such as `quaderno edit`).
const POLL: Duration = Duration::from_millis(250);
/// How long a stopping live sync may take to say goodbye to its relays.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// Starts the live sync (again): the one running is stopped first, and this participant enters
/// again the notes open in pages.
pub async fn restart(state: &AppState) -> anyhow::Result<()> {
    if let Some(old) = state.take_live().await {
        stop(old).await;
    }
    let stop_token = state.shutdown().child_token();
    let live = Live::start(state.data_dir(), stop_token.clone())?;
    state
        .tasks()
        .spawn(forward(state.clone(), live.clone(), stop_token.clone()));
    let open = state
        .coedit(|c| Ok::<_, super::error::AppError>(c.open_notes()))
        .await
        .unwrap_or_default();
    for (group, doc) in open {
        live.enter(&group, doc).await;
    }
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

/// Turns what the live sync reports into work for the pages.
async fn forward(state: AppState, live: Live, stop: tokio_util::sync::CancellationToken) {
    let mut events = live.subscribe();
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = stop.cancelled() => return,
        };
        match event {
            Ok(LiveEvent::Changed { .. }) => state.refresh_signal().notify_one(),
            Ok(LiveEvent::Presence { doc, present }) => {
                let people: Vec<Person> = present.iter().map(Person::from).collect();
                let message = ToPageText::Presence {
                    doc,
                    present: people,
                }
                .message();
                let pages = state
                    .coedit(move |c| Ok::<_, super::error::AppError>(c.pages_of(&doc)))
                    .await
                    .unwrap_or_default();
                for page in pages {
                    state.pages().send(page, vec![message.clone()]);
                }
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {
                state.refresh_signal().notify_one();
                state.status_changed();
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Keeps open notes in line with the store: at once when told, else every [`POLL`].
pub async fn refresher(state: AppState) {
    loop {
        tokio::select! {
            _ = state.refresh_signal().notified() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = state.shutdown().cancelled() => return,
        }
        match state.coedit(|c| c.refresh()).await {
            Ok(effects) => state.deliver(effects).await,
            Err(error) => tracing::warn!(%error, "could not bring open notes up to date"),
        }
    }
}

/// The presence of a note, for a page that just opened it.
pub async fn presence_now(state: &AppState, doc: quaderno_model::DocumentId) -> ToPageText {
    let present = match state.live().await {
        Some(live) => live.present(&doc).iter().map(Person::from).collect(),
        None => Vec::new(),
    };
    ToPageText::Presence { doc, present }
}
