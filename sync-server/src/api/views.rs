//! The JSON shapes the API answers with.

use quaderno_model::DocumentId;
use serde::Serialize;

use crate::accounts::{DeviceAuth, Group, Membership, Participant, Role};

/// A participant as the API shows them.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantView {
    /// Their id on the relay.
    pub id: i64,
    /// Their name.
    pub name: String,
    /// Their city.
    pub city: String,
}

impl From<&Participant> for ParticipantView {
    fn from(p: &Participant) -> Self {
        Self {
            id: p.id,
            name: p.name.clone(),
            city: p.city.clone(),
        }
    }
}

impl From<&DeviceAuth> for ParticipantView {
    fn from(auth: &DeviceAuth) -> Self {
        Self {
            id: auth.participant_id,
            name: auth.participant.clone(),
            city: auth.city.clone(),
        }
    }
}

/// The calling device.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceView {
    /// Its id on the relay.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The peer id it must use in the sync protocol.
    pub peer_id: String,
}

impl From<&DeviceAuth> for DeviceView {
    fn from(auth: &DeviceAuth) -> Self {
        Self {
            id: auth.device_id,
            name: auth.device_name.clone(),
            peer_id: auth.peer_id.clone(),
        }
    }
}

/// A group the participant belongs to.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    /// Its name in URLs.
    pub slug: String,
    /// Its display title.
    pub title: String,
    /// The participant's role in it.
    pub role: Role,
    /// The document listing its notes.
    pub index_doc: DocumentId,
}

impl GroupView {
    /// The group as seen by a member with `role`.
    pub fn new(group: &Group, role: Role) -> Self {
        Self {
            slug: group.slug.clone(),
            title: group.title.clone(),
            role,
            index_doc: group.index_doc,
        }
    }
}

impl From<&Membership> for GroupView {
    fn from(m: &Membership) -> Self {
        Self::new(&m.group, m.role)
    }
}
