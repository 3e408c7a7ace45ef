//! Turning a new full text into the few splices that change the old one into
//! it, so concurrent edits elsewhere in the text survive a merge.

use automerge::TextEncoding;
use similar::{Algorithm, DiffTag, capture_diff_slices};

use crate::ModelError;

/// One splice: at `pos`, delete `del`, insert `insert` (positions and lengths
/// in the document's text units, counted in the old text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Splice {
    pub(crate) pos: usize,
    pub(crate) del: usize,
    pub(crate) insert: String,
}

/// The splices from `old` to `new`, in increasing position, and how many
/// characters they insert and delete in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TextDiff {
    pub(crate) splices: Vec<Splice>,
    pub(crate) inserted: usize,
    pub(crate) deleted: usize,
}

/// Diffs two texts by character: the common prefix and suffix are trimmed
/// first (linear), and only the middle goes to the diff algorithm.
pub(crate) fn text_diff(
    old: &str,
    new: &str,
    encoding: TextEncoding,
) -> Result<TextDiff, ModelError> {
    let unit = unit_width(encoding)?;
    let old: Vec<char> = old.chars().collect();
    let new: Vec<char> = new.chars().collect();
    let prefix = common_prefix(&old, &new);
    let suffix = common_prefix_rev(&old[prefix..], &new[prefix..]);
    let old_mid = &old[prefix..old.len() - suffix];
    let new_mid = &new[prefix..new.len() - suffix];
    let mut diff = TextDiff::default();
    let mut pos = old[..prefix].iter().map(|&c| unit(c)).sum();
    for op in capture_diff_slices(Algorithm::Myers, old_mid, new_mid) {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let width: usize = old_mid[old_range.clone()].iter().map(|&c| unit(c)).sum();
        if tag != DiffTag::Equal {
            diff.inserted += new_range.len();
            diff.deleted += old_range.len();
            diff.push(pos, width, new_mid[new_range].iter().collect());
        }
        pos += width;
    }
    Ok(diff)
}

impl TextDiff {
    /// Adds a splice, joining it to the previous one when they touch.
    fn push(&mut self, pos: usize, del: usize, insert: String) {
        match self.splices.last_mut() {
            Some(last) if last.pos + last.del == pos => {
                last.del += del;
                last.insert.push_str(&insert);
            }
            _ => self.splices.push(Splice { pos, del, insert }),
        }
    }
}

fn unit_width(encoding: TextEncoding) -> Result<fn(char) -> usize, ModelError> {
    match encoding {
        TextEncoding::UnicodeCodePoint => Ok(|_| 1),
        TextEncoding::Utf8CodeUnit => Ok(char::len_utf8),
        TextEncoding::Utf16CodeUnit => Ok(char::len_utf16),
        TextEncoding::GraphemeCluster => Err(ModelError::UnsupportedTextEncoding),
    }
}

fn common_prefix(a: &[char], b: &[char]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn common_prefix_rev(a: &[char], b: &[char]) -> usize {
    a.iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE_POINTS: TextEncoding = TextEncoding::UnicodeCodePoint;

    fn splice(pos: usize, del: usize, insert: &str) -> Splice {
        Splice {
            pos,
            del,
            insert: insert.to_owned(),
        }
    }

    fn apply(old: &str, diff: &TextDiff) -> String {
        let mut chars: Vec<char> = old.chars().collect();
        for s in diff.splices.iter().rev() {
            chars.splice(s.pos..s.pos + s.del, s.insert.chars());
        }
        chars.into_iter().collect()
    }

    #[test]
    fn equal_texts_need_no_splice() {
        assert_eq!(
            text_diff("same", "same", CODE_POINTS).unwrap(),
            TextDiff::default()
        );
    }

    #[test]
    fn a_word_typed_in_the_middle_is_one_insertion() {
        let diff = text_diff("Riunione a Roma", "Riunione plenaria a Roma", CODE_POINTS).unwrap();
        assert_eq!(diff.splices, [splice(9, 0, "plenaria ")]);
        assert_eq!((diff.inserted, diff.deleted), (9, 0));
    }

    #[test]
    fn a_replaced_word_is_one_splice_counted_in_characters() {
        let diff = text_diff("caffè a Trieste", "tè a Trieste", CODE_POINTS).unwrap();
        assert_eq!(apply("caffè a Trieste", &diff), "tè a Trieste");
        assert_eq!(diff.splices.len(), 1);
        assert_eq!(diff.splices[0].pos, 0);
    }

    #[test]
    fn positions_are_counted_in_the_documents_text_units() {
        let old = "🙂 ciao";
        let new = "🙂 ciao!";
        let points = text_diff(old, new, CODE_POINTS).unwrap();
        let utf8 = text_diff(old, new, TextEncoding::Utf8CodeUnit).unwrap();
        let utf16 = text_diff(old, new, TextEncoding::Utf16CodeUnit).unwrap();
        assert_eq!(points.splices, [splice(6, 0, "!")]);
        assert_eq!(utf8.splices, [splice(9, 0, "!")]);
        assert_eq!(utf16.splices, [splice(7, 0, "!")]);
    }

    #[test]
    fn edits_in_two_places_become_two_splices() {
        let old = "primo paragrafo\n\nsecondo paragrafo";
        let new = "primo paragrafo breve\n\nsecondo capitolo";
        let diff = text_diff(old, new, CODE_POINTS).unwrap();
        assert_eq!(apply(old, &diff), new);
        assert!(diff.splices.len() >= 2, "{diff:?}");
        assert!(diff.splices.iter().all(|s| s.insert.len() < new.len() / 2));
    }

    #[test]
    fn grapheme_indexing_is_refused() {
        let err = text_diff("a", "b", TextEncoding::GraphemeCluster).unwrap_err();
        assert!(matches!(err, ModelError::UnsupportedTextEncoding));
    }
}
