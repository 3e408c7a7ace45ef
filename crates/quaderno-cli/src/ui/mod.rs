//! `quaderno ui`: the page in the browser, served on 127.0.0.1 by this process, which also
//! keeps every joined group live.
//!
//! - [`routes`]: the API and the page's files ([`assets`], embedded in the binary); the
//!   group's administration goes to its relay with this device's token ([`qr`] draws invites).
//! - [`socket`]: the page's WebSocket: Automerge sync of the open notes ([`frames`]).
//! - [`guard`]: Host, Origin and the per-run [`secret`], checked before anything else.
//! - [`live`]: the live sync of the groups, whose hubs hold the notes open in pages.
//!
//! This process owns the data folder's relay connections while it runs: a `quaderno sync
//! --watch` on the same folder hands them over and waits, a `quaderno sync` asks this one.
//!
//! Everything about notes is decided in `quaderno_client` (its notebook, its live sync with the
//! pages as peers of each group's hub, its status); this module moves bytes.

mod assets;
pub mod browser;
mod error;
mod frames;
mod guard;
mod live;
mod markdown;
mod pages;
pub mod print;
mod qr;
mod routes;
mod secret;
mod socket;
mod state;

use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use std::sync::Arc;

use quaderno_client::sync::owner::{self, Answer, Request};

use crate::args::UiArgs;
use crate::config::Config;
use crate::error::UserError;
use crate::output::{self, Format, Rendered};
use crate::owner::{Answering, answer_requests};
use guard::Guard;
use secret::{KEY_PARAM, Secret};
use state::AppState;

/// What the page's process answers other `quaderno` processes on the same data folder.
fn answering(state: AppState, url: String) -> Answering {
    Arc::new(move |request| {
        let state = state.clone();
        let url = url.clone();
        Box::pin(async move {
            match (request, state.live().await) {
                (Request::Sync, Some(live)) => Answer::Synced {
                    groups: live.settle().await,
                },
                (Request::Sync, None) => Answer::Refused {
                    reason: "the page is starting its sync; try again in a moment".into(),
                },
                (Request::HandOver, _) => Answer::Refused {
                    reason: "the page is open and keeps this data folder in sync".into(),
                },
                (Request::Page, _) => Answer::Page { url },
            }
        })
    })
}

/// Where the page's WebSocket answers.
pub const SOCKET_PATH: &str = "/api/socket";

/// How long stopping may wait for pages and relays to be told.
const STOP_WAIT: Duration = Duration::from_secs(5);

pub fn run(config: &Config, args: &UiArgs) -> anyhow::Result<Rendered> {
    // The page works offline whatever the file holds; each sync reports it too.
    if let Err(error) = quaderno_client::init_tls() {
        tracing::warn!(%error, "relays cannot be reached");
    }
    let runtime = crate::commands::runtime()?;
    runtime.block_on(serve(config, args))?;
    Ok(Rendered::empty())
}

async fn serve(config: &Config, args: &UiArgs) -> anyhow::Result<()> {
    let ownership = owner::claim_for_page(&config.data_dir).await?;
    let listener = TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|e| bind_error(args.port, e))?;
    let port = listener.local_addr()?.port();
    let guard = Guard {
        port,
        secret: Secret::stored(&config.data_dir)?,
    };
    let url = format!(
        "http://127.0.0.1:{port}/?{KEY_PARAM}={}",
        guard.secret.expose()
    );
    let shutdown = CancellationToken::new();
    let state = AppState::open(&config.data_dir, guard, shutdown.clone())?;
    live::restart(&state).await?;
    let requests = owner::listen(&ownership)?;
    state.tasks().spawn(answer_requests(
        requests,
        answering(state.clone(), url.clone()),
        shutdown.clone(),
    ));
    announce(config.format(), &url, port);
    let opener = (!args.no_open)
        .then(|| browser::open(&config.data_dir, &url))
        .flatten();
    tokio::spawn(stop_on_signal(shutdown.clone()));

    // A page's frames are small and each is awaited: without TCP_NODELAY, one sent while the
    // previous is unacknowledged waits for the browser's delayed ACK (about 40 ms on Linux).
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY on a page's connection");
        }
    });
    axum::serve(listener, routes::app(state.clone()))
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await
        .context("serving the page failed")?;

    shutdown.cancel();
    state.tasks().close();
    let _ = tokio::time::timeout(STOP_WAIT, state.tasks().wait()).await;
    if let Some(running) = state.take_live().await {
        live::stop(running).await;
    }
    if let Some(opener) = opener {
        let _ = std::fs::remove_file(opener);
    }
    if config.format() == Format::Text {
        say("Quaderno stopped.");
    }
    Ok(())
}

/// The address on the first line of standard output (the tests and scripts read it), then a
/// word for the person.
fn announce(format: Format, url: &str, port: u16) {
    match format {
        Format::Json => output::line(serde_json::json!({ "url": url, "port": port })),
        Format::Text => output::line(url),
    }
    if format == Format::Text {
        say("Quaderno is open at this address; Ctrl-C stops it.");
    }
}

/// A line for the person; whoever read the address may have stopped reading since.
fn say(line: &str) {
    output::line(line);
}

async fn stop_on_signal(shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            shutdown.cancel();
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            _ = shutdown.cancelled() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    shutdown.cancel();
}

fn bind_error(port: u16, error: std::io::Error) -> anyhow::Error {
    if error.kind() == std::io::ErrorKind::AddrInUse {
        UserError(format!(
            "port {port} is already in use (is Quaderno already open?): open the address it printed, or choose another port with --port"
        ))
        .into()
    } else {
        anyhow::Error::new(error).context(format!("cannot listen on 127.0.0.1:{port}"))
    }
}
