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

/// What a sync message carries: change chunks, decoded and checked, and whole-document chunks,
/// kept as they are (loading one is how it gets checked).
#[derive(Debug, Default)]
pub struct Payload {
    pub changes: Vec<Change>,
    pub documents: Vec<Vec<u8>>,
}

/// Splits every entry of a sync message into checked changes and raw document chunks.
pub fn split(chunks: &ChunkList) -> Result<Payload, BadChunk> {
    let mut payload = Payload::default();
    for chunk in self::chunks(chunks)? {
        if is_document(chunk) {
            payload.documents.push(chunk.to_vec());
        } else {
            payload
                .changes
                .push(Change::try_from(chunk).map_err(|e| BadChunk(e.to_string()))?);
        }
    }
    Ok(payload)
}

/// Every chunk of a sync message, by its header alone (nothing is decoded).
pub fn chunks(chunks: &ChunkList) -> Result<Vec<&[u8]>, BadChunk> {
    let mut all = Vec::new();
    for entry in chunks.iter() {
        let mut bytes = entry;
        while !bytes.is_empty() {
            let len = chunk_len(bytes).ok_or_else(|| BadChunk("truncated chunk header".into()))?;
            if len > bytes.len() {
                return Err(BadChunk(
                    "a chunk is longer than the bytes that hold it".into(),
                ));
            }
            let (chunk, rest) = bytes.split_at(len);
            all.push(chunk);
            bytes = rest;
        }
    }
    Ok(all)
}

/// Whether a chunk is a whole document.
pub fn is_document(chunk: &[u8]) -> bool {
    chunk.get(CHUNK_TYPE_OFFSET) == Some(&DOCUMENT_CHUNK)
}

/// The first whole-document chunk of a sync message, found by walking chunk headers only
/// (nothing is decoded; [`split`] still checks every chunk).
pub fn first_document(chunks: &ChunkList) -> Option<&[u8]> {
    for entry in chunks.iter() {
        let mut bytes = entry;
        while !bytes.is_empty() {
            let len = chunk_len(bytes).filter(|len| *len <= bytes.len())?;
            let (chunk, rest) = bytes.split_at(len);
            if chunk.get(CHUNK_TYPE_OFFSET) == Some(&DOCUMENT_CHUNK) {
                return Some(chunk);
            }
            bytes = rest;
        }
    }
    None
}

/// The changes of a whole-document chunk.
pub fn document_changes(chunk: &[u8]) -> Result<Vec<Change>, BadChunk> {
    let doc = Automerge::load(chunk).map_err(|e| BadChunk(e.to_string()))?;
    Ok(doc.get_changes(&[]))
}

/// Decodes every entry of a sync message into changes, loading whole documents for theirs.
pub fn decode(chunks: &ChunkList) -> Result<Vec<Change>, BadChunk> {
    let Payload {
        mut changes,
        documents,
    } = split(chunks)?;
    for chunk in documents {
        changes.extend(document_changes(&chunk)?);
    }
    Ok(changes)
}

/// Decodes concatenated chunks, as `Automerge::save_after` writes them to storage.
pub fn decode_concatenated(bytes: &[u8]) -> Result<Vec<Change>, BadChunk> {
    decode(&ChunkList::from(bytes.to_vec()))
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

        assert_eq!(
            split(&ChunkList::from(change_chunks))
                .unwrap()
                .changes
                .len(),
            2
        );
        assert_eq!(decode_concatenated(&doc.save()).unwrap().len(), 2);
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
    fn splits_a_message_into_changes_and_whole_documents() {
        let mut doc = doc_with_two_changes();
        let change: Vec<u8> = doc.get_changes(&[])[0].raw_bytes().to_vec();
        let chunks = ChunkList::from(vec![doc.save(), change]);

        let payload = split(&chunks).unwrap();

        assert_eq!(payload.changes.len(), 1);
        assert_eq!(payload.documents.len(), 1);
        assert_eq!(document_changes(&payload.documents[0]).unwrap().len(), 2);
    }

    #[test]
    fn rejects_bytes_that_are_not_a_chunk() {
        let garbage = ChunkList::from(vec![vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 1, 9, 9]]);

        assert!(split(&garbage).is_err());
    }
}
