//! Presence: who else is in a note right now, from ephemeral messages.
//!
//! A client live in a note broadcasts `{type: "quaderno/presence", name, city}` (CBOR, like every
//! automerge-repo ephemeral payload) every few seconds, and `left: true` when it leaves. A peer
//! not heard from for [`PRESENCE_TTL`] is gone.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use minicbor::{Decoder, Encoder};
use quaderno_model::{Author, DocumentId};

/// How often a client in a note repeats its presence.
pub const PRESENCE_EVERY: Duration = Duration::from_secs(5);
/// How long a presence lasts without being repeated.
pub const PRESENCE_TTL: Duration = Duration::from_secs(15);

const KIND: &str = "quaderno/presence";

/// Someone in a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    /// Their peer id (one per device).
    pub peer: String,
    pub name: String,
    pub city: String,
    /// The name they announced, when the relay knows their device by another.
    pub claimed: Option<String>,
}

/// Who was heard in which note, and when.
#[derive(Debug, Default)]
pub struct Presence {
    by_doc: HashMap<DocumentId, HashMap<String, (Present, Instant)>>,
}

impl Presence {
    /// Takes note of an ephemeral payload; anything that is not a presence is ignored.
    pub fn heard(&mut self, doc: DocumentId, peer: &str, data: &[u8], now: Instant) {
        let Some(payload) = decode(data) else {
            return;
        };
        let here = self.by_doc.entry(doc).or_default();
        if payload.left {
            here.remove(peer);
            return;
        }
        let present = Present {
            peer: peer.to_string(),
            name: payload.name,
            city: payload.city,
            claimed: None,
        };
        here.insert(peer.to_string(), (present, now));
    }

    /// Everyone heard in the note within [`PRESENCE_TTL`], by name.
    pub fn in_doc(&self, doc: &DocumentId, now: Instant) -> Vec<Present> {
        let mut present: Vec<Present> = self
            .by_doc
            .get(doc)
            .into_iter()
            .flat_map(|peers| peers.values())
            .filter(|(_, seen)| now.saturating_duration_since(*seen) < PRESENCE_TTL)
            .map(|(p, _)| p.clone())
            .collect();
        present.sort_by(|a, b| a.name.cmp(&b.name).then(a.peer.cmp(&b.peer)));
        present
    }

    /// Forgets presences that expired.
    pub fn expire(&mut self, now: Instant) {
        for peers in self.by_doc.values_mut() {
            peers.retain(|_, (_, seen)| now.saturating_duration_since(*seen) < PRESENCE_TTL);
        }
        self.by_doc.retain(|_, peers| !peers.is_empty());
    }
}

struct Payload {
    name: String,
    city: String,
    left: bool,
}

/// The payload announcing `author` in a note (or leaving it).
pub fn encode(author: &Author, left: bool) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    let write = |e: &mut Encoder<Vec<u8>>| -> Result<(), minicbor::encode::Error<std::convert::Infallible>> {
        e.map(4)?;
        e.str("type")?.str(KIND)?;
        e.str("name")?.str(&author.name)?;
        e.str("city")?.str(&author.city)?;
        e.str("left")?.bool(left)?;
        Ok(())
    };
    write(&mut e).expect("writing CBOR to a Vec cannot fail");
    e.into_writer()
}

fn decode(data: &[u8]) -> Option<Payload> {
    const MAX_TEXT: usize = 200;
    let mut d = Decoder::new(data);
    let entries = d.map().ok()??;
    let (mut kind, mut name, mut city, mut left) = (None, None, None, false);
    for _ in 0..entries.min(16) {
        let key = d.str().ok()?;
        match key {
            "type" => kind = Some(d.str().ok()?.to_string()),
            "name" => name = Some(d.str().ok()?.chars().take(MAX_TEXT).collect()),
            "city" => city = Some(d.str().ok()?.chars().take(MAX_TEXT).collect()),
            "left" => left = d.bool().ok()?,
            _ => d.skip().ok()?,
        }
    }
    (kind.as_deref() == Some(KIND)).then_some(())?;
    Some(Payload {
        name: name?,
        city: city.unwrap_or_default(),
        left,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anna() -> Author {
        Author {
            name: "Anna".into(),
            city: "Palermo".into(),
        }
    }

    #[test]
    fn presence_is_heard_repeated_and_forgotten() {
        let doc = DocumentId::random();
        let mut presence = Presence::default();
        let t0 = Instant::now();

        presence.heard(doc, "device-anna", &encode(&anna(), false), t0);
        assert_eq!(presence.in_doc(&doc, t0)[0].name, "Anna");
        assert_eq!(presence.in_doc(&doc, t0)[0].city, "Palermo");

        assert!(
            presence.in_doc(&doc, t0 + PRESENCE_TTL).is_empty(),
            "expired"
        );
        presence.heard(
            doc,
            "device-anna",
            &encode(&anna(), false),
            t0 + PRESENCE_TTL,
        );
        assert_eq!(
            presence.in_doc(&doc, t0 + PRESENCE_TTL).len(),
            1,
            "repeated"
        );

        presence.heard(
            doc,
            "device-anna",
            &encode(&anna(), true),
            t0 + PRESENCE_TTL,
        );
        assert!(presence.in_doc(&doc, t0 + PRESENCE_TTL).is_empty(), "left");
    }

    #[test]
    fn other_ephemeral_payloads_are_ignored() {
        let doc = DocumentId::random();
        let mut presence = Presence::default();
        for data in [vec![], vec![0xff, 0x00], vec![0xa1, 0x61, 0x78, 0x01]] {
            presence.heard(doc, "p", &data, Instant::now());
        }
        assert!(presence.in_doc(&doc, Instant::now()).is_empty());
    }
}
