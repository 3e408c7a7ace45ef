//! The sync hub as relay and clients see it, over an in-memory network.

mod support;

use std::time::Duration;

use quaderno_model::DocumentId;
use quaderno_sync::{ConnId, ConnPolicy, Event, Input, LoadedDoc, Message, PeerId, Write};
use support::{CLIENT_CONN, Net};

fn rejected(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Rejected { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_note_travels_from_one_participant_to_another_through_the_relay() {
    // Step 1: Anna and Bruno connect to the relay.
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    net.connect(anna);
    net.connect(bruno);

    // Step 2: Anna writes a note offline and shares it.
    let note = net.create_doc(anna, "Verbale del terzo incontro");
    net.share(anna, note);

    // Step 3: the relay stored it, and Bruno asks for it by id.
    assert_eq!(
        net.relay_text(note).as_deref(),
        Some("Verbale del terzo incontro")
    );
    net.share(bruno, note);
    assert_eq!(
        net.text(bruno, note).as_deref(),
        Some("Verbale del terzo incontro")
    );

    // Step 4: Anna keeps typing; Bruno sees it without asking again.
    net.append(anna, note, ", Palermo");
    assert_eq!(
        net.text(bruno, note).as_deref(),
        Some("Verbale del terzo incontro, Palermo")
    );
}

#[test]
fn a_new_document_is_announced_with_sync_and_a_missing_one_is_requested() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    net.connect(anna);
    net.connect(bruno);
    let note = net.create_doc(anna, "x");

    net.share(anna, note);
    net.share(bruno, note);

    let first_about_the_note = |c: usize| {
        net.relay_received
            .iter()
            .filter(|(from, kind)| *from == c && kind != "join")
            .map(|(_, kind)| kind.as_str())
            .next()
    };
    assert_eq!(
        first_about_the_note(anna),
        Some("sync"),
        "Anna has it: sync"
    );
    assert_eq!(
        first_about_the_note(bruno),
        Some("request"),
        "Bruno does not: request"
    );
    assert_eq!(net.text(bruno, note).as_deref(), Some("x"));
}

#[test]
fn every_sender_is_acknowledged_when_its_changes_arrive_in_one_batch() {
    // Three typists whose messages reach the relay in the same turn.
    let mut net = Net::new();
    let typists: Vec<usize> = ["anna", "bruno", "carla"]
        .iter()
        .map(|n| net.add_client(n, true))
        .collect();
    for &t in &typists {
        net.connect(t);
    }
    let note = net.create_doc(typists[0], "base");
    net.share(typists[0], note);
    for &t in &typists[1..] {
        net.share(t, note);
    }

    net.hold_relay = true;
    for (i, &t) in typists.iter().enumerate() {
        let stored = net.clients[t].storage.docs.get_mut(&note).unwrap();
        let before = stored.get_heads();
        let (_, body) = automerge::ReadDoc::get(stored, automerge::ROOT, "body")
            .unwrap()
            .unwrap();
        let mut tx = stored.transaction();
        automerge::transaction::Transactable::splice_text(&mut tx, &body, 0, 0, &format!("{i}"))
            .unwrap();
        tx.commit();
        let changes = stored.save_after(&before);
        let out = net.clients[t]
            .hub
            .handle(net.now, [Input::LocalChanges { doc: note, changes }]);
        assert!(out.writes.is_empty(), "a local change is already stored");
        let conn = net.clients[t].relay_conn.unwrap();
        for (_, bytes) in out.sends {
            net.relay_input(vec![Input::Frame { conn, bytes }]);
        }
    }
    net.run();

    let relay_text = net.relay_text(note).unwrap();
    for &t in &typists {
        assert_eq!(
            net.text(t, note).unwrap(),
            relay_text,
            "{} converged",
            net.clients[t].name
        );
        let in_sync = net.clients[t]
            .events
            .iter()
            .any(|e| matches!(e, Event::InSync { doc, .. } if *doc == note));
        assert!(
            in_sync,
            "{} heard that the relay holds its change",
            net.clients[t].name
        );
    }
    for digit in ["0", "1", "2"] {
        assert!(relay_text.contains(digit));
    }
}

#[test]
fn asking_for_an_unknown_document_gets_doc_unavailable_then_the_document_when_it_appears() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    net.connect(anna);
    net.connect(bruno);
    let note = net.create_doc(anna, "arriva dopo");

    net.share(bruno, note);
    let unavailable = net.clients[bruno]
        .events
        .iter()
        .any(|e| matches!(e, Event::DocUnavailable { doc, .. } if *doc == note));
    assert!(unavailable);

    net.share(anna, note);
    assert_eq!(net.text(bruno, note).as_deref(), Some("arriva dopo"));
}

#[test]
fn a_readers_changes_never_reach_the_relay_or_the_others() {
    let mut net = Net::new();
    let editor = net.add_client("editor", true);
    let reader = net.add_client("reader", false);
    net.connect(editor);
    net.connect(reader);
    let note = net.create_doc(editor, "ufficiale");
    net.share(editor, note);
    net.share(reader, note);
    assert_eq!(net.text(reader, note).as_deref(), Some("ufficiale"));

    net.append(reader, note, " (modificato)");

    assert_eq!(net.relay_text(note).as_deref(), Some("ufficiale"));
    assert_eq!(net.text(editor, note).as_deref(), Some("ufficiale"));
}

#[test]
fn a_reader_cannot_create_a_document() {
    let mut net = Net::new();
    let reader = net.add_client("reader", false);
    net.connect(reader);
    let note = net.create_doc(reader, "mio");

    net.share(reader, note);

    assert!(net.relay_storage.docs.is_empty());
}

#[test]
fn a_purged_document_is_not_created_again() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.connect(anna);
    let note = net.create_doc(anna, "nome di un minore");
    net.relay_storage.purged.push(note);

    net.share(anna, note);

    assert!(net.relay_storage.docs.is_empty());
}

#[test]
fn ephemeral_messages_reach_the_other_peers_once_with_the_original_sender() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    let carla = net.add_client("carla", true);
    for c in [anna, bruno, carla] {
        net.connect(c);
    }
    let note = net.create_doc(anna, "riunione");
    for c in [anna, bruno, carla] {
        net.share(c, note);
    }

    net.client_input(
        anna,
        vec![Input::Broadcast {
            doc: note,
            data: b"Anna (Palermo)".to_vec(),
        }],
    );
    net.run();
    // A repeat of the same (sender, session, count) is dropped by the relay.
    let repeat = Message::Ephemeral {
        sender: PeerId::new("anna"),
        target: PeerId::new("relay"),
        document: note,
        session_id: "anna-session".into(),
        count: 1,
        data: b"Anna (Palermo)".to_vec(),
    };
    net.send_raw(anna, repeat.encode());

    for c in [bruno, carla] {
        let heard: Vec<&Event> = net.clients[c]
            .events
            .iter()
            .filter(|e| matches!(e, Event::Ephemeral { .. }))
            .collect();
        assert_eq!(heard.len(), 1, "{} hears Anna once", net.clients[c].name);
        assert!(matches!(heard[0], Event::Ephemeral { sender, data, .. }
            if sender.as_str() == "anna" && data == b"Anna (Palermo)"));
    }
    let anna_heard = net.clients[anna]
        .events
        .iter()
        .any(|e| matches!(e, Event::Ephemeral { .. }));
    assert!(!anna_heard, "the sender does not hear itself");
}

#[test]
fn a_second_join_with_the_same_peer_id_replaces_the_older_connection() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.connect(anna);
    let old = net.clients[anna].relay_conn.unwrap();

    // The same device connects again (its old socket is half-dead).
    let new = ConnId(999);
    net.relay_input(vec![Input::Opened {
        conn: new,
        policy: ConnPolicy::default(),
    }]);
    let join = Message::Join {
        sender: PeerId::new("anna"),
        metadata: None,
        supported_versions: Some(vec!["1".into()]),
    };
    let out = net.relay.handle(
        net.now,
        [Input::Frame {
            conn: new,
            bytes: join.encode(),
        }],
    );

    assert!(out.closes.contains(&old));
    assert_eq!(net.relay.peer_of(new).map(PeerId::as_str), Some("anna"));
    assert_eq!(net.relay.peer_of(old), None);
}

#[test]
fn protocol_violations_get_an_error_and_a_close() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "random bytes",
            vec![0xff, 0x00, 0x13],
            "undecodable message",
        ),
        (
            "an unsupported version",
            Message::Join {
                sender: PeerId::new("x"),
                metadata: None,
                supported_versions: Some(vec!["2".into()]),
            }
            .encode(),
            "unsupported protocol version",
        ),
        (
            "a peer id that is not the device's",
            Message::Join {
                sender: PeerId::new("somebody-else"),
                metadata: None,
                supported_versions: Some(vec!["1".into()]),
            }
            .encode(),
            "must join with peer id",
        ),
        (
            "sync before join",
            Message::Sync {
                sender: PeerId::new("x"),
                target: PeerId::new("relay"),
                document: DocumentId::random(),
                data: vec![0x42, 0, 0, 0, 0],
            }
            .encode(),
            "send `join` before anything else",
        ),
    ];
    for (name, bytes, expected) in cases {
        let mut net = Net::new();
        let conn = ConnId(5);
        let policy = ConnPolicy {
            expected_peer: Some(PeerId::new("x")),
            read_only: false,
            device: None,
            participant: None,
        };
        net.relay_input(vec![Input::Opened { conn, policy }]);

        let out = net.relay.handle(net.now, [Input::Frame { conn, bytes }]);

        assert_eq!(out.closes, vec![conn], "{name}");
        let error = Message::decode(&out.sends[0].1).unwrap();
        assert!(
            matches!(&error, Message::Error { message, .. } if message.contains(expected)),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn a_connected_peer_breaking_the_rules_is_closed_and_the_others_go_on() {
    type Frame = fn(DocumentId) -> Vec<u8>;
    let cases: Vec<(&str, Frame, &str)> = vec![
        (
            "a foreign sender id",
            |doc| {
                Message::Sync {
                    sender: PeerId::new("bruno"),
                    target: PeerId::new("relay"),
                    document: doc,
                    data: vec![0x42, 0, 0, 0, 0],
                }
                .encode()
            },
            "senderId must be anna",
        ),
        (
            "a sync message that is not automerge",
            |doc| {
                Message::Sync {
                    sender: PeerId::new("anna"),
                    target: PeerId::new("relay"),
                    document: doc,
                    data: b"not automerge".to_vec(),
                }
                .encode()
            },
            "not an automerge sync message",
        ),
        (
            "changes that are not changes",
            |doc| {
                // A V1 sync message: no heads, need, have; one 9-byte "change"; no flags.
                let mut data = vec![0x42, 0, 0, 0, 1, 9];
                data.extend([0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 1]);
                Message::Sync {
                    sender: PeerId::new("anna"),
                    target: PeerId::new("relay"),
                    document: doc,
                    data,
                }
                .encode()
            },
            "not a valid automerge change",
        ),
        (
            // Regression: automerge 0.12 divided by zero on it and the relay's hub panicked.
            "a bloom filter with entries but no bits",
            |doc| {
                // A V1 sync message whose one `have` holds a filter of 1 entry, 0 bits.
                let data = vec![0x42, 0, 0, 1, 0, 3, 1, 0, 7, 0];
                Message::Sync {
                    sender: PeerId::new("anna"),
                    target: PeerId::new("relay"),
                    document: doc,
                    data,
                }
                .encode()
            },
            "bloom filter has entries but no bits",
        ),
    ];
    for (name, frame, expected) in cases {
        let mut net = Net::new();
        let anna = net.add_client("anna", true);
        let bruno = net.add_client("bruno", true);
        net.connect(anna);
        net.connect(bruno);
        let note = net.create_doc(bruno, "ok");
        net.share(bruno, note);

        net.send_raw(anna, frame(note));

        assert!(
            rejected(&net.relay_events)
                .iter()
                .any(|r| r.contains(expected)),
            "{name}: {:?}",
            rejected(&net.relay_events)
        );
        assert_eq!(
            net.clients[anna].relay_conn, None,
            "{name}: anna was closed"
        );
        net.append(bruno, note, " e ancora");
        assert_eq!(
            net.relay_text(note).as_deref(),
            Some("ok e ancora"),
            "{name}: bruno goes on"
        );
    }
}

#[test]
fn a_text_frame_closes_the_connection() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.connect(anna);
    let conn = net.clients[anna].relay_conn.unwrap();

    let out = net.relay.handle(net.now, [Input::TextFrame { conn }]);

    assert_eq!(out.closes, vec![conn]);
}

#[test]
fn work_for_one_document_touches_only_its_peers() {
    // Fifty participants, each on their own document, and one shared note between two.
    let mut net = Net::new();
    let mut others = Vec::new();
    for i in 0..50 {
        let c = net.add_client(&format!("p{i}"), true);
        net.connect(c);
        let doc = net.create_doc(c, "own");
        net.share(c, doc);
        others.push(c);
    }
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    net.connect(anna);
    net.connect(bruno);
    let note = net.create_doc(anna, "shared");
    net.share(anna, note);
    net.share(bruno, note);
    net.relay_sent.clear();

    net.append(anna, note, "!");

    let recipients: std::collections::BTreeSet<usize> =
        net.relay_sent.iter().map(|(c, _)| *c).collect();
    assert_eq!(recipients, [anna, bruno].into_iter().collect());
}

#[test]
fn a_member_who_holds_a_note_hears_of_its_edits_without_sharing_it_again() {
    // Anna and Bruno both hold a note; Bruno goes away and comes back, and shares nothing on
    // his new connection (nothing changed on his side while he was away).
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    let carla = net.add_client("carla", true);
    net.connect(anna);
    net.connect(bruno);
    net.connect(carla);
    let note = net.create_doc(anna, "prima");
    net.share(anna, note);
    net.share(bruno, note);
    net.disconnect(bruno);
    net.connect(bruno);
    // The note leaves the relay's memory too: its holders are known from storage.
    net.advance(Duration::from_secs(31));
    net.relay_input(vec![Input::Tick]);
    assert_eq!(net.relay.docs_in_memory(), 0);
    net.relay_sent.clear();

    net.append(anna, note, " e dopo");

    assert_eq!(net.text(bruno, note).as_deref(), Some("prima e dopo"));
    // Carla, in the group but without the note, is not sent it.
    assert!(net.text(carla, note).is_none());
    assert!(!net.relay_sent.iter().any(|(c, _)| *c == carla));
}

#[test]
fn idle_documents_leave_memory_and_come_back_on_demand() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    net.connect(anna);
    net.connect(bruno);
    let note = net.create_doc(anna, "prima");
    net.share(anna, note);
    net.share(bruno, note);
    assert_eq!(net.relay.docs_in_memory(), 1);

    net.advance(Duration::from_secs(31));
    net.relay_input(vec![Input::Tick]);
    assert_eq!(net.relay.docs_in_memory(), 0);

    net.append(anna, note, " e dopo");
    assert_eq!(net.text(bruno, note).as_deref(), Some("prima e dopo"));
    assert_eq!(net.relay.docs_in_memory(), 1);
}

#[test]
fn sync_states_are_saved_on_disconnect_and_make_the_next_sync_cheaper() {
    // Anna shares five notes with a long history, then goes offline.
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.connect(anna);
    let mut notes = Vec::new();
    for i in 0..5 {
        let note = net.create_doc(anna, &format!("nota {i}"));
        net.share(anna, note);
        for k in 0..60 {
            net.append(anna, note, &format!(" {k}"));
        }
        notes.push(note);
    }
    net.disconnect(anna);
    let saved = net
        .relay_storage
        .states
        .keys()
        .filter(|(_, key)| key == "anna-storage")
        .count();
    assert_eq!(
        saved, 5,
        "one sync state per document, under anna's storage id"
    );

    // Anna edits offline and comes back; everything left the relay's memory meanwhile.
    let reconnect_cost = |net: &mut Net| {
        net.advance(Duration::from_secs(31));
        net.relay_input(vec![Input::Tick]);
        for &note in &notes {
            net.append(anna, note, " offline");
        }
        net.connect(anna);
        net.relay_sent_bytes = 0;
        for &note in &notes {
            net.share(anna, note);
        }
        let cost = net.relay_sent_bytes;
        net.disconnect(anna);
        cost
    };
    let with_saved_states = reconnect_cost(&mut net);
    net.relay_storage.states.clear();
    let from_scratch = reconnect_cost(&mut net);

    assert!(
        with_saved_states < from_scratch,
        "{with_saved_states} bytes with saved states, {from_scratch} without"
    );
}

#[test]
fn writes_come_before_the_acknowledgement_in_the_same_output() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.connect(anna);
    let note = net.create_doc(anna, "salvato prima");
    let out = net.clients[anna].hub.handle(
        net.now,
        [Input::Share {
            conn: CLIENT_CONN,
            doc: note,
        }],
    );
    assert!(out.loads.contains(&note));
    let stored = net.clients[anna].storage.docs[&note].clone();
    let loaded = net.clients[anna].hub.handle(
        net.now,
        [Input::Loaded {
            doc: note,
            found: Some(quaderno_sync::LoadedDoc {
                doc: stored,
                sync_states: vec![],
            }),
            may_create: true,
        }],
    );
    let conn = net.clients[anna].relay_conn.unwrap();
    let mut frames: Vec<Vec<u8>> = loaded.sends.into_iter().map(|(_, b)| b).collect();

    // Two round trips: the relay learns the heads, asks for the change, then stores it.
    let mut stored_with_ack = false;
    for _ in 0..4 {
        let mut next = Vec::new();
        for bytes in frames.drain(..) {
            let out = net.relay.handle(net.now, [Input::Frame { conn, bytes }]);
            let out = if out.loads.is_empty() {
                out
            } else {
                net.relay.handle(
                    net.now,
                    [Input::Loaded {
                        doc: note,
                        found: None,
                        may_create: true,
                    }],
                )
            };
            if out
                .writes
                .iter()
                .any(|w| matches!(w, Write::Changes { .. } | Write::Snapshot { .. }))
            {
                stored_with_ack = !out.sends.is_empty();
            }
            for (_, bytes) in out.sends {
                let reply = net.clients[anna].hub.handle(
                    net.now,
                    [Input::Frame {
                        conn: CLIENT_CONN,
                        bytes,
                    }],
                );
                next.extend(reply.sends.into_iter().map(|(_, b)| b));
            }
        }
        frames = next;
    }
    assert!(
        stored_with_ack,
        "the output that stores the change also carries its acknowledgement"
    );
}

#[test]
fn regression_a_returning_peer_accepts_several_changes_packed_in_one_v2_entry() {
    // Found by the convergence property: once peers know each other support V2, automerge packs
    // all the changes it sends into one entry of the message, which must be split, not refused.
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    net.connect(anna);
    let note = net.create_doc(anna, "base ");
    net.share(anna, note);
    net.connect(bruno);
    net.share(bruno, note);
    for word in [" w0", " w1", " w2", " w3"] {
        net.append(anna, note, word);
    }
    net.disconnect(bruno);
    net.append(anna, note, " w5");
    net.append(anna, note, " w6");
    net.append(bruno, note, " w7");
    net.append(bruno, note, " w8");

    net.connect(bruno);
    net.share(bruno, note);

    assert!(rejected(&net.clients[bruno].events).is_empty());
    let text = net.text(bruno, note).unwrap();
    assert_eq!(net.text(anna, note).unwrap(), text);
    for word in ["w5", "w6", "w7", "w8"] {
        assert!(text.contains(word), "{word} in {text:?}");
    }
}

#[test]
fn a_burst_of_edits_in_flight_is_acknowledged_in_full() {
    // Anna types twenty changes before the relay answers any of them.
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.connect(anna);
    let note = net.create_doc(anna, "inizio");
    net.share(anna, note);
    for burst in 0..3 {
        for i in 0..20 {
            let stored = net.clients[anna].storage.docs.get_mut(&note).unwrap();
            let before = stored.get_heads();
            let (_, body) = automerge::ReadDoc::get(stored, automerge::ROOT, "body")
                .unwrap()
                .unwrap();
            let len = automerge::ReadDoc::length(stored, &body);
            let mut tx = stored.transaction();
            automerge::transaction::Transactable::splice_text(
                &mut tx,
                &body,
                len,
                0,
                &format!(" {burst}.{i}"),
            )
            .unwrap();
            tx.commit();
            let changes = stored.save_after(&before);
            net.client_input(anna, vec![Input::LocalChanges { doc: note, changes }]);
        }
        net.hold_relay = burst % 2 == 0;
        net.run();

        let heads = net.clients[anna].storage.docs[&note].get_heads();
        let acked = net.clients[anna]
            .events
            .iter()
            .any(|e| matches!(e, Event::InSync { heads: h, .. } if *h == heads));
        assert!(
            acked,
            "burst {burst}: the relay acknowledged the last change"
        );
        assert_eq!(net.relay_text(note), net.text(anna, note));
    }
}

#[test]
fn edits_made_before_the_first_answer_arrives_are_acknowledged_in_full() {
    // Anna shares a new note and types twenty changes before reading anything from the relay.
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.connect(anna);
    let note = net.create_doc(anna, "inizio");
    net.client_input(
        anna,
        vec![Input::Share {
            conn: CLIENT_CONN,
            doc: note,
        }],
    );
    for i in 0..20 {
        net.append_quietly(anna, note, &format!(" {i}"));
    }

    net.run();

    assert_eq!(net.relay_text(note), net.text(anna, note));
    assert!(
        net.acknowledged(anna, note),
        "the relay acknowledged the last change"
    );
}

#[test]
fn regression_heads_only_messages_batched_with_changes_still_get_an_acknowledgement() {
    // Found by the schedule property: Anna typed before reading the relay's first answer, so
    // two of her messages carry only heads. The relay takes them in the same turn as the message
    // with her changes; their heads then equal the relay's, which must not stop the reply.
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    net.connect(anna);
    net.connect(bruno);
    let note = net.create_doc(anna, "base");
    net.client_input(
        anna,
        vec![Input::Share {
            conn: CLIENT_CONN,
            doc: note,
        }],
    );
    net.client_input(
        bruno,
        vec![Input::Share {
            conn: CLIENT_CONN,
            doc: note,
        }],
    );
    net.append_quietly(anna, note, " w0");
    net.append_quietly(anna, note, " w1");

    net.deliver_to_relay(2);
    net.deliver_to_client(anna, 1);
    net.deliver_to_relay(4);
    net.run();

    assert!(net.acknowledged(anna, note));
    assert!(net.acknowledged(bruno, note));
    assert_eq!(net.text(bruno, note).as_deref(), Some("base w0 w1"));
}

#[test]
fn a_document_changed_in_storage_behind_the_hub_reaches_its_peers_after_a_reload() {
    // An admin edits the stored copy (a purge removes an entry from a group's index).
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.connect(anna);
    let index = net.create_doc(anna, "indice");
    net.share(anna, index);
    let stored = net.relay_storage.docs.get_mut(&index).unwrap();
    let (_, body) = automerge::ReadDoc::get(stored, automerge::ROOT, "body")
        .unwrap()
        .unwrap();
    let mut tx = stored.transaction();
    automerge::transaction::Transactable::splice_text(&mut tx, &body, 0, 0, "[admin] ").unwrap();
    tx.commit();

    net.relay_input(vec![Input::Reload { doc: index }]);
    net.run();

    assert_eq!(net.text(anna, index).as_deref(), Some("[admin] indice"));
}

/// A sync message holding a change that makes automerge 0.12 panic half-way through applying
/// it, once the document is the one below (found by fuzzing the relay's frame handling;
/// `fuzz/regressions/relay_frame/change-that-panics-automerge`).
const CHANGE_THAT_PANICS_AUTOMERGE: [u8; 178] = [
    0x42, 0x01, 0xe5, 0xdd, 0x86, 0xbf, 0x98, 0x41, 0x96, 0x40, 0x78, 0x92, 0x98, 0x21, 0x22, 0x5f,
    0x2f, 0x31, 0xb3, 0x5a, 0x83, 0xe9, 0xfa, 0xab, 0xee, 0xaf, 0xa0, 0xdb, 0xdd, 0xea, 0x11, 0x6d,
    0x40, 0x07, 0x00, 0x00, 0x01, 0x8b, 0x01, 0x85, 0x6f, 0x4a, 0x83, 0xe5, 0xdd, 0x86, 0xbf, 0x01,
    0x80, 0x01, 0x01, 0xa9, 0xdf, 0x37, 0x2b, 0x5a, 0xf3, 0x18, 0xd2, 0x4b, 0x11, 0xea, 0x10, 0xed,
    0x02, 0xfb, 0x83, 0x55, 0xf0, 0xa5, 0x77, 0x5d, 0xfc, 0x2b, 0x5e, 0x32, 0x55, 0x4c, 0x88, 0x25,
    0xfa, 0x3c, 0x19, 0x10, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03,
    0x03, 0x03, 0x03, 0x03, 0x01, 0xe8, 0x01, 0xe4, 0x00, 0x00, 0x01, 0x10, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x09, 0x01, 0x02, 0x02,
    0x02, 0x11, 0x04, 0x13, 0x06, 0x34, 0x02, 0x42, 0x02, 0x56, 0x02, 0x57, 0x0d, 0x70, 0x02, 0x0d,
    0x01, 0x0d, 0x01, 0x24, 0x01, 0x0c, 0x00, 0x7e, 0x00, 0xe8, 0x01, 0x0b, 0x01, 0x00, 0x0d, 0x0d,
    0x01, 0x0d, 0x16, 0x50, 0x72, 0x65, 0x73, 0x65, 0x6e, 0x74, 0x69, 0x3a, 0x20, 0x31, 0x32, 0x0a,
    0x0d, 0x00,
];

/// The note the relay-frame fuzz target starts from: 30 lines by a fixed actor at fixed times.
fn fuzzed_note() -> automerge::Automerge {
    use automerge::transaction::{CommitOptions, Transactable};
    use automerge::{ActorId, Automerge, ObjType, ROOT, ReadDoc};
    let mut doc = Automerge::new().with_actor(ActorId::from([1u8; 16]));
    let mut tx = doc.transaction();
    let body = tx.put_object(ROOT, "body", ObjType::Text).unwrap();
    tx.commit_with(CommitOptions::default().with_time(0));
    for i in 0..30 {
        let mut tx = doc.transaction();
        let len = tx.length(&body);
        tx.splice_text(&body, len, 0, &format!("riga {i}\n"))
            .unwrap();
        tx.commit_with(CommitOptions::default().with_time(i));
    }
    doc
}

/// A sync message (fuzz/regressions/relay_frame/change-that-breaks-the-change-graph) with a
/// change automerge 0.12 takes in, leaving a change graph on which reading the new changes back
/// (`save_after`) panics.
const CHANGE_THAT_BREAKS_THE_CHANGE_GRAPH: [u8; 178] = [
    0x42, 0x01, 0xe5, 0xdd, 0x86, 0xbf, 0x98, 0x41, 0x96, 0x40, 0x78, 0x92, 0x98, 0x21, 0x22, 0x5f,
    0x2f, 0x30, 0xb3, 0x5a, 0x83, 0xe9, 0xfa, 0xab, 0xee, 0xaf, 0xa0, 0xdb, 0xdd, 0xea, 0x11, 0x6d,
    0x40, 0x07, 0x00, 0x00, 0x01, 0x8b, 0x01, 0x85, 0x6f, 0x4a, 0x83, 0xe5, 0xdd, 0x86, 0xbf, 0x01,
    0x80, 0x01, 0x01, 0xa9, 0xdf, 0x37, 0x2b, 0x5a, 0xf3, 0x18, 0xd2, 0x4b, 0x11, 0xea, 0x10, 0xed,
    0x02, 0xfb, 0x83, 0x55, 0xf0, 0xa5, 0x77, 0x5d, 0xfc, 0x2b, 0x5e, 0x32, 0x55, 0x4c, 0x88, 0x25,
    0xfa, 0x3c, 0x19, 0x10, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03,
    0x03, 0x03, 0x03, 0x03, 0x01, 0xe8, 0x01, 0xe4, 0x00, 0x00, 0x01, 0x10, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x09, 0x01, 0x02, 0x02,
    0x02, 0x11, 0x04, 0x13, 0x06, 0x30, 0x02, 0x46, 0x02, 0x56, 0x02, 0x57, 0x0d, 0x70, 0x02, 0x0d,
    0x01, 0x0d, 0x01, 0x00, 0x01, 0x0c, 0x00, 0x7e, 0x00, 0xe8, 0x01, 0x0b, 0x01, 0x00, 0x0d, 0x0d,
    0x01, 0x0d, 0x16, 0x50, 0x72, 0x65, 0x63, 0x65, 0x6e, 0x74, 0x69, 0x3a, 0x20, 0x31, 0x32, 0x0a,
    0x0d, 0x00,
];

#[test]
fn regression_a_change_that_makes_automerge_panic_is_refused_and_the_note_stays_whole() {
    a_change_is_refused_and_the_note_stays_whole(&CHANGE_THAT_PANICS_AUTOMERGE);
}

#[test]
fn regression_a_change_that_breaks_the_change_graph_is_refused_and_the_note_stays_whole() {
    a_change_is_refused_and_the_note_stays_whole(&CHANGE_THAT_BREAKS_THE_CHANGE_GRAPH);
}

fn a_change_is_refused_and_the_note_stays_whole(data: &[u8]) {
    let note_id = DocumentId::from_bytes([7; 16]);
    let note = fuzzed_note();
    let mut net = Net::new();
    let conn = ConnId(5);
    let policy = ConnPolicy {
        expected_peer: Some(PeerId::new("mallory")),
        read_only: false,
        device: None,
        participant: None,
    };
    net.relay_input(vec![Input::Opened { conn, policy }]);
    let join = Message::Join {
        sender: PeerId::new("mallory"),
        metadata: None,
        supported_versions: Some(vec!["1".into()]),
    };
    net.relay.handle(
        net.now,
        [Input::Frame {
            conn,
            bytes: join.encode(),
        }],
    );
    let sync = Message::Sync {
        sender: PeerId::new("mallory"),
        target: PeerId::new("relay"),
        document: note_id,
        data: data.to_vec(),
    };
    let out = net.relay.handle(
        net.now,
        [Input::Frame {
            conn,
            bytes: sync.encode(),
        }],
    );
    assert_eq!(out.loads, vec![note_id]);

    let loaded = LoadedDoc {
        doc: note.clone(),
        sync_states: Vec::new(),
    };
    let out = net.relay.handle(
        net.now,
        [Input::Loaded {
            doc: note_id,
            found: Some(loaded),
            may_create: true,
        }],
    );

    assert_eq!(out.closes, vec![conn]);
    assert!(
        rejected(&out.events)
            .iter()
            .any(|r| r.contains("changes that cannot be applied")),
        "{:?}",
        out.events
    );
    assert!(out.writes.is_empty(), "nothing of it is stored");
    let kept = net.relay.doc(&note_id).expect("the note stays in memory");
    assert_eq!(kept.get_heads(), note.get_heads());
}

#[test]
fn notes_that_arrive_whole_in_one_turn_are_all_loaded_and_stored_whole() {
    // Step 1: Anna writes six notes, each in many changes, and shares them.
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.connect(anna);
    let notes: Vec<DocumentId> = (0..6)
        .map(|i| {
            let doc = net.create_doc(anna, &format!("Nota {i}\n"));
            net.share(anna, doc);
            for line in 0..10 {
                net.append(anna, doc, &format!("riga {line} della nota {i}\n"));
            }
            doc
        })
        .collect();

    // Step 2: Bruno, new, asks for all six; the relay's answers arrive together.
    let bruno = net.add_client("bruno", true);
    net.connect(bruno);
    for &doc in &notes {
        net.client_input(
            bruno,
            vec![Input::Share {
                conn: CLIENT_CONN,
                doc,
            }],
        );
    }
    net.deliver_to_relay(usize::MAX);
    let writes_before = net.clients[bruno].storage.writes;
    let frames = net.deliver_to_client_at_once(bruno);
    let whole = frames
        .iter()
        .filter_map(|bytes| match Message::decode(bytes) {
            Ok(Message::Sync { data, .. }) => automerge::sync::Message::decode(&data).ok(),
            _ => None,
        })
        .filter(|m| quaderno_sync::changes::first_document(&m.changes).is_some())
        .count();
    assert_eq!(whole, notes.len(), "each note came whole, in one turn");
    assert!(net.clients[bruno].storage.writes > writes_before);
    net.run();

    // Step 3: Bruno holds every note exactly as Anna wrote it.
    for &doc in &notes {
        assert_eq!(net.text(bruno, doc), net.text(anna, doc));
        assert!(net.text(bruno, doc).unwrap().contains("riga 9"));
    }
}

/// Anna and Bruno share a note that nobody then touches for a while: it leaves every hub's
/// memory (the relay's and both clients').
fn a_note_idle_everywhere() -> (Net, usize, usize, DocumentId) {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    net.connect(anna);
    net.connect(bruno);
    let note = net.create_doc(anna, "prima");
    net.share(anna, note);
    net.share(bruno, note);
    net.advance(Duration::from_secs(31));
    net.relay_input(vec![Input::Tick]);
    net.client_input(anna, vec![Input::Tick]);
    net.client_input(bruno, vec![Input::Tick]);
    net.run();
    (net, anna, bruno, note)
}

#[test]
fn a_note_idle_everywhere_still_reaches_the_others_when_it_is_edited_again() {
    let (mut net, anna, bruno, note) = a_note_idle_everywhere();

    net.append(anna, note, " e dopo");
    assert_eq!(
        net.relay_text(note).as_deref(),
        Some("prima e dopo"),
        "the relay has it"
    );
    assert_eq!(net.text(bruno, note).as_deref(), Some("prima e dopo"));
}

#[test]
fn a_note_idle_everywhere_reaches_the_others_when_shared_again_after_an_edit() {
    let (mut net, anna, bruno, note) = a_note_idle_everywhere();

    net.append_quietly(anna, note, " e dopo");
    net.share(anna, note);
    assert_eq!(
        net.relay_text(note).as_deref(),
        Some("prima e dopo"),
        "the relay has it"
    );
    assert_eq!(net.text(bruno, note).as_deref(), Some("prima e dopo"));
}

#[test]
fn a_sync_whose_messages_were_lost_is_stuck_until_it_is_started_over() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.connect(anna);
    let note = net.create_doc(anna, "Verbale scritto senza rete");

    // Anna's first message about the note is lost with the relay's socket buffer.
    net.client_input(
        anna,
        vec![Input::Share {
            conn: CLIENT_CONN,
            doc: note,
        }],
    );
    assert!(net.lose_frames_to_relay() > 0);
    net.run();
    // Each side waits for the other: sharing it again says nothing new.
    net.share(anna, note);
    assert_eq!(net.relay_text(note), None);
    assert!(!net.acknowledged(anna, note));

    // Started over, the sync offers the note again and the relay stores and acknowledges it.
    net.client_input(
        anna,
        vec![Input::Resync {
            conn: CLIENT_CONN,
            doc: note,
        }],
    );
    net.run();
    assert_eq!(
        net.relay_text(note).as_deref(),
        Some("Verbale scritto senza rete")
    );
    assert!(net.acknowledged(anna, note));
}

#[test]
fn a_device_that_lost_a_note_the_relay_believes_it_holds_gets_it_back() {
    // Bruno's device received the note once; the relay saved that it holds it.
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    let bruno = net.add_client("bruno", true);
    net.connect(anna);
    net.connect(bruno);
    let note = net.create_doc(anna, "Verbale");
    net.share(anna, note);
    net.share(bruno, note);
    assert_eq!(net.text(bruno, note).as_deref(), Some("Verbale"));
    net.disconnect(bruno);
    // The same device (same storage id) comes back without the note, in a new process.
    net.advance(Duration::from_secs(31));
    net.relay_input(vec![Input::Tick]);
    let again = net.add_client("bruno", true);
    net.connect(again);
    net.share(again, note);
    assert_eq!(net.text(again, note).as_deref(), Some("Verbale"));
}

/// Regression: a share whose load was never answered (the connection broke while the output
/// that asked for it was carried out) left the note "loading" for as long as the watch ran,
/// and every later share of it waited behind that load: a note written as the relay went
/// down never reached it.
#[test]
fn a_note_whose_load_failed_is_loaded_again_when_it_is_next_shared() {
    let mut net = Net::new();
    let anna = net.add_client("anna", true);
    net.connect(anna);
    let note = net.create_doc(anna, "Verbale scritto mentre la rete cadeva");
    let now = net.now;
    let out = net.clients[anna].hub.handle(
        now,
        vec![Input::Share {
            conn: CLIENT_CONN,
            doc: note,
        }],
    );
    assert_eq!(out.loads, vec![note]);
    net.client_input(anna, vec![Input::LoadFailed { doc: note }]);

    net.share(anna, note);
    assert_eq!(
        net.relay_text(note).as_deref(),
        Some("Verbale scritto mentre la rete cadeva")
    );
    assert!(net.acknowledged(anna, note));
}
