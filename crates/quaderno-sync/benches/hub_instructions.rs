//! A fixed amount of relay hub work, to be counted in instructions: on a machine shared with
//! others, time varies with their load, instruction counts do not.
//!
//! ```text
//! cargo bench -p quaderno-sync --bench hub_instructions --no-run
//! valgrind --tool=callgrind --toggle-collect='quaderno_sync::hub::Hub::handle' \
//!     target/release/deps/hub_instructions-HASH
//! ```
//!
//! `scripts/bench-instructions.sh` does both and prints instructions per delivery. Without
//! valgrind the program just runs the work and prints how long it took.
//!
//! The work: 300 edits in a small map document with 10 members, each pushed to the 9 others
//! and acknowledged (2,700 deliveries, as scenario 1); then 20 turns of 8 keystrokes in a 5 KB
//! note with 8 members (scenario 5).

mod support;

use std::time::Instant;

use quaderno_sync::Input;
use support::{Room, count, keystroke, note, small_map};

const EDITS: u64 = 300;
const KEYSTROKE_TURNS: usize = 20;

/// `typing` or `meeting` runs that part alone; anything else (`cargo bench` passes `--bench`)
/// runs both.
fn main() {
    let part = std::env::args().nth(1).unwrap_or_default();
    if part != "meeting" {
        let started = Instant::now();
        typing();
        println!(
            "typing: {EDITS} edits to 9 members in {:?}",
            started.elapsed()
        );
    }
    if part != "typing" {
        let started = Instant::now();
        meeting();
        println!(
            "meeting: {KEYSTROKE_TURNS} turns of 8 keystrokes in {:?}",
            started.elapsed()
        );
    }
}

fn typing() {
    let mut room = Room::new(10, &small_map());
    for i in 0..EDITS {
        let frame = room.edit(0, |d| count(d, i as i64));
        let out = room.hub.handle(Instant::now(), [frame]);
        let mut acks = Vec::new();
        for (conn, bytes) in out.sends {
            let member = &mut room.members[conn.0 as usize - 1];
            member.receive(&bytes);
            if let Some(ack) = member.frame(room.id) {
                acks.push(Input::Frame { conn, bytes: ack });
            }
        }
        let out = room.hub.handle(Instant::now(), acks);
        room.settle(out.sends);
    }
}

fn meeting() {
    let mut room = Room::new(8, &note(5_000));
    for i in 0..KEYSTROKE_TURNS {
        let frames: Vec<Input> = (0..8)
            .map(|n| room.edit(n, |d| keystroke(d, (i * 31 + n * 7) * 13)))
            .collect();
        let out = room.hub.handle(Instant::now(), frames);
        room.settle(out.sends);
    }
}
