//! The JavaScript automerge-repo client (2.5.x, from npm) against the real relay.

use std::time::Duration;

use quaderno_tests::js::{JsPeer, is};
use quaderno_tests::relay::{Joined, Relay};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

async fn member(relay: &Relay, name: &str) -> Joined {
    let code = relay.invite("bologna", "editor");
    relay.join(&code, name).await
}

fn js_url(relay: &Relay, who: &Joined) -> String {
    format!("{}?token={}", relay.sync_url("bologna"), who.token)
}

/// Finds a document, asking again while the relay does not have it yet.
async fn find(peer: &mut JsPeer, url: &str) -> Value {
    for _ in 0..20 {
        peer.send(json!({ "cmd": "find", "url": url })).await;
        let answer = peer
            .expect(WAIT, |e| {
                (e["event"] == "found" || e["event"] == "unavailable")
                    && e["url"] == url
                    && !e["seen"].is_boolean()
            })
            .await;
        peer.events.iter_mut().for_each(|e| e["seen"] = json!(true));
        if answer["event"] == "found" {
            return answer["doc"].clone();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the document never became available");
}

#[tokio::test(flavor = "multi_thread")]
async fn javascript_clients_create_read_watch_and_signal_through_the_relay() {
    quaderno_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), &[]);
    relay.create_group("bologna");
    let (anna, bruno, carla) = (
        member(&relay, "Anna").await,
        member(&relay, "Bruno").await,
        member(&relay, "Carla").await,
    );

    // Step 1: Anna's JavaScript client creates a note through the relay.
    let mut a = JsPeer::start(&js_url(&relay, &anna), &anna.peer_id);
    a.send(json!({ "cmd": "create", "doc": {
        "type": "quaderno/note", "schema": 1,
        "title": "Laboratorio di Bologna", "body": "Prima stesura.",
        "tags": { "laboratorio": true }, "meeting": { "participants": {} },
        "created_at": { "$date": 1_760_000_000_000i64 }, "created_by": "Anna (Bologna)",
        "deleted": false, "authors": {}
    }}))
    .await;
    let url = a.expect(WAIT, is("created")).await["url"]
        .as_str()
        .unwrap()
        .to_string();

    // Step 2: Bruno's client, a separate process, reads it back.
    let mut b = JsPeer::start(&js_url(&relay, &bruno), &bruno.peer_id);
    let doc = find(&mut b, &url).await;
    assert_eq!(doc["title"], "Laboratorio di Bologna");
    assert_eq!(doc["body"], "Prima stesura.");

    // Step 3: Carla watches; Anna types; Carla sees it live.
    let mut c = JsPeer::start(&js_url(&relay, &carla), &carla.peer_id);
    find(&mut c, &url).await;
    c.send(json!({ "cmd": "watch", "url": url })).await;
    c.expect(WAIT, is("watching")).await;
    a.send(json!({ "cmd": "splice", "url": url, "field": "body", "pos": 14, "del": 0, "text": " Aggiunta dal vivo." })).await;
    let changed = c
        .expect(WAIT, |e| {
            e["event"] == "changed"
                && e["doc"]["body"]
                    .as_str()
                    .is_some_and(|b| b.contains("dal vivo"))
        })
        .await;
    assert_eq!(changed["doc"]["body"], "Prima stesura. Aggiunta dal vivo.");

    // Step 4: Carla announces herself; Anna's client hears it, with Carla's peer id.
    c.send(json!({ "cmd": "broadcast", "url": url, "message": { "name": "Carla", "city": "Ravenna" } })).await;
    let heard = a.expect(WAIT, is("ephemeral")).await;
    assert_eq!(heard["senderId"], carla.peer_id.as_str());
    assert_eq!(heard["message"]["name"], "Carla");

    for peer in [a, b, c] {
        peer.exit().await;
    }
}
