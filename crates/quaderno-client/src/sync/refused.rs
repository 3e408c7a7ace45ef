//! Edits a group will not take. When the relay says this participant is a reader in a group,
//! edits made here that it never acknowledged (written offline, or just before an admin
//! changed the role) would wait for ever: the relay drops a reader's changes without a word.
//! So each note holding such edits is kept as a personal copy ([`crate::notebook::kept`]) and
//! the group's copy here goes back to what the relay acknowledged, so that nothing is offered
//! to the relay that it will not take, and the sync settles.
//!
//! Automerge cannot undo a change, so "back" is a new document: the note forked at the heads
//! its saved sync states say the relay acknowledged, stored in place of its chunks, with the
//! same sync states. A document the relay never acknowledged is removed here. Either happens
//! in the transaction that writes the personal copy: a crash leaves the note as it was, or the
//! copy written and the note set back, never the edit lost. Whatever else the relay holds (a
//! change the sync state did not record yet, others' edits) comes back with the sync that
//! follows.
//!
//! What to do with each document is decided by [`plan`], a pure function of the document, the
//! acknowledged heads and who signs here; [`set_back_refused`] carries it out.

use std::collections::{BTreeSet, HashSet};

use automerge::{Automerge, ChangeHash};
use chrono::{DateTime, Utc};
use quaderno_model::{Author, DocKind, DocumentId, doc_kind, history};
use quaderno_store::{StoreError, begin_write, docs, index};

use super::session::Session;
use crate::ClientError;
use crate::groups::Group;
use crate::notebook::{KeptCopy, kept, reindex};

/// What becomes of one document of a group this participant may only read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Plan {
    /// The relay acknowledged everything in it.
    InSync,
    /// Back to the heads the relay acknowledged; `copy` keeps the note as it is here first.
    SetBack { to: Vec<ChangeHash>, copy: bool },
    /// The relay acknowledged none of it: removed here (`copy` as above).
    Remove { copy: bool },
}

/// Decides what becomes of `doc`: back to `acknowledged` (the heads of its saved sync states)
/// when it holds changes past them, kept as a personal copy first when it is a note and some
/// of those changes may be this participant's (`me`, or anyone when nobody signs here). A
/// change signed by someone else came from the relay, which holds it; a change nobody signed
/// is kept to be safe.
pub(super) fn plan(
    doc: &Automerge,
    acknowledged: &[ChangeHash],
    me: Option<&Author>,
    note: bool,
) -> Plan {
    let known: BTreeSet<ChangeHash> = acknowledged
        .iter()
        .filter(|head| doc.get_change_meta_by_hash(head).is_some())
        .copied()
        .collect();
    let to: Vec<ChangeHash> = known.into_iter().collect();
    let dropped: HashSet<ChangeHash> = doc.get_changes(&to).iter().map(|c| c.hash()).collect();
    if dropped.is_empty() {
        return Plan::InSync;
    }
    let copy = note && {
        let me = me.map(Author::to_string);
        history(doc)
            .iter()
            .filter(|entry| dropped.contains(&entry.hash))
            .any(|entry| !signed_by_someone_else(&entry.author, me.as_deref()))
    };
    if to.is_empty() {
        Plan::Remove { copy }
    } else {
        Plan::SetBack { to, copy }
    }
}

/// Whether history names someone other than `me` for a change. History shows a change nobody
/// put a name to as "unknown (1a2b3c4d)".
fn signed_by_someone_else(author: &str, me: Option<&str>) -> bool {
    me.is_some_and(|me| author != me && !author.starts_with("unknown ("))
}

/// Why the relay will not take this participant's edits in `group`, as they are told.
pub(super) fn reason(group: &Group) -> String {
    let title = if group.title.trim().is_empty() {
        &group.slug
    } else {
        &group.title
    };
    format!("you are a reader in «{title}»")
}

/// A document of the group that was set back.
#[derive(Debug, Clone)]
pub(super) struct SetBack {
    pub doc: DocumentId,
    /// Still on this computer (set back), or removed (the relay never had it).
    pub held: bool,
    pub copy: Option<KeptCopy>,
}

/// Sets back every document of the session's group that holds changes the relay never
/// acknowledged, keeping notes with edits of this participant (`author`) as personal copies
/// first. Only documents written since the last complete sync can hold such changes. The store
/// alone changes here: the caller tells the hub ([`Session::set_back`]).
pub(super) fn set_back_refused(
    session: &mut Session,
    author: Option<&Author>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SetBack>, ClientError> {
    let group = session.group.clone();
    let written: BTreeSet<String> =
        docs::chunks_since(&session.conn, &group.slug, group.synced_chunk)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
    let mut done = Vec::new();
    for id in written {
        let Ok(doc) = id.parse::<DocumentId>() else {
            continue;
        };
        // A damaged note is sent back whole by the relay first (see `Session::load`).
        if docs::is_awaiting_recovery(&session.conn, &group.slug, &id)? {
            continue;
        }
        let automerge = match docs::load(&session.conn, &group.slug, &id) {
            Ok(Some(automerge)) => automerge,
            Ok(None) | Err(StoreError::CorruptDocument { .. }) => continue,
            Err(other) => return Err(other.into()),
        };
        let states = docs::sync_states(&session.conn, &group.slug, &id)?;
        let acknowledged: Vec<ChangeHash> = states
            .iter()
            .flat_map(|(_, state)| state.shared_heads.iter().copied())
            .collect();
        let note = matches!(doc_kind(&automerge), DocKind::Note);
        let (to, copy) = match plan(&automerge, &acknowledged, author, note) {
            Plan::InSync => continue,
            Plan::SetBack { to, copy } => (to, copy),
            Plan::Remove { copy } => (Vec::new(), copy),
        };
        let undo = Undo {
            doc,
            automerge: &automerge,
            states: &states,
            note,
        };
        done.push(undo.carry_out(session, &to, copy, author, reason, now)?);
    }
    Ok(done)
}

/// One document to set back, as loaded.
struct Undo<'a> {
    doc: DocumentId,
    automerge: &'a Automerge,
    states: &'a [(String, automerge::sync::State)],
    note: bool,
}

impl Undo<'_> {
    /// The personal copy (when `copy`), then the group's note set back to `to` (or removed,
    /// when that is empty), in one transaction.
    fn carry_out(
        &self,
        session: &mut Session,
        to: &[ChangeHash],
        copy: bool,
        author: Option<&Author>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<SetBack, ClientError> {
        // A fork fails only for heads the document lacks, and `plan` keeps only those it has;
        // were it to fail, removing the note is still safe: the copy is in this transaction,
        // and the relay sends back what it holds.
        let back = (!to.is_empty())
            .then(|| self.automerge.fork_at(to).ok())
            .flatten();
        let (ns, id) = (session.group.slug.clone(), self.doc.to_string());
        let tx = begin_write(&mut session.conn)?;
        let first = docs::latest_chunk_id(&tx)?;
        let copy = if copy {
            // Nobody signs here yet: signed as the page signs for someone it does not know.
            let unknown = Author::new("?", "?");
            let signer = author.unwrap_or(&unknown);
            let kept = kept::keep_copy(&tx, signer, &ns, &id, self.automerge, reason, now)?;
            Some(kept)
        } else {
            None
        };
        docs::delete(&tx, &ns, &id)?;
        match &back {
            Some(back) => {
                docs::put_snapshot(&tx, &ns, &id, &back.save())?;
                for (peer, state) in self.states {
                    docs::put_sync_state(&tx, &ns, &id, peer, state)?;
                }
                if self.note {
                    reindex(&tx, &ns, &id, back)?;
                }
            }
            None => index::remove(&tx, &ns, &id)?,
        }
        let last = docs::latest_chunk_id(&tx)?;
        tx.commit()?;
        // Written by the sync, not an edit to pick up.
        session.wrote_chunks(first, last);
        Ok(SetBack {
            doc: self.doc,
            held: back.is_some(),
            copy,
        })
    }
}

#[cfg(test)]
mod tests {
    use automerge::ActorId;
    use quaderno_model::{NewNote, NoteEdit, create_note, edit_note};

    use super::*;

    fn elena() -> Author {
        Author::new("Elena", "Ravenna")
    }

    fn rita() -> Author {
        Author::new("Rita", "Prato")
    }

    /// A note by Elena that the relay acknowledged, and its heads.
    fn acknowledged_note() -> (Automerge, Vec<ChangeHash>) {
        let new = NewNote {
            title: "Verbale".into(),
            body: "Presenti: 9".into(),
            ..NewNote::default()
        };
        let mut doc = create_note(&new, &elena(), Utc::now()).unwrap();
        doc.set_actor(ActorId::random());
        let heads = doc.get_heads();
        (doc, heads)
    }

    fn edit(doc: &mut Automerge, who: &Author, body: &str) {
        doc.set_actor(ActorId::random());
        let edit = NoteEdit {
            body: Some(body.into()),
            ..NoteEdit::default()
        };
        edit_note(doc, &edit, who, Utc::now()).unwrap();
    }

    #[test]
    fn a_note_the_relay_acknowledged_whole_stays_as_it_is() {
        let (doc, heads) = acknowledged_note();
        assert_eq!(plan(&doc, &heads, Some(&rita()), true), Plan::InSync);
    }

    #[test]
    fn own_edits_past_what_the_relay_acknowledged_are_copied_and_set_back() {
        let (mut doc, heads) = acknowledged_note();
        edit(&mut doc, &rita(), "Presenti: 9\nRiga di Rita");
        assert_eq!(
            plan(&doc, &heads, Some(&rita()), true),
            Plan::SetBack {
                to: heads,
                copy: true
            }
        );
    }

    #[test]
    fn edits_of_others_the_relay_sent_are_set_back_without_a_copy() {
        let (mut doc, heads) = acknowledged_note();
        edit(&mut doc, &elena(), "Presenti: 10");
        assert!(matches!(
            plan(&doc, &heads, Some(&rita()), true),
            Plan::SetBack { copy: false, .. }
        ));
    }

    #[test]
    fn with_nobody_signing_here_every_edit_is_kept() {
        let (mut doc, heads) = acknowledged_note();
        edit(&mut doc, &elena(), "Presenti: 10");
        assert!(matches!(
            plan(&doc, &heads, None, true),
            Plan::SetBack { copy: true, .. }
        ));
    }

    #[test]
    fn a_note_the_relay_never_acknowledged_is_copied_and_removed() {
        let (mut doc, _) = acknowledged_note();
        edit(&mut doc, &rita(), "scritta offline");
        assert_eq!(
            plan(&doc, &[], Some(&rita()), true),
            Plan::Remove { copy: true }
        );
    }

    #[test]
    fn a_document_that_is_no_note_is_set_back_and_never_copied() {
        let (mut doc, heads) = acknowledged_note();
        edit(&mut doc, &rita(), "indice");
        assert!(matches!(
            plan(&doc, &heads, Some(&rita()), false),
            Plan::SetBack { copy: false, .. }
        ));
    }

    #[test]
    fn acknowledged_heads_this_copy_lacks_are_left_out() {
        let (mut doc, heads) = acknowledged_note();
        let mut elsewhere = doc.fork();
        edit(&mut elsewhere, &elena(), "altrove");
        edit(&mut doc, &rita(), "qui");
        let mut acknowledged = heads.clone();
        acknowledged.extend(elsewhere.get_heads());
        assert_eq!(
            plan(&doc, &acknowledged, Some(&rita()), true),
            Plan::SetBack {
                to: heads,
                copy: true
            }
        );
    }

    #[test]
    fn the_reason_names_the_group_by_its_title() {
        let group = Group {
            slug: "hf".into(),
            relay_url: String::new(),
            title: "Housing First".into(),
            role: "reader".into(),
            index_doc: DocumentId::random(),
            last_seq: 0,
            synced_chunk: 0,
            last_complete_sync: None,
            refused: None,
            relay_epoch: None,
        };
        assert_eq!(reason(&group), "you are a reader in «Housing First»");
    }
}
