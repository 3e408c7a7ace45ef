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
    // 2: governance. Invites remember their uses and can be revoked; a membership remembers
    // the invite it came from, and a removal is remembered so that an older invite cannot
    // undo it; operators govern the relay; one-time codes make operators and link devices;
    // the activity log records who did what, and refuses to be changed.
    "ALTER TABLE invites ADD COLUMN uses INTEGER;
    UPDATE invites SET uses = uses_left;
    ALTER TABLE invites ADD COLUMN revoked_at INTEGER;
    ALTER TABLE memberships ADD COLUMN invite_id INTEGER;
    CREATE TABLE removals (
        participant_id INTEGER NOT NULL REFERENCES participants (id),
        grp TEXT NOT NULL,
        removed_at INTEGER NOT NULL,
        PRIMARY KEY (participant_id, grp)
    ) WITHOUT ROWID;
    CREATE TABLE operators (
        participant_id INTEGER PRIMARY KEY REFERENCES participants (id),
        since INTEGER NOT NULL,
        appointed_by TEXT NOT NULL
    );
    CREATE TABLE one_time_codes (
        id INTEGER PRIMARY KEY,
        code_hash BLOB NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('operator', 'link')),
        participant_id INTEGER REFERENCES participants (id),
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE activity (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        grp TEXT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX activity_by_group ON activity (grp, seq);
    CREATE TRIGGER activity_is_append_only_update BEFORE UPDATE ON activity
    BEGIN SELECT RAISE(ABORT, 'the activity log cannot be changed'); END;
    CREATE TRIGGER activity_is_append_only_delete BEFORE DELETE ON activity
    BEGIN SELECT RAISE(ABORT, 'the activity log cannot be changed'); END;",
    // 3: erasures. A purge becomes an erasure, with who, when and why (never content), and
    // every device of the group confirms that it deleted the note; backups are remembered, so
    // that an erasure can name the ones made before it, which still hold the note.
    "CREATE TABLE erasures (
        id INTEGER PRIMARY KEY,
        grp TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        erased_at INTEGER NOT NULL,
        erased_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        -- A redaction: the note goes on as this document.
        successor TEXT,
        UNIQUE (grp, doc_id)
    );
    INSERT INTO erasures (grp, doc_id, erased_at, erased_by, reason)
        SELECT grp, doc_id, purged_at, 'cli', '' FROM purged_docs;
    CREATE TABLE erasure_receipts (
        erasure_id INTEGER NOT NULL REFERENCES erasures (id),
        device_id INTEGER NOT NULL REFERENCES devices (id),
        confirmed_at INTEGER NOT NULL,
        PRIMARY KEY (erasure_id, device_id)
    ) WITHOUT ROWID;
    CREATE TABLE backups (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        made_at INTEGER NOT NULL,
        bytes INTEGER NOT NULL
    );",
    // 4: notes members' devices cannot read, as they report them: which document and why
    // (never its content), once per device and document.
    "CREATE TABLE unreadable_reports (
        grp TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        device_id INTEGER NOT NULL REFERENCES devices (id),
        reason TEXT NOT NULL,
        reported_at INTEGER NOT NULL,
        PRIMARY KEY (grp, doc_id, device_id)
    ) WITHOUT ROWID;",
];
