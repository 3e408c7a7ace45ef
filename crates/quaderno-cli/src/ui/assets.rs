//! The page's files, embedded in the binary, and the headers every answer carries.

use axum::body::Body;
use axum::extract::{Path, Request};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY,
    SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use super::guard::{Guard, Refusal};
use super::secret::Secret;

#[derive(RustEmbed)]
#[folder = "ui/assets"]
struct Assets;

/// What the page may load and run: only its own files, its WebAssembly, its own socket.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The page that says how to get in: no script, its style inline.
const LOCKED_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

pub async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

pub async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

fn serve(path: &str, headers: &HeaderMap) -> Response {
    let Some(file) = Assets::get(path) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let etag = format!(
        "\"{}\"",
        file.metadata.sha256_hash()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let cached = headers
        .get(IF_NONE_MATCH)
        .is_some_and(|given| given.as_bytes() == etag.as_bytes());
    let mut response = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Response::new(Body::from(file.data.into_owned()))
    };
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, etag);
    }
    response
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("woff2") => "font/woff2",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        _ => "text/plain; charset=utf-8",
    }
}

/// The secret came in the address: keep it in a cookie only this page's requests carry, and
/// take it out of the address bar (and the history).
///
/// The answer is a page that moves on to `/` itself, not a redirect: the browser often comes
/// from elsewhere (the file `quaderno open` gives it), and a strict cookie is not sent along a
/// redirect that another site started, while this page's own move to `/` is same-site.
pub fn welcome(guard: &Guard) -> Response {
    let cookie = format!(
        "{}={}; Path=/; HttpOnly; SameSite=Strict",
        Secret::cookie_name(guard.port),
        guard.secret.expose()
    );
    let mut response = (StatusCode::OK, WELCOME_PAGE).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        headers.insert(SET_COOKIE, cookie);
    }
    response
}

/// What a browser without the secret sees, in both languages.
pub fn locked(refusal: Refusal) -> Response {
    let page = LOCKED_PAGE.replace("{reason}", refusal.explain());
    let mut response = (StatusCode::FORBIDDEN, page).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(LOCKED_POLICY),
    );
    response
}

/// Headers on every answer: no sniffing, no framing, no referrer, the page's policy, and no
/// caching of anything the API says.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers
        .entry(CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(PAGE_POLICY));
    if api {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

const WELCOME_PAGE: &str = r#"<!doctype html>
<html lang="it">
<meta charset="utf-8">
<meta http-equiv="refresh" content="0; url=/">
<link rel="icon" href="/icon.svg" type="image/svg+xml">
<title>Quaderno</title>
<p><a href="/">Apri Quaderno</a> · <a href="/" lang="en">Open Quaderno</a></p>
</html>
"#;

const LOCKED_PAGE: &str = r#"<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quaderno</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f6f4ef; color: #2b2a27; margin: 0; }
  main { max-width: 34rem; margin: 12vh auto; padding: 2rem; background: #fff; border-radius: 12px;
         box-shadow: 0 1px 3px rgba(0,0,0,.08); line-height: 1.55; }
  h1 { font-size: 1.3rem; margin-top: 0; }
  code { background: #f0ede6; padding: .1em .35em; border-radius: 4px; }
  .en { color: #5d5a53; border-top: 1px solid #e6e2d8; margin-top: 1.5rem; padding-top: 1rem; }
  small { color: #77736a; }
</style>
</head>
<body>
<main>
  <h1>Quaderno è protetto</h1>
  <p>Per aprirlo, clicca sull'icona Quaderno tra le applicazioni, oppure scrivi
  <code>quaderno open</code> in un terminale: se Quaderno era chiuso, si riavvia.</p>
  <div class="en" lang="en">
    <p><strong>Quaderno is protected.</strong> To open it, click the Quaderno icon among your
    applications, or type <code>quaderno open</code> in a terminal: if Quaderno was closed, it
    starts again.</p>
  </div>
  <p><small>{reason}</small></p>
</main>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_library_are_embedded() {
        for path in [
            "index.html",
            "app/main.js",
            "style.css",
            "vendor/automerge/entrypoints/slim.js",
            "vendor/automerge/automerge.wasm",
        ] {
            assert!(Assets::get(path).is_some(), "{path} is not embedded");
        }
        assert_eq!(
            content_type("vendor/automerge/automerge.wasm"),
            "application/wasm"
        );
    }
}
