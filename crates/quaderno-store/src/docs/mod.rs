//! Documents as a snapshot plus incremental chunks, and per-peer sync states.
//!
//! Every function takes a plain `&Connection` and opens no transaction of its own (compaction
//! uses a savepoint), so callers compose document writes with their own writes in one
//! transaction. `ns` is a namespace: the client uses one per group, the relay one per group too,
//! so a document is only ever found under the namespace it was written to.
//!
//! Loading reads only the rows of the one document asked for. A document whose stored bytes do
//! not load is reported as [`StoreError::CorruptDocument`], naming the namespace, the document
//! and the first damaged chunk; its rows are never compacted, and every other document loads as
//! usual. Whoever can get the document back from a peer sets the damaged chunks aside
//! ([`load_salvaging`], [`set_aside`]), keeping their bytes, and syncs the rest.
//!
//! On the client an id belongs to one namespace only: [`held_elsewhere`] says whether another
//! namespace already holds it.

mod chunks;
mod compact;
mod damage;
mod holders;
mod own;
mod quiet;
mod sync_states;

pub use chunks::{
    ChangedDoc, Chunk, ChunkKind, append_changes, append_changes_without_compacting, changed_since,
    chunks_since, delete, doc_chunks_since, exists, latest_chunk_id, list_ids, load, load_chunks,
    move_to, put_snapshot,
};
pub use compact::{ChunkSizes, compact, compact_if_all_read, compact_if_needed, should_compact};
pub use damage::{
    Salvaged, SetAside, awaiting_recovery, is_awaiting_recovery, load_salvaging, mark_recovered,
    set_aside,
};
pub use holders::held_elsewhere;
pub use own::OwnChunks;
pub use quiet::{QUIET, QuietDocs, WRITES_BEFORE_COMPACTING};
pub use sync_states::{forget_sync_states, put_sync_state, sync_state, sync_states};
