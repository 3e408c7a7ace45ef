//! The registry of running group actors: started by a group's first connection, retired when
//! the group has been idle for a while, so memory follows the active groups.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use quaderno_sync::{Hub, HubConfig, Limits, PeerId, PeerMetadata, Side};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::actor::{Command, GroupActor};
use super::metrics::Metrics;
use super::storage::Storage;

/// Commands waiting for one group before senders wait too.
const QUEUE: usize = 8192;

#[derive(Debug)]
struct Running {
    commands: mpsc::Sender<Command>,
    generation: u64,
}

/// What every group's hub shares.
#[derive(Debug, Clone)]
pub struct GroupSettings {
    pub peer_id: PeerId,
    pub storage_id: String,
    pub idle_after: Duration,
    pub limits: Limits,
}

#[derive(Debug)]
pub struct Groups {
    running: Mutex<HashMap<String, Running>>,
    generations: AtomicU64,
    settings: GroupSettings,
    storage: Storage,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

impl Groups {
    pub fn new(
        settings: GroupSettings,
        storage: Storage,
        metrics: Arc<Metrics>,
        shutdown: CancellationToken,
        tracker: TaskTracker,
    ) -> Arc<Self> {
        Arc::new(Self {
            running: Mutex::new(HashMap::new()),
            generations: AtomicU64::new(0),
            settings,
            storage,
            metrics,
            shutdown,
            tracker,
        })
    }

    /// Delivers a connection's first command, starting the group if needed, and returns the
    /// channel for its later commands.
    pub async fn open(self: &Arc<Self>, group: &str, command: Command) -> mpsc::Sender<Command> {
        let (sender, pending) = {
            let mut running = self.lock();
            let entry = match running.get(group) {
                Some(entry) if !entry.commands.is_closed() => entry,
                _ => {
                    let started = self.start(group);
                    running.insert(group.to_string(), started);
                    &running[group]
                }
            };
            // Sent under the lock, so the actor cannot retire between our lookup and our send.
            match entry.commands.try_send(command) {
                Ok(()) => (entry.commands.clone(), None),
                Err(TrySendError::Full(command)) => (entry.commands.clone(), Some(command)),
                Err(TrySendError::Closed(_)) => unreachable!("a closed entry was just replaced"),
            }
        };
        if let Some(command) = pending {
            // A full queue: the actor is busy, certainly not retiring.
            let _ = sender.send(command).await;
        }
        sender
    }

    /// Delivers a command only if the group is running (a purge of a group nobody uses needs
    /// nothing from memory).
    pub fn send_if_running(&self, group: &str, command: Command) {
        let running = self.lock();
        if let Some(entry) = running.get(group) {
            let _ = entry.commands.try_send(command);
        }
    }

    /// Called by an idle actor: removes it unless a command raced in. True when retired.
    pub fn retire(&self, group: &str, generation: u64, commands: &mpsc::Receiver<Command>) -> bool {
        let mut running = self.lock();
        let ours = running
            .get(group)
            .is_some_and(|e| e.generation == generation);
        if !ours || !commands.is_empty() {
            return !ours;
        }
        running.remove(group);
        self.metrics.groups_in_memory.dec();
        true
    }

    fn start(self: &Arc<Self>, group: &str) -> Running {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed);
        let (commands, receiver) = mpsc::channel(QUEUE);
        let hub_config = HubConfig {
            limits: self.settings.limits,
            ..HubConfig::new(
                Side::Relay,
                self.settings.peer_id.clone(),
                PeerMetadata {
                    storage_id: Some(self.settings.storage_id.clone()),
                    is_ephemeral: false,
                },
                format!("{}-{generation}", self.settings.storage_id),
            )
        };
        let actor = GroupActor {
            group: group.to_string(),
            generation,
            hub: Hub::new(hub_config.clone()),
            hub_config,
            commands: receiver,
            conns: HashMap::new(),
            storage: self.storage.clone(),
            metrics: self.metrics.clone(),
            groups: self.clone(),
            idle_after: self.settings.idle_after,
            shutdown: self.shutdown.clone(),
            docs_counted: 0,
            authors_known: false,
            erased: None,
            deferred: VecDeque::new(),
            last_turn: Duration::ZERO,
        };
        self.metrics.groups_in_memory.inc();
        tracing::debug!(group, "starting the group's sync engine");
        self.tracker.spawn(actor.run());
        Running {
            commands,
            generation,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
