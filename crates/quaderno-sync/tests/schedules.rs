//! Whatever order the network delivers frames in, and however the relay groups them into
//! turns, every participant ends with every edit and with the relay's acknowledgement of it.

mod support;

use proptest::prelude::*;
use support::{CLIENT_CONN, Net};

#[derive(Debug, Clone)]
enum Step {
    Edit(usize),
    /// The relay takes up to n waiting frames in one turn.
    RelayTurn(usize),
    /// A client reads up to n waiting frames.
    ClientReads(usize, usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize).prop_map(Step::Edit),
        2 => (1..6usize).prop_map(Step::RelayTurn),
        2 => (0..3usize, 1..4usize).prop_map(|(c, n)| Step::ClientReads(c, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_edit_arrives_and_is_acknowledged_whatever_the_schedule(
        steps in proptest::collection::vec(step(), 1..80)
    ) {
        let mut net = Net::new();
        let clients: Vec<usize> = ["anna", "bruno", "carla"].iter().map(|n| net.add_client(n, true)).collect();
        for &c in &clients {
            net.connect(c);
        }
        let note = net.create_doc(clients[0], "base");
        // Everyone has asked for the note before anything is delivered.
        net.client_input(clients[0], vec![quaderno_sync::Input::Share { conn: CLIENT_CONN, doc: note }]);
        for &c in &clients[1..] {
            net.client_input(c, vec![quaderno_sync::Input::Share { conn: CLIENT_CONN, doc: note }]);
        }
        let mut words = Vec::new();
        for (i, step) in steps.into_iter().enumerate() {
            match step {
                Step::Edit(c) if net.clients[c].storage.docs.contains_key(&note) => {
                    let word = format!(" w{i}");
                    net.append_quietly(c, note, &word);
                    words.push(word);
                }
                Step::Edit(_) => {}
                Step::RelayTurn(n) => net.deliver_to_relay(n),
                Step::ClientReads(c, n) => net.deliver_to_client(c, n),
            }
        }
        net.run();

        let relay = net.relay_text(note).unwrap();
        for &c in &clients {
            prop_assert_eq!(net.text(c, note).unwrap(), relay.clone());
            prop_assert!(net.acknowledged(c, note), "{} never heard the relay holds its last change", net.clients[c].name);
        }
        for word in &words {
            prop_assert!(relay.contains(word.as_str()));
        }
    }
}
