//! The names the relay vouches for, through the real relay, a real `quaderno` and the
//! JavaScript automerge-repo client: Paola's client signs a change of Rita's minutes as Rita,
//! and announces itself in the note as Rita. Rita's history names the change Paola's (with the
//! false name beside it), and her presence shows Paola, not a second Rita.

use std::time::{Duration, Instant};

use quaderno_client::sync::{Live, PageId, Present, ToPage};
use quaderno_model::DocumentId;
use quaderno_tests::cli::Quaderno;
use quaderno_tests::js::{JsPeer, is};
use quaderno_tests::relay::Relay;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread")]
async fn a_false_name_shows_under_the_real_one_in_history_and_presence() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.create_group("prato");
    let rita = Quaderno::fresh();
    rita.ok(&["init", "--name", "Rita Bruni", "--city", "Prato"]);
    rita.ok(&["join", &relay.url, &relay.invite("prato", "editor")]);
    let created = rita.json(&[
        "new",
        "--group",
        "prato",
        "--title",
        "Verbale",
        "--body",
        "Presenti: 7",
    ]);
    let note: DocumentId = created["id"].as_str().unwrap().parse().unwrap();
    rita.ok(&["sync"]);

    // Step 1: Paola's JavaScript client writes into the minutes, signing as Rita.
    let paola = relay
        .join(&relay.invite("prato", "editor"), "Paola Verdi")
        .await;
    let url = format!("automerge:{note}");
    let ws = format!("{}?token={}", relay.sync_url("prato"), paola.token);
    let mut js = JsPeer::start(&ws, &paola.peer_id);
    js.send(json!({ "cmd": "find", "url": url })).await;
    js.expect(WAIT, is("found")).await;
    js.send(json!({ "cmd": "actor", "url": url })).await;
    let actor = js.expect(WAIT, is("actor")).await["actor"]
        .as_str()
        .unwrap()
        .to_string();
    js.send(json!({ "cmd": "put", "url": url, "path": ["authors", actor], "value": { "name": "Rita Bruni", "city": "Prato" } }))
        .await;
    js.expect(WAIT, is("put")).await;
    js.send(json!({ "cmd": "splice", "url": url, "field": "body", "pos": 0, "del": 0, "text": "Falso. " }))
        .await;
    js.expect(WAIT, is("spliced")).await;

    // Step 2: Rita's history names the change Paola's, with the false name beside it.
    let deadline = Instant::now() + WAIT;
    let signed = loop {
        rita.ok(&["sync"]);
        let log = rita.json(&["log", &note.to_string()]);
        let changes = log["changes"].as_array().cloned().unwrap_or_default();
        if let Some(forged) = changes.iter().find(|c| !c["claimed"].is_null()) {
            break Some(forged.clone());
        }
        if Instant::now() > deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let signed = signed.expect("the change signed with a false name shows in Rita's history");
    assert_eq!(signed["author"], "Paola Verdi (Palermo)", "{signed}");
    assert_eq!(signed["claimed"], "Rita Bruni (Prato)", "{signed}");
    let text = rita.ok(&["log", &note.to_string()]);
    assert!(
        text.contains("Paola Verdi (Palermo) (signed as «Rita Bruni (Prato)»)"),
        "{text}"
    );
    let own: Vec<_> = rita.json(&["log", &note.to_string()])["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["author"] == "Rita Bruni (Prato)")
        .cloned()
        .collect();
    assert!(
        own.iter().all(|c| c["claimed"].is_null()),
        "Rita's own changes stay hers: {own:?}"
    );

    // Step 3: Rita opens the note; Paola announces herself there as Rita. Rita sees Paola.
    let stop = CancellationToken::new();
    let live = Live::start_serving_pages(rita.data_dir(), stop.clone()).unwrap();
    let (tx, mut page) = mpsc::unbounded_channel();
    assert!(live.open_page(PageId(1), note, tx).await.unwrap());
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut heard: Option<Vec<Present>> = None;
    while tokio::time::Instant::now() < deadline {
        js.send(json!({ "cmd": "broadcast", "url": url, "message": { "type": "quaderno/presence", "name": "Rita Bruni", "city": "Prato" } }))
            .await;
        js.expect(WAIT, is("broadcast")).await;
        let until = tokio::time::Instant::now() + Duration::from_millis(500);
        while let Ok(Some(message)) = tokio::time::timeout_at(until, page.recv()).await {
            if let ToPage::Presence { present, .. } = message
                && !present.is_empty()
            {
                heard = Some(present);
            }
        }
        if heard.is_some() {
            break;
        }
    }
    let present = heard.expect("Rita's page hears who is in the note");
    assert_eq!(present.len(), 1, "{present:?}");
    assert_eq!(present[0].name, "Paola Verdi", "{present:?}");
    assert_eq!(present[0].claimed.as_deref(), Some("Rita Bruni (Prato)"));
    stop.cancel();
    live.stopped().await;
    js.exit().await;
}
