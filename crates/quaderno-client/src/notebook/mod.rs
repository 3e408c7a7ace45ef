//! The participant's notebook on this machine: notes as Automerge documents in the local store,
//! indexed for listing and search, all offline.
//!
//! Every write loads the document, changes it through the model and stores the change and the
//! new index row in one transaction: when a call returns `Ok`, the note is on disk.
//!
//! A person names a note by title, id or id prefix ([`Notebook::resolve`]); a program such as
//! the web page names it by its [`DocumentId`](quaderno_model::DocumentId) and gets back the
//! changes to push to the group's relay at once ([`Pushed`]). Lists with filters and search as
//! you type are [`NoteQuery`]; a form's tags and meeting data, [`FieldsEdit`]. Edits a group
//! would not take (the relay made this participant a reader) are [`kept`] as personal copies.

mod create;
mod documents;
mod draft;
mod error;
mod export;
mod fields;
mod history;
mod identity;
mod import;
pub mod kept;
mod listing;
mod notes;
mod pushed;
mod reference;

use std::path::{Path, PathBuf};

use automerge::ActorId;
use quaderno_model::Author;
use quaderno_store::Store;
use quaderno_store::index;

pub use create::DERIVED_TITLE_CHARS;
pub use documents::{index_entry, load_doc, reindex, save_doc_changes, save_new_doc};
pub use draft::Draft;
pub use error::{Candidate, NotebookError};
pub use export::{
    ExportSelection, ExportedFile, Markdown, NoteFormat, export_file_name, file_name,
};
pub use fields::FieldsEdit;
pub use history::At;
pub use import::{ImportOutcome, ImportedNote, markdown_files};
pub use kept::KeptCopy;
pub use listing::{MAX_LISTED, NoteList, NoteQuery, NoteSummary, search_terms};
pub use notes::ShownNote;
pub use pushed::Pushed;
pub use quaderno_store::index::{ListFilter, ListedNote, SearchHit};
pub use reference::MIN_PREFIX;

/// The group of notes written before joining any group. Never synced.
pub const PERSONAL_GROUP: &str = "personal";

/// The store file inside the data folder.
pub const STORE_FILE: &str = "quaderno.sqlite3";

/// The notebook of one participant on one machine.
#[derive(Debug)]
pub struct Notebook {
    store: Store,
    /// One random Automerge actor per process, set on every document loaded or created, so two
    /// processes writing the same note never reuse an actor's sequence numbers.
    actor: ActorId,
    /// The participant, once `init` has run: every change is signed with it.
    identity: Option<Author>,
    path: PathBuf,
}

impl Notebook {
    /// Opens the notebook kept in `data_dir`, creating the folder and the store if needed.
    #[tracing::instrument(skip_all, err(level = "debug"), fields(dir = %data_dir.display()))]
    pub fn open(data_dir: &Path) -> Result<Notebook, NotebookError> {
        std::fs::create_dir_all(data_dir)
            .and_then(|()| quaderno_store::make_private(data_dir))
            .map_err(|source| NotebookError::DataDir {
                path: data_dir.to_owned(),
                source,
            })?;
        let path = data_dir.join(STORE_FILE);
        let store = Store::open(&path)?;
        crate::groups::ensure_schema(store.conn()).map_err(NotebookError::from_client)?;
        kept::ensure_schema(store.conn())?;
        crate::vouched::ensure_schema(store.conn())?;
        let identity = identity::load(store.conn())?;
        Ok(Notebook {
            store,
            actor: ActorId::random(),
            identity,
            path,
        })
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The participant on this machine, once set.
    pub fn identity(&self) -> Option<&Author> {
        self.identity.as_ref()
    }

    /// Sets (or changes) the participant on this machine.
    pub fn init(&mut self, name: &str, city: &str) -> Result<&Author, NotebookError> {
        let author = identity::validate(name, city)?;
        self.store.write(|tx| identity::save(tx, &author))?;
        Ok(self.identity.insert(author))
    }

    /// Notes matching `filter`, from the index (no document is loaded).
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<ListedNote>, NotebookError> {
        Ok(self.store.list(filter)?)
    }

    /// Notes matching every word of `query`, best first, from the index.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, NotebookError> {
        Ok(self.store.search(query, limit)?)
    }

    /// The note a reference names (id, unique id prefix, or exact title), from the index.
    pub fn resolve(&self, reference: &str) -> Result<ListedNote, NotebookError> {
        reference::resolve(self.store.conn(), reference)
    }

    /// The personal notebook, the joined groups and any group that holds notes here.
    pub fn groups(&self) -> Result<Vec<String>, NotebookError> {
        let mut groups = index::groups(self.store.conn())?;
        for joined in self.joined_groups()? {
            if !groups.contains(&joined) {
                groups.push(joined);
            }
        }
        groups.retain(|g| g != PERSONAL_GROUP);
        groups.sort();
        groups.insert(0, PERSONAL_GROUP.to_owned());
        Ok(groups)
    }

    /// The groups joined on a relay.
    pub fn joined_groups(&self) -> Result<Vec<String>, NotebookError> {
        let joined = crate::groups::all(self.store.conn()).map_err(NotebookError::from_client)?;
        Ok(joined.into_iter().map(|g| g.slug).collect())
    }

    /// Moves a personal note into a joined group: it is shared with the group from the next
    /// sync on (and within a moment by a running `sync --watch`).
    pub fn move_to_group(
        &mut self,
        reference: &str,
        group: &str,
    ) -> Result<ShownNote, NotebookError> {
        let listed = self.resolve(reference)?;
        let group = group.trim();
        if listed.group == group {
            return Err(NotebookError::AlreadyInGroup {
                title: listed.title,
                group: group.to_owned(),
            });
        }
        if listed.group != PERSONAL_GROUP {
            return Err(NotebookError::NotPersonal {
                title: listed.title,
                group: listed.group,
            });
        }
        if !self.joined_groups()?.iter().any(|g| g == group) {
            return Err(NotebookError::UnknownGroup {
                group: group.to_owned(),
            });
        }
        documents::ensure_writable(self.store.conn(), group)?;
        let actor = self.actor.clone();
        let note = self
            .store
            .write(|tx| {
                quaderno_store::docs::move_to(tx, &listed.id, PERSONAL_GROUP, group)?;
                index::move_note(tx, &listed.id, group)?;
                let doc = documents::load_existing_doc(tx, &actor, group, &listed.id)?;
                documents::reindex(tx, group, &listed.id, &doc)
            })
            .map_err(|e| match e {
                // Rolled back: the note is still personal, and damaged there.
                NotebookError::Damaged { id, title, .. } => {
                    self.set_damage_aside(NotebookError::Damaged {
                        id,
                        title,
                        group: PERSONAL_GROUP.to_owned(),
                    })
                }
                other => other,
            })?;
        Ok(notes::shown_in(listed, group, note))
    }

    fn author(&self) -> Result<Author, NotebookError> {
        self.identity.clone().ok_or(NotebookError::NoIdentity)
    }
}
