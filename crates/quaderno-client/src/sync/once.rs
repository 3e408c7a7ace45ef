//! `quaderno sync`: one pass over every joined group, returning once both sides hold each
//! other's changes.
//!
//! Only what changed is synced: the relay says which documents changed since the last complete
//! sync (`/v1/groups/{group}/changes`), the store says which documents got chunks from someone
//! other than the sync itself. Nothing changed on either side: one HTTP call, no WebSocket.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use automerge::ActorId;
use chrono::Utc;
use futures_util::{FutureExt, StreamExt};
use quaderno_model::{Author, DocumentId, add_to_index, index_entries};
use quaderno_store::index::{self, ListFilter};
use quaderno_store::rusqlite::Connection;
use quaderno_store::{begin_write, docs};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::connect::connect;
use super::session::{Progress, Session};
use super::{GroupOutcome, GroupReport, SyncProgress, SyncReport};
use crate::ClientError;
use crate::groups::{self, Group};
use crate::notebook::{Notebook, STORE_FILE};
use crate::relays::{ChangesSince, RelayAccount, RelayApi, Relays};

/// A relay that sends nothing for this long in the middle of a sync has stalled.
const STALL: Duration = Duration::from_secs(30);
/// A plain relay says nothing when it already holds what we sent (the JavaScript reference
/// keeps each peer's full sync state across reconnects): after this much silence, the
/// documents still waiting are in sync.
const PLAIN_QUIET: Duration = Duration::from_secs(2);

/// Syncs every joined group once. A group whose relay cannot be reached or refuses this device
/// is reported as such; the others go on.
pub async fn sync_once(
    data_dir: &Path,
    progress: &(dyn Fn(SyncProgress) + Sync),
) -> Result<SyncReport, ClientError> {
    let notebook = Notebook::open(data_dir)?;
    let author = notebook.identity().cloned();
    drop(notebook);
    let store = data_dir.join(STORE_FILE);
    let conn = quaderno_store::open_connection(&store)?;
    groups::ensure_schema(&conn)?;
    let joined = groups::all(&conn)?;
    if joined.is_empty() {
        return Err(ClientError::NotJoined);
    }
    let accounts = Relays::load(data_dir)?;
    let mut report = SyncReport::default();
    for group in joined {
        let started = std::time::Instant::now();
        let mut group_report = GroupReport::new(&group);
        let outcome = match accounts.get(&group.relay_url) {
            _ if group.refused.is_some() => Err(ClientError::Refused {
                group: group.slug.clone(),
                reason: group.refused.clone().unwrap_or_default(),
            }),
            None => Err(ClientError::Config {
                path: data_dir.join(crate::relays::RELAYS_FILE),
                message: format!(
                    "no token for {}; run `quaderno join` again",
                    group.relay_url
                ),
            }),
            Some(account) => {
                let conn = quaderno_store::open_connection(&store)?;
                sync_group(
                    conn,
                    account,
                    &group,
                    author.as_ref(),
                    &mut group_report,
                    progress,
                )
                .await
            }
        };
        if let Err(ClientError::Refused { reason, .. }) = &outcome {
            groups::set_refused(&conn, &group.slug, reason)?;
        }
        group_report.outcome = GroupOutcome::from(outcome);
        group_report.seconds = started.elapsed().as_secs_f64();
        report.groups.push(group_report);
    }
    Ok(report)
}

async fn sync_group(
    conn: Connection,
    account: &RelayAccount,
    group: &Group,
    author: Option<&Author>,
    report: &mut GroupReport,
    progress: &(dyn Fn(SyncProgress) + Sync),
) -> Result<(), ClientError> {
    let plain = plain_relay_changes(&conn, account, group)?;
    let changed = remote_changes(plain, account, group).await?;
    report.messages += usize::from(!account.plain);
    let start_chunk = docs::latest_chunk_id(&conn)?;
    let to_sync = initial_docs(&conn, group, &changed.docs)?;
    if to_sync.is_empty() {
        groups::set_synced(&conn, &group.slug, changed.latest, start_chunk, Utc::now())?;
        return Ok(());
    }

    let socket = connect(account, &group.slug).await?;
    let (sink, mut stream) = socket.split();
    let mut session = Session::new(
        group.clone(),
        conn,
        Some(account),
        ActorId::random(),
        start_chunk,
    );
    session.connected(sink).await?;
    session.share(to_sync).await?;
    settle(&mut session, &mut stream, report, progress).await?;
    // Notes the index lists that this machine has never seen, until there are none.
    loop {
        let missing = session.listed_but_missing()?;
        if missing.is_empty() {
            break;
        }
        session.share(missing).await?;
        settle(&mut session, &mut stream, report, progress).await?;
    }
    // Notes written here for this group that its index does not list yet.
    if let Some(author) = author
        && group.can_write()
    {
        let newly_listed = list_in_index(&mut session, author).await?;
        if !newly_listed.is_empty() {
            session.share(newly_listed).await?;
            settle(&mut session, &mut stream, report, progress).await?;
        }
    }
    session.compact()?;
    session.close().await?;
    report.record(&session);
    let end = synced_upto(&session, start_chunk)?;
    groups::set_synced(&session.conn, &group.slug, changed.latest, end, Utc::now())?;
    Ok(())
}

/// Reads frames until every shared document settled.
async fn settle(
    session: &mut Session,
    stream: &mut futures_util::stream::SplitStream<super::connect::Socket>,
    report: &mut GroupReport,
    progress: &(dyn Fn(SyncProgress) + Sync),
) -> Result<(), ClientError> {
    let url = session.group.relay_url.clone();
    let quiet = if session.plain { PLAIN_QUIET } else { STALL };
    // Only protocol messages count as the relay making progress (pings do not).
    let mut deadline = tokio::time::Instant::now() + quiet;
    while !session.settled() || !session.joined {
        let next = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(next) => next,
            Err(_) if session.plain && session.joined => {
                session.assume_in_sync();
                break;
            }
            Err(_) => return Err(ClientError::Stalled { url: url.clone() }),
        };
        if matches!(next, Some(Ok(WsMessage::Binary(_)))) {
            deadline = tokio::time::Instant::now() + quiet;
        }
        match next {
            Some(Ok(WsMessage::Binary(bytes))) => {
                let mut frames = vec![bytes.to_vec()];
                let mut after = None;
                // What else has already arrived goes into the same turn.
                while frames.len() < BATCH_FRAMES {
                    match stream.next().now_or_never() {
                        Some(Some(Ok(WsMessage::Binary(more)))) => frames.push(more.to_vec()),
                        Some(other) => {
                            after = Some(other);
                            break;
                        }
                        None => break,
                    }
                }
                report.messages += frames.len();
                session.frames(frames).await?;
                if let Some(other) = after {
                    ended(other, &url)?;
                }
                let done = session
                    .progress
                    .values()
                    .filter(|p| **p != Progress::Waiting)
                    .count();
                progress(SyncProgress {
                    group: session.group.slug.clone(),
                    done,
                    total: session.progress.len(),
                });
            }
            other => ended(other, &url)?,
        }
    }
    Ok(())
}

/// Most frames handled in one turn of a one-shot sync.
const BATCH_FRAMES: usize = 64;

/// What a frame other than a protocol message means: the end of the connection, or nothing.
fn ended(
    next: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
    url: &str,
) -> Result<(), ClientError> {
    match next {
        Some(Ok(WsMessage::Close(_))) | None => Err(ClientError::Unreachable {
            url: url.to_owned(),
            reason: "the relay closed the connection".into(),
        }),
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(ClientError::Unreachable {
            url: url.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// What changed on the relay since the last complete sync: its change feed, or, for a plain
/// relay (which has none), the group's index and every note it lists.
pub(super) async fn remote_changes(
    plain: Option<ChangesSince>,
    account: &RelayAccount,
    group: &Group,
) -> Result<ChangesSince, ClientError> {
    match plain {
        Some(changes) => Ok(changes),
        None => RelayApi::new(&account.url)
            .changes(&account.token, &group.slug, group.last_seq)
            .await
            .map_err(|e| ClientError::from_api(e, &group.slug)),
    }
}

/// For a plain relay, what [`remote_changes`] returns (read from the store, before any await).
pub(super) fn plain_relay_changes(
    conn: &Connection,
    account: &RelayAccount,
    group: &Group,
) -> Result<Option<ChangesSince>, ClientError> {
    if !account.plain {
        return Ok(None);
    }
    let mut docs = vec![group.index_doc];
    if let Some(index) = docs::load(conn, &group.slug, &group.index_doc.to_string())? {
        docs.extend(index_entries(&index).unwrap_or_default());
    }
    Ok(Some(ChangesSince { docs, latest: 0 }))
}

/// What a session starts by syncing: what the relay says changed, what changed here since the
/// last complete sync, and the index when it is new or local notes are missing from it.
pub(super) fn initial_docs(
    conn: &Connection,
    group: &Group,
    remote: &[DocumentId],
) -> Result<BTreeSet<DocumentId>, ClientError> {
    let mut to_sync: BTreeSet<DocumentId> = remote.iter().copied().collect();
    to_sync.extend(locally_changed(conn, &group.slug, group.synced_chunk)?);
    // Damaged here, with what was set aside still to get back from the relay.
    let damaged = docs::awaiting_recovery(conn, &group.slug)?;
    to_sync.extend(
        damaged
            .iter()
            .filter_map(|id| id.parse::<DocumentId>().ok()),
    );
    let unlisted = group.can_write() && !unlisted_notes(conn, group)?.is_empty();
    if group.last_complete_sync.is_none() || unlisted {
        to_sync.insert(group.index_doc);
    }
    Ok(to_sync)
}

/// Documents of the group with chunks written after `after`: local edits (and, before the
/// first sync ended, everything).
fn locally_changed(
    conn: &Connection,
    group: &str,
    after: i64,
) -> Result<BTreeSet<DocumentId>, ClientError> {
    Ok(docs::chunks_since(conn, group, after)?
        .into_iter()
        .filter_map(|(id, _)| id.parse().ok())
        .collect())
}

/// Notes of the group on this machine that the local copy of its index does not list.
fn unlisted_notes(conn: &Connection, group: &Group) -> Result<Vec<DocumentId>, ClientError> {
    let Some(index_doc) = docs::load(conn, &group.slug, &group.index_doc.to_string())? else {
        return notes_of(conn, &group.slug);
    };
    let listed: BTreeSet<DocumentId> = index_entries(&index_doc)
        .unwrap_or_default()
        .into_iter()
        .collect();
    Ok(notes_of(conn, &group.slug)?
        .into_iter()
        .filter(|note| !listed.contains(note))
        .collect())
}

fn notes_of(conn: &Connection, group: &str) -> Result<Vec<DocumentId>, ClientError> {
    let filter = ListFilter {
        group: Some(group.to_string()),
        include_deleted: true,
        ..ListFilter::default()
    };
    Ok(index::list(conn, &filter)?
        .into_iter()
        .filter_map(|note| note.id.parse().ok())
        .collect())
}

/// Adds the group's unlisted local notes to its index (a local edit of the index document).
pub(super) async fn list_in_index(
    session: &mut Session,
    author: &Author,
) -> Result<Vec<DocumentId>, ClientError> {
    let Some((listed, changes)) = write_index_entries(session, author)? else {
        return Ok(Vec::new());
    };
    session
        .local_changes(session.group.index_doc, changes)
        .await?;
    Ok(listed)
}

/// Notes newly listed in the index, and the change that listed them.
type Listed = (Vec<DocumentId>, Vec<u8>);

/// Writes the entries in one transaction; returns the notes listed and the change.
fn write_index_entries(
    session: &mut Session,
    author: &Author,
) -> Result<Option<Listed>, ClientError> {
    let group = session.group.clone();
    let unlisted = unlisted_notes(&session.conn, &group)?;
    if unlisted.is_empty() {
        return Ok(None);
    }
    let index_id = group.index_doc.to_string();
    let tx = begin_write(&mut session.conn)?;
    let Some(mut index_doc) = docs::load(&tx, &group.slug, &index_id)? else {
        return Ok(None);
    };
    index_doc.set_actor(ActorId::random());
    let before = index_doc.get_heads();
    let now = Utc::now();
    for note in &unlisted {
        add_to_index(&mut index_doc, note, author, now)
            .map_err(crate::notebook::NotebookError::from)?;
    }
    let changes = index_doc.save_after(&before);
    let first = docs::latest_chunk_id(&tx)?;
    docs::append_changes(&tx, &group.slug, &index_id, &changes)?;
    let last = docs::latest_chunk_id(&tx)?;
    tx.commit()?;
    // Written by the sync and pushed before it ends: not a local edit left to sync.
    session.wrote_chunks(first, last);
    Ok(Some((unlisted, changes)))
}

/// How far the store is known to the relay: up to the latest chunk if everything written
/// during the session was written by the session itself, else where the session started.
pub(super) fn synced_upto(session: &Session, start_chunk: i64) -> Result<i64, ClientError> {
    let written = docs::chunks_since(&session.conn, &session.group.slug, start_chunk)?;
    let latest = docs::latest_chunk_id(&session.conn)?;
    let all_ours = written.iter().all(|(_, chunk)| session.wrote(*chunk));
    Ok(if all_ours && session.all_in_sync() {
        latest
    } else {
        start_chunk
    })
}
