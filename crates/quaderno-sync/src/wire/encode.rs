//! Encoding of one protocol message as preferred CBOR.

use minicbor::Encoder;

use super::{IdTexts, Message, PeerMetadata};

pub(super) fn encode(message: &Message, ids: &mut IdTexts) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    write(&mut e, message, ids).expect("writing CBOR to a Vec cannot fail");
    e.into_writer()
}

type Result = std::result::Result<(), minicbor::encode::Error<std::convert::Infallible>>;

fn write(e: &mut Encoder<Vec<u8>>, message: &Message, ids: &mut IdTexts) -> Result {
    match message {
        Message::Join {
            sender,
            metadata,
            supported_versions,
        } => {
            let versions = supported_versions.as_deref().unwrap_or(&[]);
            e.map(3 + u64::from(metadata.is_some()))?;
            e.str("type")?.str("join")?;
            e.str("senderId")?.str(sender.as_str())?;
            if let Some(metadata) = metadata {
                e.str("peerMetadata")?;
                write_metadata(e, metadata)?;
            }
            e.str("supportedProtocolVersions")?
                .array(versions.len() as u64)?;
            for version in versions {
                e.str(version)?;
            }
        }
        Message::Peer {
            sender,
            target,
            metadata,
            selected_version,
        } => {
            e.map(4 + u64::from(metadata.is_some()))?;
            e.str("type")?.str("peer")?;
            e.str("senderId")?.str(sender.as_str())?;
            if let Some(metadata) = metadata {
                e.str("peerMetadata")?;
                write_metadata(e, metadata)?;
            }
            e.str("selectedProtocolVersion")?.str(selected_version)?;
            e.str("targetId")?.str(target.as_str())?;
        }
        Message::Error {
            sender,
            target,
            message,
        } => {
            e.map(3 + u64::from(target.is_some()))?;
            e.str("type")?.str("error")?;
            e.str("senderId")?.str(sender.as_str())?;
            e.str("message")?.str(message)?;
            if let Some(target) = target {
                e.str("targetId")?.str(target.as_str())?;
            }
        }
        Message::Request {
            sender,
            target,
            document,
            data,
        }
        | Message::Sync {
            sender,
            target,
            document,
            data,
        } => {
            e.map(5)?;
            e.str("type")?.str(message.kind())?;
            e.str("senderId")?.str(sender.as_str())?;
            e.str("targetId")?.str(target.as_str())?;
            e.str("documentId")?.str(ids.text(*document))?;
            e.str("data")?.bytes(data)?;
        }
        Message::DocUnavailable {
            sender,
            target,
            document,
        } => {
            e.map(4)?;
            e.str("type")?.str("doc-unavailable")?;
            e.str("senderId")?.str(sender.as_str())?;
            e.str("targetId")?.str(target.as_str())?;
            e.str("documentId")?.str(ids.text(*document))?;
        }
        Message::Ephemeral {
            sender,
            target,
            document,
            session_id,
            count,
            data,
        } => {
            e.map(7)?;
            e.str("type")?.str("ephemeral")?;
            e.str("senderId")?.str(sender.as_str())?;
            e.str("targetId")?.str(target.as_str())?;
            e.str("documentId")?.str(ids.text(*document))?;
            e.str("sessionId")?.str(session_id)?;
            e.str("count")?.u64(*count)?;
            e.str("data")?.bytes(data)?;
        }
        Message::Other { kind, sender } => {
            e.map(1 + u64::from(sender.is_some()))?;
            e.str("type")?.str(kind)?;
            if let Some(sender) = sender {
                e.str("senderId")?.str(sender.as_str())?;
            }
        }
    }
    Ok(())
}

fn write_metadata(e: &mut Encoder<Vec<u8>>, metadata: &PeerMetadata) -> Result {
    e.map(2)?;
    e.str("storageId")?;
    match &metadata.storage_id {
        Some(id) => e.str(id)?,
        None => e.undefined()?,
    };
    e.str("isEphemeral")?.bool(metadata.is_ephemeral)?;
    Ok(())
}
