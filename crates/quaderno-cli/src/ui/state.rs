//! What every request shares: the notebook, the pages, the live sync (whose hubs hold the
//! notes open in pages). Notebook work runs on the blocking pool.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use quaderno_client::Notebook;
use quaderno_client::notebook::Pushed;
use quaderno_client::sync::Live;
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::error::AppError;
use super::frames::ToPageText;
use super::guard::Guard;
use super::pages::Pages;

#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    data_dir: PathBuf,
    guard: Guard,
    notebook: Mutex<Notebook>,
    pages: Pages,
    /// The live sync, replaced when the groups change (after joining one).
    live: RwLock<Option<Running>>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

#[derive(Debug)]
pub struct Running {
    pub live: Live,
    pub stop: CancellationToken,
}

impl AppState {
    pub fn open(
        data_dir: &Path,
        guard: Guard,
        shutdown: CancellationToken,
    ) -> anyhow::Result<AppState> {
        let notebook = Notebook::open(data_dir)?;
        Ok(AppState(Arc::new(Inner {
            data_dir: data_dir.to_owned(),
            guard,
            notebook: Mutex::new(notebook),
            pages: Pages::default(),
            live: RwLock::new(None),
            shutdown,
            tasks: TaskTracker::new(),
        })))
    }

    pub fn guard(&self) -> &Guard {
        &self.0.guard
    }

    pub fn data_dir(&self) -> &Path {
        &self.0.data_dir
    }

    pub fn pages(&self) -> &Pages {
        &self.0.pages
    }

    pub fn shutdown(&self) -> &CancellationToken {
        &self.0.shutdown
    }

    pub fn tasks(&self) -> &TaskTracker {
        &self.0.tasks
    }

    /// The live sync, if it runs.
    pub async fn live(&self) -> Option<Live> {
        self.0.live.read().await.as_ref().map(|r| r.live.clone())
    }

    /// Puts a new live sync in place, returning the one it replaces.
    pub async fn replace_live(&self, running: Running) -> Option<Running> {
        self.0.live.write().await.replace(running)
    }

    pub async fn take_live(&self) -> Option<Running> {
        self.0.live.write().await.take()
    }

    /// Runs `f` with the notebook, on the blocking pool.
    pub async fn notebook<T, E>(
        &self,
        f: impl FnOnce(&mut Notebook) -> Result<T, E> + Send + 'static,
    ) -> Result<T, AppError>
    where
        T: Send + 'static,
        E: Into<AppError> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || f(&mut lock(&state.0.notebook)).map_err(Into::into))
            .await?
    }

    /// A change made through the notebook: to the relay now, to the open pages now.
    /// (A change to a personal note reaches its pages through the store, within a poll.)
    pub async fn written(&self, pushed: Option<Pushed>) {
        if let (Some(pushed), Some(live)) = (pushed, self.live().await) {
            live.changed(&pushed.group, pushed.doc, pushed.changes)
                .await;
        }
        self.notes_changed();
    }

    /// Lists and sync status shown in pages may be out of date.
    pub fn notes_changed(&self) {
        self.pages().broadcast(&ToPageText::Notes.message());
        self.status_changed();
    }

    pub fn status_changed(&self) {
        self.pages().broadcast(&ToPageText::Status.message());
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
