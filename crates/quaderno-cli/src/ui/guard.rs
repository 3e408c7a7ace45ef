//! Who may use the page: only the browser of the person who started `quaderno ui`.
//!
//! - `Host` must be `127.0.0.1:PORT` or `localhost:PORT`: a page from another site that makes
//!   its own name resolve to 127.0.0.1 (DNS rebinding) is refused.
//! - `Origin`, when sent, must be this page; every request that changes something and the
//!   WebSocket must send it.
//! - `Sec-Fetch-Site`, when sent, must say the request comes from this page or from the person
//!   (typing the address); only opening the page itself may come from elsewhere (a link).
//! - The page's secret: in the cookie, or in the address `quaderno ui` printed or `quaderno open`
//!   gave the browser (which sets the cookie). Another user of the machine, or a site that guesses the port, has neither.
//!
//! [`decide`] is a pure function of the request's facts; the middleware only gathers them.

use axum::extract::{Request, State};
use axum::http::header::{COOKIE, HOST, ORIGIN};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;

use super::error::AppError;
use super::secret::{KEY_PARAM, Secret, cookie, query_param};
use super::state::AppState;

/// What the guard knows of this run.
#[derive(Debug, Clone)]
pub struct Guard {
    pub port: u16,
    pub secret: Secret,
}

/// The parts of a request the guard looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub host: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub fetch_site: Option<&'a str>,
    pub fetch_mode: Option<&'a str>,
    pub cookie: Option<&'a str>,
}

/// What the guard decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The secret came in the address: set the cookie and send the browser to `/`.
    Welcome,
    Refuse(Refusal),
}

/// Why a request was refused (the person is told in words, the tests by these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    WrongHost,
    WrongOrigin,
    MissingOrigin,
    CrossSite,
    NoSecret,
    WrongSecret,
}

impl Refusal {
    pub fn explain(self) -> &'static str {
        match self {
            Refusal::WrongHost => "this page only answers at 127.0.0.1 or localhost",
            Refusal::WrongOrigin | Refusal::CrossSite => {
                "this page only answers requests from itself, not from other sites"
            }
            Refusal::MissingOrigin => {
                "a request that changes something must say where it comes from"
            }
            Refusal::NoSecret | Refusal::WrongSecret => {
                "this browser has not been given the page's key: open Quaderno with its icon or `quaderno open`"
            }
        }
    }
}

impl Guard {
    fn own_origin(&self, origin: &str) -> bool {
        origin == format!("http://127.0.0.1:{}", self.port)
            || origin == format!("http://localhost:{}", self.port)
    }

    fn own_host(&self, host: &str) -> bool {
        host == format!("127.0.0.1:{}", self.port) || host == format!("localhost:{}", self.port)
    }

    /// Decides about one request.
    pub fn decide(&self, facts: &Facts<'_>) -> Decision {
        match self.check(facts) {
            Ok(decision) => decision,
            Err(refusal) => Decision::Refuse(refusal),
        }
    }

    fn check(&self, facts: &Facts<'_>) -> Result<Decision, Refusal> {
        if !facts.host.is_some_and(|h| self.own_host(h)) {
            return Err(Refusal::WrongHost);
        }
        let reads_only = matches!(facts.method, "GET" | "HEAD");
        let opening_the_page = reads_only && facts.path == "/";
        let websocket = facts.path == super::SOCKET_PATH;
        match facts.origin {
            Some(origin) if !self.own_origin(origin) => return Err(Refusal::WrongOrigin),
            None if !reads_only || websocket => return Err(Refusal::MissingOrigin),
            _ => {}
        }
        let navigation = facts.fetch_mode == Some("navigate");
        match facts.fetch_site {
            None | Some("same-origin" | "none") => {}
            Some(_) if opening_the_page && navigation => {}
            Some(_) => return Err(Refusal::CrossSite),
        }
        let cookie_name = Secret::cookie_name(self.port);
        let from_cookie = facts.cookie.and_then(|c| cookie(c, &cookie_name));
        if from_cookie.is_some_and(|given| self.secret.matches(given)) {
            return Ok(Decision::Allow);
        }
        if opening_the_page && let Some(given) = query_param(facts.query, KEY_PARAM) {
            return if self.secret.matches(given) {
                Ok(Decision::Welcome)
            } else {
                Err(Refusal::WrongSecret)
            };
        }
        Err(if from_cookie.is_some() {
            Refusal::WrongSecret
        } else {
            Refusal::NoSecret
        })
    }
}

/// The middleware: every request passes the guard first.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let facts = Facts {
        method: request.method().as_str(),
        path: request.uri().path(),
        query: request.uri().query().unwrap_or(""),
        host: header(headers, HOST.as_str()),
        origin: header(headers, ORIGIN.as_str()),
        fetch_site: header(headers, "sec-fetch-site"),
        fetch_mode: header(headers, "sec-fetch-mode"),
        cookie: header(headers, COOKIE.as_str()),
    };
    let guard = state.guard();
    match guard.decide(&facts) {
        Decision::Allow => next.run(request).await,
        Decision::Welcome => super::assets::welcome(guard),
        Decision::Refuse(refusal) => {
            tracing::info!(path = facts.path, ?refusal, "refused a request");
            let api = facts.path.starts_with("/api/") || request.method() != Method::GET;
            if api {
                AppError::forbidden(refusal).into_response_now()
            } else {
                super::assets::locked(refusal)
            }
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard {
            port: 7879,
            secret: Secret::random(),
        }
    }

    /// A request from the page itself, with the cookie.
    fn from_page(cookie: &str) -> Facts<'_> {
        Facts {
            method: "GET",
            path: "/api/overview",
            query: "",
            host: Some("127.0.0.1:7879"),
            origin: None,
            fetch_site: Some("same-origin"),
            fetch_mode: Some("cors"),
            cookie: Some(cookie),
        }
    }

    #[test]
    fn requests_are_decided_by_host_origin_site_and_secret() {
        let guard = guard();
        let good_cookie = format!("quaderno-7879={}", guard.secret.expose());
        let key_query = format!("key={}", guard.secret.expose());
        let page = from_page(&good_cookie);
        let own = Some("http://127.0.0.1:7879");
        let cases: Vec<(&str, Facts<'_>, Decision)> = vec![
            ("the page reads", page.clone(), Decision::Allow),
            (
                "the page writes",
                Facts {
                    method: "POST",
                    origin: own,
                    ..page.clone()
                },
                Decision::Allow,
            ),
            (
                "at localhost",
                Facts {
                    host: Some("localhost:7879"),
                    origin: Some("http://localhost:7879"),
                    method: "PATCH",
                    ..page.clone()
                },
                Decision::Allow,
            ),
            (
                "the websocket",
                Facts {
                    path: "/api/socket",
                    origin: own,
                    ..page.clone()
                },
                Decision::Allow,
            ),
            (
                "the first address",
                Facts {
                    path: "/",
                    query: &key_query,
                    cookie: None,
                    fetch_site: Some("cross-site"),
                    fetch_mode: Some("navigate"),
                    ..page.clone()
                },
                Decision::Welcome,
            ),
            (
                "a rebinding site",
                Facts {
                    host: Some("evil.example:7879"),
                    ..page.clone()
                },
                Decision::Refuse(Refusal::WrongHost),
            ),
            (
                "another port's host",
                Facts {
                    host: Some("127.0.0.1:8080"),
                    ..page.clone()
                },
                Decision::Refuse(Refusal::WrongHost),
            ),
            (
                "no host",
                Facts {
                    host: None,
                    ..page.clone()
                },
                Decision::Refuse(Refusal::WrongHost),
            ),
            (
                "a write from another site",
                Facts {
                    method: "POST",
                    origin: Some("http://127.0.0.1:8080"),
                    ..page.clone()
                },
                Decision::Refuse(Refusal::WrongOrigin),
            ),
            (
                "a write that hides where it comes from",
                Facts {
                    method: "POST",
                    ..page.clone()
                },
                Decision::Refuse(Refusal::MissingOrigin),
            ),
            (
                "a websocket from another site",
                Facts {
                    path: "/api/socket",
                    origin: Some("https://evil.example"),
                    ..page.clone()
                },
                Decision::Refuse(Refusal::WrongOrigin),
            ),
            (
                "a websocket without origin",
                Facts {
                    path: "/api/socket",
                    ..page.clone()
                },
                Decision::Refuse(Refusal::MissingOrigin),
            ),
            (
                "a read embedded by another site",
                Facts {
                    fetch_site: Some("same-site"),
                    fetch_mode: Some("no-cors"),
                    ..page.clone()
                },
                Decision::Refuse(Refusal::CrossSite),
            ),
            (
                "another site navigating to the notes",
                Facts {
                    path: "/api/notes",
                    fetch_site: Some("cross-site"),
                    fetch_mode: Some("navigate"),
                    ..page.clone()
                },
                Decision::Refuse(Refusal::CrossSite),
            ),
            (
                "no cookie",
                Facts {
                    cookie: None,
                    ..page.clone()
                },
                Decision::Refuse(Refusal::NoSecret),
            ),
            (
                "a cookie of an earlier run",
                Facts {
                    cookie: Some("quaderno-7879=00"),
                    ..page.clone()
                },
                Decision::Refuse(Refusal::WrongSecret),
            ),
            (
                "a wrong key in the address",
                Facts {
                    path: "/",
                    query: "key=abc",
                    cookie: None,
                    ..page.clone()
                },
                Decision::Refuse(Refusal::WrongSecret),
            ),
            (
                "the key on another path",
                Facts {
                    path: "/api/notes",
                    query: &key_query,
                    cookie: None,
                    ..page.clone()
                },
                Decision::Refuse(Refusal::NoSecret),
            ),
        ];
        for (name, facts, expected) in cases {
            assert_eq!(guard.decide(&facts), expected, "{name}");
        }
    }
}
