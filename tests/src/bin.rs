//! Finding the workspace's binaries from a test.

use std::path::PathBuf;

/// The path of a binary built in the same target directory as the running test
/// (`target/<profile>/deps/<test>` -> `target/<profile>/<name>`).
pub fn path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows where it runs from");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps");
    let binary = profile_dir.join(name);
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build --workspace --bins` before the tests (the README's test command does)",
        binary.display()
    );
    binary
}
