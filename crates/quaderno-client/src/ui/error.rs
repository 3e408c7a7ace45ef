//! What can go wrong co-editing a note in a page, each error saying what to do next.

use quaderno_model::ModelError;
use quaderno_store::StoreError;

use crate::NotebookError;

/// The large errors of the layers below are boxed: this one travels through every call.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error(transparent)]
    Notebook(Box<NotebookError>),

    #[error(transparent)]
    Store(Box<StoreError>),

    #[error("the local store failed: {0}; check free disk space and permissions")]
    Sqlite(Box<quaderno_store::rusqlite::Error>),

    #[error("the note's document cannot be read: {0}")]
    Model(Box<ModelError>),

    #[error("there is no note {id} on this computer: it may have been removed")]
    UnknownNote { id: String },

    #[error("note {id} is not open in this page: open it first")]
    NotOpen { id: String },

    #[error("the page sent a sync message that cannot be read ({reason}); reload the page")]
    BadMessage { reason: String },

    #[error("the page's change would break the note ({reason}); the note was reloaded in the page")]
    Rejected { reason: String },
}

impl From<NotebookError> for UiError {
    fn from(error: NotebookError) -> Self {
        UiError::Notebook(Box::new(error))
    }
}

impl From<StoreError> for UiError {
    fn from(error: StoreError) -> Self {
        UiError::Store(Box::new(error))
    }
}

impl From<quaderno_store::rusqlite::Error> for UiError {
    fn from(error: quaderno_store::rusqlite::Error) -> Self {
        UiError::Sqlite(Box::new(error))
    }
}

impl From<ModelError> for UiError {
    fn from(error: ModelError) -> Self {
        UiError::Model(Box::new(error))
    }
}

impl UiError {
    /// The person using the page can fix this (as opposed to a broken store).
    pub fn is_user_error(&self) -> bool {
        match self {
            UiError::Notebook(e) => e.is_user_error(),
            UiError::Store(_) | UiError::Sqlite(_) | UiError::Model(_) => false,
            _ => true,
        }
    }
}
