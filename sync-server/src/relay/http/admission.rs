//! Which HTTP connections the relay keeps, and until when: the caps in total, per address and
//! on unproven connections, and each connection's deadline. Pure: time is passed in, and what
//! to close is returned for the caller to close.
//!
//! A connection is *unproven* until it has sent a complete request, and again between
//! requests: it has a socket and has shown nothing. When a cap is reached, the oldest unproven
//! connection makes room for the new one, so a flood of half-sent requests (all from one
//! address, or from many) can never keep out a client that sends its request at once.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::config::HttpLimits;

/// A connection's place in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(u64);

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Connected, its first request's head not yet complete.
    New { since: Instant },
    /// A request's head arrived at `head_at`; its body is still arriving.
    Receiving { since: Instant, head_at: Instant },
    /// A complete request is being answered.
    Serving,
    /// Kept alive since its last answer, waiting for the next request.
    Idle { since: Instant },
    /// Upgraded to a WebSocket, which has its own limits.
    Upgraded,
}

impl Phase {
    /// Since when the connection has been unproven, if it is.
    fn unproven_since(self) -> Option<Instant> {
        match self {
            Phase::New { since } | Phase::Receiving { since, .. } | Phase::Idle { since } => {
                Some(since)
            }
            Phase::Serving | Phase::Upgraded => None,
        }
    }
}

/// Which timeout closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    Header,
    Body,
    Idle,
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timeout::Header => "its request's head did not arrive in time",
            Timeout::Body => "its request's body did not arrive in time",
            Timeout::Idle => "it sent no further request in time",
        })
    }
}

/// Why a new connection was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Every connection is in use, none unproven.
    Full { max: usize },
    /// Every connection from this address is in use, none unproven.
    AddressFull { max: usize },
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Full { max } => write!(
                f,
                "the relay holds its limit of {max} connections, all in use: try again in a minute"
            ),
            Refused::AddressFull { max } => write!(
                f,
                "your address holds the relay's limit of {max} connections, all in use: close \
                 some and try again"
            ),
        }
    }
}

/// A connection let in, and the one it pushed out.
#[derive(Debug)]
pub struct Admitted<T> {
    pub key: Key,
    /// What the caller keeps to close the oldest unproven connection, closed to make room.
    pub evicted: Option<T>,
}

#[derive(Debug)]
struct Conn<T> {
    addr: IpAddr,
    phase: Phase,
    /// What closes it (the caller's), handed back when it is evicted.
    handle: T,
}

/// The open connections, with `T` whatever the caller needs to close one.
#[derive(Debug)]
pub struct Admission<T> {
    limits: HttpLimits,
    next: u64,
    conns: HashMap<Key, Conn<T>>,
    /// The unproven connections, oldest first.
    unproven: BTreeSet<(Instant, Key)>,
    per_address: HashMap<IpAddr, usize>,
}

impl<T> Admission<T> {
    pub fn new(limits: HttpLimits) -> Self {
        Self {
            limits,
            next: 0,
            conns: HashMap::new(),
            unproven: BTreeSet::new(),
            per_address: HashMap::new(),
        }
    }

    /// Lets a new connection from `addr` in, closing the oldest unproven one if a cap is
    /// reached: of the same address if that address is at its cap, of any otherwise.
    pub fn admit(&mut self, addr: IpAddr, now: Instant, handle: T) -> Result<Admitted<T>, Refused> {
        let limits = &self.limits;
        let from_addr = self.per_address.get(&addr).copied().unwrap_or(0);
        let victim = if from_addr >= limits.max_connections_per_address {
            let max = limits.max_connections_per_address;
            Some(
                self.oldest_unproven_of(addr)
                    .ok_or(Refused::AddressFull { max })?,
            )
        } else if self.conns.len() >= limits.max_connections {
            let max = limits.max_connections;
            Some(self.oldest_unproven().ok_or(Refused::Full { max })?)
        } else if self.unproven.len() >= limits.max_unproven_connections {
            self.oldest_unproven()
        } else {
            None
        };
        let evicted = victim.and_then(|key| self.remove(key));
        let key = Key(self.next);
        self.next += 1;
        let phase = Phase::New { since: now };
        self.conns.insert(
            key,
            Conn {
                addr,
                phase,
                handle,
            },
        );
        self.unproven.insert((now, key));
        *self.per_address.entry(addr).or_default() += 1;
        Ok(Admitted { key, evicted })
    }

    /// A request's head arrived; `body_complete` if it has no body left to read.
    pub fn request(&mut self, key: Key, now: Instant, body_complete: bool) {
        let Some(since) = self.phase(key).and_then(Phase::unproven_since) else {
            return;
        };
        if body_complete {
            self.set_phase(key, Phase::Serving);
        } else {
            self.set_phase(
                key,
                Phase::Receiving {
                    since,
                    head_at: now,
                },
            );
        }
    }

    /// The request's body arrived in full.
    pub fn body_complete(&mut self, key: Key) {
        if let Some(Phase::Receiving { .. }) = self.phase(key) {
            self.set_phase(key, Phase::Serving);
        }
    }

    /// The relay answered; the connection is kept alive or became a WebSocket.
    pub fn answered(&mut self, key: Key, now: Instant, upgraded: bool) {
        if self.conns.contains_key(&key) {
            let phase = if upgraded {
                Phase::Upgraded
            } else {
                Phase::Idle { since: now }
            };
            self.set_phase(key, phase);
        }
    }

    /// When the connection is closed unless it moves on, and by which timeout.
    pub fn deadline(&self, key: Key) -> Option<(Instant, Timeout)> {
        let limits = &self.limits;
        match self.phase(key)? {
            Phase::New { since } => Some((since + limits.header_timeout, Timeout::Header)),
            Phase::Receiving { head_at, .. } => {
                Some((head_at + limits.body_timeout, Timeout::Body))
            }
            Phase::Idle { since } => Some((since + limits.idle_timeout, Timeout::Idle)),
            Phase::Serving | Phase::Upgraded => None,
        }
    }

    /// How often a connection without a deadline looks again: no deadline set later can be
    /// sooner than this after it is set.
    pub fn recheck(&self) -> Duration {
        let limits = &self.limits;
        limits
            .header_timeout
            .min(limits.body_timeout)
            .min(limits.idle_timeout)
    }

    /// Whether the connection has no request under way (it can be closed without cutting an
    /// answer short).
    pub fn is_unproven(&self, key: Key) -> bool {
        self.phase(key)
            .is_some_and(|phase| phase.unproven_since().is_some())
    }

    /// Forgets a closed connection; returns its handle if it was still here.
    pub fn remove(&mut self, key: Key) -> Option<T> {
        let conn = self.conns.remove(&key)?;
        if let Some(since) = conn.phase.unproven_since() {
            self.unproven.remove(&(since, key));
        }
        if let Some(count) = self.per_address.get_mut(&conn.addr) {
            *count -= 1;
            if *count == 0 {
                self.per_address.remove(&conn.addr);
            }
        }
        Some(conn.handle)
    }

    /// Open connections, and how many of them are unproven.
    #[cfg(test)]
    fn counts(&self) -> (usize, usize) {
        (self.conns.len(), self.unproven.len())
    }

    fn phase(&self, key: Key) -> Option<Phase> {
        self.conns.get(&key).map(|conn| conn.phase)
    }

    fn set_phase(&mut self, key: Key, phase: Phase) {
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        if let Some(since) = conn.phase.unproven_since() {
            self.unproven.remove(&(since, key));
        }
        if let Some(since) = phase.unproven_since() {
            self.unproven.insert((since, key));
        }
        conn.phase = phase;
    }

    fn oldest_unproven(&self) -> Option<Key> {
        self.unproven.first().map(|&(_, key)| key)
    }

    /// The oldest unproven connection of one address: at most the unproven cap to look at.
    fn oldest_unproven_of(&self, addr: IpAddr) -> Option<Key> {
        self.unproven
            .iter()
            .map(|&(_, key)| key)
            .find(|key| self.conns[key].addr == addr)
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const AWAY: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));

    fn limits(total: usize, per_address: usize, unproven: usize) -> HttpLimits {
        HttpLimits {
            max_connections: total,
            max_connections_per_address: per_address,
            max_unproven_connections: unproven,
            ..HttpLimits::default()
        }
    }

    /// A table and a clock that moves a second at each connection.
    struct Story {
        table: Admission<&'static str>,
        start: Instant,
        seconds: u64,
    }

    impl Story {
        fn new(limits: HttpLimits) -> Self {
            Self {
                table: Admission::new(limits),
                start: Instant::now(),
                seconds: 0,
            }
        }

        fn now(&self) -> Instant {
            self.start + Duration::from_secs(self.seconds)
        }

        fn connect(
            &mut self,
            addr: IpAddr,
            name: &'static str,
        ) -> Result<(Key, Option<&'static str>), Refused> {
            self.seconds += 1;
            let admitted = self.table.admit(addr, self.now(), name)?;
            Ok((admitted.key, admitted.evicted))
        }

        /// A complete request without a body, being answered.
        fn serve(&mut self, key: Key) {
            self.table.request(key, self.now(), true);
        }
    }

    #[test]
    fn a_flood_of_half_sent_requests_makes_room_by_closing_its_own_oldest() {
        // Step 1: a flood from one address fills the unproven cap.
        let mut story = Story::new(limits(100, 100, 3));
        for name in ["flood 1", "flood 2", "flood 3"] {
            assert_eq!(story.connect(HOME, name).unwrap().1, None);
        }
        // Step 2: each newcomer, flood or member, pushes out the oldest half-sent request.
        assert_eq!(story.connect(HOME, "flood 4").unwrap().1, Some("flood 1"));
        let (member, evicted) = story.connect(HOME, "member").unwrap();
        assert_eq!(evicted, Some("flood 2"));
        // Step 3: the member sends its request at once, and the flood never reaches it.
        story.serve(member);
        for name in ["flood 5", "flood 6", "flood 7"] {
            assert_ne!(story.connect(HOME, name).unwrap().1, Some("member"));
        }
        assert!(!story.table.is_unproven(member));
        assert_eq!(story.table.counts(), (4, 3));
    }

    #[test]
    fn an_address_at_its_cap_closes_its_own_oldest_unproven_and_no_one_elses() {
        let mut story = Story::new(limits(100, 2, 100));
        let (away, _) = story.connect(AWAY, "away").unwrap();
        let (busy, _) = story.connect(HOME, "home busy").unwrap();
        story.serve(busy);
        story.connect(HOME, "home waiting").unwrap();
        assert_eq!(
            story.connect(HOME, "home new").unwrap().1,
            Some("home waiting")
        );
        assert!(
            story.table.is_unproven(away),
            "another address keeps its connection"
        );
    }

    #[test]
    fn when_every_connection_is_in_use_a_new_one_is_refused() {
        let mut story = Story::new(limits(2, 1, 100));
        let (first, _) = story.connect(HOME, "home").unwrap();
        story.serve(first);
        assert_eq!(
            story.connect(HOME, "home again").unwrap_err(),
            Refused::AddressFull { max: 1 }
        );
        let (second, _) = story.connect(AWAY, "away").unwrap();
        story.table.answered(second, story.now(), true);
        let third = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
        assert_eq!(
            story.connect(third, "third").unwrap_err(),
            Refused::Full { max: 2 }
        );
        // A connection that closes makes room.
        story.table.remove(first);
        assert!(story.connect(third, "third").is_ok());
    }

    #[test]
    fn the_total_cap_closes_the_oldest_unproven_connection() {
        let mut story = Story::new(limits(2, 100, 100));
        let (first, _) = story.connect(HOME, "first").unwrap();
        story.serve(first);
        story.connect(AWAY, "second").unwrap();
        assert_eq!(story.connect(HOME, "third").unwrap().1, Some("second"));
    }

    #[test]
    fn a_slow_body_stays_unproven_and_in_its_place_in_the_queue() {
        let mut story = Story::new(limits(100, 100, 2));
        let (slow, _) = story.connect(HOME, "slow body").unwrap();
        story.connect(HOME, "other").unwrap();
        story.seconds += 1;
        story.table.request(slow, story.now(), false);
        assert!(story.table.is_unproven(slow));
        assert_eq!(story.connect(HOME, "new").unwrap().1, Some("slow body"));
    }

    #[test]
    fn each_phase_has_its_own_deadline() {
        let http = HttpLimits::default();
        let mut story = Story::new(http);
        let (key, _) = story.connect(HOME, "anna").unwrap();
        let connected = story.now();
        assert_eq!(
            story.table.deadline(key),
            Some((connected + http.header_timeout, Timeout::Header))
        );
        story.seconds += 2;
        let head = story.now();
        story.table.request(key, head, false);
        assert_eq!(
            story.table.deadline(key),
            Some((head + http.body_timeout, Timeout::Body))
        );
        story.table.body_complete(key);
        assert_eq!(story.table.deadline(key), None, "a request being answered");
        story.seconds += 1;
        let answered = story.now();
        story.table.answered(key, answered, false);
        assert_eq!(
            story.table.deadline(key),
            Some((answered + http.idle_timeout, Timeout::Idle))
        );
        story.table.request(key, story.now(), true);
        story.table.answered(key, story.now(), true);
        assert_eq!(story.table.deadline(key), None, "a WebSocket");
        assert!(!story.table.is_unproven(key));
    }

    #[test]
    fn a_closed_connection_is_forgotten_once_and_later_events_for_it_are_ignored() {
        let mut story = Story::new(limits(100, 100, 100));
        let (key, _) = story.connect(HOME, "anna").unwrap();
        assert_eq!(story.table.remove(key), Some("anna"));
        assert_eq!(story.table.remove(key), None);
        story.table.request(key, story.now(), true);
        story.table.answered(key, story.now(), false);
        assert_eq!(story.table.counts(), (0, 0));
        assert!(story.table.per_address.is_empty());
    }
}
