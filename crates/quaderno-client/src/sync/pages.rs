//! The pages of the web UI (browser tabs) as local peers of a group's hub.
//!
//! A page edits its own Automerge copy of the note it shows and exchanges plain Automerge sync
//! messages with the group's hub, which holds the only copy of the note in this process: what
//! a page types is applied once, stored once (change and index row in one transaction) and
//! sent to the relay and to the note's other pages in the same turn. A page first gets the
//! whole note (`Automerge::save`), then syncs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use quaderno_model::DocumentId;
use quaderno_sync::{ConnId, ConnPolicy, Hub, Input, PeerId};
use tokio::sync::mpsc;

use super::erased::ErasedNote;
use super::presence::Present;

/// One page (a browser tab), as the web UI numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageId(pub u64);

/// Something to send to a page about a note it has open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToPage {
    /// The whole note (`Automerge::save`): the page merges it into what it holds, and both
    /// start their sync afresh.
    Snapshot {
        doc: DocumentId,
        group: String,
        bytes: Vec<u8>,
    },
    /// The page's last change was refused: it replaces its copy with this one.
    Reset {
        doc: DocumentId,
        group: String,
        bytes: Vec<u8>,
        reason: String,
    },
    /// An Automerge sync message.
    Sync { doc: DocumentId, message: Vec<u8> },
    /// The note now belongs to another group (its snapshot from there follows).
    Moved { doc: DocumentId, group: String },
    /// The note is no longer on this computer (purged on the relay).
    Gone { doc: DocumentId },
    /// The note was erased from its group for everyone and deleted here: who did it, when,
    /// why, and whether edits not yet sent went with it.
    Erased { note: ErasedNote },
    /// Who else is in the note.
    Presence {
        doc: DocumentId,
        present: Vec<Present>,
    },
}

/// Where a page's messages go: the web UI's socket for that page.
pub type PageSender = mpsc::UnboundedSender<ToPage>;

/// The pages with a note of one group open, each a local peer of the group's hub.
#[derive(Debug)]
pub(super) struct Pages {
    next_conn: u64,
    by_page: HashMap<PageId, ConnId>,
    links: HashMap<ConnId, PageLink>,
}

#[derive(Debug)]
struct PageLink {
    page: PageId,
    to_page: PageSender,
    docs: BTreeSet<DocumentId>,
    /// Notes opened whose snapshot the page has not been sent yet.
    opening: BTreeSet<DocumentId>,
    /// Of those, notes whose copy in the page is to be replaced, not merged, and why.
    resetting: BTreeMap<DocumentId, String>,
}

impl Pages {
    /// No page yet; their hub connections are numbered from `first_conn`.
    pub fn new(first_conn: u64) -> Pages {
        Pages {
            next_conn: first_conn,
            by_page: HashMap::new(),
            links: HashMap::new(),
        }
    }

    /// The page opens a note: its connection (opened in the hub on first use) and the inputs
    /// that attach it to the note.
    pub fn open(
        &mut self,
        page: PageId,
        doc: DocumentId,
        to_page: PageSender,
        read_only: bool,
    ) -> Vec<Input> {
        let mut inputs = Vec::new();
        let conn = match self.by_page.get(&page) {
            Some(conn) => *conn,
            None => {
                let conn = ConnId(self.next_conn);
                self.next_conn += 1;
                self.by_page.insert(page, conn);
                self.links.insert(
                    conn,
                    PageLink {
                        page,
                        to_page: to_page.clone(),
                        docs: BTreeSet::new(),
                        opening: BTreeSet::new(),
                        resetting: BTreeMap::new(),
                    },
                );
                inputs.push(Input::OpenedLocal {
                    conn,
                    peer: PeerId::new(format!("page-{}", page.0)),
                    policy: ConnPolicy {
                        expected_peer: None,
                        read_only,
                        ..ConnPolicy::default()
                    },
                });
                conn
            }
        };
        let link = self.links.get_mut(&conn).expect("linked above");
        link.to_page = to_page;
        if link.docs.contains(&doc) {
            // Opened again (the page reconnected): a fresh sync from a fresh snapshot.
            inputs.push(Input::LocalClose { conn, doc });
        }
        link.docs.insert(doc);
        link.opening.insert(doc);
        link.resetting.remove(&doc);
        inputs.push(Input::Share { conn, doc });
        inputs
    }

    /// The note changed behind the hub's back in a way a page cannot merge (set back to what
    /// the relay holds): every page showing it is detached from it, and once shared again
    /// (with the connections returned) replaces its copy with the hub's, told `reason`.
    pub fn restart_note(&mut self, doc: DocumentId, reason: &str) -> (Vec<Input>, Vec<ConnId>) {
        let mut inputs = Vec::new();
        let mut conns = Vec::new();
        for (conn, link) in self.links.iter_mut() {
            if link.docs.contains(&doc) {
                link.opening.insert(doc);
                link.resetting.insert(doc, reason.to_owned());
                inputs.push(Input::LocalClose { conn: *conn, doc });
                conns.push(*conn);
            }
        }
        conns.sort_unstable();
        (inputs, conns)
    }

    /// The inputs that let every page write, or stop it (the participant's role changed).
    pub fn set_read_only(&self, read_only: bool) -> Vec<Input> {
        self.links
            .keys()
            .map(|conn| Input::ReadOnly {
                conn: *conn,
                read_only,
            })
            .collect()
    }

    /// The hub's connection for a page's messages about a note it has open.
    pub fn conn_of(&self, page: PageId, doc: &DocumentId) -> Option<ConnId> {
        let conn = self.by_page.get(&page)?;
        self.links
            .get(conn)
            .is_some_and(|link| link.docs.contains(doc))
            .then_some(*conn)
    }

    /// A sync message from the hub for a page; a page still opening the note gets the whole
    /// note first.
    pub fn sync(
        &mut self,
        hub: &Hub,
        group: &str,
        conn: ConnId,
        doc: DocumentId,
        message: Vec<u8>,
    ) {
        self.snapshot_if_opening(hub, group, conn, doc);
        if let Some(link) = self.links.get(&conn) {
            let _ = link.to_page.send(ToPage::Sync { doc, message });
        }
    }

    /// After the turn that opened a note: the whole note, if the page has not had it yet (to
    /// replace its copy with, when the note was restarted).
    pub fn snapshot_if_opening(&mut self, hub: &Hub, group: &str, conn: ConnId, doc: DocumentId) {
        let Some(link) = self.links.get_mut(&conn) else {
            return;
        };
        if !link.opening.remove(&doc) {
            return;
        }
        let resetting = link.resetting.remove(&doc);
        let Some(automerge) = hub.doc(&doc) else {
            return;
        };
        let (group, bytes) = (group.to_owned(), automerge.save());
        let message = match resetting {
            Some(reason) => ToPage::Reset {
                doc,
                group,
                bytes,
                reason,
            },
            None => ToPage::Snapshot { doc, group, bytes },
        };
        let _ = link.to_page.send(message);
    }

    /// The hub refused what the page wrote: the page replaces its copy with the hub's.
    pub fn refused(&self, hub: &Hub, group: &str, conn: ConnId, doc: DocumentId, reason: &str) {
        let (Some(link), Some(automerge)) = (self.links.get(&conn), hub.doc(&doc)) else {
            return;
        };
        let _ = link.to_page.send(ToPage::Reset {
            doc,
            group: group.to_owned(),
            bytes: automerge.save(),
            reason: reason.to_owned(),
        });
    }

    /// The page closes a note: the input that detaches it, if it had it open.
    pub fn close(&mut self, page: PageId, doc: DocumentId) -> Option<Input> {
        let conn = self.conn_of(page, &doc)?;
        let link = self.links.get_mut(&conn)?;
        link.docs.remove(&doc);
        link.opening.remove(&doc);
        link.resetting.remove(&doc);
        Some(Input::LocalClose { conn, doc })
    }

    /// The page went away: the input that closes its connection.
    pub fn page_gone(&mut self, page: PageId) -> Option<Input> {
        let conn = self.by_page.remove(&page)?;
        self.links.remove(&conn);
        Some(Input::Closed { conn })
    }

    /// The note left this group (removed, or moved elsewhere): its pages are told with
    /// `tell`, forget it, and the inputs detach them. Returns the pages that had it open.
    pub fn leave_note(
        &mut self,
        doc: DocumentId,
        tell: impl Fn(DocumentId) -> ToPage,
    ) -> (Vec<Input>, Vec<(PageId, PageSender)>) {
        let mut inputs = Vec::new();
        let mut left = Vec::new();
        for (conn, link) in self.links.iter_mut() {
            if link.docs.remove(&doc) {
                link.opening.remove(&doc);
                link.resetting.remove(&doc);
                let _ = link.to_page.send(tell(doc));
                inputs.push(Input::LocalClose { conn: *conn, doc });
                left.push((link.page, link.to_page.clone()));
            }
        }
        (inputs, left)
    }

    /// The note was removed from this computer.
    pub fn gone(&mut self, doc: DocumentId) -> Vec<Input> {
        self.leave_note(doc, |doc| ToPage::Gone { doc }).0
    }

    /// The note was erased from its group and deleted from this computer.
    pub fn erased(&mut self, note: &ErasedNote) -> Vec<Input> {
        self.leave_note(note.doc, |_| ToPage::Erased { note: note.clone() })
            .0
    }

    /// Notes open in some page.
    pub fn open_notes(&self) -> BTreeSet<DocumentId> {
        self.links
            .values()
            .flat_map(|link| link.docs.iter().copied())
            .collect()
    }

    /// Whether some page has the note open.
    pub fn is_open(&self, doc: &DocumentId) -> bool {
        self.links.values().any(|link| link.docs.contains(doc))
    }

    /// Tells every page of the note who else is in it.
    pub fn presence(&self, doc: DocumentId, present: &[Present]) {
        for link in self.links.values().filter(|l| l.docs.contains(&doc)) {
            let _ = link.to_page.send(ToPage::Presence {
                doc,
                present: present.to_vec(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn erased(doc: DocumentId) -> ErasedNote {
        ErasedNote {
            group: "prato".into(),
            doc,
            title: Some("Verbale".into()),
            erased_at: Utc::now(),
            erased_by: "Elena Rossi".into(),
            reason: "nome di un minore scritto per errore".into(),
            lost_edits: true,
            successor: None,
        }
    }

    #[test]
    fn the_pages_of_an_erased_note_are_told_why_and_let_go_of_it() {
        let mut pages = Pages::new(100);
        let (doc, other) = (DocumentId::random(), DocumentId::random());
        let (showing, mut told) = mpsc::unbounded_channel();
        let (elsewhere, mut untold) = mpsc::unbounded_channel();
        pages.open(PageId(1), doc, showing, false);
        pages.open(PageId(2), other, elsewhere, false);

        let note = erased(doc);
        let inputs = pages.erased(&note);

        assert!(
            matches!(inputs.as_slice(), [Input::LocalClose { conn: ConnId(100), doc: closed }] if *closed == doc),
            "the page is detached from the note: {inputs:?}"
        );
        assert_eq!(told.try_recv(), Ok(ToPage::Erased { note }));
        assert!(
            untold.try_recv().is_err(),
            "a page without the note hears nothing"
        );
        assert!(!pages.is_open(&doc) && pages.is_open(&other));
    }
}
