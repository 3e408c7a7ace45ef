//! Whatever the order of edits, connections and batched relay turns, everyone converges.

mod support;

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use proptest::prelude::*;
use quaderno_sync::Input;
use support::Net;

#[derive(Debug, Clone)]
enum Step {
    /// Client inserts a unique word at one of the word boundaries.
    Edit {
        client: usize,
        at: u8,
    },
    Connect(usize),
    Disconnect(usize),
    /// The relay handles everything waiting for it in one turn from now on, or not.
    Batching(bool),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, any::<u8>()).prop_map(|(client, at)| Step::Edit { client, at }),
        1 => (0..3usize).prop_map(Step::Connect),
        1 => (0..3usize).prop_map(Step::Disconnect),
        1 => any::<bool>().prop_map(Step::Batching),
    ]
}

fn insert_word(net: &mut Net, client: usize, doc: quaderno_model::DocumentId, at: u8, word: &str) {
    let stored = net.clients[client].storage.docs.get_mut(&doc).unwrap();
    let before = stored.get_heads();
    let (_, body) = stored.get(automerge::ROOT, "body").unwrap().unwrap();
    // Only after a space (or at the start), so no word is split by another.
    let text = stored.text(&body).unwrap();
    let boundaries: Vec<usize> = std::iter::once(0)
        .chain(
            text.chars()
                .enumerate()
                .filter(|(_, c)| *c == ' ')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let pos = boundaries[usize::from(at) % boundaries.len()];
    let mut tx = stored.transaction();
    tx.splice_text(&body, pos, 0, word).unwrap();
    tx.commit();
    let changes = stored.save_after(&before);
    net.client_input(client, vec![Input::LocalChanges { doc, changes }]);
    net.run();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn three_participants_always_converge(steps in proptest::collection::vec(step(), 1..60)) {
        let mut net = Net::new();
        let clients: Vec<usize> = ["anna", "bruno", "carla"].iter().map(|n| net.add_client(n, true)).collect();
        net.connect(clients[0]);
        let note = net.create_doc(clients[0], "base ");
        net.share(clients[0], note);
        // Everyone starts from the same base, then goes their own way.
        for &c in &clients[1..] {
            net.connect(c);
            net.share(c, note);
        }
        let mut words = Vec::new();
        for (i, step) in steps.into_iter().enumerate() {
            match step {
                Step::Edit { client, at } => {
                    let word = format!("w{i} ");
                    insert_word(&mut net, client, note, at, &word);
                    words.push(word);
                }
                Step::Connect(c) if net.clients[c].relay_conn.is_none() => {
                    net.connect(c);
                    net.share(c, note);
                }
                Step::Disconnect(c) => net.disconnect(c),
                Step::Batching(on) => net.hold_relay = on,
                Step::Connect(_) => {}
            }
        }
        // Finally everyone comes online.
        net.hold_relay = false;
        for &c in &clients {
            if net.clients[c].relay_conn.is_none() {
                net.connect(c);
            }
            net.share(c, note);
        }
        for &c in &clients {
            net.share(c, note);
        }

        let texts: Vec<String> = clients.iter().map(|&c| net.text(c, note).unwrap()).collect();
        prop_assert_eq!(&texts[0], &texts[1]);
        prop_assert_eq!(&texts[1], &texts[2]);
        prop_assert_eq!(net.relay_text(note).unwrap(), texts[0].clone());
        for word in &words {
            prop_assert!(texts[0].contains(word.as_str()), "{} is missing from {:?}", word, texts[0]);
        }
    }
}
