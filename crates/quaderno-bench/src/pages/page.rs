//! A page of `quaderno ui` as the browser runs it: one WebSocket to the process, its own copy
//! of the open note, and plain Automerge sync with the process (`app/socket.js` and
//! `app/notedoc.js` in the quaderno-cli crate).
//!
//! Binary frames are `[kind][id length][id][bytes]`; text frames are JSON. A keystroke is one
//! change to the copy: a splice at the end of `body`, the page's actor signed in `authors`.

use std::time::Duration;

use anyhow::{Context, bail};
use automerge::sync::{self, SyncDoc};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{Automerge, ObjId, ObjType, ROOT, ReadDoc, Value};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::processes::UiAddress;

/// The whole note, to merge into the copy.
pub const SNAPSHOT: u8 = 1;
/// An Automerge sync message, both ways.
pub const SYNC: u8 = 2;
/// The whole note, to replace the copy.
pub const RESET: u8 = 3;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A binary frame of the page's socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: u8,
    pub doc: String,
    pub bytes: Vec<u8>,
}

impl Frame {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.doc.len() + self.bytes.len());
        out.push(self.kind);
        out.push(self.doc.len() as u8);
        out.extend_from_slice(self.doc.as_bytes());
        out.extend_from_slice(&self.bytes);
        out
    }

    pub fn decode(frame: &[u8]) -> Option<Frame> {
        let [kind, len, rest @ ..] = frame else {
            return None;
        };
        let (id, bytes) = rest.split_at_checked(usize::from(*len))?;
        Some(Frame {
            kind: *kind,
            doc: String::from_utf8(id.to_vec()).ok()?,
            bytes: bytes.to_vec(),
        })
    }
}

/// What one frame from the process did to the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Took {
    /// A sync message, a snapshot or a reset was taken in (and answered).
    Note,
    /// Something else: a JSON message, a ping, a frame for another note.
    Other,
}

/// What the page counted.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Counts {
    pub sync_sent: u64,
    pub sync_received: u64,
    pub resets: u64,
}

/// The page's socket and its copy of one open note.
pub struct Page {
    socket: Socket,
    doc_id: String,
    copy: Automerge,
    state: sync::State,
    body: Option<ObjId>,
    signed: bool,
    author: (String, String),
    pub counts: Counts,
    /// `error` messages the process sent.
    pub errors: Vec<String>,
}

/// GET of the printed address sets the page's cookie; its `name=value`.
async fn cookie(address: &UiAddress) -> anyhow::Result<String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = client
        .get(&address.url)
        .send()
        .await
        .context("quaderno ui does not answer")?;
    let set = response
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .with_context(|| {
            format!(
                "quaderno ui set no cookie (HTTP {}) on its own address",
                response.status()
            )
        })?;
    Ok(set.split(';').next().unwrap_or_default().trim().to_owned())
}

impl Page {
    /// Connects as the page would, with the cookie, `Host` and `Origin` of the page.
    pub async fn connect(address: &UiAddress, author: (&str, &str)) -> anyhow::Result<Page> {
        let cookie = cookie(address).await?;
        let host = format!("127.0.0.1:{}", address.port);
        let mut request = format!("ws://{host}/api/socket").into_client_request()?;
        let headers = request.headers_mut();
        headers.insert("host", HeaderValue::from_str(&host)?);
        headers.insert("origin", HeaderValue::from_str(&format!("http://{host}"))?);
        headers.insert("cookie", HeaderValue::from_str(&cookie)?);
        let (socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
            .await
            .context("the page's WebSocket was refused")?;
        Ok(Page {
            socket,
            doc_id: String::new(),
            copy: Automerge::new(),
            state: sync::State::new(),
            body: None,
            signed: false,
            author: (author.0.to_owned(), author.1.to_owned()),
            counts: Counts::default(),
            errors: Vec::new(),
        })
    }

    /// Opens the note and takes in its snapshot, within `limit`.
    pub async fn open(&mut self, doc: &str, limit: Duration) -> anyhow::Result<()> {
        self.doc_id = doc.to_owned();
        let open = serde_json::json!({ "t": "open", "doc": doc }).to_string();
        self.socket.send(WsMessage::Text(open.into())).await?;
        tokio::time::timeout(limit, async {
            while self.body.is_none() {
                self.take_next().await?;
                if let Some(error) = self.errors.first() {
                    bail!("the process refused to open the note: {error}");
                }
            }
            Ok(())
        })
        .await
        .with_context(|| format!("no snapshot of the note within {limit:?}"))?
    }

    /// Takes in frames until none comes for `quiet`, within `limit`.
    pub async fn settle(&mut self, quiet: Duration, limit: Duration) -> anyhow::Result<()> {
        tokio::time::timeout(limit, async {
            while let Ok(taken) = tokio::time::timeout(quiet, self.take_next()).await {
                taken?;
            }
            Ok(())
        })
        .await
        .with_context(|| format!("the page did not go quiet within {limit:?}"))?
    }

    /// Waits for the next frame from the process and takes it in.
    pub async fn take_next(&mut self) -> anyhow::Result<Took> {
        let message = self.next_message().await?;
        self.take(message).await
    }

    /// The next frame from the process (safe to cancel: nothing is lost).
    pub async fn next_message(&mut self) -> anyhow::Result<WsMessage> {
        Ok(self
            .socket
            .next()
            .await
            .context("the process closed the page's socket")??)
    }

    /// Takes in a frame from the process, answering it as the page does.
    pub async fn take(&mut self, message: WsMessage) -> anyhow::Result<Took> {
        match message {
            WsMessage::Binary(bytes) => {
                let frame = Frame::decode(&bytes).context("a frame the page cannot read")?;
                if frame.doc != self.doc_id {
                    return Ok(Took::Other);
                }
                self.take_frame(frame).await
            }
            WsMessage::Text(text) => {
                let value: serde_json::Value = serde_json::from_str(text.as_str())?;
                if value["t"] == "error" {
                    self.errors
                        .push(value["message"].as_str().unwrap_or("").to_owned());
                }
                Ok(Took::Other)
            }
            WsMessage::Close(_) => bail!("the process closed the page's socket"),
            _ => Ok(Took::Other),
        }
    }

    async fn take_frame(&mut self, frame: Frame) -> anyhow::Result<Took> {
        match frame.kind {
            SYNC => {
                self.counts.sync_received += 1;
                let message = sync::Message::decode(&frame.bytes)?;
                self.copy.receive_sync_message(&mut self.state, message)?;
            }
            SNAPSHOT => {
                self.copy.load_incremental(&frame.bytes)?;
                self.state = sync::State::new();
            }
            RESET => {
                self.counts.resets += 1;
                self.copy = Automerge::load(&frame.bytes)?;
                self.state = sync::State::new();
                self.signed = false;
            }
            _ => return Ok(Took::Other),
        }
        self.body = match self.copy.get(ROOT, "body")? {
            Some((Value::Object(ObjType::Text), id)) => Some(id),
            _ => None,
        };
        self.flush().await?;
        Ok(Took::Note)
    }

    /// Sends what the process has not heard yet; returns how many messages went.
    pub async fn flush(&mut self) -> anyhow::Result<usize> {
        let mut sent = 0;
        while let Some(message) = self.copy.generate_sync_message(&mut self.state) {
            let frame = Frame {
                kind: SYNC,
                doc: self.doc_id.clone(),
                bytes: message.encode(),
            };
            self.socket
                .send(WsMessage::Binary(frame.encode().into()))
                .await?;
            sent += 1;
        }
        self.counts.sync_sent += sent as u64;
        Ok(sent)
    }

    /// Characters in the body of the copy.
    pub fn body_len(&self) -> usize {
        self.body.as_ref().map_or(0, |body| self.copy.length(body))
    }

    /// The body of the copy.
    pub fn body_text(&self) -> String {
        self.body
            .as_ref()
            .and_then(|body| self.copy.text(body).ok())
            .unwrap_or_default()
    }

    /// One keystroke: `c` appended to the body in one change, as the page makes it (the
    /// description and time of the change, the actor signed in `authors` the first time).
    pub fn type_char(&mut self, c: char) -> anyhow::Result<()> {
        let body = self.body.clone().context("the note has no text body")?;
        let len = self.copy.length(&body);
        let actor = self.copy.get_actor().to_hex_string();
        let sign = !self.signed;
        let mut tx = self.copy.transaction();
        if sign {
            let authors = match tx.get(ROOT, "authors")? {
                Some((Value::Object(ObjType::Map), id)) => id,
                _ => tx.put_object(ROOT, "authors", ObjType::Map)?,
            };
            if tx.get(&authors, actor.as_str())?.is_none() {
                let entry = tx.put_object(&authors, actor.as_str(), ObjType::Map)?;
                tx.put(&entry, "name", self.author.0.as_str())?;
                tx.put(&entry, "city", self.author.1.as_str())?;
            }
        }
        tx.splice_text(&body, len, 0, c.encode_utf8(&mut [0; 4]))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        tx.commit_with(
            CommitOptions::default()
                .with_message("body +1 -0 chars")
                .with_time(now),
        );
        self.signed = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_survives_the_round_trip_and_a_short_one_is_refused() {
        let frame = Frame {
            kind: SYNC,
            doc: "3XGZmdwT18PJ55jkX3A4myuche7H".to_owned(),
            bytes: vec![1, 2, 3],
        };

        assert_eq!(Frame::decode(&frame.encode()), Some(frame));
        assert_eq!(Frame::decode(&[SYNC]), None);
        assert_eq!(Frame::decode(&[SYNC, 9, b'a']), None);
    }
}
