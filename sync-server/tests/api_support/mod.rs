//! A relay's API on a real SQLite file in a temporary directory, driven with `oneshot`.

#![allow(dead_code)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{DateTime, TimeDelta, Utc};
use quaderno_server::accounts::{self, Actor, Group, GroupSlug, NewInvite, Role};
use quaderno_server::api::{self, ApiState, ClientAddr, JoinLimits};
use quaderno_server::db::Db;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;

pub const RELAY_PEER_ID: &str = "relay-test";

/// One relay's API and database.
pub struct Relay {
    pub dir: TempDir,
    pub db: Db,
    pub state: ApiState,
}

/// What a request got back.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Relay {
    pub fn new() -> Self {
        Self::with_limits(JoinLimits::default())
    }

    pub fn with_limits(limits: JoinLimits) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let state = ApiState::with_limits(db.clone(), RELAY_PEER_ID, limits);
        Relay { dir, db, state }
    }

    pub fn router(&self) -> Router {
        api::routes().with_state(self.state.clone())
    }

    pub fn create_group(&self, slug: &str, title: &str) -> Group {
        let slug = GroupSlug::parse(slug).unwrap();
        self.db
            .with_conn(|conn| {
                Ok(accounts::create_group(
                    conn,
                    &slug,
                    Some(title),
                    &Actor::command_line("cli:test"),
                    Utc::now(),
                )?)
            })
            .unwrap()
    }

    /// An invite made at `now`, valid for `valid_for`.
    pub fn invite_at(
        &self,
        group: &str,
        role: Role,
        uses: u32,
        now: DateTime<Utc>,
        valid_for: TimeDelta,
    ) -> String {
        let new = NewInvite {
            group: group.to_owned(),
            role,
            uses,
            expires_at: now + valid_for,
            created_by: "test".into(),
        };
        self.db
            .with_conn(|conn| {
                Ok(accounts::create_invite(
                    conn,
                    &new,
                    &Actor::command_line("cli:test"),
                    now,
                )?)
            })
            .unwrap()
            .1
            .display()
    }

    pub fn invite(&self, group: &str, role: Role, uses: u32) -> String {
        self.invite_at(group, role, uses, Utc::now(), TimeDelta::days(7))
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(request(Method::GET, path, token, None, None))
            .await
    }

    pub async fn join(&self, body: Value, token: Option<&str>) -> Answer {
        self.join_from(body, token, None).await
    }

    pub async fn join_from(
        &self,
        body: Value,
        token: Option<&str>,
        from: Option<SocketAddr>,
    ) -> Answer {
        self.send(request(Method::POST, "/v1/join", token, Some(body), from))
            .await
    }

    /// A newcomer joins with `code`; returns the answer, asserting it succeeded.
    pub async fn join_as(&self, code: &str, name: &str, city: &str) -> Value {
        let body = json!({ "code": code, "name": name, "city": city, "device": "laptop" });
        let answer = self.join(body, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        answer.body
    }
}

pub fn request(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    from: Option<SocketAddr>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(json) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let mut request = builder.body(body).unwrap();
    if let Some(addr) = from {
        request.extensions_mut().insert(ClientAddr(addr.ip()));
    }
    request
}

/// The token in a join answer.
pub fn token(joined: &Value) -> String {
    joined["token"].as_str().expect("a token").to_owned()
}
