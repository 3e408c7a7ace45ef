//! Probing the relay as an attacker would, and keeping its answers whole (status, headers but
//! the date, body bytes) so that two answers can be compared byte for byte: an answer must
//! not tell an existing target from one that does not exist.

use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, http};

use crate::raw::RawConn;

/// How a request carries its credentials.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// None at all.
    Nothing,
    /// This exact `Authorization` header value.
    Header(String),
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `?token=<token>` on the URL, as browsers send it to the WebSocket endpoint.
    Query(String),
}

/// An HTTP answer without its `date` header (the only part that may differ by itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as text, for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `code` field of a JSON error body.
    pub fn code(&self) -> String {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    fn from_parts(status: u16, headers: &http::HeaderMap, body: Vec<u8>) -> Answer {
        let mut headers: Vec<(String, String)> = headers
            .iter()
            .filter(|(name, _)| *name != http::header::DATE)
            .map(|(name, value)| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        headers.sort();
        Answer {
            status,
            headers,
            body,
        }
    }
}

/// `GET url` with these credentials.
pub async fn get(url: &str, credentials: &Credentials) -> Answer {
    let client = reqwest::Client::new();
    let request = match credentials {
        Credentials::Nothing => client.get(url),
        Credentials::Header(value) => client.get(url).header("authorization", value),
        Credentials::Bearer(token) => client.get(url).bearer_auth(token),
        Credentials::Query(token) => client.get(format!("{url}?token={}", encode_query(token))),
    };
    let response = request.send().await.expect("the relay answers");
    let status = response.status().as_u16();
    let mut headers = http::HeaderMap::new();
    for (name, value) in response.headers() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    let body = response.bytes().await.expect("a body").to_vec();
    Answer::from_parts(status, &headers, body)
}

/// Opens a WebSocket to `url` with these credentials: the connection, or the relay's refusal.
pub async fn upgrade(url: &str, credentials: &Credentials) -> Result<RawConn, Answer> {
    let url = match credentials {
        Credentials::Query(token) => format!("{url}?token={}", encode_query(token)),
        _ => url.to_string(),
    };
    let mut request = url.into_client_request().expect("a WebSocket URL");
    let header = match credentials {
        Credentials::Header(value) => Some(value.clone()),
        Credentials::Bearer(token) => Some(format!("Bearer {token}")),
        Credentials::Nothing | Credentials::Query(_) => None,
    };
    if let Some(value) = header {
        let value = http::HeaderValue::from_str(&value).expect("a header value");
        request.headers_mut().insert("authorization", value);
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(RawConn::from_socket(socket)),
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response.body().clone().unwrap_or_default();
            Err(Answer::from_parts(status, response.headers(), body))
        }
        Err(e) => panic!("the upgrade failed without an HTTP answer: {e}"),
    }
}

/// Percent-encodes a query value (tokens are base58, but attackers send anything).
fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
