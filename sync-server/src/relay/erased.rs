//! Erased notes stay off the group's index: a client that still holds an erased note (an
//! automerge-repo client that knows nothing of erasures, or one that was offline) may list it
//! in the index again. The relay cannot refuse that change without refusing the rest of the
//! index with it, so it takes the entry off again at once, with a change of its own that
//! every member receives.

use std::collections::HashSet;

use automerge::{Automerge, ChangeHash};
use chrono::Utc;
use quaderno_model::{DocumentId, index_entries, remove_from_index};

/// What the group's index must not list, and how far it was checked.
#[derive(Debug, Default)]
pub struct ErasedGuard {
    /// `None` until read from storage.
    pub index: Option<DocumentId>,
    pub erased: HashSet<DocumentId>,
    /// The index's heads when it was last checked.
    checked: Vec<ChangeHash>,
}

/// A change of the relay's that takes erased notes off the index.
pub struct Unlisting {
    pub index: DocumentId,
    pub changes: Vec<u8>,
    pub actor: automerge::ActorId,
    pub unlisted: usize,
}

impl ErasedGuard {
    pub fn new(index: Option<DocumentId>, erased: impl IntoIterator<Item = DocumentId>) -> Self {
        Self {
            index,
            erased: erased.into_iter().collect(),
            checked: Vec::new(),
        }
    }

    /// The change that takes the erased notes the index lists off it, if it lists any. Only
    /// an index that changed since the last look is read.
    pub fn check(&mut self, index_doc: Option<&Automerge>) -> Option<Unlisting> {
        let (index, doc) = (self.index?, index_doc?);
        if self.erased.is_empty() || doc.get_heads() == self.checked {
            return None;
        }
        self.checked = doc.get_heads();
        let listed: Vec<DocumentId> = index_entries(doc)
            .ok()?
            .into_iter()
            .filter(|note| self.erased.contains(note))
            .collect();
        if listed.is_empty() {
            return None;
        }
        let mut copy = doc.fork();
        let before = copy.get_heads();
        let now = Utc::now();
        for note in &listed {
            remove_from_index(&mut copy, note, now).ok()?;
        }
        Some(Unlisting {
            index,
            changes: copy.save_after(&before),
            actor: copy.get_actor().clone(),
            unlisted: listed.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use quaderno_model::{Author, add_to_index, create_group_index};

    use super::*;

    #[test]
    fn an_erased_note_listed_again_is_taken_off_once_and_others_stay() {
        let anna = Author::new("Anna", "Palermo");
        let now = Utc::now();
        let mut index = create_group_index("palermo", now);
        let (erased, kept) = (DocumentId::random(), DocumentId::random());
        add_to_index(&mut index, &kept, &anna, now).unwrap();
        let mut guard = ErasedGuard::new(Some(DocumentId::random()), [erased]);
        assert!(
            guard.check(Some(&index)).is_none(),
            "nothing erased is listed"
        );

        add_to_index(&mut index, &erased, &anna, now).unwrap();
        let unlisting = guard.check(Some(&index)).expect("listed again");
        assert_eq!(unlisting.unlisted, 1);
        index.load_incremental(&unlisting.changes).unwrap();
        assert_eq!(index_entries(&index).unwrap(), vec![kept]);
        assert!(guard.check(Some(&index)).is_none(), "checked once");
    }
}
