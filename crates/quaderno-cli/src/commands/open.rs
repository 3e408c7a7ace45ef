//! `quaderno open`: the page in the browser, through the process that serves it (the
//! background service, or a `quaderno ui`), started in the background when none runs.

use std::path::Path;
use std::time::{Duration, Instant};

use quaderno_client::sync::owner::{self, Answer, OwnerKind, Request};

use crate::config::Config;
use crate::error::UserError;
use crate::output::Rendered;
use crate::ui::browser;

use super::service;

/// How long a page started here may take to answer.
const STARTING: Duration = Duration::from_secs(30);

pub fn run(config: &Config) -> anyhow::Result<Rendered> {
    let runtime = super::runtime()?;
    let url = runtime.block_on(page_url(&config.data_dir))?;
    browser::open(&config.data_dir, &url);
    let address = without_key(&url);
    Ok(config.format().render(
        || format!("{address}\nQuaderno is open in your browser."),
        || serde_json::json!({ "address": address }),
    ))
}

/// The address of the page serving this data folder, with its key: asked of the process
/// that serves it, which is started first if none does.
async fn page_url(data_dir: &Path) -> anyhow::Result<String> {
    if let Some(url) = ask_page(data_dir).await? {
        return Ok(url);
    }
    start_page(data_dir)?;
    let deadline = Instant::now() + STARTING;
    while Instant::now() < deadline {
        if let Some(url) = ask_page(data_dir).await? {
            return Ok(url);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(UserError(format!(
        "the page did not start within {} s; see {}",
        STARTING.as_secs(),
        data_dir.join(service::PAGE_LOG).display()
    ))
    .into())
}

/// The page's address, if a page serves this data folder now.
async fn ask_page(data_dir: &Path) -> anyhow::Result<Option<String>> {
    match owner::live_owner(data_dir) {
        Some(owner) if owner.kind == OwnerKind::Page => {
            match owner::ask(data_dir, &Request::Page).await? {
                Answer::Page { url } => Ok(Some(url)),
                Answer::Refused { reason } => Err(UserError(reason).into()),
                _ => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

/// Starts the page in the background: the installed service if there is one, else
/// `quaderno ui --no-open`. A `quaderno sync --watch` hands over to it.
fn start_page(data_dir: &Path) -> anyhow::Result<()> {
    if !service::start_installed()? {
        service::start_now(&std::path::absolute(data_dir)?, None)?;
    }
    Ok(())
}

/// The address as people may see it: the key stays in the file given to the browser.
fn without_key(url: &str) -> &str {
    url.split_once('?').map_or(url, |(address, _)| address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_address_has_no_key() {
        assert_eq!(
            without_key("http://127.0.0.1:7879/?key=00ff"),
            "http://127.0.0.1:7879/"
        );
        assert_eq!(
            without_key("http://127.0.0.1:7879/"),
            "http://127.0.0.1:7879/"
        );
    }
}
