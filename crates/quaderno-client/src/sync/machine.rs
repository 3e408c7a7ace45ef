//! What a group's live sync decides, apart from what it does.
//!
//! [`Machine::handle`] takes what happened (the relay's connection opened or was lost, a
//! frame was heard, a page opened a note, someone's presence arrived, another process asks
//! for a settled sync, time passed) and returns what to do about it: connect, ping, give a
//! silent connection up, announce this participant in a note, show who is in a note, answer
//! who asked, record that the group is synced. It owns the timing (reconnect backoff,
//! keepalive, presence repeats and expiry) and the presence table, and it does no I/O: the
//! driver (`live::GroupTask`) moves the bytes, runs the SQL and feeds the machine, so every
//! decision here is tested without a socket.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use quaderno_model::DocumentId;

use super::GroupOutcome;
use super::presence::{PRESENCE_EVERY, Presence, Present};

/// The first wait before reconnecting; it doubles up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(500);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A connection that stayed up this long earns its next loss an immediate reconnect (after
/// the jitter only): the relay closes a member's connections when an admin changes their
/// role, and the new role must reach them within a second. A relay that keeps closing
/// connections sooner than this gets the doubling backoff.
const STEADY_FOR: Duration = Duration::from_secs(2);
/// A connection the relay closes because this device's access changed is opened again after
/// the jitter alone, however briefly it was up (a promotion right after a demotion must reach
/// the member within a second too), this many times in a row; a relay that keeps doing so gets
/// the doubling backoff until a connection stays up for [`STEADY_FOR`].
const QUICK_ACCESS_RETRIES: u32 = 3;
/// A connection that brought nothing, not even a pong, for this many keepalive periods is
/// given up and opened again.
const SILENT_PERIODS: u32 = 3;

/// Someone waiting for a settled sync (the driver keeps what to answer them with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Waiter(pub u64);

/// Why a group never connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsynced {
    /// The personal notebook: it has pages and no relay.
    Local,
    /// No token for the relay (`quaderno join` again).
    NoToken { relay: String },
    /// The relay refused this device.
    Refused { reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// How often a live connection is pinged.
    pub keepalive: Duration,
    /// Up to this much is added to each reconnect wait, so that clients cut off together do
    /// not all come back in the same instant.
    pub jitter: Duration,
    /// Seeds the jitter.
    pub seed: u64,
    /// A one-shot sync (`quaderno sync`), which stops once settled; `None` for a live one.
    pub once: Option<Once>,
}

/// How a one-shot sync differs from a live one: it connects once and never again, and a
/// connection that brings no protocol message for `stall` while something is still to settle
/// is [`Action::Stalled`] (a live sync shares such documents again instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Once {
    pub stall: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Time passed (see [`Machine::deadline`]).
    Tick,
    /// The connection the machine asked for is open and `join` was sent.
    Connected,
    /// The connection could not be opened, or ended.
    Lost { reason: String },
    /// The relay answered what this device sent with an error and closed the connection:
    /// tried again as a lost connection is, but a one-shot sync says it failed, not that the
    /// relay is out of reach.
    Rejected { reason: String },
    /// The relay closed the connection because the group changed for this device (`what`: its
    /// access, a new role or a removal; or a note erased): the next connection learns what.
    GroupChanged { what: String },
    /// Instead of a connection, a one-shot sync found that neither side changed since the
    /// last complete sync: it is in sync without one.
    NothingChanged,
    /// The relay refused this device: no more connections until the next join.
    Refused { reason: String },
    /// Something arrived from the relay that is not a protocol message (a pong).
    Heard,
    /// A protocol message arrived from the relay (it was heard, and the sync moves on).
    Message,
    /// An ephemeral message in a note, from another peer.
    Ephemeral {
        doc: DocumentId,
        peer: String,
        data: Vec<u8>,
    },
    /// A first page opened the note.
    PageOpened { doc: DocumentId },
    /// The note's last page closed it, or the note moved to another group with its pages.
    PageLeft { doc: DocumentId },
    /// Someone asks to be answered once everything shared is in sync, or cannot be.
    Settle { waiter: Waiter },
    /// Where the hub stands after a turn: `true` when the relay answered `join` and every
    /// shared document is in sync with it or unavailable there.
    Progress { settled: bool },
    /// The live sync stops.
    Stop,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a connection to the relay, and answer with [`Input::Connected`] or
    /// [`Input::Lost`].
    Connect,
    /// Ask the relay for a sign of life.
    Ping,
    /// Close the connection: it went silent. The machine already counts it lost.
    Disconnect,
    /// Tell the note's other peers that this participant is in it, or `left` it.
    Announce {
        doc: DocumentId,
        left: bool,
    },
    /// Who is in the note now, for its pages and whoever listens.
    Present {
        doc: DocumentId,
        present: Vec<Present>,
    },
    /// Unload the documents nobody touched for a while.
    Unload,
    /// Start over the sync of documents the relay has left waiting too long.
    ResyncStalled,
    /// A one-shot sync heard no protocol message for [`Once::stall`] with something still to
    /// settle: the relay stopped answering (or, a plain relay, holds it all and says nothing).
    Stalled,
    Answer {
        waiter: Waiter,
        outcome: GroupOutcome,
    },
    /// Everything shared is in sync for the first time on this connection: record how far
    /// the group is synced.
    RecordSynced,
    Online,
    Offline {
        reason: String,
    },
    Refused {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Never(Unsynced),
    Offline {
        retry_at: Instant,
        reason: Option<String>,
    },
    Connecting,
    /// A one-shot sync with nothing to exchange.
    InSync,
    Online {
        heard: Instant,
        /// When the last protocol message arrived.
        moved: Instant,
        next_ping: Instant,
        was_settled: bool,
    },
}

/// Whether a group that is offline (for `reason`, if it tried) connects again: a one-shot
/// sync makes one attempt.
fn reconnects(once: Option<Once>, reason: &Option<String>) -> bool {
    once.is_none() || reason.is_none()
}

/// One group's live sync, as decisions.
#[derive(Debug)]
pub struct Machine {
    config: Config,
    phase: Phase,
    backoff: Duration,
    /// When the current connection came online.
    online_since: Option<Instant>,
    /// Whether the next loss of a connection reconnects at once (see [`STEADY_FOR`]).
    quick_retry: bool,
    /// Access changes reconnected at once since the last steady connection (see
    /// [`QUICK_ACCESS_RETRIES`]).
    quick_access: u32,
    /// Whether this participant announces itself (it has a name).
    announces: bool,
    presence: Presence,
    /// Who the pages were last told is in each note.
    published: HashMap<DocumentId, Vec<Present>>,
    /// Notes a page has open.
    open: HashSet<DocumentId>,
    settling: Vec<Waiter>,
    next_announce: Instant,
    rng: u64,
}

impl Machine {
    /// A group that connects at once (`None`), or never.
    pub fn new(config: Config, never: Option<Unsynced>, announces: bool, now: Instant) -> Self {
        let phase = match never {
            Some(why) => Phase::Never(why),
            None => Phase::Offline {
                retry_at: now,
                reason: None,
            },
        };
        Machine {
            config,
            phase,
            backoff: FIRST_BACKOFF,
            online_since: None,
            quick_retry: true,
            quick_access: 0,
            announces,
            presence: Presence::default(),
            published: HashMap::new(),
            open: HashSet::new(),
            settling: Vec::new(),
            next_announce: now + PRESENCE_EVERY,
            rng: config.seed | 1,
        }
    }

    pub fn is_online(&self) -> bool {
        matches!(self.phase, Phase::Online { .. })
    }

    /// Whether the group has a relay it tries to reach.
    pub fn connects(&self) -> bool {
        !matches!(self.phase, Phase::Never(_))
    }

    /// When to [`Input::Tick`] next.
    pub fn deadline(&self) -> Instant {
        let link = match &self.phase {
            Phase::Offline { retry_at, reason } if reconnects(self.config.once, reason) => {
                Some(*retry_at)
            }
            Phase::Online {
                next_ping,
                moved,
                was_settled: false,
                ..
            } if let Some(once) = self.config.once => Some((*moved + once.stall).min(*next_ping)),
            Phase::Online { next_ping, .. } => Some(*next_ping),
            Phase::Offline { .. } | Phase::Never(_) | Phase::Connecting | Phase::InSync => None,
        };
        link.map_or(self.next_announce, |at| at.min(self.next_announce))
    }

    pub fn handle(&mut self, now: Instant, input: Input) -> Vec<Action> {
        let mut actions = Vec::new();
        match input {
            Input::Tick => self.tick(now, &mut actions),
            Input::Connected => {
                if self.phase == Phase::Connecting {
                    self.phase = Phase::Online {
                        heard: now,
                        moved: now,
                        next_ping: now + self.config.keepalive,
                        was_settled: false,
                    };
                    self.backoff = FIRST_BACKOFF;
                    self.online_since = Some(now);
                    actions.push(Action::Online);
                    self.announce_open(false, &mut actions);
                }
            }
            Input::Lost { reason } => self.lost(now, reason, false, &mut actions),
            Input::Rejected { reason } => {
                if self.config.once.is_some() {
                    let outcome = GroupOutcome::Failed {
                        reason: reason.clone(),
                    };
                    self.answer_all(outcome, &mut actions);
                }
                self.lost(now, reason, false, &mut actions)
            }
            Input::GroupChanged { what } => self.lost(now, what, true, &mut actions),
            Input::NothingChanged => {
                if self.phase == Phase::Connecting {
                    self.phase = Phase::InSync;
                    self.answer_all(GroupOutcome::Synced, &mut actions);
                    actions.push(Action::RecordSynced);
                }
            }
            Input::Refused { reason } => {
                self.phase = Phase::Never(Unsynced::Refused {
                    reason: reason.clone(),
                });
                let outcome = GroupOutcome::Refused {
                    reason: reason.clone(),
                };
                self.answer_all(outcome, &mut actions);
                actions.push(Action::Refused { reason });
            }
            Input::Heard => {
                if let Phase::Online { heard, .. } = &mut self.phase {
                    *heard = now;
                }
            }
            Input::Message => {
                if let Phase::Online { heard, moved, .. } = &mut self.phase {
                    *heard = now;
                    *moved = now;
                }
            }
            Input::Ephemeral { doc, peer, data } => {
                self.presence.heard(doc, &peer, &data, now);
                let newcomers = self.publish(doc, now, &mut actions);
                // Someone new arrived: tell them at once who is already here.
                if newcomers && self.open.contains(&doc) {
                    self.announce(doc, false, &mut actions);
                }
            }
            Input::PageOpened { doc } => {
                let present = self.presence.in_doc(&doc, now);
                actions.push(Action::Present { doc, present });
                if self.open.insert(doc) {
                    self.announce(doc, false, &mut actions);
                }
            }
            Input::PageLeft { doc } => {
                if self.open.remove(&doc) {
                    self.announce(doc, true, &mut actions);
                }
            }
            Input::Settle { waiter } => self.settle(waiter, &mut actions),
            Input::Progress { settled } => {
                if let Phase::Online { was_settled, .. } = &mut self.phase {
                    let first = settled && !*was_settled;
                    *was_settled = settled;
                    if settled {
                        self.answer_all(GroupOutcome::Synced, &mut actions);
                    }
                    if first {
                        actions.push(Action::RecordSynced);
                    }
                }
            }
            Input::Stop => {
                self.announce_open(true, &mut actions);
                let outcome = GroupOutcome::Failed {
                    reason: "the sync stopped".into(),
                };
                self.answer_all(outcome, &mut actions);
            }
        }
        actions
    }

    fn tick(&mut self, now: Instant, actions: &mut Vec<Action>) {
        let once = self.config.once;
        match &mut self.phase {
            Phase::Offline { retry_at, reason } if now >= *retry_at && reconnects(once, reason) => {
                self.phase = Phase::Connecting;
                actions.push(Action::Connect);
            }
            Phase::Online {
                moved,
                was_settled: false,
                ..
            } if once.is_some_and(|once| now >= *moved + once.stall) => {
                // Said once per quiet spell.
                *moved = now;
                actions.push(Action::Stalled);
            }
            Phase::Online {
                heard, next_ping, ..
            } if now >= *next_ping => {
                let silent = now.saturating_duration_since(*heard);
                if silent > self.config.keepalive * SILENT_PERIODS {
                    actions.push(Action::Disconnect);
                    let reason = format!("nothing heard from the relay for {} s", silent.as_secs());
                    self.lost(now, reason, false, actions);
                } else {
                    *next_ping = now + self.config.keepalive;
                    actions.push(Action::Ping);
                }
            }
            _ => {}
        }
        if now >= self.next_announce {
            self.next_announce = now + PRESENCE_EVERY;
            self.announce_open(false, actions);
            actions.push(Action::Unload);
            if self.is_online() && once.is_none() {
                actions.push(Action::ResyncStalled);
            }
            self.presence.expire(now);
            let published: Vec<DocumentId> = self.published.keys().copied().collect();
            for doc in published {
                self.publish(doc, now, actions);
            }
        }
    }

    fn lost(&mut self, now: Instant, reason: String, access: bool, actions: &mut Vec<Action>) {
        if matches!(self.phase, Phase::Never(_) | Phase::InSync) {
            return;
        }
        let jitter = self.jitter();
        let since = self.online_since.take().filter(|_| self.is_online());
        if since.is_some_and(|since| now.saturating_duration_since(since) >= STEADY_FOR) {
            self.quick_retry = true;
            self.quick_access = 0;
        }
        // After an access change the next connection learns the new access: a one-shot sync
        // tries it too, and is answered by it (synced, or refused), not told it is offline.
        // The relay said so explicitly, so this holds even for a connection closed before it
        // was fully up (the change landed while it opened).
        let again = access && self.quick_access < QUICK_ACCESS_RETRIES;
        if !again {
            let outcome = GroupOutcome::Unreachable {
                reason: reason.clone(),
            };
            self.answer_all(outcome, actions);
        }
        let wait = if again {
            self.quick_access += 1;
            self.quick_retry = false;
            Duration::ZERO
        } else if since.is_some() && self.quick_retry {
            self.quick_retry = false;
            Duration::ZERO
        } else {
            let wait = self.backoff;
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            wait
        };
        self.phase = Phase::Offline {
            retry_at: now + wait + jitter,
            // A one-shot sync's reason says it tried and gives up; after an access change it
            // has not finished trying.
            reason: (!again || self.config.once.is_none()).then(|| reason.clone()),
        };
        actions.push(Action::Offline { reason });
    }

    fn settle(&mut self, waiter: Waiter, actions: &mut Vec<Action>) {
        let outcome = match &self.phase {
            Phase::Never(Unsynced::Local) | Phase::InSync => GroupOutcome::Synced,
            Phase::Never(Unsynced::NoToken { relay }) => GroupOutcome::Failed {
                reason: format!("no token for {relay}; run `quaderno join` again"),
            },
            Phase::Never(Unsynced::Refused { reason }) => GroupOutcome::Refused {
                reason: reason.clone(),
            },
            Phase::Offline {
                reason: Some(reason),
                ..
            } => GroupOutcome::Unreachable {
                reason: reason.clone(),
            },
            // Answered by the next `Input::Progress` that finds everything settled, or by the
            // loss of the connection being made (which has a deadline of its own): a sync asked
            // for just after the page opened waits for its first connection.
            Phase::Offline { reason: None, .. } | Phase::Connecting | Phase::Online { .. } => {
                self.settling.push(waiter);
                return;
            }
        };
        actions.push(Action::Answer { waiter, outcome });
    }

    fn answer_all(&mut self, outcome: GroupOutcome, actions: &mut Vec<Action>) {
        for waiter in self.settling.drain(..) {
            let outcome = outcome.clone();
            actions.push(Action::Answer { waiter, outcome });
        }
    }

    fn announce_open(&self, left: bool, actions: &mut Vec<Action>) {
        let mut open: Vec<DocumentId> = self.open.iter().copied().collect();
        open.sort_unstable();
        for doc in open {
            self.announce(doc, left, actions);
        }
    }

    fn announce(&self, doc: DocumentId, left: bool, actions: &mut Vec<Action>) {
        if self.announces && self.is_online() {
            actions.push(Action::Announce { doc, left });
        }
    }

    /// Tells who is in the note if that changed; returns whether someone arrived.
    fn publish(&mut self, doc: DocumentId, now: Instant, actions: &mut Vec<Action>) -> bool {
        let present = self.presence.in_doc(&doc, now);
        let before = self.published.get(&doc).map(Vec::as_slice).unwrap_or(&[]);
        if before == present.as_slice() {
            return false;
        }
        let newcomers = present
            .iter()
            .any(|p| !before.iter().any(|b| b.peer == p.peer));
        if present.is_empty() {
            self.published.remove(&doc);
        } else {
            self.published.insert(doc, present.clone());
        }
        actions.push(Action::Present { doc, present });
        newcomers
    }

    /// Up to [`Config::jitter`], from a xorshift of the seed.
    fn jitter(&mut self) -> Duration {
        let max = self.config.jitter.as_millis() as u64;
        if max == 0 {
            return Duration::ZERO;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        Duration::from_millis(self.rng % max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::presence::{PRESENCE_TTL, encode};
    use quaderno_model::Author;

    const KEEPALIVE: Duration = Duration::from_secs(15);

    fn machine(t0: Instant) -> Machine {
        let config = Config {
            keepalive: KEEPALIVE,
            jitter: Duration::ZERO,
            seed: 7,
            once: None,
        };
        Machine::new(config, None, true, t0)
    }

    /// A machine that connected at `t0`.
    fn online(t0: Instant) -> Machine {
        let mut m = machine(t0);
        assert_eq!(m.handle(t0, Input::Tick), [Action::Connect]);
        assert_eq!(m.handle(t0, Input::Connected), [Action::Online]);
        m
    }

    impl Machine {
        fn retry_at(&self) -> Instant {
            match self.phase {
                Phase::Offline { retry_at, .. } => retry_at,
                _ => panic!("not offline: {:?}", self.phase),
            }
        }
    }

    /// What the link does, without the periodic unloading and resyncing.
    fn link(actions: Vec<Action>) -> Vec<Action> {
        actions
            .into_iter()
            .filter(|a| !matches!(a, Action::Unload | Action::ResyncStalled))
            .collect()
    }

    fn after(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    fn lost(reason: &str) -> Input {
        Input::Lost {
            reason: reason.into(),
        }
    }

    fn offline(reason: &str) -> Action {
        Action::Offline {
            reason: reason.into(),
        }
    }

    fn hello(name: &str, left: bool) -> Vec<u8> {
        let author = Author {
            name: name.into(),
            city: "Trieste".into(),
        };
        encode(&author, left)
    }

    fn names(actions: &[Action], of: DocumentId) -> Option<Vec<String>> {
        actions.iter().find_map(|a| match a {
            Action::Present { doc, present } if *doc == of => {
                Some(present.iter().map(|p| p.name.clone()).collect())
            }
            _ => None,
        })
    }

    #[test]
    fn reconnects_with_a_backoff_that_doubles_up_to_thirty_seconds_and_resets_once_online() {
        let t0 = Instant::now();
        let mut m = online(t0);
        // A connection that was online is retried at once; then 0.5 s, 1 s, 2 s, ... then
        // 30 s for ever.
        let mut now = t0;
        let mut waits = Vec::new();
        for _ in 0..9 {
            assert_eq!(m.handle(now, lost("refused")), [offline("refused")]);
            let retry = m.retry_at();
            assert!(
                m.handle(retry - Duration::from_millis(1), Input::Tick)
                    .iter()
                    .all(|a| *a != Action::Connect),
                "no retry before its time"
            );
            assert!(m.handle(retry, Input::Tick).contains(&Action::Connect));
            waits.push((retry - now).as_millis());
            now = retry;
        }
        assert_eq!(waits, [0, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        assert_eq!(m.handle(now, Input::Connected), [Action::Online]);
        m.handle(now, lost("closed"));
        assert_eq!(m.retry_at() - now, FIRST_BACKOFF, "reset once online");
    }

    #[test]
    fn a_steady_connection_closed_by_the_relay_reconnects_at_once_and_a_flapping_one_backs_off() {
        let t0 = Instant::now();
        let mut m = online(t0);
        let mut now = t0;
        // Steady connections (a role change closes them): back at once, every time.
        for _ in 0..3 {
            now += STEADY_FOR;
            m.handle(now, lost("closed"));
            assert_eq!(m.retry_at(), now, "steady: at once");
            assert!(m.handle(now, Input::Tick).contains(&Action::Connect));
            assert_eq!(m.handle(now, Input::Connected), [Action::Online]);
        }
        // A relay that closes each connection at once: one quick retry, then the backoff.
        m.handle(now, lost("closed"));
        assert_eq!(m.retry_at(), now + FIRST_BACKOFF, "flapping: backs off");
    }

    #[test]
    fn an_access_change_reconnects_at_once_even_on_a_brief_connection_a_few_times_in_a_row() {
        let t0 = Instant::now();
        let mut m = online(t0);
        let mut now = t0;
        // A demotion, then a promotion 300 ms later, then two more: each back at once.
        for _ in 0..QUICK_ACCESS_RETRIES {
            now += Duration::from_millis(300);
            m.handle(now, access_changed());
            assert_eq!(m.retry_at(), now, "access changed: at once");
            assert!(m.handle(now, Input::Tick).contains(&Action::Connect));
            assert_eq!(m.handle(now, Input::Connected), [Action::Online]);
        }
        // A relay that keeps saying so on brief connections gets the backoff.
        now += Duration::from_millis(300);
        m.handle(now, access_changed());
        assert_eq!(m.retry_at(), now + FIRST_BACKOFF, "flapping: backs off");
        // A steady connection earns the quick access retries back.
        now = m.retry_at();
        m.handle(now, Input::Tick);
        m.handle(now, Input::Connected);
        now += STEADY_FOR;
        m.handle(now, access_changed());
        assert_eq!(m.retry_at(), now);
        m.handle(now, Input::Tick);
        m.handle(now, Input::Connected);
        now += Duration::from_millis(300);
        m.handle(now, access_changed());
        assert_eq!(m.retry_at(), now, "quick again after a steady connection");
    }

    #[test]
    fn a_connection_that_brings_nothing_for_three_keepalives_is_given_up() {
        let t0 = Instant::now();
        let mut m = online(t0);
        let mut tick = |ms| link(m.handle(after(t0, ms), Input::Tick));
        assert_eq!(tick(14_999), []);
        assert_eq!(tick(15_000), [Action::Ping]);
        // A pong at 16 s: pings go on.
        m.handle(after(t0, 16_000), Input::Heard);
        let mut tick = |ms| link(m.handle(after(t0, ms), Input::Tick));
        assert_eq!(tick(30_000), [Action::Ping]);
        assert_eq!(tick(45_000), [Action::Ping]);
        assert_eq!(tick(60_000), [Action::Ping]);
        // 79 s is 63 s of silence: more than three periods.
        let actions = tick(79_000);
        assert_eq!(actions[0], Action::Disconnect);
        assert_eq!(actions[1], offline("nothing heard from the relay for 63 s"));
        assert!(!m.is_online());
        assert!(
            m.handle(m.retry_at(), Input::Tick)
                .contains(&Action::Connect)
        );
    }

    #[test]
    fn a_refused_device_never_connects_again_and_says_why() {
        let t0 = Instant::now();
        let mut m = online(t0);
        let refused = Input::Refused {
            reason: "device revoked".into(),
        };
        assert_eq!(
            m.handle(t0, refused),
            [Action::Refused {
                reason: "device revoked".into()
            }]
        );
        let day = t0 + Duration::from_secs(86_400);
        assert!(!m.handle(day, Input::Tick).contains(&Action::Connect));
        assert!(!m.connects());
        assert_eq!(
            m.handle(day, Input::Settle { waiter: Waiter(1) }),
            [Action::Answer {
                waiter: Waiter(1),
                outcome: GroupOutcome::Refused {
                    reason: "device revoked".into()
                }
            }]
        );
        // An error while refused (a page's request) changes nothing.
        assert!(m.handle(day, lost("store busy")).is_empty());
    }

    fn access_changed() -> Input {
        Input::GroupChanged {
            what: "this device's access to the group changed".into(),
        }
    }

    fn one_shot(t0: Instant, stall: Duration) -> Machine {
        let config = Config {
            keepalive: KEEPALIVE,
            jitter: Duration::ZERO,
            seed: 3,
            once: Some(Once { stall }),
        };
        Machine::new(config, None, false, t0)
    }

    #[test]
    fn a_one_shot_sync_connects_once_and_is_answered_by_that_connection() {
        let t0 = Instant::now();
        let mut m = one_shot(t0, Duration::from_secs(30));
        assert!(m.handle(t0, Input::Settle { waiter: Waiter(1) }).is_empty());
        assert_eq!(m.handle(t0, Input::Tick), [Action::Connect]);
        let answered = m.handle(t0, lost("connection refused"));
        assert_eq!(
            answered[0],
            Action::Answer {
                waiter: Waiter(1),
                outcome: GroupOutcome::Unreachable {
                    reason: "connection refused".into()
                }
            }
        );
        // It never tries again, however long it waits.
        let later = after(t0, 3_600_000);
        assert!(!link(m.handle(later, Input::Tick)).contains(&Action::Connect));
        // A settle asked after that is answered at once, with the reason.
        assert_eq!(
            m.handle(later, Input::Settle { waiter: Waiter(2) }),
            [Action::Answer {
                waiter: Waiter(2),
                outcome: GroupOutcome::Unreachable {
                    reason: "connection refused".into()
                }
            }]
        );
    }

    #[test]
    fn a_one_shot_sync_the_relay_refused_says_it_failed_not_that_it_is_offline() {
        let t0 = Instant::now();
        let mut m = one_shot(t0, Duration::from_secs(30));
        assert!(m.handle(t0, Input::Settle { waiter: Waiter(1) }).is_empty());
        assert_eq!(m.handle(t0, Input::Tick), [Action::Connect]);
        m.handle(t0, Input::Connected);
        let reason = "note X would hold 2119 operations";
        let answered = m.handle(
            after(t0, 40),
            Input::Rejected {
                reason: reason.into(),
            },
        );
        assert_eq!(
            answered[0],
            Action::Answer {
                waiter: Waiter(1),
                outcome: GroupOutcome::Failed {
                    reason: reason.into()
                }
            }
        );
        let later = after(t0, 3_600_000);
        assert!(!link(m.handle(later, Input::Tick)).contains(&Action::Connect));
    }

    #[test]
    fn a_one_shot_sync_whose_access_changed_tries_once_more_and_is_answered_by_that() {
        let t0 = Instant::now();
        let mut m = one_shot(t0, Duration::from_secs(30));
        assert!(m.handle(t0, Input::Settle { waiter: Waiter(1) }).is_empty());
        assert_eq!(m.handle(t0, Input::Tick), [Action::Connect]);
        m.handle(t0, Input::Connected);
        let now = after(t0, 40);
        let actions = m.handle(now, access_changed());
        assert!(
            !actions.iter().any(|a| matches!(a, Action::Answer { .. })),
            "not answered as offline: {actions:?}"
        );
        assert!(link(m.handle(now, Input::Tick)).contains(&Action::Connect));
        let answered = m.handle(
            now,
            Input::Refused {
                reason: "reader".into(),
            },
        );
        assert!(
            answered.contains(&Action::Answer {
                waiter: Waiter(1),
                outcome: GroupOutcome::Refused {
                    reason: "reader".into()
                }
            }),
            "{answered:?}"
        );
    }

    #[test]
    fn a_one_shot_sync_with_nothing_changed_is_in_sync_without_a_connection() {
        let t0 = Instant::now();
        let mut m = one_shot(t0, Duration::from_secs(30));
        m.handle(t0, Input::Settle { waiter: Waiter(1) });
        assert_eq!(m.handle(t0, Input::Tick), [Action::Connect]);
        assert_eq!(
            m.handle(t0, Input::NothingChanged),
            [
                Action::Answer {
                    waiter: Waiter(1),
                    outcome: GroupOutcome::Synced
                },
                Action::RecordSynced
            ]
        );
        assert!(!m.is_online());
        for s in 1..100 {
            assert!(link(m.handle(after(t0, s * 1000), Input::Tick)).is_empty());
        }
        assert_eq!(
            m.handle(after(t0, 100_000), Input::Settle { waiter: Waiter(2) }),
            [Action::Answer {
                waiter: Waiter(2),
                outcome: GroupOutcome::Synced
            }]
        );
    }

    #[test]
    fn a_one_shot_sync_stalls_when_the_relay_stops_sending_messages_but_not_once_settled() {
        let t0 = Instant::now();
        let mut m = one_shot(t0, Duration::from_secs(30));
        m.handle(t0, Input::Tick);
        m.handle(t0, Input::Connected);
        m.handle(t0, Input::Settle { waiter: Waiter(1) });
        // Pongs keep the connection alive but do not move the sync on; messages do.
        let tick = |m: &mut Machine, ms| link(m.handle(after(t0, ms), Input::Tick));
        assert_eq!(tick(&mut m, 15_000), [Action::Ping]);
        m.handle(after(t0, 15_001), Input::Heard);
        m.handle(after(t0, 20_000), Input::Message);
        assert!(tick(&mut m, 29_999).is_empty());
        assert_eq!(
            tick(&mut m, 30_000),
            [Action::Ping],
            "30 s after connecting: not stalled"
        );
        m.handle(after(t0, 30_001), Input::Heard);
        assert_eq!(tick(&mut m, 45_000), [Action::Ping]);
        m.handle(after(t0, 45_001), Input::Heard);
        assert!(tick(&mut m, 49_999).is_empty());
        assert!(m.deadline() <= after(t0, 50_000));
        assert_eq!(
            tick(&mut m, 50_000),
            [Action::Stalled],
            "30 s after the last message"
        );
        // Said once per quiet spell.
        assert!(tick(&mut m, 50_001).is_empty());

        // Once settled, a quiet relay is no stall; and a one-shot sync never resyncs.
        m.handle(after(t0, 50_002), Input::Progress { settled: true });
        for s in 51..200 {
            let actions = m.handle(after(t0, s * 1000), Input::Tick);
            assert!(
                !actions.contains(&Action::Stalled) && !actions.contains(&Action::ResyncStalled),
                "{actions:?}"
            );
        }
    }

    #[test]
    fn a_settle_waits_for_the_first_connection_answers_at_once_when_offline_and_once_in_sync() {
        let t0 = Instant::now();
        let mut m = machine(t0);
        let unreachable = |reason: &str| GroupOutcome::Unreachable {
            reason: reason.into(),
        };
        // Before the first connection is made, and while it is made, a settle waits for it.
        assert!(m.handle(t0, Input::Settle { waiter: Waiter(1) }).is_empty());
        assert_eq!(m.handle(t0, Input::Tick), [Action::Connect]);
        assert!(m.handle(t0, Input::Settle { waiter: Waiter(5) }).is_empty());
        assert_eq!(
            m.handle(t0, lost("connection refused")),
            [
                Action::Answer {
                    waiter: Waiter(1),
                    outcome: unreachable("connection refused")
                },
                Action::Answer {
                    waiter: Waiter(5),
                    outcome: unreachable("connection refused")
                },
                Action::Offline {
                    reason: "connection refused".into()
                }
            ]
        );
        assert_eq!(
            m.handle(t0, Input::Settle { waiter: Waiter(2) }),
            [Action::Answer {
                waiter: Waiter(2),
                outcome: unreachable("connection refused")
            }],
            "the last reason"
        );

        m.handle(m.retry_at(), Input::Tick);
        m.handle(t0, Input::Connected);
        assert!(m.handle(t0, Input::Settle { waiter: Waiter(3) }).is_empty());
        assert!(m.handle(t0, Input::Settle { waiter: Waiter(4) }).is_empty());
        assert!(m.handle(t0, Input::Progress { settled: false }).is_empty());
        let synced = |w| Action::Answer {
            waiter: Waiter(w),
            outcome: GroupOutcome::Synced,
        };
        assert_eq!(
            m.handle(t0, Input::Progress { settled: true }),
            [synced(3), synced(4), Action::RecordSynced]
        );
        // Still settled: recorded once per connection, later waiters answered at once.
        assert!(m.handle(t0, Input::Progress { settled: true }).is_empty());
        m.handle(t0, Input::Settle { waiter: Waiter(5) });
        assert_eq!(m.handle(t0, Input::Progress { settled: true }), [synced(5)]);
        // Someone waiting when the connection is lost hears why.
        m.handle(t0, Input::Progress { settled: false });
        m.handle(t0, Input::Settle { waiter: Waiter(6) });
        assert_eq!(
            m.handle(t0, lost("the relay closed the connection")),
            [
                Action::Answer {
                    waiter: Waiter(6),
                    outcome: unreachable("the relay closed the connection")
                },
                offline("the relay closed the connection")
            ]
        );
    }

    #[test]
    fn groups_that_never_connect_answer_what_they_can() {
        let t0 = Instant::now();
        let config = Config {
            keepalive: KEEPALIVE,
            jitter: Duration::ZERO,
            seed: 1,
            once: None,
        };
        let no_token = Unsynced::NoToken {
            relay: "https://relay.example".into(),
        };
        let mut m = Machine::new(config, Some(no_token), true, t0);
        assert!(!m.handle(t0, Input::Tick).contains(&Action::Connect));
        let Action::Answer { outcome, .. } = &m.handle(t0, Input::Settle { waiter: Waiter(1) })[0]
        else {
            panic!("answered");
        };
        assert!(
            matches!(outcome, GroupOutcome::Failed { reason } if reason.contains("quaderno join"))
        );

        let mut personal = Machine::new(config, Some(Unsynced::Local), true, t0);
        assert_eq!(
            personal.handle(t0, Input::Settle { waiter: Waiter(2) }),
            [Action::Answer {
                waiter: Waiter(2),
                outcome: GroupOutcome::Synced
            }]
        );
        // No relay, no announcements: the pages still see who is there (nobody).
        let doc = DocumentId::random();
        assert_eq!(
            personal.handle(t0, Input::PageOpened { doc }),
            [Action::Present {
                doc,
                present: vec![]
            }]
        );
    }

    #[test]
    fn presence_is_shown_announced_to_newcomers_and_expires() {
        let t0 = Instant::now();
        let mut m = online(t0);
        let doc = DocumentId::random();
        let opened = m.handle(t0, Input::PageOpened { doc });
        assert_eq!(names(&opened, doc), Some(vec![]));
        assert!(opened.contains(&Action::Announce { doc, left: false }));

        // Bruno arrives: shown, and told at once that we are here.
        let heard = m.handle(
            after(t0, 100),
            Input::Ephemeral {
                doc,
                peer: "bruno-laptop".into(),
                data: hello("Bruno", false),
            },
        );
        assert_eq!(names(&heard, doc), Some(vec!["Bruno".to_string()]));
        assert!(heard.contains(&Action::Announce { doc, left: false }));
        // His repeat changes nothing on the page and asks for no answer.
        let repeat = Input::Ephemeral {
            doc,
            peer: "bruno-laptop".into(),
            data: hello("Bruno", false),
        };
        assert!(m.handle(after(t0, 5_000), repeat).is_empty());

        // Every five seconds this participant repeats itself in its open notes.
        let tick = m.handle(after(t0, 5_000), Input::Tick);
        assert!(tick.contains(&Action::Announce { doc, left: false }));
        assert!(tick.contains(&Action::Unload));
        assert!(
            tick.contains(&Action::ResyncStalled),
            "online: stalled syncs are looked for"
        );
        assert_eq!(names(&tick, doc), None, "Bruno is still there");

        // Not heard for fifteen seconds: gone.
        let last_heard = after(t0, 5_000);
        let mut now = last_heard;
        let gone = loop {
            now = m.deadline().max(now);
            let actions = m.handle(now, Input::Tick);
            if let Some(present) = names(&actions, doc) {
                break (now, present);
            }
        };
        assert_eq!(gone.1, Vec::<String>::new());
        assert!(gone.0 >= last_heard + PRESENCE_TTL);
        assert!(gone.0 < last_heard + PRESENCE_TTL + PRESENCE_EVERY);
    }

    #[test]
    fn who_leaves_disappears_at_once_and_leaving_is_announced() {
        let t0 = Instant::now();
        let mut m = online(t0);
        let doc = DocumentId::random();
        m.handle(t0, Input::PageOpened { doc });
        let arrive = Input::Ephemeral {
            doc,
            peer: "carla".into(),
            data: hello("Carla", false),
        };
        m.handle(t0, arrive);
        let leave = Input::Ephemeral {
            doc,
            peer: "carla".into(),
            data: hello("Carla", true),
        };
        assert_eq!(names(&m.handle(t0, leave), doc), Some(vec![]));

        assert_eq!(
            m.handle(t0, Input::PageLeft { doc }),
            [Action::Announce { doc, left: true }]
        );
        // Closed: no more repeats in it.
        let tick = m.handle(after(t0, 5_000), Input::Tick);
        assert!(!tick.iter().any(|a| matches!(a, Action::Announce { .. })));
    }

    #[test]
    fn after_a_reconnect_the_open_notes_are_announced_again() {
        let t0 = Instant::now();
        let mut m = online(t0);
        let (a, b) = (DocumentId::random(), DocumentId::random());
        m.handle(t0, Input::PageOpened { doc: a });
        m.handle(t0, Input::PageOpened { doc: b });
        m.handle(t0, lost("closed"));
        // Offline: a page opened now is not announced (there is nobody to tell)...
        let c = DocumentId::random();
        let opened = m.handle(t0, Input::PageOpened { doc: c });
        assert!(!opened.iter().any(|a| matches!(a, Action::Announce { .. })));
        // ...until the connection is back, when every open note is.
        m.handle(m.retry_at(), Input::Tick);
        let back = m.handle(t0, Input::Connected);
        let mut announced: Vec<DocumentId> = back
            .iter()
            .filter_map(|x| match x {
                Action::Announce { doc, left: false } => Some(*doc),
                _ => None,
            })
            .collect();
        announced.sort_unstable();
        let mut open = vec![a, b, c];
        open.sort_unstable();
        assert_eq!(back[0], Action::Online);
        assert_eq!(announced, open);
        // Stopping says goodbye in each.
        let stop = m.handle(t0, Input::Stop);
        assert_eq!(
            stop.iter()
                .filter(|x| matches!(x, Action::Announce { left: true, .. }))
                .count(),
            3
        );
    }

    #[test]
    fn jitter_stays_within_its_bound() {
        let t0 = Instant::now();
        let config = Config {
            keepalive: KEEPALIVE,
            jitter: Duration::from_millis(250),
            seed: 42,
            once: None,
        };
        let mut m = Machine::new(config, None, false, t0);
        let mut now = t0;
        let mut seen = HashSet::new();
        for _ in 0..20 {
            m.handle(now, Input::Tick);
            m.handle(now, Input::Connected);
            // Steady connections, so each retry waits the jitter alone.
            now += STEADY_FOR;
            m.handle(now, lost("closed"));
            let wait = m.retry_at() - now;
            assert!(wait < config.jitter, "{wait:?}");
            seen.insert(wait);
            now = m.retry_at();
        }
        assert!(seen.len() > 1, "the waits differ");
    }
}
