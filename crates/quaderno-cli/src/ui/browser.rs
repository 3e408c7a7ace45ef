//! Opening the page in the person's browser without putting the secret on a command line
//! (where other users of the machine could read it): the browser is given a small file, only
//! the person can read, that sends it on to the address.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The file, in the data folder.
const OPENER: &str = "open-quaderno.html";

/// Opens `url` in the default browser. Failing is not fatal: the address is printed.
pub fn open(data_dir: &Path, url: &str) -> Option<PathBuf> {
    let path = data_dir.join(OPENER);
    if let Err(error) = write_private(&path, &opener_page(url)) {
        tracing::warn!(%error, "could not write the page that opens Quaderno");
        return None;
    }
    if let Err(error) = webbrowser::open(&file_url(&path)) {
        tracing::warn!(%error, "could not open the browser; open the printed address");
    }
    Some(path)
}

/// `file://` and the path, with anything but plain characters percent-encoded.
fn file_url(path: &Path) -> String {
    let encoded: String = path
        .to_string_lossy()
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("file://{encoded}")
}

fn opener_page(url: &str) -> String {
    format!(
        "<!doctype html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0; url={url}\">\
         <title>Quaderno</title><a href=\"{url}\">Quaderno</a>\n"
    )
}

pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opener_is_given_as_a_file_url() {
        let url = file_url(Path::new(
            "/home/anna rossi/.local/share/quaderno/open-quaderno.html",
        ));
        assert_eq!(
            url,
            "file:///home/anna%20rossi/.local/share/quaderno/open-quaderno.html"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_opener_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(OPENER);
        std::fs::write(&path, "old").unwrap();
        write_private(&path, &opener_page("http://127.0.0.1:7879/?key=00")).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(std::fs::read_to_string(&path).unwrap().contains("key=00"));
    }
}
