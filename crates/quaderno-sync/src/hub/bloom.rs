//! Checking the bloom filters in a peer's `have` before automerge uses them.
//!
//! `automerge` 0.12 trusts a received filter's parameters: with entries but no bits it divides
//! by zero (a panic that takes the whole group's hub down), and it allocates and computes
//! `num_probes` probes for every change it considers sending, so a filter asking for billions
//! of probes costs gigabytes and minutes. automerge writes 7 probes and 10 bits an entry.

use automerge::sync;

/// More probes than any filter automerge writes; more would only cost the relay time.
const MAX_PROBES: u64 = 32;
/// Bits are addressed with a `u32` (eight times the byte length must fit).
const MAX_BITS_BYTES: usize = (u32::MAX / 8) as usize;

/// Why a sync message's bloom filter is refused.
pub(super) fn check(message: &sync::Message) -> Result<(), String> {
    for have in &message.have {
        check_filter(&have.bloom.to_bytes())?;
    }
    Ok(())
}

/// `bytes` as automerge writes a filter: nothing for an empty filter, else the number of
/// entries, bits per entry and probes (LEB128), then the bits.
fn check_filter(bytes: &[u8]) -> Result<(), String> {
    let mut rest = bytes;
    let Some(entries) = leb128(&mut rest) else {
        return Ok(());
    };
    let (Some(_bits_per_entry), Some(probes)) = (leb128(&mut rest), leb128(&mut rest)) else {
        return Err("the sync message's bloom filter is truncated".into());
    };
    if entries > 0 && rest.is_empty() {
        return Err("the sync message's bloom filter has entries but no bits".into());
    }
    if probes > MAX_PROBES {
        return Err(format!(
            "the sync message's bloom filter asks for {probes} probes; at most {MAX_PROBES} are accepted"
        ));
    }
    if rest.len() > MAX_BITS_BYTES {
        return Err("the sync message's bloom filter is too large".into());
    }
    Ok(())
}

fn leb128(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    use super::*;

    fn sync_with_filter(entries: u8, bits_per_entry: u8, probes: &[u8], bits: &[u8]) -> Vec<u8> {
        let filter = [&[entries, bits_per_entry], probes, bits].concat();
        [&[0x42, 0, 0, 1, 0, filter.len() as u8][..], &filter, &[0]].concat()
    }

    fn checked(bytes: &[u8]) -> Result<(), String> {
        check(&sync::Message::decode(bytes).expect("a sync message"))
    }

    #[test]
    fn the_filters_automerge_writes_pass() {
        let mut doc = AutoCommit::new();
        for i in 0..20 {
            doc.put(ROOT, "n", i).unwrap();
            doc.commit();
        }
        let mut state = sync::State::new();
        let message = doc.sync().generate_sync_message(&mut state).unwrap();
        assert!(!message.have.is_empty());
        assert_eq!(check(&message), Ok(()));
        assert_eq!(
            checked(&sync_with_filter(1, 10, &[7], &[0xff, 0x03])),
            Ok(())
        );
    }

    #[test]
    fn a_filter_with_entries_and_no_bits_is_refused() {
        let refused = checked(&sync_with_filter(1, 0, &[7], &[])).unwrap_err();
        assert!(refused.contains("no bits"), "{refused}");
    }

    #[test]
    fn a_filter_asking_for_billions_of_probes_is_refused() {
        let billions = [0xff, 0xff, 0xff, 0xff, 0x0f];
        let refused = checked(&sync_with_filter(1, 8, &billions, &[0xff])).unwrap_err();
        assert!(refused.contains("4294967295 probes"), "{refused}");
        assert!(checked(&sync_with_filter(1, 8, &[33], &[0xff])).is_err());
    }
}
