//! The pages connected right now, each with a bounded outbox its socket drains.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::Message;
use quaderno_client::sync::PageId;
use tokio::sync::mpsc;

/// How many frames may wait for a page; a page that falls this far behind is disconnected (it
/// reconnects and starts again from the whole note).
const OUTBOX: usize = 4096;

#[derive(Debug, Default)]
pub struct Pages {
    next: AtomicU64,
    outboxes: Mutex<HashMap<PageId, mpsc::Sender<Message>>>,
}

impl Pages {
    /// A new page and the receiving end of its outbox.
    pub fn register(&self) -> (PageId, mpsc::Receiver<Message>) {
        let page = PageId(self.next.fetch_add(1, Ordering::Relaxed) + 1);
        let (tx, rx) = mpsc::channel(OUTBOX);
        self.lock().insert(page, tx);
        (page, rx)
    }

    pub fn remove(&self, page: PageId) {
        self.lock().remove(&page);
    }

    /// Queues frames for one page.
    pub fn send(&self, page: PageId, messages: Vec<Message>) {
        let mut outboxes = self.lock();
        let Some(outbox) = outboxes.get(&page) else {
            return;
        };
        for message in messages {
            if outbox.try_send(message).is_err() {
                tracing::info!(page = page.0, "a page fell behind; disconnecting it");
                outboxes.remove(&page);
                return;
            }
        }
    }

    /// Queues one frame for every page.
    pub fn broadcast(&self, message: &Message) {
        let pages: Vec<PageId> = self.lock().keys().copied().collect();
        for page in pages {
            self.send(page, vec![message.clone()]);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PageId, mpsc::Sender<Message>>> {
        self.outboxes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
