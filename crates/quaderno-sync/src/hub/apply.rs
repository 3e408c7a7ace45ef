//! Applying a turn's sync messages, one batch per document, and answering.
//!
//! `automerge::sync` applies the changes of each received message on its own, and applying
//! changes to a text costs time proportional to the text's length however few the changes are.
//! So the changes of every message waiting for a document are decoded, applied in one call,
//! and only then is each message received with its changes stripped. Stripping changes the
//! bookkeeping of `receive_sync_message` in one place only: a message that carried changes
//! must not mark our heads as already sent, or the sender would never get its acknowledgement.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

use automerge::sync::{self, ChunkList, SyncDoc};
use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};
use quaderno_model::DocumentId;

use super::authors::{Authors, Refusal};
use super::limits::{Admission, Limits, NoteSize};
use super::{ConnId, DeviceId, Event, Hub, Output, Owner, Side, Write};
use crate::changes;
use crate::measure::{self, Measure, MeasureError};
use crate::wire::Message;

/// A `sync` or `request` message waiting to be applied.
#[derive(Debug)]
pub(super) struct Incoming {
    pub(super) conn: ConnId,
    /// Sent as `request`: the peer does not have the document.
    pub(super) request: bool,
    pub(super) message: sync::Message,
}

/// What one turn does to each document, in the order documents were first touched.
#[derive(Debug, Default)]
pub(super) struct Batch {
    order: Vec<DocumentId>,
    docs: HashMap<DocumentId, DocWork>,
}

#[derive(Debug, Default)]
struct DocWork {
    incoming: Vec<Incoming>,
    /// Connections that should hear from us even if nothing changed (client shares).
    announce: Vec<ConnId>,
    /// Change chunks already stored by someone else.
    local: Vec<Vec<u8>>,
}

impl Batch {
    fn work(&mut self, doc: DocumentId) -> &mut DocWork {
        if !self.docs.contains_key(&doc) {
            self.order.push(doc);
        }
        self.docs.entry(doc).or_default()
    }

    pub(super) fn incoming(&mut self, doc: DocumentId, incoming: Incoming) {
        self.work(doc).incoming.push(incoming);
    }

    pub(super) fn announce(&mut self, doc: DocumentId, conn: ConnId) {
        self.work(doc).announce.push(conn);
    }

    pub(super) fn local(&mut self, doc: DocumentId, changes: Vec<u8>) {
        self.work(doc).local.push(changes);
    }
}

/// A received message, its changes already taken out.
struct Received {
    conn: ConnId,
    had_changes: bool,
    /// What each whole document it carried holds, in order (measured when limits are set).
    documents: Vec<Measure>,
    message: sync::Message,
}

impl Hub {
    pub(super) fn apply(&mut self, now: Instant, mut batch: Batch, out: &mut Output) {
        let mut preloaded = self.preload_new_documents(&batch);
        for doc in std::mem::take(&mut batch.order) {
            if let Some(work) = batch.docs.remove(&doc) {
                let preloaded = preloaded.remove(&doc);
                self.apply_doc(now, doc, work, preloaded, out);
            }
        }
    }

    /// Documents new here that arrive whole (a client's first pull) are loaded on every core at
    /// once: loading is most of what pulling a group costs, and each load stands alone. Only
    /// when a turn brings at least two; [`load_whole`] takes a result only for the very bytes it
    /// was loaded from.
    fn preload_new_documents(&self, batch: &Batch) -> HashMap<DocumentId, Preloaded> {
        let wanted: Vec<(DocumentId, &[u8])> = batch
            .order
            .iter()
            .filter(|doc| {
                self.docs
                    .get(doc)
                    .and_then(|slot| slot.doc.as_ref())
                    .is_some_and(|d| d.get_heads().is_empty())
            })
            .filter_map(|doc| {
                let first = batch.docs.get(doc)?.incoming.first()?;
                let writable = self
                    .conns
                    .get(&first.conn)
                    .is_some_and(|c| !c.policy.read_only);
                let chunk = writable.then(|| changes::first_document(&first.message.changes))??;
                Some((*doc, chunk))
            })
            .collect();
        if wanted.len() < 2 {
            return HashMap::new();
        }
        let threads = cores();
        if threads < 2 {
            return HashMap::new();
        }
        let per_thread = wanted.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let loading: Vec<_> = wanted
                .chunks(per_thread)
                .map(|some| {
                    scope.spawn(move || {
                        some.iter()
                            .map(|(doc, chunk)| {
                                let loaded = Automerge::load(chunk).ok();
                                (
                                    *doc,
                                    Preloaded {
                                        chunk: chunk.to_vec(),
                                        loaded,
                                    },
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            loading
                .into_iter()
                .filter_map(|handle| handle.join().ok())
                .flatten()
                .collect()
        })
    }

    fn apply_doc(
        &mut self,
        now: Instant,
        doc: DocumentId,
        work: DocWork,
        preloaded: Option<Preloaded>,
        out: &mut Output,
    ) {
        let mut received = Vec::with_capacity(work.incoming.len());
        let mut changes_by_conn: Vec<(ConnId, Vec<Change>)> = Vec::new();
        let mut documents: Vec<(ConnId, Vec<u8>)> = Vec::new();
        for incoming in work.incoming {
            if let Some((r, payload)) = self.take_changes(doc, incoming, out) {
                if !payload.changes.is_empty() {
                    changes_by_conn.push((r.conn, payload.changes));
                }
                documents.extend(payload.documents.into_iter().map(|d| (r.conn, d)));
                received.push(r);
            }
        }
        let local = local_changes(&work.local);
        let locals: Vec<ConnId> = received
            .iter()
            .map(|r| r.conn)
            .filter(|conn| self.is_local(*conn))
            .collect();
        let checked = self.config.check.filter(|_| !locals.is_empty());
        let Some(slot) = self.docs.get_mut(&doc) else {
            return;
        };
        let Some(automerge) = slot.doc.as_mut() else {
            return;
        };
        slot.last_active = now;
        let before = automerge.get_heads();
        let mut failed = Vec::new();
        let mut vetting = Vetting::default();
        let (authors, conns) = (&self.authors, &self.conns);
        let device_of = |conn: ConnId| conns.get(&conn).and_then(|c| c.policy.device);
        let limits = self.config.limits;
        let mut over_limit: Vec<(ConnId, String)> = Vec::new();
        let mut admitted = None;
        if !limits.is_none() && (!documents.is_empty() || !changes_by_conn.is_empty()) {
            let participant_of = |conn: ConnId| conns.get(&conn).and_then(|c| c.policy.participant);
            let now_holds = Measure {
                ops: automerge.stats().num_ops,
                bytes: NoteSize::bytes(&mut slot.size, automerge),
            };
            let mut admission =
                Admission::new(limits, &self.usage, doc, now_holds, before.is_empty());
            let too_many = |ops: u64| {
                format!(
                    "{ops} new operations in one change to note {doc} are more than this relay \
                     applies at once (at most {}); send them in several changes",
                    limits.change_ops
                )
            };
            for (conn, changes) in &changes_by_conn {
                let largest = changes.iter().map(|c| c.len() as u64).max().unwrap_or(0);
                if largest > limits.change_ops {
                    over_limit.push((*conn, too_many(largest)));
                }
            }
            // Only the first whole document of a note new here is loaded; any other is
            // applied change by change, as changes are, and is bounded as one change is.
            let mut loading = before.is_empty();
            let sizes = received
                .iter()
                .flat_map(|r| r.documents.iter().map(|m| (r.conn, *m)));
            for (conn, whole) in sizes {
                if over_limit.iter().any(|(c, _)| *c == conn) {
                    continue;
                }
                let adds = document_adds(whole, admission.holds());
                if !loading && adds.ops > limits.change_ops {
                    over_limit.push((conn, too_many(adds.ops)));
                    continue;
                }
                match admission.admit(conn, participant_of(conn), adds) {
                    Ok(()) => loading = false,
                    Err(reason) => over_limit.push((conn, reason)),
                }
            }
            for (conn, changes) in &changes_by_conn {
                if over_limit.iter().any(|(c, _)| c == conn) {
                    continue;
                }
                let adds = changes_adds(automerge, changes);
                if let Err(reason) = admission.admit(*conn, participant_of(*conn), adds) {
                    over_limit.push((*conn, reason));
                }
            }
            documents.retain(|(conn, _)| !over_limit.iter().any(|(c, _)| c == conn));
            changes_by_conn.retain(|(conn, _)| !over_limit.iter().any(|(c, _)| c == conn));
            admitted = Some((admission.note_bytes(), admission.charges));
        }
        let whole = load_whole(
            automerge,
            &mut documents,
            preloaded,
            &mut failed,
            |conn, loaded| {
                let Some(device) = device_of(conn) else {
                    return true;
                };
                let history = loaded.get_changes_meta(&[]);
                let actors = history.iter().map(|m| (&*m.actor, m.seq));
                // Nothing of the document was here before: no earlier change is held.
                vetting.judge(authors, conn, device, actors, |_| false, Kept::Always)
            },
        );
        let loaded = automerge.get_heads();
        for (conn, chunk) in documents {
            match changes::document_changes(&chunk) {
                Ok(changes) => changes_by_conn.push((conn, changes)),
                Err(_) => failed.push(conn),
            }
        }
        for (conn, changes) in &changes_by_conn {
            let Some(device) = device_of(*conn).filter(|_| !vetting.refuses(*conn)) else {
                continue;
            };
            // What the document holds already is a copy, whoever offers it.
            let new = changes
                .iter()
                .filter(|c| automerge.get_change_meta_by_hash(&c.hash()).is_none())
                .map(|c| (c.actor_id(), c.seq()));
            let holds = |actor: &ActorId| {
                automerge
                    .get_changes_meta(&[])
                    .iter()
                    .any(|meta| *meta.actor == *actor)
            };
            vetting.judge(authors, *conn, device, new, holds, Kept::IfApplied);
        }
        changes_by_conn.retain(|(conn, _)| !vetting.refuses(*conn));
        let mut refused = Vec::new();
        let applying = !local.is_empty() || !changes_by_conn.is_empty();
        for (conn, reason) in apply_changes(automerge, local, changes_by_conn, checked, &locals) {
            match reason {
                Some(reason) => refused.push((conn, reason)),
                // A page stays connected: it starts over from the hub's copy.
                None if locals.contains(&conn) => {
                    refused.push((conn, "the changes cannot be applied".to_string()))
                }
                None => failed.push(conn),
            }
        }
        let after = automerge.get_heads();
        let changed = before != after;
        let remote = received.iter().any(|r| r.had_changes);
        let mut touched = Vec::with_capacity(received.len());
        if applying && after != loaded {
            self.applies += 1;
        }
        for r in received {
            if failed.contains(&r.conn)
                || refused.iter().any(|(c, _)| *c == r.conn)
                || vetting.refuses(r.conn)
                || over_limit.iter().any(|(c, _)| *c == r.conn)
            {
                continue;
            }
            if let Some(state) = slot.peers.get_mut(&r.conn) {
                receive(automerge, state, r.message, changed);
                touched.push(r.conn);
            }
        }
        if changed && remote {
            out.writes.push(if before.is_empty() {
                // New here: stored whole, as received when nothing else came with it.
                let bytes = whole
                    .filter(|_| after == loaded)
                    .unwrap_or_else(|| automerge.save());
                Write::Snapshot { doc, bytes }
            } else {
                Write::Changes {
                    doc,
                    bytes: automerge.save_after(&before),
                }
            });
            out.events.push(Event::DocChanged { doc, heads: after });
        }
        let applied =
            |conn: &ConnId| !failed.contains(conn) && !refused.iter().any(|(c, _)| c == conn);
        for (actor, owner) in vetting.bindings(applied) {
            out.authors.extend(self.authors.bind(actor, owner));
        }
        if let Some((note_bytes, charges)) = admitted
            && changed
        {
            if let Some(automerge) = self.docs.get_mut(&doc).and_then(|s| {
                let size = &mut s.size;
                s.doc.as_ref().map(|d| (d, size))
            }) {
                let (automerge, size) = automerge;
                NoteSize::set(size, automerge, note_bytes);
            }
            for (conn, charge) in charges {
                if applied(&conn) && !vetting.refuses(conn) {
                    self.usage.add(&charge);
                    out.charges.push(charge);
                }
            }
        }
        for (conn, reason) in over_limit {
            self.reject(conn, &reason, out);
        }
        for (conn, refusal) in vetting.refused {
            self.reject(conn, &refusal.reason(), out);
        }
        for conn in failed {
            self.reject(
                conn,
                "the sync message holds changes that cannot be applied",
                out,
            );
        }
        for (conn, reason) in refused {
            self.refuse(conn, doc, &reason, out);
        }
        if changed {
            self.attach_holders(doc);
        }
        let mut targets: Vec<ConnId> = match self.docs.get(&doc) {
            Some(slot) if changed => slot.peers.keys().copied().collect(),
            _ => touched.iter().copied().chain(work.announce).collect(),
        };
        targets.sort_unstable();
        targets.dedup();
        self.answer(doc, &targets, &touched, out);
    }

    /// Attaches the sender and decodes its changes; a bad message rejects the connection.
    fn take_changes(
        &mut self,
        doc: DocumentId,
        incoming: Incoming,
        out: &mut Output,
    ) -> Option<(Received, changes::Payload)> {
        let Incoming {
            conn, mut message, ..
        } = incoming;
        if !self.attach(conn, doc) {
            return None;
        }
        let read_only = self.conns.get(&conn).is_none_or(|c| c.policy.read_only);
        let chunks = std::mem::replace(&mut message.changes, ChunkList::empty());
        if read_only && !chunks.is_empty() && self.is_local(conn) {
            // A remote reader's changes are dropped in silence, as the protocol has no word
            // for it; a local peer is told, so that it does not keep what is not shared.
            self.refuse(
                conn,
                doc,
                "this participant may only read this group's notes",
                out,
            );
            return None;
        }
        let had_changes = !chunks.is_empty() && !read_only;
        let documents = if had_changes {
            match within_limits(&self.config.limits, doc, &chunks) {
                Ok(documents) => documents,
                Err(reason) => {
                    self.reject(conn, &reason, out);
                    return None;
                }
            }
        } else {
            Vec::new()
        };
        let payload = if had_changes {
            match changes::split(&chunks) {
                Ok(payload) => payload,
                Err(e) => {
                    self.reject(conn, &e.to_string(), out);
                    return None;
                }
            }
        } else {
            changes::Payload::default()
        };
        let received = Received {
            conn,
            had_changes,
            documents,
            message,
        };
        Some((received, payload))
    }

    /// Relay: attaches every connection whose peer holds the document (a sync state is saved
    /// for it under the peer's storage id) but has not synced it on this connection, so that
    /// the change reaches it now. A participant's live sync shares only what changed while it
    /// was away; without this it would never hear of an edit to any other note it holds.
    /// The saved state's heads let the first message carry the new changes at once.
    fn attach_holders(&mut self, doc: DocumentId) {
        if self.config.side != Side::Relay {
            return;
        }
        let Some(slot) = self.docs.get(&doc) else {
            return;
        };
        if slot.saved.is_empty() {
            return;
        }
        let holders: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(conn, state)| {
                !slot.peers.contains_key(conn)
                    && state
                        .storage_key()
                        .is_some_and(|key| slot.saved.contains_key(key))
            })
            .map(|(conn, _)| *conn)
            .collect();
        for conn in holders {
            self.attach(conn, doc);
        }
    }

    /// Generates and sends what each target needs; reports the senders that are in sync.
    fn answer(
        &mut self,
        doc: DocumentId,
        targets: &[ConnId],
        touched: &[ConnId],
        out: &mut Output,
    ) {
        let side = self.config.side;
        let sender = &self.config.peer_id;
        let Some(slot) = self.docs.get_mut(&doc) else {
            return;
        };
        let Some(automerge) = slot.doc.as_ref() else {
            return;
        };
        let heads = automerge.get_heads();
        for conn in targets {
            let (Some(state), Some(target)) = (
                slot.peers.get_mut(conn),
                self.conns.get(conn).and_then(|c| c.peer()),
            ) else {
                continue;
            };
            let Some(message) = automerge.generate_sync_message(state) else {
                tracing::trace!(conn = conn.0, %doc, heads = heads.len(), "nothing to send");
                continue;
            };
            tracing::trace!(
                conn = conn.0,
                %doc,
                heads = message.heads.len(),
                need = message.need.len(),
                have = message.have.len(),
                changes = !message.changes.is_empty(),
                "sync message out"
            );
            if self.conns.get(conn).is_some_and(|c| c.local) {
                out.local.push((*conn, doc, message.encode()));
                continue;
            }
            let (sender, target, document, data) =
                (sender.clone(), target.clone(), doc, message.encode());
            let frame = if side == Side::Client && heads.is_empty() && state.their_heads.is_none() {
                Message::Request {
                    sender,
                    target,
                    document,
                    data,
                }
            } else {
                Message::Sync {
                    sender,
                    target,
                    document,
                    data,
                }
            };
            out.sends.push((*conn, frame.encode_with(&mut self.ids)));
        }
        for conn in touched {
            if let Some(state) = slot.peers.get(conn)
                && state.their_heads.as_deref() == Some(&heads[..])
            {
                out.events.push(Event::InSync {
                    conn: *conn,
                    doc,
                    heads: heads.clone(),
                });
            }
        }
    }
}

impl Hub {
    /// Refuses a local peer's changes to a document: its sync state starts over, and the
    /// caller gives it the document as the hub holds it.
    pub(super) fn refuse(&mut self, conn: ConnId, doc: DocumentId, reason: &str, out: &mut Output) {
        if let Some(state) = self.docs.get_mut(&doc).and_then(|s| s.peers.get_mut(&conn)) {
            *state = sync::State::new();
        }
        out.events.push(Event::Refused {
            conn,
            doc,
            reason: reason.to_string(),
        });
    }
}

/// Checks every chunk a sender offers against the note limits before any is decoded: a
/// chunk whose inflated bytes pass the limit is refused as soon as counting passes it.
/// Returns what each whole document holds, in order.
fn within_limits(
    limits: &Limits,
    doc: DocumentId,
    chunks: &automerge::sync::ChunkList,
) -> Result<Vec<Measure>, String> {
    let mut documents = Vec::new();
    if limits.is_none() {
        return Ok(documents);
    }
    let too_big = || {
        format!(
            "note {doc} is larger than this relay takes: at most {} bytes in one note",
            limits.note_bytes
        )
    };
    let mut total = Measure::default();
    for chunk in changes::chunks(chunks).map_err(|e| e.to_string())? {
        let left = limits.note_bytes.saturating_sub(total.bytes);
        let measured = match measure::measure(chunk, left) {
            Ok(measured) => measured,
            Err(MeasureError::Larger(_)) => return Err(too_big()),
            Err(malformed) => {
                return Err(format!(
                    "the sync message carries a chunk that is not a valid automerge change: {malformed}"
                ));
            }
        };
        if measured.ops > limits.note_ops {
            return Err(format!(
                "note {doc} would hold {} operations; this relay takes at most {} in one note",
                measured.ops, limits.note_ops
            ));
        }
        total = total.plus(measured);
        if changes::is_document(chunk) {
            documents.push(measured);
        }
    }
    Ok(documents)
}

/// What a whole document would add to a note holding `holds` (with what this turn admitted).
/// Peers send the whole document again until they learn what we have, so it is taken as
/// holding the note: what it adds is what it holds beyond. A document of other changes than
/// the note's can therefore take the note to at most twice the limit, once; the next change
/// finds it over and is refused.
fn document_adds(whole: Measure, holds: Measure) -> Measure {
    Measure {
        ops: whole.ops.saturating_sub(holds.ops),
        bytes: whole.bytes.saturating_sub(holds.bytes),
    }
}

/// What changes would add to a note: those it does not hold yet, as each declares.
fn changes_adds(doc: &Automerge, changes: &[Change]) -> Measure {
    changes
        .iter()
        .filter(|c| doc.get_change_meta_by_hash(&c.hash()).is_none())
        .fold(Measure::default(), |sum, c| {
            sum.plus(Measure {
                ops: c.len() as u64,
                bytes: c.raw_bytes().len() as u64,
            })
        })
}

/// Changes already in storage; the caller checked them when it stored them.
fn local_changes(chunks: &[Vec<u8>]) -> Vec<Change> {
    chunks
        .iter()
        .filter_map(|bytes| changes::decode_concatenated(bytes).ok())
        .flatten()
        .collect()
}

/// The cores this process may use, asked once: the answer comes from reading cgroup files,
/// which costs more than applying a small change, and the hub applies one per keystroke.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// A whole document loaded ahead of its turn, with the bytes it was loaded from.
#[derive(Debug)]
struct Preloaded {
    chunk: Vec<u8>,
    loaded: Option<Automerge>,
}

/// A document we have nothing of yet, sent whole: loading the chunk is far cheaper than
/// applying its changes one by one. Returns the chunk, to store as it is.
/// `accept` judges the authors of the loaded document before it takes the place of ours.
fn load_whole(
    doc: &mut Automerge,
    documents: &mut Vec<(ConnId, Vec<u8>)>,
    preloaded: Option<Preloaded>,
    failed: &mut Vec<ConnId>,
    accept: impl FnOnce(ConnId, &Automerge) -> bool,
) -> Option<Vec<u8>> {
    if !doc.get_heads().is_empty() || documents.is_empty() {
        return None;
    }
    let (conn, chunk) = documents.remove(0);
    let loaded = match preloaded {
        Some(pre) if pre.chunk == chunk => pre.loaded.ok_or(()),
        _ => Automerge::load(&chunk).map_err(drop),
    };
    match loaded {
        Ok(mut loaded) => {
            if !accept(conn, &loaded) {
                return None;
            }
            loaded.set_actor(doc.get_actor().clone());
            *doc = loaded;
            Some(chunk)
        }
        Err(_) => {
            failed.push(conn);
            None
        }
    }
}

/// Applies every change in one batch (checked with `check` when local peers sent some). If
/// the batch is refused, applies each sender's changes on its own and returns the senders
/// whose changes were refused: `None` for changes that do not apply, the check's reason for
/// a local peer's changes that failed it.
fn apply_changes(
    doc: &mut Automerge,
    local: Vec<Change>,
    by_conn: Vec<(ConnId, Vec<Change>)>,
    check: Option<super::Check>,
    locals: &[ConnId],
) -> Vec<(ConnId, Option<String>)> {
    let all: Vec<Change> = local
        .iter()
        .cloned()
        .chain(by_conn.iter().flat_map(|(_, c)| c.iter().cloned()))
        .collect();
    if all.is_empty() || apply_or_leave(doc, all, check).is_ok() {
        return Vec::new();
    }
    let _ = apply_or_leave(doc, local, None);
    by_conn
        .into_iter()
        .filter_map(|(conn, changes)| {
            let check = check.filter(|_| locals.contains(&conn));
            apply_or_leave(doc, changes, check)
                .err()
                .map(|reason| (conn, reason))
        })
        .collect()
}

/// Applies changes to a copy of the document, which replaces it only if it took them all and
/// passes `check`; an error leaves the document as it was, with the check's reason if it was
/// the check that failed. automerge 0.12 panics on some malformed changes (found
/// by fuzzing: `fuzz/regressions/relay_frame`) after it started changing the document, which
/// would take the whole group's hub down with a half-changed document. The copy costs about
/// 1% of applying a change to a 50 KB note.
///
/// Some mutated changes are taken in without a panic but leave a change graph on which reading
/// the new changes back panics (`save_after`, as storing them does; also found by fuzzing), so
/// the new changes are read back on the copy before it is kept.
fn apply_or_leave(
    doc: &mut Automerge,
    changes: Vec<Change>,
    check: Option<super::Check>,
) -> Result<(), Option<String>> {
    let mut copy = doc.clone();
    let heads = doc.get_heads();
    let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        copy.apply_changes(changes)?;
        copy.save_after(&heads);
        Ok::<(), automerge::AutomergeError>(())
    }));
    if !matches!(applied, Ok(Ok(()))) {
        return Err(None);
    }
    if let Some(check) = check
        && copy.get_heads() != heads
    {
        check(&copy).map_err(Some)?;
    }
    *doc = copy;
    Ok(())
}

/// Whether an actor's claim stands when its sender's changes do not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kept {
    /// Claimed by a whole document that was loaded: its changes are in ours whatever follows.
    Always,
    /// Claimed by changes that may still fail to apply.
    IfApplied,
}

/// The authors of one turn's changes to one document, judged before they are applied.
#[derive(Debug, Default)]
struct Vetting {
    /// Actors claimed in this turn, so that a second claimant in the same turn is refused.
    pending: HashMap<ActorId, DeviceId>,
    claims: Vec<(ConnId, DeviceId, ActorId, Kept)>,
    /// Actors refused as unvouched for, recorded as owned by nobody.
    unvouched: Vec<ActorId>,
    refused: Vec<(ConnId, Refusal)>,
}

impl Vetting {
    /// Judges one sender's changes; false (and the sender refused) if they are not its own.
    fn judge<'a>(
        &mut self,
        authors: &Authors,
        conn: ConnId,
        device: DeviceId,
        changes: impl IntoIterator<Item = (&'a ActorId, u64)>,
        holds: impl Fn(&ActorId) -> bool,
        kept: Kept,
    ) -> bool {
        match authors.vet(device, &self.pending, changes, holds) {
            Ok(claimed) => {
                for actor in claimed {
                    self.pending.insert(actor.clone(), device);
                    self.claims.push((conn, device, actor, kept));
                }
                true
            }
            Err(refusal) => {
                if let Refusal::Unvouched(actor) = &refusal {
                    self.unvouched.push(actor.clone());
                }
                self.refused.push((conn, refusal));
                false
            }
        }
    }

    fn refuses(&self, conn: ConnId) -> bool {
        self.refused.iter().any(|(c, _)| *c == conn)
    }

    /// The owners to record: claims whose changes are in the document, and the unvouched.
    fn bindings(&self, applied: impl Fn(&ConnId) -> bool) -> Vec<(ActorId, Owner)> {
        let claims = self
            .claims
            .iter()
            .filter(|(conn, _, _, kept)| {
                *kept == Kept::Always || (!self.refuses(*conn) && applied(conn))
            })
            .map(|(_, device, actor, _)| (actor.clone(), Owner::Device(*device)));
        let nobody = self.unvouched.iter().map(|a| (a.clone(), Owner::Nobody));
        claims.chain(nobody).collect()
    }
}

/// `receive_sync_message` for a message whose changes were already applied; see the module
/// docs for why a batch that changed the document keeps our last sent heads.
fn receive(
    doc: &mut Automerge,
    state: &mut sync::State,
    message: sync::Message,
    batch_changed_doc: bool,
) {
    let last_sent: Vec<ChangeHash> = state.last_sent_heads.clone();
    if doc.receive_sync_message(state, message).is_ok() && batch_changed_doc {
        state.last_sent_heads = last_sent;
    }
}
