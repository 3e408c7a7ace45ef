//! What travels on the page's WebSocket.
//!
//! Binary frames carry Automerge bytes for one note: `[kind][id length][id][bytes]`, the id as
//! its ASCII text. Text frames carry JSON: the page asks to open and close notes; the server
//! tells about presence, moves, lists and status to fetch again, errors.

use axum::extract::ws::Message;
use chrono::{DateTime, Utc};
use quaderno_client::sync::{ErasedNote, Present, ToPage};
use quaderno_model::DocumentId;
use serde::{Deserialize, Serialize};

/// The whole note (`Automerge::save`), to merge into what the page holds.
pub const SNAPSHOT: u8 = 1;
/// An Automerge sync message (both ways).
pub const SYNC: u8 = 2;
/// The whole note, to replace what the page holds.
pub const RESET: u8 = 3;

/// A binary frame, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: u8,
    pub doc: DocumentId,
    pub bytes: Vec<u8>,
}

/// Why a frame from the page cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the frame is too short")]
    Short,
    #[error("the frame names no valid note")]
    BadId,
}

impl Frame {
    pub fn encode(&self) -> Vec<u8> {
        let id = self.doc.to_string();
        let mut out = Vec::with_capacity(2 + id.len() + self.bytes.len());
        out.push(self.kind);
        out.push(id.len() as u8);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&self.bytes);
        out
    }

    pub fn decode(frame: &[u8]) -> Result<Frame, FrameError> {
        let [kind, len, rest @ ..] = frame else {
            return Err(FrameError::Short);
        };
        let len = usize::from(*len);
        if rest.len() < len {
            return Err(FrameError::Short);
        }
        let (id, bytes) = rest.split_at(len);
        let doc = std::str::from_utf8(id)
            .ok()
            .and_then(|id| id.parse().ok())
            .ok_or(FrameError::BadId)?;
        Ok(Frame {
            kind: *kind,
            doc,
            bytes: bytes.to_vec(),
        })
    }
}

/// What the page asks in text frames.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum FromPage {
    Open { doc: DocumentId },
    Close { doc: DocumentId },
}

/// What the server tells in text frames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ToPageText {
    /// The note is open: its snapshot follows.
    Opened {
        doc: DocumentId,
        group: String,
    },
    Presence {
        doc: DocumentId,
        present: Vec<Person>,
    },
    Moved {
        doc: DocumentId,
        group: String,
    },
    Gone {
        doc: DocumentId,
    },
    /// A note was erased from its group for everyone and deleted here. Sent to the pages that
    /// had it open, then to every page (a page tells it once).
    Erased {
        doc: DocumentId,
        group: String,
        /// The note's title as it was here; `None` for a note never listed here.
        title: Option<String>,
        erased_at: DateTime<Utc>,
        erased_by: String,
        reason: String,
        /// Edits made here that the relay never had were deleted with it.
        lost_edits: bool,
        /// For a passage erased from the note and its history: the note as it goes on, which
        /// the page offers to open. `null` for a note erased for good.
        successor: Option<DocumentId>,
    },
    /// The page's copy is replaced (its last change was refused): the snapshot follows.
    Reset {
        doc: DocumentId,
        group: String,
        reason: String,
    },
    /// Notes changed: lists may need fetching again.
    Notes,
    /// Sync status changed: the overview may need fetching again.
    Status,
    Error {
        doc: Option<DocumentId>,
        code: String,
        message: String,
    },
}

/// Someone in a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub name: String,
    pub city: String,
    /// The name they announced, when the relay knows their device by another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed: Option<String>,
}

impl From<&Present> for Person {
    fn from(present: &Present) -> Self {
        Person {
            name: present.name.clone(),
            city: present.city.clone(),
            claimed: present.claimed.clone(),
        }
    }
}

impl From<ErasedNote> for ToPageText {
    fn from(note: ErasedNote) -> Self {
        ToPageText::Erased {
            doc: note.doc,
            group: note.group,
            title: note.title,
            erased_at: note.erased_at,
            erased_by: note.erased_by,
            reason: note.reason,
            lost_edits: note.lost_edits,
            successor: note.successor,
        }
    }
}

impl ToPageText {
    pub fn message(&self) -> Message {
        Message::Text(
            serde_json::to_string(self)
                .expect("page messages serialize")
                .into(),
        )
    }
}

/// The frames that carry one engine output to its page.
pub fn messages(out: ToPage) -> Vec<Message> {
    let binary = |kind, doc, bytes| Message::Binary(Frame { kind, doc, bytes }.encode().into());
    match out {
        ToPage::Snapshot { doc, group, bytes } => vec![
            ToPageText::Opened { doc, group }.message(),
            binary(SNAPSHOT, doc, bytes),
        ],
        ToPage::Reset {
            doc,
            group,
            bytes,
            reason,
        } => vec![
            ToPageText::Reset { doc, group, reason }.message(),
            binary(RESET, doc, bytes),
        ],
        ToPage::Sync { doc, message } => vec![binary(SYNC, doc, message)],
        ToPage::Moved { doc, group } => vec![ToPageText::Moved { doc, group }.message()],
        ToPage::Gone { doc } => vec![ToPageText::Gone { doc }.message()],
        ToPage::Erased { note } => vec![ToPageText::from(note).message()],
        ToPage::Presence { doc, present } => vec![
            ToPageText::Presence {
                doc,
                present: present.iter().map(Person::from).collect(),
            }
            .message(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let frame = Frame {
            kind: SYNC,
            doc: DocumentId::random(),
            bytes: vec![0x42, 1, 2, 3],
        };
        assert_eq!(Frame::decode(&frame.encode()), Ok(frame));
    }

    #[test]
    fn broken_frames_are_refused() {
        assert_eq!(Frame::decode(&[SYNC]), Err(FrameError::Short));
        assert_eq!(Frame::decode(&[SYNC, 30, b'a']), Err(FrameError::Short));
        assert_eq!(
            Frame::decode(&[SYNC, 3, b'a', b'b', b'c']),
            Err(FrameError::BadId)
        );
    }

    #[test]
    fn an_erasure_reaches_the_page_with_who_when_and_why() {
        let doc = DocumentId::random();
        let note = ErasedNote {
            group: "prato".into(),
            doc,
            title: Some("Verbale".into()),
            erased_at: "2026-12-04T10:30:00Z".parse().unwrap(),
            erased_by: "Elena Rossi".into(),
            reason: "nome di un minore scritto per errore".into(),
            lost_edits: true,
            successor: None,
        };
        let sent = messages(ToPage::Erased { note });
        let [Message::Text(text)] = sent.as_slice() else {
            panic!("one text frame: {sent:?}");
        };
        let told: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            told,
            serde_json::json!({
                "t": "erased", "doc": doc.to_string(), "group": "prato", "title": "Verbale",
                "erased_at": "2026-12-04T10:30:00Z", "erased_by": "Elena Rossi",
                "reason": "nome di un minore scritto per errore", "lost_edits": true,
                "successor": null,
            })
        );
    }

    #[test]
    fn a_redaction_reaches_the_page_with_the_note_as_it_goes_on() {
        let (doc, successor) = (DocumentId::random(), DocumentId::random());
        let note = ErasedNote {
            group: "prato".into(),
            doc,
            title: Some("Verbale".into()),
            erased_at: "2026-12-04T10:30:00Z".parse().unwrap(),
            erased_by: "Elena Rossi".into(),
            reason: "nome di un minore scritto per errore".into(),
            lost_edits: false,
            successor: Some(successor),
        };
        let sent = messages(ToPage::Erased { note });
        let [Message::Text(text)] = sent.as_slice() else {
            panic!("one text frame: {sent:?}");
        };
        let told: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(told["doc"], doc.to_string());
        assert_eq!(told["successor"], successor.to_string());
    }

    #[test]
    fn page_requests_are_json_with_a_type() {
        let doc = DocumentId::random();
        let open: FromPage =
            serde_json::from_str(&format!(r#"{{"t":"open","doc":"{doc}"}}"#)).unwrap();
        assert_eq!(open, FromPage::Open { doc });
        assert!(serde_json::from_str::<FromPage>(r#"{"t":"open","doc":"nope"}"#).is_err());
    }
}
