//! One device, one connection: the first `quaderno` process that syncs a data folder owns its
//! relay connections, and every other one asks it instead of opening connections of its own.
//!
//! Owning is holding an exclusive lock on `sync.lock` in the data folder (the operating system
//! lets go of it when the process ends, however it ends). The lock file names the owner (its
//! process id and what it is), and the owner answers on `sync.sock` beside it, a Unix socket
//! only this user can open (the folder is the user's, the socket is made `0600`):
//!
//! - `quaderno sync` asks a live owner to make sure everything is synced, and reports that;
//! - `quaderno ui` asks a `quaderno sync --watch` to hand over: the page needs the group's hubs
//!   in its own process, so the watch steps aside while the page runs and takes over again
//!   once it ends;
//! - a second page, or a second watch, is refused with a line that says which process syncs.
//!
//! Requests and answers are one line of JSON each.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use super::GroupOutcome;
use crate::ClientError;

/// The lock whose holder owns the data folder's relay connections.
pub const LOCK_FILE: &str = "sync.lock";
/// Where the owner answers the other processes.
pub const SOCKET_FILE: &str = "sync.sock";
/// How long a process waits for the owner to hand over or let go.
const HANDOVER: Duration = Duration::from_secs(20);
/// How long the owner may take to answer a request to sync.
const SETTLE: Duration = Duration::from_secs(120);
/// How long an owner that has just taken the lock may take to write who it is.
const NAMING: Duration = Duration::from_secs(2);

/// What kind of process owns the connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    /// `quaderno ui`: the page.
    Page,
    /// `quaderno sync --watch`.
    Watch,
    /// A one-shot `quaderno sync`.
    Sync,
}

impl OwnerKind {
    fn describe(self) -> &'static str {
        match self {
            OwnerKind::Page => "the page (`quaderno ui`)",
            OwnerKind::Watch => "`quaderno sync --watch`",
            OwnerKind::Sync => "`quaderno sync`",
        }
    }
}

/// The process that owns the connections, as the lock file names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub pid: u32,
    pub kind: OwnerKind,
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (process {})", self.kind.describe(), self.pid)
    }
}

/// Held while this process owns the connections; dropping it lets go.
#[derive(Debug)]
pub struct Ownership {
    _lock: File,
    socket: PathBuf,
}

impl Drop for Ownership {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// What [`claim`] found.
#[derive(Debug)]
pub enum Claim {
    Owned(Ownership),
    /// Another process owns the connections (`None`: it has not said who it is yet).
    Held(Option<Owner>),
}

/// Takes the connections of `data_dir` if no other process has them.
pub fn claim(data_dir: &Path, kind: OwnerKind) -> Result<Claim, ClientError> {
    let path = data_dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| local(&path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(Claim::Held(read_owner(&mut file))),
        Err(TryLockError::Error(e)) => return Err(local(&path, e)),
    }
    let owner = Owner {
        pid: std::process::id(),
        kind,
    };
    let named = serde_json::to_vec(&owner).expect("an owner serializes");
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(&named))
        .and_then(|()| file.flush())
        .map_err(|e| local(&path, e))?;
    Ok(Claim::Owned(Ownership {
        _lock: file,
        socket: data_dir.join(SOCKET_FILE),
    }))
}

/// Waits (on a thread of its own) until the connections are free, then takes them; gives up
/// after `limit`, or never with `None`.
pub async fn claim_when_free(
    data_dir: &Path,
    kind: OwnerKind,
    limit: Option<Duration>,
) -> Result<Ownership, ClientError> {
    let deadline = limit.map(|limit| Instant::now() + limit);
    loop {
        if let Claim::Owned(ownership) = claim(data_dir, kind)? {
            return Ok(ownership);
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            let owner = read_owner_at(data_dir);
            return Err(held(owner));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The process that owns the connections of `data_dir` now, if one does: unlike
/// [`read_owner_at`], an owner that has ended (its lock let go) is not named.
pub fn live_owner(data_dir: &Path) -> Option<Owner> {
    let mut file = File::open(data_dir.join(LOCK_FILE)).ok()?;
    // A shared lock is refused only while an owner holds its exclusive one.
    match file.try_lock_shared() {
        Ok(()) => None,
        Err(TryLockError::WouldBlock) => read_owner(&mut file),
        Err(TryLockError::Error(_)) => None,
    }
}

/// Who owns the connections of `data_dir` right now, if anyone says so.
pub fn read_owner_at(data_dir: &Path) -> Option<Owner> {
    let mut file = File::open(data_dir.join(LOCK_FILE)).ok()?;
    read_owner(&mut file)
}

fn read_owner(file: &mut File) -> Option<Owner> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// The connections are someone else's: what to tell the person.
pub fn held(owner: Option<Owner>) -> ClientError {
    ClientError::Owned {
        owner: owner.map_or_else(
            || "another `quaderno` process".to_string(),
            |o| o.to_string(),
        ),
    }
}

fn local(path: &Path, error: std::io::Error) -> ClientError {
    ClientError::Local {
        path: path.to_owned(),
        reason: error.to_string(),
    }
}

/// What another process asks the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "ask", rename_all = "snake_case")]
pub enum Request {
    /// Make sure everything is synced, and say how each group stands.
    Sync,
    /// Hand the connections over (the page needs them).
    HandOver,
    /// The page's address, with its key (`quaderno open` passes it to the browser in a file
    /// only this user can read).
    Page,
}

/// The owner's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    Synced {
        groups: Vec<(String, GroupOutcome)>,
    },
    /// The connections are let go: claim them.
    HandedOver,
    /// Where the page is served.
    Page {
        url: String,
    },
    Refused {
        reason: String,
    },
}

/// Listens on the data folder's socket for as long as `ownership` is held; `answer` is called
/// for each request, one at a time per connection.
pub fn listen(ownership: &Ownership) -> Result<UnixListener, ClientError> {
    let path = &ownership.socket;
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path).map_err(|e| local(path, e))?;
    set_private(path).map_err(|e| local(path, e))?;
    Ok(listener)
}

#[cfg(unix)]
fn set_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// Reads one request from a connection to the owner's socket.
pub async fn read_request(stream: &mut BufReader<UnixStream>) -> Option<Request> {
    let mut line = String::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_line(&mut line)).await;
    match read {
        Ok(Ok(n)) if n > 0 && line.len() < 4096 => serde_json::from_str(&line).ok(),
        _ => None,
    }
}

/// Writes the answer to a request.
pub async fn write_answer(stream: &mut BufReader<UnixStream>, answer: &Answer) {
    let mut line = serde_json::to_vec(answer).expect("an answer serializes");
    line.push(b'\n');
    let _ = stream.get_mut().write_all(&line).await;
}

/// Asks the owner of `data_dir`'s connections.
pub async fn ask(data_dir: &Path, request: &Request) -> Result<Answer, ClientError> {
    let path = data_dir.join(SOCKET_FILE);
    let limit = match request {
        Request::Sync => SETTLE,
        Request::HandOver | Request::Page => HANDOVER,
    };
    let asking = async {
        let stream = loop {
            match UnixStream::connect(&path).await {
                Ok(stream) => break stream,
                // An owner that has just taken the lock listens a moment later.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                    ) =>
                {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => return Err(e),
            }
        };
        let mut stream = BufReader::new(stream);
        let mut line = serde_json::to_vec(request).expect("a request serializes");
        line.push(b'\n');
        stream.get_mut().write_all(&line).await?;
        let mut answer = String::new();
        stream.read_line(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(limit, asking)
        .await
        .map_err(|_| ClientError::Local {
            path: path.clone(),
            reason: format!(
                "the process syncing this data folder did not answer within {} s",
                limit.as_secs()
            ),
        })?
        .map_err(|e| local(&path, e))?;
    serde_json::from_str(&answer).map_err(|_| ClientError::Local {
        path,
        reason: "the process syncing this data folder gave an answer this version cannot read"
            .into(),
    })
}

/// Takes the connections for the page: from a watch that hands them over, after a one-shot
/// sync that ends, never from another page.
pub async fn claim_for_page(data_dir: &Path) -> Result<Ownership, ClientError> {
    match claim_named(data_dir, OwnerKind::Page).await? {
        Claim::Owned(ownership) => Ok(ownership),
        Claim::Held(Some(owner)) if owner.kind == OwnerKind::Watch => {
            match ask(data_dir, &Request::HandOver).await? {
                Answer::HandedOver => {
                    claim_when_free(data_dir, OwnerKind::Page, Some(HANDOVER)).await
                }
                Answer::Refused { reason } => {
                    tracing::warn!(%reason, "the watch did not hand the connections over");
                    Err(held(Some(owner)))
                }
                Answer::Synced { .. } | Answer::Page { .. } => Err(held(Some(owner))),
            }
        }
        Claim::Held(Some(owner)) if owner.kind == OwnerKind::Sync => {
            claim_when_free(data_dir, OwnerKind::Page, Some(SETTLE)).await
        }
        Claim::Held(owner) => Err(held(owner)),
    }
}

/// [`claim`], waiting (up to [`NAMING`]) for an owner that has just taken the lock to write
/// who it is.
async fn claim_named(data_dir: &Path, kind: OwnerKind) -> Result<Claim, ClientError> {
    let deadline = Instant::now() + NAMING;
    loop {
        match claim(data_dir, kind)? {
            Claim::Held(None) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            claimed => return Ok(claimed),
        }
    }
}

/// After handing the connections over, waits until the page has taken them (or gave up
/// trying), then until they are free again, and takes them back.
pub async fn take_back(data_dir: &Path) -> Result<Ownership, ClientError> {
    let deadline = Instant::now() + HANDOVER;
    let me = std::process::id();
    while Instant::now() < deadline {
        match read_owner_at(data_dir) {
            Some(owner) if owner.pid != me => break,
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    claim_when_free(data_dir, OwnerKind::Watch, None).await
}
