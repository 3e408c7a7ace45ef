//! Versioned migrations: a fresh file, a file opened again, a file from a newer Quaderno.

use quaderno_store::rusqlite::Connection;
use quaderno_store::{Store, StoreError, migrate, open_connection, read_version};

const RELAY: &[&str] = &[
    "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
    "ALTER TABLE accounts ADD COLUMN city TEXT;",
];

fn fresh() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = open_connection(&dir.path().join("q.sqlite3")).unwrap();
    (dir, conn)
}

#[test]
fn a_fresh_file_gets_every_migration_of_each_component() {
    let (_dir, conn) = fresh();
    migrate(&conn, "relay", RELAY).unwrap();

    assert_eq!(read_version(&conn, "relay").unwrap(), 2);
    assert_eq!(
        read_version(&conn, quaderno_store::DOCUMENTS_COMPONENT).unwrap(),
        2
    );
    conn.execute(
        "INSERT INTO accounts (name, city) VALUES ('Anna', 'Palermo')",
        [],
    )
    .unwrap();
}

#[test]
fn migrating_again_changes_nothing() {
    let (_dir, conn) = fresh();
    migrate(&conn, "relay", RELAY).unwrap();
    conn.execute("INSERT INTO accounts (name) VALUES ('Marco')", [])
        .unwrap();

    migrate(&conn, "relay", RELAY).unwrap();

    assert_eq!(read_version(&conn, "relay").unwrap(), 2);
    let count: i64 = conn
        .query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 1);
}

#[test]
fn a_new_migration_is_applied_on_top_of_the_old_ones() {
    let (_dir, conn) = fresh();
    migrate(&conn, "relay", &RELAY[..1]).unwrap();
    assert_eq!(read_version(&conn, "relay").unwrap(), 1);

    migrate(&conn, "relay", RELAY).unwrap();

    assert_eq!(read_version(&conn, "relay").unwrap(), 2);
}

#[test]
fn a_failing_migration_leaves_the_previous_version_intact() {
    let (_dir, conn) = fresh();
    let broken = [RELAY[0], "ALTER TABLE nowhere ADD COLUMN x;"];

    assert!(migrate(&conn, "relay", &broken).is_err());

    assert_eq!(read_version(&conn, "relay").unwrap(), 1);
}

#[test]
fn a_file_from_a_newer_quaderno_is_refused_and_left_untouched() {
    let (_dir, conn) = fresh();
    migrate(&conn, "relay", RELAY).unwrap();

    let error = migrate(&conn, "relay", &RELAY[..1]).unwrap_err();

    assert!(matches!(
        error,
        StoreError::NewerVersion {
            found: 2,
            known: 1,
            ..
        }
    ));
    assert!(error.to_string().contains("newer version of Quaderno"));
    assert!(error.to_string().ends_with("upgrade quaderno"));
    assert_eq!(read_version(&conn, "relay").unwrap(), 2);
}

#[test]
fn the_store_refuses_a_notebook_schema_from_the_future() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quaderno.sqlite3");
    drop(Store::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE schema_versions SET version = 99 WHERE component = 'notebook'",
        [],
    )
    .unwrap();
    drop(conn);

    let error = Store::open(&path).unwrap_err();

    assert!(
        matches!(error, StoreError::NewerVersion { found: 99, .. }),
        "{error}"
    );
}
