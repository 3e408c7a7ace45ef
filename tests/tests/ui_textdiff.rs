//! The page turns each input event into one splice of the note's text; `tests/js/ui_textdiff.mjs`
//! checks that function of the page's own JavaScript with Node.

use std::process::Command;

#[test]
fn the_page_turns_each_edit_into_one_well_placed_splice() {
    let out = Command::new("node")
        .arg("ui_textdiff.mjs")
        .current_dir(quaderno_tests::js::dir())
        .output()
        .expect("node runs (install Node.js 20 or newer)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}
