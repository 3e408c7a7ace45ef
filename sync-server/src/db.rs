//! The relay's one SQLite file, `<data_dir>/relay.sqlite3`, and a small pool of connections.
//!
//! The file holds the accounts tables and every group's documents (each group in its own
//! namespace). Blocking SQLite work runs on tokio's blocking threads through [`Db::call`];
//! admin commands, which have no runtime, use [`Db::with_conn`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;

use crate::accounts::{self, AccountsError};

/// The name of the relay's SQLite file inside its data directory.
pub const FILE_NAME: &str = "relay.sqlite3";
/// Connections kept open between calls; more are opened under load and closed after.
const IDLE_CONNECTIONS: usize = 4;

/// Everything that can go wrong reaching the relay's database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The data directory does not exist and cannot be created.
    #[error("cannot create the data directory {}: {source}; create it or pass another --data-dir", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },

    /// The file cannot be opened or migrated.
    #[error(transparent)]
    Store(#[from] quaderno_store::StoreError),

    /// An accounts operation failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),

    /// Any other SQLite failure.
    #[error("the relay's database failed: {0}; check free disk space and permissions")]
    Sqlite(#[from] rusqlite::Error),

    /// The blocking task running the query panicked or was cancelled.
    #[error("a database task stopped unexpectedly: {0}")]
    Task(String),
}

impl DbError {
    /// Whether the person who asked can fix this themselves (see
    /// [`AccountsError::is_user_error`]).
    pub fn is_user_error(&self) -> bool {
        match self {
            DbError::Accounts(e) => e.is_user_error(),
            DbError::CreateDir { .. } => true,
            _ => false,
        }
    }

    /// The accounts error inside, if this is one.
    pub fn as_accounts(&self) -> Option<&AccountsError> {
        match self {
            DbError::Accounts(e) => Some(e),
            _ => None,
        }
    }
}

/// A handle on the relay's database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Db {
    /// Opens (creating if needed) `<data_dir>/relay.sqlite3` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Db, DbError> {
        create_data_dir(data_dir)?;
        let path = data_dir.join(FILE_NAME);
        let conn = quaderno_store::open_connection(&path)?;
        quaderno_store::migrate(&conn, accounts::COMPONENT, accounts::MIGRATIONS)?;
        crate::authors::migrate(&conn)?;
        crate::usage::migrate(&conn)?;
        tracing::debug!(path = %path.display(), "opened the relay database");
        Ok(Db {
            inner: Arc::new(Inner {
                path,
                idle: Mutex::new(vec![conn]),
            }),
        })
    }

    /// The path of the SQLite file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a pooled connection on a blocking thread.
    pub async fn call<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.with_conn(f))
            .await
            .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Runs `f` on a pooled connection on this thread (for admin commands and tests).
    pub fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut conn = self.checkout()?;
        let result = f(&mut conn);
        // A connection is only returned after `f` finished normally; an open transaction
        // was rolled back when `f` dropped it.
        self.checkin(conn);
        result
    }

    fn checkout(&self) -> Result<Connection, DbError> {
        let pooled = self.idle().pop();
        match pooled {
            Some(conn) => Ok(conn),
            None => Ok(quaderno_store::open_connection(&self.inner.path)?),
        }
    }

    fn checkin(&self, conn: Connection) {
        let mut idle = self.idle();
        if idle.len() < IDLE_CONNECTIONS {
            idle.push(conn);
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Creates the data directory if it is missing, readable by this user only.
pub fn create_data_dir(data_dir: &Path) -> Result<(), DbError> {
    std::fs::create_dir_all(data_dir)
        .and_then(|()| quaderno_store::make_private(data_dir))
        .map_err(|source| DbError::CreateDir {
            path: data_dir.to_owned(),
            source,
        })
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.inner.path)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_creates_the_directory_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("nested").join("relay");
        let db = Db::open(&data_dir).unwrap();
        assert_eq!(db.path(), data_dir.join(FILE_NAME));
        assert!(db.path().exists());
        // Opening again finds the schema in place.
        Db::open(&data_dir).unwrap();
    }

    #[tokio::test]
    async fn many_calls_at_once_share_a_few_connections() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let calls = (0..32).map(|i| {
            db.call(move |conn| Ok(conn.query_row("SELECT ?1", [i], |r| r.get::<_, i64>(0))?))
        });
        let answers = futures_util::future::try_join_all(calls).await.unwrap();
        assert_eq!(answers, (0..32).collect::<Vec<_>>());
        assert!(db.idle().len() <= IDLE_CONNECTIONS);
    }

    #[tokio::test]
    async fn a_call_that_panics_is_an_error_and_the_pool_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let failed = db.call(|_| -> Result<(), DbError> { panic!("boom") }).await;
        assert!(matches!(failed, Err(DbError::Task(_))));
        let answer = db
            .call(|conn| Ok(conn.query_row("SELECT 7", [], |r| r.get::<_, i64>(0))?))
            .await;
        assert_eq!(answer.unwrap(), 7);
    }
}
