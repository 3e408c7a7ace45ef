//! Tolerant decoding of one protocol message.

use minicbor::Decoder;
use minicbor::data::{Tag, Type};
use quaderno_model::DocumentId;

use super::{IdTexts, Message, PeerId, PeerMetadata};

/// Longest peer id, session id or protocol version accepted, in bytes.
const MAX_ID_LEN: usize = 1024;
/// Longest `message` text of an `error` accepted, in bytes.
const MAX_TEXT_LEN: usize = 64 * 1024;
/// CBOR tag the reference may put on a byte string (RFC 8746 "uint8 typed array").
const TAG_UINT8_ARRAY: u64 = 64;

/// Why a frame is not a protocol message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("the frame is not valid CBOR: {0}")]
    Cbor(String),
    #[error("the frame is not a CBOR map")]
    NotAMap,
    #[error("the frame has {0} bytes after the end of the message")]
    TrailingBytes(usize),
    #[error("the message has no `{0}` field")]
    MissingField(&'static str),
    #[error("the `{field}` field should be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("the `{field}` field is longer than {max} bytes")]
    TooLong { field: &'static str, max: usize },
    /// The text is not kept: echoed into an error or a log, a client's text could be a note's
    /// (a buggy client) or a forged log line (a hostile one).
    #[error("the `documentId` field is not an automerge document id")]
    BadDocumentId,
}

impl From<minicbor::decode::Error> for DecodeError {
    fn from(e: minicbor::decode::Error) -> Self {
        DecodeError::Cbor(e.to_string())
    }
}

/// The fields of any message; which are required depends on `type`.
#[derive(Default)]
struct Fields {
    kind: Option<String>,
    sender: Option<String>,
    target: Option<String>,
    document: Option<String>,
    data: Option<Vec<u8>>,
    metadata: Option<PeerMetadata>,
    supported_versions: Option<Vec<String>>,
    selected_version: Option<String>,
    message: Option<String>,
    session_id: Option<String>,
    count: Option<u64>,
}

pub(super) fn decode(bytes: &[u8], ids: &mut IdTexts) -> Result<Message, DecodeError> {
    let mut d = Decoder::new(bytes);
    let fields = read_fields(&mut d)?;
    let rest = bytes.len() - d.position();
    if rest != 0 {
        return Err(DecodeError::TrailingBytes(rest));
    }
    build(fields, ids)
}

fn read_fields(d: &mut Decoder<'_>) -> Result<Fields, DecodeError> {
    let mut fields = Fields::default();
    for_each_entry(d, |d, key| read_field(d, key, &mut fields))?;
    Ok(fields)
}

/// Calls `f` for each key of the map at the decoder's position, definite or indefinite.
fn for_each_entry<'b>(
    d: &mut Decoder<'b>,
    mut f: impl FnMut(&mut Decoder<'b>, &str) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    match d.datatype()? {
        Type::Map | Type::MapIndef => {}
        _ => return Err(DecodeError::NotAMap),
    }
    let len = d.map()?;
    let mut seen = 0u64;
    loop {
        match len {
            Some(n) if seen == n => return Ok(()),
            None if d.datatype()? == Type::Break => {
                d.skip()?;
                return Ok(());
            }
            _ => {}
        }
        if d.datatype()? == Type::String || d.datatype()? == Type::StringIndef {
            let key = text(d, "key", MAX_ID_LEN)?;
            f(d, &key)?;
        } else {
            d.skip()?;
            d.skip()?;
        }
        seen += 1;
    }
}

fn read_field(d: &mut Decoder<'_>, key: &str, fields: &mut Fields) -> Result<(), DecodeError> {
    match key {
        "type" => fields.kind = Some(text(d, "type", MAX_ID_LEN)?),
        "senderId" => fields.sender = optional(d, |d| text(d, "senderId", MAX_ID_LEN))?,
        "targetId" => fields.target = optional(d, |d| text(d, "targetId", MAX_ID_LEN))?,
        "documentId" => fields.document = optional(d, |d| text(d, "documentId", MAX_ID_LEN))?,
        "data" => fields.data = optional(d, |d| byte_string(d, "data"))?,
        "peerMetadata" => fields.metadata = optional(d, metadata)?,
        "supportedProtocolVersions" => fields.supported_versions = optional(d, versions)?,
        "selectedProtocolVersion" => {
            fields.selected_version = optional(d, |d| text(d, "selectedProtocolVersion", 64))?
        }
        "message" => fields.message = optional(d, |d| text(d, "message", MAX_TEXT_LEN))?,
        "sessionId" => fields.session_id = optional(d, |d| text(d, "sessionId", MAX_ID_LEN))?,
        "count" => fields.count = optional(d, |d| unsigned(d, "count"))?,
        _ => d.skip()?,
    }
    Ok(())
}

/// Reads a value, treating CBOR `undefined` and `null` as absent.
fn optional<'b, T>(
    d: &mut Decoder<'b>,
    read: impl FnOnce(&mut Decoder<'b>) -> Result<T, DecodeError>,
) -> Result<Option<T>, DecodeError> {
    match d.datatype()? {
        Type::Undefined | Type::Null => {
            d.skip()?;
            Ok(None)
        }
        _ => read(d).map(Some),
    }
}

fn text(d: &mut Decoder<'_>, field: &'static str, max: usize) -> Result<String, DecodeError> {
    let wrong = DecodeError::WrongType {
        field,
        expected: "a text string",
    };
    let mut out = String::new();
    match d.datatype()? {
        Type::String => out.push_str(d.str()?),
        Type::StringIndef => {
            for piece in d.str_iter()? {
                out.push_str(piece?);
                if out.len() > max {
                    break;
                }
            }
        }
        _ => return Err(wrong),
    }
    if out.len() > max {
        return Err(DecodeError::TooLong { field, max });
    }
    Ok(out)
}

fn byte_string(d: &mut Decoder<'_>, field: &'static str) -> Result<Vec<u8>, DecodeError> {
    if d.datatype()? == Type::Tag {
        let tag = d.tag()?;
        if tag != Tag::new(TAG_UINT8_ARRAY) {
            return Err(DecodeError::WrongType {
                field,
                expected: "a byte string",
            });
        }
    }
    match d.datatype()? {
        Type::Bytes => Ok(d.bytes()?.to_vec()),
        Type::BytesIndef => {
            let mut out = Vec::new();
            for piece in d.bytes_iter()? {
                out.extend_from_slice(piece?);
            }
            Ok(out)
        }
        _ => Err(DecodeError::WrongType {
            field,
            expected: "a byte string",
        }),
    }
}

/// A non-negative integer, also accepted as an integral float (how JavaScript sends numbers of
/// 2^32 and above).
fn unsigned(d: &mut Decoder<'_>, field: &'static str) -> Result<u64, DecodeError> {
    let wrong = DecodeError::WrongType {
        field,
        expected: "a non-negative integer",
    };
    match d.datatype()? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => Ok(d.u64()?),
        Type::F16 | Type::F32 | Type::F64 => {
            let v = d.f64()?;
            if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(64) {
                Ok(v as u64)
            } else {
                Err(wrong)
            }
        }
        _ => Err(wrong),
    }
}

fn metadata(d: &mut Decoder<'_>) -> Result<PeerMetadata, DecodeError> {
    let mut meta = PeerMetadata::default();
    for_each_entry(d, |d, key| {
        match key {
            "storageId" => meta.storage_id = optional(d, |d| text(d, "storageId", MAX_ID_LEN))?,
            "isEphemeral" => meta.is_ephemeral = optional(d, boolean)?.unwrap_or(false),
            _ => d.skip()?,
        }
        Ok(())
    })
    .map_err(|e| match e {
        DecodeError::NotAMap => DecodeError::WrongType {
            field: "peerMetadata",
            expected: "a map",
        },
        other => other,
    })?;
    Ok(meta)
}

fn boolean(d: &mut Decoder<'_>) -> Result<bool, DecodeError> {
    match d.datatype()? {
        Type::Bool => Ok(d.bool()?),
        _ => Err(DecodeError::WrongType {
            field: "isEphemeral",
            expected: "a boolean",
        }),
    }
}

fn versions(d: &mut Decoder<'_>) -> Result<Vec<String>, DecodeError> {
    const FIELD: &str = "supportedProtocolVersions";
    const MAX_VERSIONS: usize = 64;
    let wrong = DecodeError::WrongType {
        field: FIELD,
        expected: "an array of text strings",
    };
    match d.datatype()? {
        Type::Array | Type::ArrayIndef => {}
        _ => return Err(wrong),
    }
    let len = d.array()?;
    let mut out = Vec::new();
    loop {
        match len {
            Some(n) if out.len() as u64 == n => return Ok(out),
            None if d.datatype()? == Type::Break => {
                d.skip()?;
                return Ok(out);
            }
            _ => {}
        }
        if out.len() == MAX_VERSIONS {
            return Err(DecodeError::TooLong {
                field: FIELD,
                max: MAX_VERSIONS,
            });
        }
        out.push(text(d, FIELD, 64)?);
    }
}

fn build(f: Fields, ids: &mut IdTexts) -> Result<Message, DecodeError> {
    let kind = f.kind.ok_or(DecodeError::MissingField("type"))?;
    let sender = f.sender.map(PeerId::new);
    let need_sender = || sender.clone().ok_or(DecodeError::MissingField("senderId"));
    let target = f.target;
    let need_target = || {
        target
            .clone()
            .map(PeerId::new)
            .ok_or(DecodeError::MissingField("targetId"))
    };
    let document = f.document;
    let mut need_document = || document_id(document.as_deref(), ids);
    // Each kind takes `data` at most once: moved, never copied.
    let data = f.data;
    let need_data = move || data.ok_or(DecodeError::MissingField("data"));
    let message = match kind.as_str() {
        "join" => Message::Join {
            sender: need_sender()?,
            metadata: f.metadata,
            supported_versions: f.supported_versions,
        },
        "peer" => Message::Peer {
            sender: need_sender()?,
            target: need_target()?,
            metadata: f.metadata,
            selected_version: f
                .selected_version
                .ok_or(DecodeError::MissingField("selectedProtocolVersion"))?,
        },
        "error" => Message::Error {
            sender: need_sender()?,
            target: target.map(PeerId::new),
            message: f.message.unwrap_or_default(),
        },
        "request" => Message::Request {
            sender: need_sender()?,
            target: need_target()?,
            document: need_document()?,
            data: need_data()?,
        },
        "sync" => Message::Sync {
            sender: need_sender()?,
            target: need_target()?,
            document: need_document()?,
            data: need_data()?,
        },
        "doc-unavailable" => Message::DocUnavailable {
            sender: need_sender()?,
            target: need_target()?,
            document: need_document()?,
        },
        "ephemeral" => Message::Ephemeral {
            sender: need_sender()?,
            target: need_target()?,
            document: need_document()?,
            session_id: f.session_id.ok_or(DecodeError::MissingField("sessionId"))?,
            count: f.count.ok_or(DecodeError::MissingField("count"))?,
            data: need_data()?,
        },
        _ => Message::Other { kind, sender },
    };
    Ok(message)
}

fn document_id(text: Option<&str>, ids: &mut IdTexts) -> Result<DocumentId, DecodeError> {
    let text = text.ok_or(DecodeError::MissingField("documentId"))?;
    ids.parse(text).ok_or(DecodeError::BadDocumentId)
}
