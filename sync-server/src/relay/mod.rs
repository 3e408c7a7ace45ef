//! The running relay: the HTTP API, health and metrics, and one WebSocket endpoint per group,
//! each group served by its own actor running a `quaderno_sync::Hub`.

mod actor;
mod conns;
mod erased;
mod groups;
mod http;
pub(crate) mod identity;
mod metrics;
mod storage;
mod watch;
mod ws;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use quaderno_sync::PeerId;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::{self, ApiState};
use crate::config::ServeConfig;
use crate::db::Db;
use crate::lock::{DataDirLock, Holder};
use conns::Connections;
use groups::{GroupSettings, Groups};
use metrics::Metrics;
use storage::Storage;

/// How long shutdown waits for connections to close and documents to be flushed.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What every request handler and socket task shares.
#[derive(Clone, Debug)]
pub struct RelayState {
    pub api: ApiState,
    pub config: Arc<ServeConfig>,
    pub peer_id: PeerId,
    groups: Arc<Groups>,
    connections: Arc<Connections>,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
    conn_ids: Arc<AtomicU64>,
    /// Open WebSockets per device, against `--max-connections-per-device`.
    device_slots: Arc<ws::DeviceSlots>,
}

/// The relay's routes: the client API, `/healthz`, `/metrics` and the sync endpoint.
pub fn app(state: RelayState) -> Router {
    let api = api::routes().with_state(state.api.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(render_metrics))
        .route("/v1/groups/{group}/sync", get(ws::sync_endpoint))
        .with_state(state)
        .merge(api)
}

/// Runs the relay until SIGINT or SIGTERM, then shuts down gracefully.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "cannot listen on {}: is another relay running there? Pass --listen ADDR",
            config.listen
        )
    })?;
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    run(listener, config, shutdown).await
}

/// Runs the relay on a bound listener until `shutdown` is cancelled (tests bind port 0).
pub async fn run(
    listener: TcpListener,
    config: ServeConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // Before anything else, so a wrong file is the first thing the operator hears of.
    let tls = config.tls.clone().map(http::Tls::load).transpose()?;
    // Before the database is opened: a restore in progress must not see it open.
    crate::db::create_data_dir(&config.data_dir)?;
    let _lock = DataDirLock::take(&config.data_dir, Holder::Serve)?;
    let db = Db::open(&config.data_dir)?;
    let identity = identity::load_or_create(&db)?;
    let (storage, storage_thread) = Storage::start(db.path())?;
    let metrics = Arc::new(Metrics::new());
    let tracker = TaskTracker::new();
    let settings = GroupSettings {
        peer_id: identity.peer_id.clone(),
        storage_id: identity.storage_id.clone(),
        idle_after: config.group_idle,
        limits: config.limits,
    };
    let groups = Groups::new(
        settings,
        storage,
        metrics.clone(),
        shutdown.clone(),
        tracker.clone(),
    );
    let connections = Arc::new(Connections::default());
    let api = ApiState::new(db.clone(), identity.peer_id.to_string())
        .with_presence(connections.clone())
        .with_public_url(config.public_url.clone())
        .with_epoch(identity.storage_id.clone());
    tracker.spawn(watch::admin_events(
        db,
        groups.clone(),
        connections.clone(),
        api.admin_events.clone(),
        shutdown.clone(),
    ));
    let device_slots = ws::DeviceSlots::new(config.max_connections_per_device);
    let state = RelayState {
        api,
        config: Arc::new(config),
        peer_id: identity.peer_id,
        groups,
        connections,
        metrics,
        shutdown: shutdown.clone(),
        conn_ids: Arc::new(AtomicU64::new(1)),
        device_slots,
    };
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // On stdout whatever the log level, so scripts and tests learn the port.
    println!("quaderno-server listening on {scheme}://{addr}");
    tracing::info!(%addr, peer_id = %state.peer_id, "relay listening");
    if let Some(tls) = &tls {
        tracker.spawn(tls.clone().reload_on_hangup(shutdown.clone()));
    }

    let setup = http::Setup {
        limits: state.config.http,
        tls,
        trusted_proxies: state.config.trusted_proxies.clone(),
    };
    let metrics = state.metrics.clone();
    http::serve(
        listener,
        app(state),
        setup,
        metrics,
        shutdown.clone(),
        SHUTDOWN_GRACE,
    )
    .await?;

    tracing::info!("shutting down: closing connections and flushing documents");
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not close within {SHUTDOWN_GRACE:?}");
    }
    tokio::task::spawn_blocking(move || storage_thread.join())
        .await
        .ok();
    tracing::info!("stopped");
    Ok(())
}

async fn healthz(State(state): State<RelayState>) -> impl IntoResponse {
    match state
        .api
        .db
        .call(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
        .await
    {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(error) => {
            tracing::error!(%error, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the relay's database does not answer\n",
            )
        }
    }
}

async fn render_metrics(State(state): State<RelayState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

async fn stop_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    shutdown.cancel();
}
