//! Acting on admin commands run from another process: they record events in the database,
//! and the running relay polls them to close connections and drop purged documents.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::actor::Command;
use super::conns::{Because, ConnHandle, Connections};
use super::groups::Groups;
use crate::accounts::{self, AdminEvent, AdminEventKind};
use crate::db::Db;

/// How often the event log is read for the admin commands of other processes; revocations
/// take effect within this (plus a close). Changes made through the API wake the loop at once.
const POLL: Duration = Duration::from_millis(100);

pub async fn admin_events(
    db: Db,
    groups: Arc<Groups>,
    connections: Arc<Connections>,
    woken: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let mut last = match db
        .call(|conn| Ok(accounts::latest_admin_event(conn)?))
        .await
    {
        Ok(seq) => seq,
        Err(error) => {
            tracing::error!(%error, "cannot read the admin event log; revocations will not close live connections");
            return;
        }
    };
    let mut poll = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            _ = poll.tick() => {}
            () = woken.notified() => {}
            _ = shutdown.cancelled() => return,
        }
        let after = last;
        let events = match db
            .call(move |conn| Ok(accounts::admin_events_after(conn, after)?))
            .await
        {
            Ok(events) => events,
            Err(error) => {
                tracing::warn!(%error, "cannot read the admin event log");
                continue;
            }
        };
        for event in events {
            last = event.seq;
            act(&event, &groups, &connections);
            if let AdminEventKind::NotePurged { group, .. } = &event.kind {
                reload_index(&db, &groups, group).await;
            }
        }
    }
}

/// The purge also removed the note from the group's index document in storage; a running group
/// must read it again rather than keep serving the copy in memory.
async fn reload_index(db: &Db, groups: &Groups, group: &str) {
    let slug = group.to_string();
    match db.call(move |conn| Ok(accounts::group(conn, &slug)?)).await {
        Ok(Some(found)) => groups.send_if_running(
            group,
            Command::Reload {
                doc: found.index_doc,
            },
        ),
        Ok(None) => {}
        Err(error) => tracing::warn!(group, %error, "cannot find the group's index after a purge"),
    }
}

/// What an admin event means for the running relay. A change of access closes the
/// connections it concerns that were authorized before it (those authorized since carry it
/// already); an erasure closes all of the group's, whose clients learn it at their next
/// `/changes`.
fn act(event: &AdminEvent, groups: &Groups, connections: &Connections) {
    let before = |c: &ConnHandle| c.events_seen < event.seq;
    match &event.kind {
        AdminEventKind::DeviceRevoked { device_id } => {
            let closed = connections.close_where(Because::AccessChanged, |c| {
                before(c) && c.device_id == *device_id
            });
            tracing::info!(device = device_id, closed, "device revoked");
        }
        AdminEventKind::MemberRemoved {
            participant_id,
            group,
        } => {
            let closed = connections.close_where(Because::AccessChanged, |c| {
                before(c) && c.participant_id == *participant_id && c.group == *group
            });
            tracing::info!(
                participant = participant_id,
                group,
                closed,
                "member removed"
            );
        }
        AdminEventKind::RoleChanged {
            participant_id,
            group,
            role,
        } => {
            // Reconnecting picks up the new role.
            let closed = connections.close_where(Because::AccessChanged, |c| {
                before(c) && c.participant_id == *participant_id && c.group == *group
            });
            tracing::info!(participant = participant_id, group, %role, closed, "role changed");
        }
        AdminEventKind::NotePurged { group, doc } => {
            groups.send_if_running(group, Command::Forget { doc: *doc });
            // Reconnecting, each device reads the erasure in the change feed and deletes it.
            let closed = connections.close_where(Because::NoteErased, |c| c.group == *group);
            tracing::info!(group, %doc, closed, "document erased");
        }
    }
}
