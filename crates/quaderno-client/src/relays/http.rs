//! The relay's HTTP API: joining with an invite, who am I, what changed in a group.

use std::time::Duration;

use chrono::{DateTime, Utc};
use quaderno_model::DocumentId;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::tls::CaFileError;

/// How long one API call may take before the relay counts as unreachable.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Why an API call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No answer at all: network down, relay stopped, wrong address.
    #[error("cannot reach the relay at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The relay answered with an error it explains.
    #[error("the relay refused: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// The relay answered something this version does not understand.
    #[error("the relay at {url} answered something unexpected ({reason}); is it a Quaderno relay?")]
    Unexpected { url: String, reason: String },
    /// `QUADERNO_CA_FILE` cannot be used, so no relay was asked.
    #[error(transparent)]
    CaFile(CaFileError),
}

impl ApiError {
    /// The token is no good here (revoked device, removed member): retrying will not help.
    pub fn is_permanent(&self) -> bool {
        matches!(self, ApiError::Refused { status, .. } if *status == 401 || *status == 403)
    }
}

/// What `POST /v1/join` answers.
#[derive(Clone, Deserialize)]
pub struct Joined {
    /// Absent when an existing device joined one more group.
    pub token: Option<String>,
    pub peer_id: String,
    pub relay_peer_id: String,
    pub device: JoinedDevice,
    /// The group joined; `None` for an operator code, which makes an operator of the relay
    /// and joins no group.
    pub group: Option<JoinedGroup>,
    /// The participant is an operator of the relay (absent from older relays: not one).
    #[serde(default)]
    pub operator: bool,
}

impl std::fmt::Debug for Joined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Joined")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("peer_id", &self.peer_id)
            .field("relay_peer_id", &self.relay_peer_id)
            .field("device", &self.device)
            .field("group", &self.group)
            .field("operator", &self.operator)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct JoinedDevice {
    pub name: String,
}

/// A group as the relay describes it to a member.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct JoinedGroup {
    pub slug: String,
    pub title: String,
    pub role: String,
    pub index_doc: DocumentId,
}

/// What `GET /v1/me` answers.
#[derive(Debug, Clone, Deserialize)]
pub struct Me {
    pub peer_id: Option<String>,
    pub groups: Vec<MeGroup>,
    pub relay_peer_id: String,
    /// The participant is an operator of the relay (absent from older relays: not one).
    #[serde(default)]
    pub operator: bool,
    /// Who this device belongs to (absent from relays that do not say).
    #[serde(default)]
    pub participant: Option<MeParticipant>,
    /// Which of their devices this is (absent from relays that do not say).
    #[serde(default)]
    pub device: Option<MeDevice>,
}

/// This device, as the relay knows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MeDevice {
    pub id: i64,
    pub name: String,
}

/// The person behind a device, as the relay knows them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MeParticipant {
    pub id: i64,
    pub name: String,
    pub city: String,
}

pub type MeGroup = JoinedGroup;

/// What `GET /v1/groups/{group}/changes?since=N` answers.
#[derive(Debug, Clone, Deserialize)]
pub struct ChangesSince {
    pub docs: Vec<DocumentId>,
    pub latest: u64,
    /// This participant's role in the group now (`None` from a relay that does not say).
    #[serde(default)]
    pub role: Option<String>,
    /// The group's title now (`None` from a relay that does not say).
    #[serde(default)]
    pub title: Option<String>,
    /// Notes erased from the group that this device has not confirmed deleting.
    #[serde(default)]
    pub erasures: Vec<RemoteErasure>,
    /// Who the relay says wrote with each actor and owns each device (asked for separately,
    /// at the same time).
    #[serde(skip)]
    pub authors: Option<RelayAuthors>,
    /// The relay's epoch, new each time it is restored from a backup (`None` from a relay
    /// that does not say).
    #[serde(default)]
    pub epoch: Option<String>,
    /// The epoch is not the one this machine knew: the relay was restored, and this is its
    /// whole feed (set by the client, never sent).
    #[serde(skip)]
    pub restored: bool,
}

/// What `GET /v1/groups/{group}/authors` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RelayAuthors {
    pub authors: Vec<VouchedActor>,
    #[serde(default)]
    pub peers: Vec<VouchedPeer>,
}

/// An actor of the group and the person the relay knows wrote with it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VouchedActor {
    pub actor: String,
    pub name: String,
    #[serde(default)]
    pub city: String,
}

/// A device's peer id and the person it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VouchedPeer {
    pub peer_id: String,
    pub name: String,
    #[serde(default)]
    pub city: String,
}

/// A note erased from a group, as the relay tells its devices: never its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteErasure {
    pub id: i64,
    pub doc: DocumentId,
    pub erased_at: DateTime<Utc>,
    /// Who erased it, as the relay names them.
    pub erased_by: String,
    pub reason: String,
    /// For a redaction: the document the note goes on as, without the passage.
    #[serde(default)]
    pub successor: Option<DocumentId>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    code: String,
}

/// A client of one relay's API.
#[derive(Debug, Clone)]
pub struct RelayApi {
    base: String,
    pub(super) http: reqwest::Client,
    /// Why the extra certificate authorities could not be read: every request fails with it
    /// rather than go out trusting less than it was told to.
    ca_file: Option<CaFileError>,
}

impl RelayApi {
    pub fn new(base: &str) -> RelayApi {
        let builder = || {
            reqwest::Client::builder()
                .timeout(TIMEOUT)
                .connect_timeout(Duration::from_secs(5))
        };
        let (http, ca_file) = match crate::tls::http_client(builder()) {
            Ok(http) => (http, None),
            Err(error) => (
                builder()
                    .build()
                    .expect("an HTTP client with default settings builds"),
                Some(error),
            ),
        };
        RelayApi {
            base: base.to_string(),
            http,
            ca_file,
        }
    }

    /// Redeems an invite: as a new participant and device, or (with `token`) for an existing
    /// device joining one more group.
    pub async fn join(
        &self,
        code: &str,
        newcomer: Option<(&str, &str, &str)>,
        token: Option<&str>,
    ) -> Result<Joined, ApiError> {
        let mut body = serde_json::json!({ "code": code });
        if let Some((name, city, device)) = newcomer {
            body["name"] = name.into();
            body["city"] = city.into();
            body["device"] = device.into();
        }
        let mut request = self.http.post(self.url("/v1/join")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.answer(request).await
    }

    pub async fn me(&self, token: &str) -> Result<Me, ApiError> {
        self.answer(self.http.get(self.url("/v1/me")).bearer_auth(token))
            .await
    }

    pub async fn changes(
        &self,
        token: &str,
        group: &str,
        since: u64,
    ) -> Result<ChangesSince, ApiError> {
        let url = self.url(&format!("/v1/groups/{group}/changes?since={since}"));
        self.answer(self.http.get(url).bearer_auth(token)).await
    }

    /// Who wrote with each actor of the group, and who owns each of its devices.
    pub async fn authors(&self, token: &str, group: &str) -> Result<RelayAuthors, ApiError> {
        let url = self.url(&format!("/v1/groups/{group}/authors"));
        self.answer(self.http.get(url).bearer_auth(token)).await
    }

    /// Confirms that this device deleted the notes of these erasures.
    pub async fn confirm_erasures(
        &self,
        token: &str,
        group: &str,
        erasures: &[i64],
    ) -> Result<(), ApiError> {
        let url = self.url(&format!("/v1/groups/{group}/erasures/receipts"));
        let body = serde_json::json!({ "erasures": erasures });
        let _: serde_json::Value = self
            .answer(self.http.post(url).bearer_auth(token).json(&body))
            .await?;
        Ok(())
    }

    /// Tells the group's coordinators that this device cannot read a document of the group:
    /// its id and why, never its content. The relay records it once per device and document.
    pub async fn report_unreadable(
        &self,
        token: &str,
        group: &str,
        doc: &DocumentId,
        reason: &str,
    ) -> Result<(), ApiError> {
        let url = self.url(&format!("/v1/groups/{group}/reports"));
        let body = serde_json::json!({ "doc": doc, "reason": reason });
        let _: serde_json::Value = self
            .answer(self.http.post(url).bearer_auth(token).json(&body))
            .await?;
        Ok(())
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(super) async fn answer<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ApiError> {
        let bytes = self.answer_bytes(request).await?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Unexpected {
            url: self.base.clone(),
            reason: e.to_string(),
        })
    }

    /// Like [`answer`](Self::answer), for an answer that is text (a CSV file), not JSON.
    pub(super) async fn answer_text(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<String, ApiError> {
        let bytes = self.answer_bytes(request).await?;
        String::from_utf8(bytes).map_err(|e| ApiError::Unexpected {
            url: self.base.clone(),
            reason: e.to_string(),
        })
    }

    /// The body of a successful answer; the relay's explanation of any other.
    async fn answer_bytes(&self, request: reqwest::RequestBuilder) -> Result<Vec<u8>, ApiError> {
        if let Some(error) = &self.ca_file {
            return Err(ApiError::CaFile(error.clone()));
        }
        let response = request.send().await.map_err(|e| ApiError::Unreachable {
            url: self.base.clone(),
            reason: short_reason(&e),
        })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| ApiError::Unreachable {
            url: self.base.clone(),
            reason: short_reason(&e),
        })?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(refusal(status, &bytes))
    }
}

fn refusal(status: StatusCode, bytes: &[u8]) -> ApiError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) => ApiError::Refused {
            status: status.as_u16(),
            code: body.code,
            message: body.error,
        },
        Err(_) => ApiError::Refused {
            status: status.as_u16(),
            code: "http".into(),
            message: format!("HTTP {status}"),
        },
    }
}

/// The innermost cause, which says what actually happened ("Connection refused").
fn short_reason(error: &reqwest::Error) -> String {
    if let Some(refused) = crate::tls::certificate_refused(error) {
        return refused;
    }
    let mut source: &dyn std::error::Error = error;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}
