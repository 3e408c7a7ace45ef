//! The relay's accounts tables, as versioned migrations of the component `relay-accounts`.
//!
//! Times are Unix milliseconds. Secrets (device tokens, invite codes) are stored only as
//! SHA-256 digests. Groups are keyed by their slug, which never changes.

/// The component name under which these migrations are versioned.
pub const COMPONENT: &str = "relay-accounts";

/// Migration `i` brings the accounts schema from version `i` to `i + 1`. Append, never edit.
pub const MIGRATIONS: &[&str] = &[
    // 1: participants, devices, groups, memberships, invites, change sequences, purges, events.
    "CREATE TABLE participants (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        city TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX participants_by_name ON participants (name COLLATE NOCASE);
    CREATE TABLE devices (
        id INTEGER PRIMARY KEY,
        participant_id INTEGER NOT NULL REFERENCES participants (id),
        name TEXT NOT NULL,
        peer_id TEXT NOT NULL UNIQUE,
        token_hash BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER,
        revoked_at INTEGER
    );
    CREATE INDEX devices_by_participant ON devices (participant_id);
    CREATE TABLE groups (
        slug TEXT PRIMARY KEY NOT NULL,
        title TEXT NOT NULL,
        index_doc TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        change_seq INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TABLE memberships (
        participant_id INTEGER NOT NULL REFERENCES participants (id),
        grp TEXT NOT NULL REFERENCES groups (slug),
        role TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (participant_id, grp)
    ) WITHOUT ROWID;
    CREATE INDEX memberships_by_group ON memberships (grp);
    CREATE TABLE invites (
        id INTEGER PRIMARY KEY,
        code_hash BLOB NOT NULL UNIQUE,
        grp TEXT NOT NULL REFERENCES groups (slug),
        role TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
        uses_left INTEGER NOT NULL CHECK (uses_left >= 0),
        expires_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE group_changes (
        grp TEXT NOT NULL REFERENCES groups (slug),
        doc_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (grp, doc_id)
    ) WITHOUT ROWID;
    CREATE INDEX group_changes_by_seq ON group_changes (grp, seq);
    CREATE INDEX group_changes_by_doc ON group_changes (doc_id);
    CREATE TABLE purged_docs (
        grp TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        purged_at INTEGER NOT NULL,
        PRIMARY KEY (grp, doc_id)
    ) WITHOUT ROWID;
    CREATE TABLE admin_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        device_id INTEGER,
        participant_id INTEGER,
        grp TEXT,
        doc_id TEXT,
        role TEXT,
        created_at INTEGER NOT NULL
    );",
];
