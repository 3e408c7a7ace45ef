//! The per-connection rate limit: a connection that sends faster than its rate is slowed down
//! (the relay stops reading it, so TCP pushes back), and one that keeps the limit engaged
//! for [`FLOOD_PATIENCE_SECS`] seconds' worth of messages without a pause is closed.
//!
//! Slowing down rather than closing at once is what lets a client sync a large group: its
//! first burst of requests may well exceed the rate, and it only takes a little longer.
//! Patience is counted in messages rather than seconds so that a relay starved of CPU, which
//! reads slower than the rate, does not take a client's burst for a flood.

use std::time::{Duration, Instant};

/// How many seconds' worth of messages a connection may send over its rate, without pausing,
/// before it is closed.
pub const FLOOD_PATIENCE_SECS: u64 = 5;

/// What to do with the message just read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Handle it now.
    Now,
    /// Handle it after this long (read nothing more meanwhile).
    After(Duration),
    /// The connection has been over its rate for too long: close it.
    Flooding,
}

/// `rate` messages a second on average, bursts of up to `rate` (one second's worth).
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    burst: Duration,
    /// When the bucket would be full again if nothing more arrived, plus the burst.
    allowance_end: Instant,
    /// Messages that had to wait since the client last paused.
    throttled: u64,
    patience: u64,
}

impl Throttle {
    pub fn new(rate: u32, now: Instant) -> Self {
        let rate = rate.max(1);
        let interval = Duration::from_secs(1) / rate;
        Self {
            interval,
            burst: interval * rate,
            allowance_end: now,
            throttled: 0,
            patience: u64::from(rate) * FLOOD_PATIENCE_SECS,
        }
    }

    /// Admits one message that arrived at `now`.
    pub fn admit(&mut self, now: Instant) -> Admit {
        self.allowance_end = self.allowance_end.max(now) + self.interval;
        let allowed_at = self.allowance_end - self.burst;
        // Only a pause that refilled half the burst forgives: a relay that overslept its wait
        // must not forgive a client that never stopped sending.
        if allowed_at + self.burst / 2 <= now {
            self.throttled = 0;
        }
        if allowed_at <= now {
            return Admit::Now;
        }
        self.throttled += 1;
        if self.throttled > self.patience {
            return Admit::Flooding;
        }
        Admit::After(allowed_at - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A client that always has a message waiting: each is read as soon as the last one was
    /// admitted, `late` after the wait ends. Returns the messages handled and when it was
    /// closed, if it was before `until`.
    fn flood(rate: u32, late: Duration, until: Duration) -> (u64, Option<Duration>) {
        let start = Instant::now();
        let mut throttle = Throttle::new(rate, start);
        let (mut now, mut handled) = (start, 0);
        while now < start + until {
            match throttle.admit(now) {
                Admit::Now => {}
                Admit::After(wait) => now += wait + late,
                Admit::Flooding => return (handled, Some(now - start)),
            }
            handled += 1;
        }
        (handled, None)
    }

    #[test]
    fn a_burst_of_one_seconds_worth_goes_through_at_once() {
        let start = Instant::now();
        let mut throttle = Throttle::new(100, start);
        for _ in 0..100 {
            assert_eq!(throttle.admit(start), Admit::Now);
        }
        assert_eq!(throttle.admit(start), Admit::After(10 * MS));
    }

    #[test]
    fn a_client_within_its_rate_never_waits() {
        let start = Instant::now();
        let mut throttle = Throttle::new(100, start);
        for i in 0..1_000 {
            assert_eq!(throttle.admit(start + 10 * MS * i), Admit::Now);
        }
        assert_eq!(throttle.throttled, 0);
    }

    #[test]
    fn a_client_over_its_rate_is_slowed_to_it() {
        // The first second's burst, then 100 a second.
        let (handled, closed) = flood(100, Duration::ZERO, Duration::from_secs(3));
        assert_eq!(closed, None);
        assert!((399..=401).contains(&handled), "{handled}");
    }

    #[test]
    fn a_flood_that_does_not_stop_is_closed_after_five_seconds_worth() {
        let (handled, closed) = flood(100, Duration::ZERO, Duration::from_secs(10));
        assert_eq!(handled, 100 + 500);
        let closed = closed.expect("closed");
        assert!(closed >= Duration::from_secs(5) && closed < Duration::from_millis(5_020));
    }

    #[test]
    fn a_flood_is_closed_even_when_the_relay_oversleeps_its_waits() {
        // A loaded relay wakes up 12 ms late, more than a message's 10 ms interval.
        // Half its messages come late enough to need no wait; the other half still count.
        let (handled, closed) = flood(100, 12 * MS, Duration::from_secs(60));
        assert!(closed.is_some(), "never closed");
        assert!((600..=1_100).contains(&handled), "{handled}");
    }

    #[test]
    fn a_pause_forgives_an_earlier_burst() {
        let start = Instant::now();
        let mut throttle = Throttle::new(10, start);
        for _ in 0..10 {
            throttle.admit(start);
        }
        assert!(matches!(throttle.admit(start), Admit::After(_)));
        let later = start + Duration::from_secs(2);
        assert_eq!(throttle.admit(later), Admit::Now);
        assert_eq!(throttle.throttled, 0);
    }
}
