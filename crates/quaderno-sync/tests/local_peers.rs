//! Local peers: the pages of a client's web UI as members of the client's hub, beside its
//! connection to the relay. One copy of each open note, in the hub.

mod support;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT, ReadDoc};
use quaderno_model::DocumentId;
use quaderno_sync::{ConnId, ConnPolicy, Event, Hub, HubConfig, Input, PeerId, Side, Write};
use support::{Net, text_of};

/// A page: its own copy of the note and its sync state with the hub.
struct Page {
    conn: ConnId,
    doc: Automerge,
    state: sync::State,
}

impl Page {
    fn new(conn: u64) -> Page {
        Page {
            conn: ConnId(conn),
            doc: Automerge::new(),
            state: sync::State::new(),
        }
    }

    fn body(&self) -> String {
        text_of(&self.doc).unwrap_or_default()
    }

    /// Types at the end of the body, as one change.
    fn type_text(&mut self, text: &str) {
        let (_, body) = self.doc.get(ROOT, "body").unwrap().unwrap();
        let len = self.doc.length(&body);
        let mut tx = self.doc.transaction();
        tx.splice_text(&body, len, 0, text).unwrap();
        tx.commit();
    }

    fn message(&mut self) -> Option<Vec<u8>> {
        self.doc
            .generate_sync_message(&mut self.state)
            .map(|m| m.encode())
    }

    fn receive(&mut self, data: &[u8]) {
        let message = sync::Message::decode(data).unwrap();
        self.doc
            .receive_sync_message(&mut self.state, message)
            .unwrap();
    }
}

/// A client `c` of the net with pages open on `doc`.
fn open_pages(net: &mut Net, c: usize, doc: DocumentId, pages: &mut [Page], read_only: bool) {
    for page in pages.iter() {
        let opened = Input::OpenedLocal {
            conn: page.conn,
            peer: PeerId::new(format!("page-{}", page.conn.0)),
            policy: ConnPolicy {
                expected_peer: None,
                read_only,
                device: None,
                participant: None,
            },
        };
        let share = Input::Share {
            conn: page.conn,
            doc,
        };
        net.client_input(c, vec![opened, share]);
    }
    exchange(net, c, doc, pages);
}

/// Carries messages between the pages, the client's hub and the relay until all are quiet. A
/// page whose changes were refused replaces its copy with the hub's, as the web UI does.
/// Returns the reasons of the refusals.
fn exchange(net: &mut Net, c: usize, doc: DocumentId, pages: &mut [Page]) -> Vec<String> {
    let mut refusals = Vec::new();
    for _ in 0..1000 {
        net.run();
        for event in std::mem::take(&mut net.clients[c].events) {
            if let Event::Refused { conn, reason, .. } = event
                && let Some(page) = pages.iter_mut().find(|p| p.conn == conn)
            {
                page.doc = Automerge::load(&net.clients[c].hub.doc(&doc).unwrap().save()).unwrap();
                page.state = sync::State::new();
                refusals.push(reason);
            }
        }
        let mut inputs = Vec::new();
        for (conn, _, data) in std::mem::take(&mut net.clients[c].local) {
            if let Some(page) = pages.iter_mut().find(|p| p.conn == conn) {
                page.receive(&data);
            }
        }
        for page in pages.iter_mut() {
            if let Some(data) = page.message() {
                inputs.push(Input::LocalSync {
                    conn: page.conn,
                    doc,
                    data,
                });
            }
        }
        if inputs.is_empty() && net.clients[c].local.is_empty() {
            return refusals;
        }
        net.client_input(c, inputs);
    }
    panic!("the pages never went quiet");
}

fn changes_written(writes: &[Write], doc: DocumentId) -> usize {
    writes
        .iter()
        .filter(|w| matches!(w, Write::Changes { doc: d, .. } if *d == doc))
        .count()
}

#[test]
fn a_keystroke_in_a_page_is_applied_once_stored_once_and_sent_everywhere_in_one_turn() {
    // Step 1: Anna and Bruno hold the minutes; Anna has the note open in two pages.
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    net.connect(anna);
    net.connect(bruno);
    let note = net.create_doc(anna, "Presenti: 12");
    net.share(anna, note);
    net.share(bruno, note);
    let mut pages = [Page::new(1000), Page::new(1001)];
    open_pages(&mut net, anna, note, &mut pages, false);
    assert_eq!(pages[1].body(), "Presenti: 12");

    // Step 2: one keystroke in the first page, handed to Anna's hub.
    // The page leaves out a change that the hub's Bloom filter (in its last message) seems to
    // hold; about one time in a hundred that is a false positive, and the change comes one
    // message later, when the hub asks for it. The turn that receives it is the one measured.
    pages[0].type_text("!");
    let applies = net.clients[anna].hub.applies();
    let mut out = None;
    for _ in 0..3 {
        let data = pages[0].message().expect("the page has something to say");
        let turn = net.clients[anna].hub.handle(
            net.now,
            [Input::LocalSync {
                conn: pages[0].conn,
                doc: note,
                data,
            }],
        );
        if net.clients[anna].hub.applies() > applies {
            out = Some(turn);
            break;
        }
        for (conn, _, data) in &turn.local {
            if *conn == pages[0].conn {
                pages[0].receive(data);
            }
        }
    }
    let out = out.expect("the hub received the keystroke within three messages");

    // Step 3: that one turn applied it once, stored it once, and has it for the relay and
    // for the other page.
    assert_eq!(net.clients[anna].hub.applies(), applies + 1);
    assert_eq!(changes_written(&out.writes, note), 1);
    assert!(!out.sends.is_empty(), "nothing for the relay");
    assert!(
        out.local.iter().any(|(conn, _, _)| *conn == pages[1].conn),
        "nothing for the other page"
    );

    // Step 4: everyone has it, and nothing applied it again on Anna's side.
    for (conn, _, data) in out.local {
        if let Some(page) = pages.iter_mut().find(|p| p.conn == conn) {
            page.receive(&data);
        }
    }
    for (_, bytes) in out.sends {
        net.send_raw(anna, bytes);
    }
    exchange(&mut net, anna, note, &mut pages);
    assert_eq!(net.relay_text(note).as_deref(), Some("Presenti: 12!"));
    assert_eq!(net.text(bruno, note).as_deref(), Some("Presenti: 12!"));
    assert_eq!(pages[1].body(), "Presenti: 12!");
    assert_eq!(net.clients[anna].hub.applies(), applies + 1);
}

#[test]
fn what_arrives_from_the_relay_reaches_every_open_page_with_one_apply() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    net.connect(anna);
    net.connect(bruno);
    let note = net.create_doc(bruno, "Ordine del giorno");
    net.share(bruno, note);
    net.share(anna, note);
    let mut pages = [Page::new(1000), Page::new(1001)];
    open_pages(&mut net, anna, note, &mut pages, false);

    let applies = net.clients[anna].hub.applies();
    net.append(bruno, note, ": alloggi");
    exchange(&mut net, anna, note, &mut pages);

    assert_eq!(pages[0].body(), "Ordine del giorno: alloggi");
    assert_eq!(pages[1].body(), "Ordine del giorno: alloggi");
    assert_eq!(net.clients[anna].hub.applies(), applies + 1);
}

#[test]
fn a_page_of_a_reader_is_refused_and_nothing_is_stored_or_sent() {
    let mut net = Net::new();
    let anna = net.add_client("anna", false);
    net.connect(anna);
    let note = net.create_doc(anna, "Verbale");
    net.share(anna, note);
    let mut pages = [Page::new(1000)];
    open_pages(&mut net, anna, note, &mut pages, true);
    let (writes, sent) = (net.clients[anna].storage.writes, net.relay_received.len());

    pages[0].type_text(" (bozza)");
    let refusals = exchange(&mut net, anna, note, &mut pages);

    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(refusals[0].contains("only read"), "{refusals:?}");
    assert_eq!(net.clients[anna].storage.writes, writes, "stored");
    assert_eq!(net.relay_received.len(), sent, "sent to the relay");
    assert_eq!(
        pages[0].body(),
        "Verbale",
        "the page keeps what was refused"
    );
    assert_eq!(
        text_of(net.clients[anna].hub.doc(&note).unwrap()).as_deref(),
        Some("Verbale")
    );
}

/// Refuses any body that mentions a child by name (a stand-in for "leaves the note unreadable").
fn no_names(doc: &Automerge) -> Result<(), String> {
    match text_of(doc) {
        Some(body) if body.contains("Giulio") => Err("the body names a child".into()),
        _ => Ok(()),
    }
}

#[test]
fn a_page_change_that_fails_the_check_is_refused_and_the_page_starts_over() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let mut config = HubConfig::new(
        Side::Client,
        PeerId::new("anna"),
        Default::default(),
        "anna-session".into(),
    );
    config.check = Some(no_names);
    net.clients[anna].hub = Hub::new(config);
    net.connect(anna);
    let note = net.create_doc(anna, "Presenti: 12");
    net.share(anna, note);
    let mut pages = [Page::new(1000), Page::new(1001)];
    open_pages(&mut net, anna, note, &mut pages, false);

    // The first page writes what the check refuses.
    let writes = net.clients[anna].storage.writes;
    pages[0].type_text(", Giulio");
    let refusals = exchange(&mut net, anna, note, &mut pages);
    assert_eq!(refusals, ["the body names a child"]);
    assert_eq!(net.clients[anna].storage.writes, writes, "stored");
    assert_eq!(net.relay_text(note).as_deref(), Some("Presenti: 12"));
    assert_eq!(pages[0].body(), "Presenti: 12");
    assert_eq!(pages[1].body(), "Presenti: 12");

    // The other page's typing still goes through.
    pages[1].type_text(", 3 assenti");
    assert!(exchange(&mut net, anna, note, &mut pages).is_empty());
    assert_eq!(
        net.relay_text(note).as_deref(),
        Some("Presenti: 12, 3 assenti")
    );
    assert_eq!(pages[0].body(), "Presenti: 12, 3 assenti");
}

#[test]
fn a_page_that_closes_a_note_hears_no_more_of_it() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.connect(anna);
    let note = net.create_doc(anna, "Verbale");
    net.share(anna, note);
    let mut pages = [Page::new(1000), Page::new(1001)];
    open_pages(&mut net, anna, note, &mut pages, false);

    net.client_input(
        anna,
        vec![Input::LocalClose {
            conn: pages[1].conn,
            doc: note,
        }],
    );
    pages[0].type_text(" approvato");
    exchange(&mut net, anna, note, &mut pages[..1]);

    assert_eq!(net.relay_text(note).as_deref(), Some("Verbale approvato"));
    assert!(
        net.clients[anna]
            .local
            .iter()
            .all(|(conn, _, _)| *conn != pages[1].conn)
    );
    assert_eq!(pages[1].body(), "Verbale");
}
