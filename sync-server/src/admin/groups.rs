//! `group create` and `group list`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AdminError, Output, Report, read, table, when, write};
use crate::accounts::{self, Actor, Group, GroupSlug, GroupSummary};
use crate::db::Db;
use crate::usage::{self, MemberUsage};

#[derive(Serialize)]
struct Created(Group);

impl Output for Created {
    fn human(&self) -> String {
        let g = &self.0;
        format!(
            "Created group {} (\"{}\"), index document {}.\n\
             Next: quaderno-server invite create --group {} --role editor\n",
            g.slug, g.title, g.index_doc, g.slug
        )
    }
}

pub(super) fn create(
    db: &Db,
    slug: &GroupSlug,
    title: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    let group = write(db, |tx| accounts::create_group(tx, slug, title, actor, now))?;
    tracing::info!(group = %group.slug, "created a group");
    Ok(Created(group).report())
}

#[derive(Serialize)]
#[serde(transparent)]
struct Listed(Vec<GroupSummary>);

impl Output for Listed {
    fn human(&self) -> String {
        if self.0.is_empty() {
            return "No groups yet: create one with `quaderno-server group create NAME`.\n".into();
        }
        let rows: Vec<[String; 5]> = self
            .0
            .iter()
            .map(|s| {
                [
                    s.group.slug.clone(),
                    s.members.to_string(),
                    s.documents.to_string(),
                    when(s.group.created_at),
                    s.group.title.clone(),
                ]
            })
            .collect();
        table::render(["GROUP", "MEMBERS", "DOCUMENTS", "CREATED", "TITLE"], &rows)
    }
}

pub(super) fn list(db: &Db) -> Result<Report, AdminError> {
    Ok(Listed(read(db, accounts::list_groups)?).report())
}

#[derive(Serialize)]
struct Renamed(Group);

impl Output for Renamed {
    fn human(&self) -> String {
        format!(
            "{} is now called \"{}\"; members see the new title at their next sync.\n",
            self.0.slug, self.0.title
        )
    }
}

pub(super) fn rename(
    db: &Db,
    slug: &str,
    title: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Report, AdminError> {
    let group = write(db, |tx| accounts::rename_group(tx, slug, title, actor, now))?;
    tracing::info!(group = %group.slug, "renamed a group");
    Ok(Renamed(group).report())
}

#[derive(Serialize)]
struct Usage {
    group: String,
    members: Vec<MemberUsage>,
}

impl Output for Usage {
    fn human(&self) -> String {
        if self.members.is_empty() {
            return format!(
                "Nobody has written in {} since the relay began to keep the account.\n",
                self.group
            );
        }
        let rows: Vec<[String; 4]> = self
            .members
            .iter()
            .map(|m| {
                [
                    m.participant_id.to_string(),
                    m.name.clone(),
                    m.notes.to_string(),
                    written(m.bytes),
                ]
            })
            .collect();
        table::render(["ID", "PARTICIPANT", "NOTES CREATED", "WRITTEN"], &rows)
    }
}

pub(super) fn usage(db: &Db, slug: &str) -> Result<Report, AdminError> {
    let members = read(db, |conn| {
        let group = accounts::existing_group(conn, slug)?;
        Ok(usage::by_member(conn, &group.slug)?)
    })?;
    Ok(Usage {
        group: slug.to_string(),
        members,
    }
    .report())
}

/// Bytes as people read them: "1.7 KB", "12.3 MB".
fn written(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    match bytes as f64 {
        b if b >= KB * KB => format!("{:.1} MB", b / (KB * KB)),
        b => format!("{:.1} KB", b / KB),
    }
}
