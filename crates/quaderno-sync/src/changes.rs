//! Turning the change chunks of a sync message into changes that can be applied in one batch.

use automerge::sync::ChunkList;
use automerge::{Automerge, Change};

/// Offset of the chunk-type byte in an automerge chunk (4 magic bytes, 4 checksum bytes).
const CHUNK_TYPE_OFFSET: usize = 8;
/// Chunk type of a whole document (V2 sync messages may carry one instead of changes).
const DOCUMENT_CHUNK: u8 = 0;

/// A sync message carried a chunk that is not an automerge change or document.
#[derive(Debug, thiserror::Error)]
#[error("the sync message carries a chunk that is not a valid automerge change: {0}")]
pub struct BadChunk(String);

/// The magic bytes every automerge chunk starts with.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Decodes every entry of a sync message into changes, checking each one. A V1 entry is one
/// change; a V2 entry is several changes one after another, or a whole document.
pub fn decode(chunks: &ChunkList) -> Result<Vec<Change>, BadChunk> {
    let mut changes = Vec::with_capacity(chunks.len());
    for entry in chunks.iter() {
        changes.extend(decode_concatenated(entry)?);
    }
    Ok(changes)
}

/// Decodes concatenated chunks, as `Automerge::save_after` writes them to storage.
pub fn decode_concatenated(mut bytes: &[u8]) -> Result<Vec<Change>, BadChunk> {
    let mut changes = Vec::new();
    while !bytes.is_empty() {
        let len = chunk_len(bytes).ok_or_else(|| BadChunk("truncated chunk header".into()))?;
        if len > bytes.len() {
            return Err(BadChunk(
                "a chunk is longer than the bytes that hold it".into(),
            ));
        }
        let (chunk, rest) = bytes.split_at(len);
        decode_chunk(chunk, &mut changes)?;
        bytes = rest;
    }
    Ok(changes)
}

fn decode_chunk(chunk: &[u8], changes: &mut Vec<Change>) -> Result<(), BadChunk> {
    if chunk.get(CHUNK_TYPE_OFFSET) == Some(&DOCUMENT_CHUNK) {
        let doc = Automerge::load(chunk).map_err(|e| BadChunk(e.to_string()))?;
        changes.extend(doc.get_changes(&[]));
    } else {
        changes.push(Change::try_from(chunk).map_err(|e| BadChunk(e.to_string()))?);
    }
    Ok(())
}

/// Total length of the chunk at the start of `bytes`: magic, checksum, type, LEB128 length.
fn chunk_len(bytes: &[u8]) -> Option<usize> {
    if bytes.get(..4)? != MAGIC {
        return None;
    }
    let mut len: u64 = 0;
    for (i, byte) in bytes
        .get(CHUNK_TYPE_OFFSET + 1..)?
        .iter()
        .take(10)
        .enumerate()
    {
        len |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            let header = CHUNK_TYPE_OFFSET + 2 + i;
            return usize::try_from(len).ok()?.checked_add(header);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    use super::*;

    fn doc_with_two_changes() -> AutoCommit {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "a", 1).unwrap();
        doc.commit();
        doc.put(ROOT, "b", 2).unwrap();
        doc.commit();
        doc
    }

    #[test]
    fn decodes_change_chunks_and_whole_documents() {
        let mut doc = doc_with_two_changes();
        let change_chunks: Vec<Vec<u8>> = doc
            .get_changes(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();

        assert_eq!(decode(&ChunkList::from(change_chunks)).unwrap().len(), 2);
        assert_eq!(decode(&ChunkList::from(doc.save())).unwrap().len(), 2);
    }

    #[test]
    fn splits_concatenated_changes_as_storage_holds_them() {
        let mut doc = doc_with_two_changes();
        let first = doc.get_heads();
        doc.put(ROOT, "c", 3).unwrap();
        doc.commit();
        doc.put(ROOT, "d", 4).unwrap();
        doc.commit();

        let changes = decode_concatenated(&doc.save_after(&first)).unwrap();

        assert_eq!(changes.len(), 2);
        assert!(decode_concatenated(&doc.save_after(&first)[..20]).is_err());
    }

    #[test]
    fn rejects_bytes_that_are_not_a_chunk() {
        let garbage = ChunkList::from(vec![vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 1, 9, 9]]);

        assert!(decode(&garbage).is_err());
    }
}
