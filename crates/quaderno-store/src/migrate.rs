//! Versioned schema migrations, one version number per component.
//!
//! Several components share one SQLite file (the store's documents, the client's note index,
//! the relay's accounts), so each keeps its own version in `schema_versions`. Migration `i`
//! (0-based) brings a component from version `i` to `i + 1`; each runs in its own
//! `BEGIN IMMEDIATE` transaction that re-reads the version first, so two processes opening a
//! fresh file at once cannot both apply the same step.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::StoreError;

/// Brings `component` up to `migrations.len()`, applying the missing steps in order.
///
/// A file whose version for `component` is newer than `migrations.len()` is refused with
/// [`StoreError::NewerVersion`] before anything is written.
pub fn migrate(conn: &Connection, component: &str, migrations: &[&str]) -> Result<(), StoreError> {
    let known = migrations.len() as i64;
    let found = read_version(conn, component)?;
    check_not_newer(component, found, known)?;
    if found == known {
        // Up to date: no write transaction, so opening a store never waits for a writer.
        return Ok(());
    }
    loop {
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        create_versions_table(&tx)?;
        let current = read_version(&tx, component)?;
        check_not_newer(component, current, known)?;
        let Some(step) = migrations.get(current as usize) else {
            return Ok(tx.commit()?);
        };
        tracing::info!(component, version = current + 1, "migrating schema");
        tx.execute_batch(step)?;
        write_version(&tx, component, current + 1)?;
        tx.commit()?;
    }
}

/// The schema version of `component` in this file, 0 when it has never been migrated.
pub fn read_version(conn: &Connection, component: &str) -> Result<i64, StoreError> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions')",
        [],
        |row| row.get(0),
    )?;
    if !has_table {
        return Ok(0);
    }
    let version = conn
        .query_row(
            "SELECT version FROM schema_versions WHERE component = ?1",
            [component],
            |row| row.get(0),
        )
        .optional()?;
    Ok(version.unwrap_or(0))
}

fn check_not_newer(component: &str, found: i64, known: i64) -> Result<(), StoreError> {
    if found > known {
        return Err(StoreError::NewerVersion {
            component: component.to_owned(),
            found,
            known,
        });
    }
    Ok(())
}

fn create_versions_table(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_versions (
            component TEXT PRIMARY KEY NOT NULL,
            version INTEGER NOT NULL
        )",
    )?;
    Ok(())
}

fn write_version(conn: &Connection, component: &str, version: i64) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO schema_versions (component, version) VALUES (?1, ?2)
         ON CONFLICT (component) DO UPDATE SET version = excluded.version",
        rusqlite::params![component, version],
    )?;
    Ok(())
}
