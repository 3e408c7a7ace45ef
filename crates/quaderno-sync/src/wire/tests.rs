use proptest::prelude::*;
use quaderno_model::DocumentId;

use super::*;

/// The document id of the reference capture in automerge-repo-protocol.md.
const CAPTURED_DOC: &str = "3uQUjbaDfGKoHMh8XGHx7c9jNxyU";

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Writes CBOR the way cbor-x does for the JavaScript reference: every map with a 16-bit
/// length header (`b9 LL LL`), keys in the sender's insertion order.
struct CborX(Vec<u8>);

impl CborX {
    fn map(n: u16) -> Self {
        let mut out = vec![0xb9];
        out.extend(n.to_be_bytes());
        Self(out)
    }
    fn text(mut self, s: &str) -> Self {
        let mut e = minicbor::Encoder::new(Vec::new());
        e.str(s).unwrap();
        self.0.extend(e.into_writer());
        self
    }
    fn entry(self, key: &str, value: &str) -> Self {
        self.text(key).text(value)
    }
    fn raw(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }
    fn bytes(mut self, b: &[u8]) -> Self {
        let mut e = minicbor::Encoder::new(Vec::new());
        e.bytes(b).unwrap();
        self.0.extend(e.into_writer());
        self
    }
    fn done(self) -> Vec<u8> {
        self.0
    }
}

#[test]
fn decodes_the_captured_join_of_an_in_memory_js_client() {
    // Byte for byte from automerge-repo-protocol.md section 3.1 (100 bytes).
    let bytes = hex("b9 0004
         64 74797065 64 6a6f696e
         68 73656e6465724964 67 636c69656e7441
         6c 706565724d65746164617461
           b9 0002
             69 73746f726167654964 f7
             6b 6973457068656d6572616c f5
         78 19 737570706f7274656450726f746f636f6c56657273696f6e73
           81 61 31");
    assert_eq!(bytes.len(), 100);

    let message = Message::decode(&bytes).unwrap();

    assert_eq!(
        message,
        Message::Join {
            sender: PeerId::new("clientA"),
            metadata: Some(PeerMetadata {
                storage_id: None,
                is_ephemeral: true
            }),
            supported_versions: Some(vec!["1".into()]),
        }
    );
}

#[test]
fn decodes_a_request_with_the_js_clients_key_order() {
    // c2s {"type":"request","targetId":"storage-server-vm","documentId":"3uQU…",
    //      "data":<42000001000000020284>,"senderId":"clientB"}
    let data = hex("42000001000000020284");
    let bytes = CborX::map(5)
        .entry("type", "request")
        .entry("targetId", "storage-server-vm")
        .entry("documentId", CAPTURED_DOC)
        .text("data")
        .bytes(&data)
        .entry("senderId", "clientB")
        .done();

    let message = Message::decode(&bytes).unwrap();

    assert_eq!(
        message,
        Message::Request {
            sender: PeerId::new("clientB"),
            target: PeerId::new("storage-server-vm"),
            document: CAPTURED_DOC.parse().unwrap(),
            data,
        }
    );
}

#[test]
fn accepts_tagged_byte_strings_floats_for_counts_and_unknown_keys() {
    let bytes = CborX::map(8)
        .entry("type", "ephemeral")
        .entry("senderId", "peer-abc")
        .entry("targetId", "relay")
        .entry("documentId", CAPTURED_DOC)
        .entry("sessionId", "s1")
        .text("count")
        .raw(&hex("fb 41f0000000000000")) // 2^32 as a float64, as JavaScript sends it
        .text("data")
        .raw(&hex("d8 40 43 010203")) // tag 64 around a byte string
        .text("somethingNew")
        .raw(&hex("a1 61 78 f6"))
        .done();

    let message = Message::decode(&bytes).unwrap();

    let Message::Ephemeral { count, data, .. } = message else {
        panic!("expected ephemeral, got {message:?}");
    };
    assert_eq!(count, 1 << 32);
    assert_eq!(data, vec![1, 2, 3]);
}

#[test]
fn tolerates_messages_it_does_not_act_on() {
    // remote-heads-changed carries a float64 timestamp inside nested maps.
    let bytes = CborX::map(5)
        .entry("type", "remote-heads-changed")
        .entry("senderId", "peer-abc")
        .entry("targetId", "relay")
        .entry("documentId", CAPTURED_DOC)
        .text("newHeads")
        .raw(&hex(
            "b9 0001 63 736964 b9 0002 65 6865616473 80 69 74696d657374616d70 fb 4278c4b0e2d5a000",
        ))
        .done();

    let message = Message::decode(&bytes).unwrap();

    assert_eq!(
        message,
        Message::Other {
            kind: "remote-heads-changed".into(),
            sender: Some(PeerId::new("peer-abc"))
        }
    );
}

#[test]
fn accepts_an_indefinite_length_map() {
    let mut bytes = vec![0xbf];
    bytes.extend(
        CborX(Vec::new())
            .entry("type", "join")
            .entry("senderId", "p")
            .done(),
    );
    bytes.push(0xff);

    let message = Message::decode(&bytes).unwrap();

    assert!(matches!(
        message,
        Message::Join {
            supported_versions: None,
            ..
        }
    ));
}

#[test]
fn rejects_what_is_not_a_message() {
    let cases: &[(&str, Vec<u8>, DecodeError)] = &[
        ("empty frame", vec![], DecodeError::Cbor(String::new())),
        ("an array", hex("80"), DecodeError::NotAMap),
        (
            "no type",
            CborX::map(1).entry("senderId", "p").done(),
            DecodeError::MissingField("type"),
        ),
        (
            "sync without data",
            CborX::map(4)
                .entry("type", "sync")
                .entry("senderId", "p")
                .entry("targetId", "q")
                .entry("documentId", CAPTURED_DOC)
                .done(),
            DecodeError::MissingField("data"),
        ),
        (
            "a number where text belongs",
            CborX::map(2)
                .entry("type", "join")
                .text("senderId")
                .raw(&hex("05"))
                .done(),
            DecodeError::WrongType {
                field: "senderId",
                expected: "a text string",
            },
        ),
        (
            "bad document id",
            CborX::map(4)
                .entry("type", "doc-unavailable")
                .entry("senderId", "p")
                .entry("targetId", "q")
                .entry("documentId", "not-an-id")
                .done(),
            DecodeError::BadDocumentId,
        ),
        (
            "a map claiming more entries than the frame holds",
            hex("bb 00ffffffffffffff 64 74797065"),
            DecodeError::Cbor(String::new()),
        ),
        (
            "trailing bytes",
            {
                let mut b = CborX::map(2)
                    .entry("type", "join")
                    .entry("senderId", "p")
                    .done();
                b.push(0);
                b
            },
            DecodeError::TrailingBytes(1),
        ),
    ];
    for (name, bytes, expected) in cases {
        let got = Message::decode(bytes).expect_err(name);
        match (expected, &got) {
            (DecodeError::Cbor(_), DecodeError::Cbor(_)) => {}
            _ => assert_eq!(&got, expected, "{name}"),
        }
    }
}

#[test]
fn rejects_a_huge_sender_id() {
    let long = "x".repeat(5000);
    let bytes = CborX::map(2)
        .entry("type", "join")
        .entry("senderId", &long)
        .done();

    assert_eq!(
        Message::decode(&bytes),
        Err(DecodeError::TooLong {
            field: "senderId",
            max: 1024
        })
    );
}

fn peer_id() -> impl Strategy<Value = PeerId> {
    "[a-zA-Z0-9_-]{1,40}".prop_map(PeerId::new)
}

fn document() -> impl Strategy<Value = DocumentId> {
    any::<[u8; 16]>().prop_map(DocumentId::from_bytes)
}

fn metadata() -> impl Strategy<Value = Option<PeerMetadata>> {
    proptest::option::of(
        (proptest::option::of("[a-f0-9-]{1,36}"), any::<bool>()).prop_map(
            |(storage_id, is_ephemeral)| PeerMetadata {
                storage_id,
                is_ephemeral,
            },
        ),
    )
}

fn message() -> impl Strategy<Value = Message> {
    let data = proptest::collection::vec(any::<u8>(), 0..300);
    prop_oneof![
        (
            peer_id(),
            metadata(),
            proptest::collection::vec("[0-9]{1,3}", 0..3)
        )
            .prop_map(|(sender, metadata, v)| Message::Join {
                sender,
                metadata,
                supported_versions: Some(v)
            }),
        (peer_id(), peer_id(), metadata()).prop_map(|(sender, target, metadata)| Message::Peer {
            sender,
            target,
            metadata,
            selected_version: "1".into()
        }),
        (peer_id(), proptest::option::of(peer_id()), ".{0,50}").prop_map(
            |(sender, target, message)| Message::Error {
                sender,
                target,
                message
            }
        ),
        (peer_id(), peer_id(), document(), data.clone()).prop_map(
            |(sender, target, document, data)| Message::Request {
                sender,
                target,
                document,
                data
            }
        ),
        (peer_id(), peer_id(), document(), data.clone()).prop_map(
            |(sender, target, document, data)| Message::Sync {
                sender,
                target,
                document,
                data
            }
        ),
        (peer_id(), peer_id(), document()).prop_map(|(sender, target, document)| {
            Message::DocUnavailable {
                sender,
                target,
                document,
            }
        }),
        (
            peer_id(),
            peer_id(),
            document(),
            "[a-z0-9]{1,12}",
            any::<u64>(),
            data
        )
            .prop_map(|(sender, target, document, session_id, count, data)| {
                Message::Ephemeral {
                    sender,
                    target,
                    document,
                    session_id,
                    count,
                    data,
                }
            }),
    ]
}

proptest! {
    #[test]
    fn every_message_survives_a_round_trip(message in message()) {
        let bytes = message.encode();
        prop_assert_eq!(Message::decode(&bytes), Ok(message));
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Message::decode(&bytes);
    }
}
