-- Settings: the participant's identity and the like.
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per note. `key` is a stable integer so the full-text rows can share it as rowid.
CREATE TABLE notes (
    key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    grp TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,   -- RFC 3339, UTC, milliseconds: sorts as text
    updated_at TEXT NOT NULL,
    meeting_date TEXT,          -- YYYY-MM-DD
    place TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    -- The tags joined by char(31), so that listing needs no join; note_tags serves filtering.
    tags TEXT NOT NULL DEFAULT '',
    -- The note's day: its meeting date, else the day it was created. Lists sort and filter on it.
    day TEXT NOT NULL GENERATED ALWAYS AS (coalesce(meeting_date, substr(created_at, 1, 10))) STORED
);
CREATE INDEX notes_by_title ON notes (title);
CREATE INDEX notes_by_day ON notes (day, created_at);

CREATE TABLE note_tags (
    note_key INTEGER NOT NULL REFERENCES notes (key) ON DELETE CASCADE,
    tag TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (note_key, tag)
) WITHOUT ROWID;
CREATE INDEX note_tags_by_tag ON note_tags (tag);

-- Full text of title, body and tags; rowid = notes.key. It keeps its own copy of the text so
-- that snippet() works. remove_diacritics 2 lets "citta" find "città".
CREATE VIRTUAL TABLE notes_fts USING fts5 (
    title, body, tags,
    tokenize = 'unicode61 remove_diacritics 2'
);
