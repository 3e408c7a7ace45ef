//! A reader that stops reading (`| head`, `less` quit) ends `quaderno`'s output quietly: exit
//! 0, nothing on stderr, no panic and no backtrace, and never a word about the relay.

use std::io::Read;
use std::process::Stdio;

use quaderno_tests::cli::Quaderno;

/// Reads the start of what `args` print (as `head -c` does), closes the pipe, and checks how
/// the command ended.
fn start_then_close(quaderno: &Quaderno, args: &[&str]) -> String {
    let mut command = quaderno.command(args);
    command
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("quaderno starts");
    let mut first = vec![0; 200];
    let read = child
        .stdout
        .take()
        .expect("piped stdout")
        .read(&mut first)
        .expect("the start of the output");
    let first = String::from_utf8_lossy(&first[..read]).into_owned();
    // The reader is dropped here: the rest of the output meets a closed pipe.
    let output = child.wait_with_output().expect("quaderno ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?} ended with {stderr}"
    );
    assert_eq!(stderr, "", "{args:?} wrote on stderr");
    first
}

#[test]
fn list_of_ten_thousand_notes_into_head_ends_quietly() {
    let anna = Quaderno::fresh();
    anna.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    let files = tempfile::tempdir().unwrap();
    for i in 0..10_000 {
        let text = format!("# Incontro {i}\n\nPresenti: operatori dell'équipe.\n");
        std::fs::write(files.path().join(format!("{i:05}.md")), text).unwrap();
    }
    let imported = anna.json(&["import", files.path().to_str().unwrap()]);
    assert_eq!(imported["notes"].as_array().unwrap().len(), 10_000);

    let first = start_then_close(&anna, &["list"]);
    assert!(first.contains("Incontro"), "{first}");
    let first = start_then_close(&anna, &["list", "--json"]);
    assert!(first.starts_with('['), "{first}");
}

#[test]
fn a_long_note_shown_into_head_ends_quietly() {
    let anna = Quaderno::fresh();
    anna.ok(&["init", "--name", "Anna", "--city", "Palermo"]);
    // Far more than a pipe holds, so that `show` meets the closed pipe while it writes.
    let body: String = (0..20_000)
        .map(|i| format!("Riga {i} del verbale.\n"))
        .collect();
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("verbale.md");
    std::fs::write(&file, format!("# Verbale lungo\n\n{body}")).unwrap();
    let imported = anna.json(&["import", file.to_str().unwrap()]);
    let id = imported["notes"][0]["id"].as_str().unwrap().to_owned();
    let first = start_then_close(&anna, &["show", &id]);
    assert!(first.contains("Verbale lungo"), "{first}");
}
