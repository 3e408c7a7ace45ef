//! The pages of the web UI as peers of their group's hub, through a real relay: a keystroke
//! typed in Anna's page costs her process one Automerge apply and one write transaction (plus
//! the relay's acknowledgement), and reaches Bruno's page.

use std::time::Duration;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT, ReadDoc};
use quaderno_client::sync::{Live, PageId, ToPage};
use quaderno_model::DocumentId;
use quaderno_tests::cli::Quaderno;
use quaderno_tests::relay::Relay;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const KEYSTROKES: usize = 20;

/// A page as the browser runs it: its own copy of the note, synced with the process.
struct Page {
    id: PageId,
    doc: DocumentId,
    copy: Automerge,
    state: sync::State,
    inbox: mpsc::UnboundedReceiver<ToPage>,
}

impl Page {
    /// Opens the note in `live` and waits for the whole note.
    async fn open(live: &Live, id: u64, doc: DocumentId) -> Page {
        let (tx, inbox) = mpsc::unbounded_channel();
        assert!(live.open_page(PageId(id), doc, tx).await.unwrap());
        let mut page = Page {
            id: PageId(id),
            doc,
            copy: Automerge::new(),
            state: sync::State::new(),
            inbox,
        };
        match page.next().await {
            ToPage::Snapshot { bytes, .. } => page.copy.load_incremental(&bytes).unwrap(),
            other => panic!("the page got {other:?} before the note"),
        };
        page
    }

    async fn next(&mut self) -> ToPage {
        tokio::time::timeout(Duration::from_secs(10), self.inbox.recv())
            .await
            .expect("the process said nothing to the page for 10 s")
            .expect("the process closed the page")
    }

    fn body(&self) -> String {
        let (_, body) = self.copy.get(ROOT, "body").unwrap().unwrap();
        self.copy.text(&body).unwrap()
    }

    /// Sends what the process has not heard yet.
    async fn flush(&mut self, live: &Live) {
        while let Some(message) = self.copy.generate_sync_message(&mut self.state) {
            assert!(live.page_sync(self.id, self.doc, message.encode()).await);
        }
    }

    /// Types one character at the end of the body and syncs until the process has it.
    async fn type_char(&mut self, live: &Live, c: char) {
        let (_, body) = self.copy.get(ROOT, "body").unwrap().unwrap();
        let len = self.copy.length(&body);
        let mut tx = self.copy.transaction();
        tx.splice_text(&body, len, 0, &c.to_string()).unwrap();
        tx.commit();
        self.flush(live).await;
        let heads = self.copy.get_heads();
        while self.state.shared_heads != heads {
            self.take(live).await;
        }
    }

    /// Takes in the next sync message from the process and answers it.
    async fn take(&mut self, live: &Live) {
        if let ToPage::Sync { message, .. } = self.next().await {
            let message = sync::Message::decode(&message).unwrap();
            self.copy
                .receive_sync_message(&mut self.state, message)
                .unwrap();
            self.flush(live).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keystroke_in_a_page_is_applied_once_and_stored_once() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.create_group("trieste");
    let anna = Quaderno::fresh();
    anna.ok(&["init", "--name", "Anna", "--city", "Trieste"]);
    anna.ok(&["join", &relay.url, &relay.invite("trieste", "editor")]);
    let bruno = Quaderno::fresh();
    bruno.ok(&["init", "--name", "Bruno", "--city", "Bologna"]);
    bruno.ok(&["join", &relay.url, &relay.invite("trieste", "editor")]);
    let created = anna.json(&[
        "new",
        "--group",
        "trieste",
        "--title",
        "Verbale",
        "--body",
        "Presenti:",
    ]);
    let note: DocumentId = created["id"].as_str().unwrap().parse().unwrap();
    anna.ok(&["sync"]);
    bruno.ok(&["sync"]);

    // Step 1: both are live, each with the note open in a page.
    let stop = CancellationToken::new();
    let anna_live = Live::start_serving_pages(anna.data_dir(), stop.clone()).unwrap();
    let bruno_live = Live::start_serving_pages(bruno.data_dir(), stop.clone()).unwrap();
    let mut anna_page = Page::open(&anna_live, 1, note).await;
    let mut bruno_page = Page::open(&bruno_live, 1, note).await;
    anna_page.flush(&anna_live).await;
    bruno_page.flush(&bruno_live).await;
    let before = anna_live.counts("trieste").await.unwrap();
    let bruno_before = bruno_live.counts("trieste").await.unwrap();

    // Step 2: Anna types, one keystroke at a time, each one taken in by her process.
    for c in " dodici".chars().cycle().take(KEYSTROKES) {
        anna_page.type_char(&anna_live, c).await;
    }
    let typed = anna_page.body();

    // Step 3: Bruno's page gets all of it.
    while bruno_page.body() != typed {
        bruno_page.take(&bruno_live).await;
    }

    // Step 4: what it cost. One apply per keystroke in Anna's process, and a transaction to
    // store it plus at most one to record the relay's acknowledgement (and one compaction if
    // the note went quiet meanwhile); in Bruno's, no more applies than keystrokes.
    let after = anna_live.counts("trieste").await.unwrap();
    let bruno_after = bruno_live.counts("trieste").await.unwrap();
    let applies = after.applies - before.applies;
    let transactions = after.transactions - before.transactions;
    eprintln!(
        "Anna's process: {applies} applies and {transactions} transactions for {KEYSTROKES} keystrokes; Bruno's: {} applies",
        bruno_after.applies - bruno_before.applies
    );
    assert_eq!(applies, KEYSTROKES as u64, "applies per keystroke");
    assert!(
        transactions <= 2 * KEYSTROKES as u64 + 1,
        "{transactions} transactions for {KEYSTROKES} keystrokes"
    );
    assert!(bruno_after.applies - bruno_before.applies <= KEYSTROKES as u64);
    assert!(bruno_after.applies > bruno_before.applies);

    stop.cancel();
    anna_live.stopped().await;
    bruno_live.stopped().await;
}
