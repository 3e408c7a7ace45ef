//! What an Automerge chunk will cost once taken in, read from its headers before it is.
//!
//! A document chunk compresses its columns: a text of a million characters fits in about a
//! kilobyte, and loading it takes some 90 MB at its peak. A compressed change chunk can hide
//! a thousand times its size. So a relay measures every chunk it is sent before it decodes
//! it: the bytes its columns hold once inflated (inflating into nothing, and stopping as soon
//! as the count passes the limit) and, for a document, its operations, counted on the run
//! lengths of its action column without building a single operation.
//!
//! The layout read here is the one `automerge::storage` parses (the Automerge binary format):
//! a chunk is magic, checksum, type, length and body; a document's body is its actors, heads,
//! the specifications and lengths of its change columns and of its operation columns, then
//! the data of each column in that order.

use std::io::Read;

/// Offset of the chunk-type byte: 4 magic bytes, 4 checksum bytes.
const CHUNK_TYPE_OFFSET: usize = 8;
const DOCUMENT_CHUNK: u8 = 0;
const CHANGE_CHUNK: u8 = 1;
const COMPRESSED_CHANGE_CHUNK: u8 = 2;

/// A column specification: id in the high bits, then a deflate flag, then the type.
const DEFLATE_FLAG: u32 = 0b1000;
/// The operation column that every operation has a value in: its action.
const ACTION_COLUMN_ID: u32 = 4;

/// What a chunk will hold in memory: its operations (when its headers tell) and its bytes
/// once inflated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measure {
    pub ops: u64,
    pub bytes: u64,
}

impl Measure {
    pub fn plus(self, other: Measure) -> Measure {
        Measure {
            ops: self.ops.saturating_add(other.ops),
            bytes: self.bytes.saturating_add(other.bytes),
        }
    }
}

/// Why a chunk could not be measured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeasureError {
    #[error("the chunk is malformed: {0}")]
    Malformed(&'static str),
    /// It holds more than the bytes allowed; counting stopped there.
    #[error("the chunk holds more than {0} bytes once inflated")]
    Larger(u64),
}

/// Measures one chunk (a document, a change or a compressed change), counting no further
/// than `max_bytes` inflated bytes. A change's operations are not counted here (decoding it,
/// which is then bounded by its inflated size, counts them): `ops` is 0 for a change.
pub fn measure(chunk: &[u8], max_bytes: u64) -> Result<Measure, MeasureError> {
    let mut header = Reader::new(chunk.get(CHUNK_TYPE_OFFSET..).ok_or(SHORT)?);
    let kind = header.byte()?;
    let len = usize::try_from(header.uleb()?).map_err(|_| SHORT)?;
    let body = header.take(len)?;
    let measured = match kind {
        DOCUMENT_CHUNK => measure_document(body, max_bytes),
        CHANGE_CHUNK => within(
            Measure {
                ops: 0,
                bytes: chunk.len() as u64,
            },
            max_bytes,
        ),
        COMPRESSED_CHANGE_CHUNK => Ok(Measure {
            ops: 0,
            bytes: inflated_len(body, max_bytes)?,
        }),
        _ => Err(MeasureError::Malformed("unknown chunk type")),
    };
    // Counting may stop inside a column, on what was left of the allowance.
    measured.map_err(|e| match e {
        MeasureError::Larger(_) => MeasureError::Larger(max_bytes),
        malformed => malformed,
    })
}

const SHORT: MeasureError = MeasureError::Malformed("truncated");

fn within(measure: Measure, max_bytes: u64) -> Result<Measure, MeasureError> {
    if measure.bytes > max_bytes {
        return Err(MeasureError::Larger(max_bytes));
    }
    Ok(measure)
}

fn measure_document(body: &[u8], max_bytes: u64) -> Result<Measure, MeasureError> {
    let mut r = Reader::new(body);
    for _ in 0..r.uleb()? {
        let len = r.len()?;
        r.take(len)?;
    }
    let heads = r.len()?;
    r.take(heads.checked_mul(32).ok_or(SHORT)?)?;
    let change_columns = r.columns()?;
    let op_columns = r.columns()?;
    // What is not column data (actors, heads, their lengths) is counted as it is.
    let mut bytes = r.offset as u64;
    let mut ops = 0;
    let columns = change_columns
        .iter()
        .map(|c| (c, false))
        .chain(op_columns.iter().map(|c| (c, true)));
    for ((spec, len), is_op) in columns {
        let data = r.take(*len)?;
        let deflated = spec & DEFLATE_FLAG != 0;
        let budget = max_bytes.saturating_sub(bytes);
        if is_op && spec >> 4 == ACTION_COLUMN_ID {
            let plain = if deflated {
                inflated(data, budget)?
            } else {
                data.to_vec()
            };
            bytes = bytes.saturating_add(plain.len() as u64);
            ops = rle_rows(&plain)?;
        } else if deflated {
            bytes = bytes.saturating_add(inflated_len(data, budget)?);
        } else {
            bytes = bytes.saturating_add(data.len() as u64);
        }
        if bytes > max_bytes {
            return Err(MeasureError::Larger(max_bytes));
        }
    }
    Ok(Measure { ops, bytes })
}

/// A deflated column inflated (the action column: small, a run per kind of action).
fn inflated(data: &[u8], max_bytes: u64) -> Result<Vec<u8>, MeasureError> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(data)
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|_| MeasureError::Malformed("a column does not inflate"))?;
    if out.len() as u64 > max_bytes {
        return Err(MeasureError::Larger(max_bytes));
    }
    Ok(out)
}

/// How many bytes `data` inflates to, reading at most `max_bytes + 1` of them into a small
/// buffer that is overwritten as it goes.
fn inflated_len(data: &[u8], max_bytes: u64) -> Result<u64, MeasureError> {
    let mut decoder = flate2::read::DeflateDecoder::new(data).take(max_bytes.saturating_add(1));
    let mut buffer = [0u8; 16 * 1024];
    let mut total: u64 = 0;
    loop {
        match decoder.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => total += n as u64,
            Err(_) => return Err(MeasureError::Malformed("a column does not inflate")),
        }
    }
    if total > max_bytes {
        return Err(MeasureError::Larger(max_bytes));
    }
    Ok(total)
}

/// Rows of a run-length encoded column of unsigned integers: a positive count is a run of
/// one value, a negative count that many literal values, a zero a run of nulls.
fn rle_rows(column: &[u8]) -> Result<u64, MeasureError> {
    let mut r = Reader::new(column);
    let mut rows: u64 = 0;
    while !r.is_empty() {
        let count = r.sleb()?;
        let run = if count > 0 {
            r.uleb()?;
            count.unsigned_abs()
        } else if count < 0 {
            for _ in 0..count.unsigned_abs() {
                r.uleb()?;
            }
            count.unsigned_abs()
        } else {
            r.uleb()?
        };
        rows = rows.saturating_add(run);
    }
    Ok(rows)
}

struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, offset: 0 }
    }

    fn is_empty(&self) -> bool {
        self.offset >= self.bytes.len()
    }

    fn byte(&mut self) -> Result<u8, MeasureError> {
        let byte = *self.bytes.get(self.offset).ok_or(SHORT)?;
        self.offset += 1;
        Ok(byte)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], MeasureError> {
        let end = self.offset.checked_add(len).ok_or(SHORT)?;
        let taken = self.bytes.get(self.offset..end).ok_or(SHORT)?;
        self.offset = end;
        Ok(taken)
    }

    fn uleb(&mut self) -> Result<u64, MeasureError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(MeasureError::Malformed("an integer is too long"))
    }

    fn sleb(&mut self) -> Result<i64, MeasureError> {
        let mut value: i64 = 0;
        let mut shift = 0;
        loop {
            let byte = self.byte()?;
            if shift >= 64 {
                return Err(MeasureError::Malformed("an integer is too long"));
            }
            value |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1 << shift;
                }
                return Ok(value);
            }
        }
    }

    /// A length that must fit in what is left.
    fn len(&mut self) -> Result<usize, MeasureError> {
        let len = usize::try_from(self.uleb()?).map_err(|_| SHORT)?;
        if len > self.bytes.len() - self.offset.min(self.bytes.len()) {
            return Err(SHORT);
        }
        Ok(len)
    }

    /// Column specifications and data lengths.
    fn columns(&mut self) -> Result<Vec<(u32, usize)>, MeasureError> {
        let count = self.len()?;
        let mut columns = Vec::with_capacity(count);
        for _ in 0..count {
            let spec = u32::try_from(self.uleb()?)
                .map_err(|_| MeasureError::Malformed("a column specification is too large"))?;
            let len = self.len()?;
            columns.push((spec, len));
        }
        Ok(columns)
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, Automerge, ObjType, ROOT, ReadDoc};

    use super::*;

    fn text_of(chars: usize, changes: usize) -> AutoCommit {
        let mut doc = AutoCommit::new();
        let text = doc.put_object(ROOT, "text", ObjType::Text).unwrap();
        for _ in 0..changes {
            doc.splice_text(&text, 0, 0, &"a".repeat(chars / changes))
                .unwrap();
            doc.commit();
        }
        doc
    }

    #[test]
    fn counts_the_operations_of_a_document_without_loading_it() {
        for (chars, changes) in [(0, 1), (10, 1), (1000, 10), (200_000, 4)] {
            let mut doc = text_of(chars, changes);
            let saved = doc.save();
            let loaded = Automerge::load(&saved).unwrap();

            let measure = measure(&saved, u64::MAX).unwrap();

            assert_eq!(measure.ops, loaded.stats().num_ops, "{chars} characters");
        }
    }

    #[test]
    fn a_compressed_bomb_is_measured_by_what_it_inflates_to_and_stops_at_the_limit() {
        let mut doc = text_of(1_000_000, 1);
        let saved = doc.save();
        assert!(
            saved.len() < 5_000,
            "a million characters in {} bytes",
            saved.len()
        );

        let whole = measure(&saved, u64::MAX).unwrap();
        assert_eq!(whole.ops, 1_000_001);
        assert!(whole.bytes > 1_000_000, "{} bytes", whole.bytes);
        assert_eq!(measure(&saved, 100_000), Err(MeasureError::Larger(100_000)));
    }

    #[test]
    fn measures_changes_plain_and_compressed() {
        let mut doc = text_of(50_000, 1);
        let change = doc.get_changes(&[]).last().unwrap().clone();
        let mut compressed = change.clone();
        let bytes = compressed.bytes().into_owned();
        assert!(bytes.len() < change.raw_bytes().len(), "compressed");

        let measured = measure(&bytes, u64::MAX).unwrap();

        assert!(measured.bytes >= change.raw_bytes().len() as u64 - 20);
        assert_eq!(measure(&bytes, 1_000), Err(MeasureError::Larger(1_000)));
        let small = doc.get_changes(&[])[0].raw_bytes().to_vec();
        assert_eq!(measure(&small, u64::MAX).unwrap().bytes, small.len() as u64);
    }

    #[test]
    fn malformed_chunks_are_refused_not_panicked_on() {
        let mut doc = text_of(1000, 2);
        let saved = doc.save();
        for cut in [0, 5, 9, 12, saved.len() / 2, saved.len() - 1] {
            assert!(measure(&saved[..cut], u64::MAX).is_err(), "cut at {cut}");
        }
        let mut flipped = saved.clone();
        for i in CHUNK_TYPE_OFFSET + 2..flipped.len() {
            flipped[i] ^= 0xff;
            let _ = measure(&flipped, 1 << 20);
            flipped[i] ^= 0xff;
        }
    }
}
