//! Searching a folder's files byte by byte, for text that must be gone from the disk.

use std::path::Path;

/// Every file under `dir` (recursively) whose bytes hold `needle`.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    search(dir, |bytes| {
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}

/// Every file under `dir` whose bytes hold `needle` in any ASCII case.
pub fn files_containing_any_case(dir: &Path, needle: &str) -> Vec<String> {
    let needle = needle.to_ascii_lowercase().into_bytes();
    search(dir, |bytes| {
        bytes
            .to_ascii_lowercase()
            .windows(needle.len())
            .any(|w| w == needle.as_slice())
    })
}

fn search(dir: &Path, holds: impl Fn(&[u8]) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && holds(&bytes)
            {
                found.push(path.display().to_string());
            }
        }
    }
    found
}
