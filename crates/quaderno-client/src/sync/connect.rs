//! Opening a group's WebSocket with the device token.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, http::HeaderValue};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::ClientError;
use crate::relays::{RelayAccount, sync_url};

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to the group's sync endpoint. A 401 or 403 is a refusal (retrying will not help);
/// anything else that fails means the relay cannot be reached right now.
pub(crate) async fn connect(account: &RelayAccount, group: &str) -> Result<Socket, ClientError> {
    let url = if account.plain {
        account.url.clone()
    } else {
        sync_url(&account.url, group)
    };
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| ClientError::BadRelayUrl(format!("{url}: {e}")))?;
    if account.plain {
        return open(request, account, group).await;
    }
    let bearer = HeaderValue::from_str(&format!("Bearer {}", account.token)).map_err(|_| {
        ClientError::Config {
            path: crate::relays::RELAYS_FILE.into(),
            message: "the stored token has characters a header cannot carry".into(),
        }
    })?;
    request.headers_mut().insert("authorization", bearer);
    open(request, account, group).await
}

async fn open(
    request: tokio_tungstenite::tungstenite::handshake::client::Request,
    account: &RelayAccount,
    group: &str,
) -> Result<Socket, ClientError> {
    // Sync messages are small and each one waits for an answer: send them at once rather than
    // letting Nagle's algorithm hold them back for an acknowledgement.
    let connector = crate::tls::websocket_connector()?;
    let connecting =
        tokio_tungstenite::connect_async_tls_with_config(request, None, true, Some(connector));
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(tungstenite::Error::Http(response)))
            if matches!(response.status().as_u16(), 401 | 403) =>
        {
            Err(ClientError::Refused {
                group: group.to_string(),
                reason: refusal_reason(response.status().as_u16(), response.body().as_deref()),
            })
        }
        Ok(Err(e)) => Err(ClientError::Unreachable {
            url: account.url.clone(),
            reason: crate::tls::certificate_refused(&e).unwrap_or_else(|| e.to_string()),
        }),
        Err(_) => Err(ClientError::Unreachable {
            url: account.url.clone(),
            reason: format!("no answer within {CONNECT_TIMEOUT:?}"),
        }),
    }
}

fn refusal_reason(status: u16, body: Option<&[u8]>) -> String {
    let explained = body
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .and_then(|v| v["error"].as_str().map(str::to_string));
    match (explained, status) {
        (Some(text), _) => text,
        (None, 401) => "this device's token is no longer valid (revoked?)".into(),
        (None, _) => "this device is not a member of the group (removed?)".into(),
    }
}
