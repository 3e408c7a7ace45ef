//! Quaderno's sync engine.
//!
//! [`wire`] is the automerge-repo WebSocket protocol (version "1") as typed messages.
//! [`Hub`] is a sans-IO core over `automerge::sync` that both the relay and the client run:
//! frames, documents loaded from storage and the passing of time go in; frames to send,
//! storage writes and events come out.
//!
//! ```
//! use std::time::Instant;
//! use quaderno_sync::{ConnId, ConnPolicy, Hub, HubConfig, Input, PeerId, PeerMetadata, Side};
//!
//! let relay_config = HubConfig::new(Side::Relay, PeerId::new("relay"), PeerMetadata::default(), "s".into());
//! let client_config = HubConfig::new(Side::Client, PeerId::new("anna"), PeerMetadata::default(), "t".into());
//! let (mut relay, mut client) = (Hub::new(relay_config), Hub::new(client_config));
//! let now = Instant::now();
//!
//! // The client dials: its hub says `join`; the relay's hub answers `peer`.
//! let dialled = client.handle(now, [Input::Opened { conn: ConnId(1), policy: ConnPolicy::default() }]);
//! let (_, join) = &dialled.sends[0];
//! relay.handle(now, [Input::Opened { conn: ConnId(7), policy: ConnPolicy::default() }]);
//! let answered = relay.handle(now, [Input::Frame { conn: ConnId(7), bytes: join.clone() }]);
//! let (_, peer) = &answered.sends[0];
//! let joined = client.handle(now, [Input::Frame { conn: ConnId(1), bytes: peer.clone() }]);
//! assert!(matches!(joined.events[0], quaderno_sync::Event::Joined { .. }));
//! ```

pub mod changes;
mod hub;
pub mod measure;
pub mod wire;

pub use hub::{
    Authorship, Charge, ConnId, ConnPolicy, DeviceId, Event, Hub, HubConfig, Input, Limits,
    LoadedDoc, Output, Owner, ParticipantId, Side, Write,
};
pub use wire::{Message, PeerId, PeerMetadata};
