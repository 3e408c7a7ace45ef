//! Rate limits on joining, so invite codes cannot be guessed by brute force.
//!
//! A generic cell-rate algorithm (a token bucket kept as one instant per key): each key may
//! make `burst` attempts at once, then one every `interval`. Limited per client address and
//! globally. Time is passed in, so the rules are tested without sleeping.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Addresses remembered before the ones whose limit has fully recovered are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// How many attempts a key may make: `burst` at once, then one every `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Attempts allowed in a burst.
    pub burst: u32,
    /// Time for one attempt to be regained.
    pub interval: Duration,
}

impl Rate {
    fn tolerance(self) -> Duration {
        self.interval * self.burst.saturating_sub(1)
    }

    /// When an attempt at `now` is allowed, the state after it; otherwise how long to wait.
    fn admit(self, tat: Option<Instant>, now: Instant) -> Result<Instant, Duration> {
        let tat = tat.map_or(now, |t| t.max(now));
        let allowed_from = now + self.tolerance();
        if tat > allowed_from {
            return Err(tat - allowed_from);
        }
        Ok(tat + self.interval)
    }
}

/// The limits on `POST /v1/join`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinLimits {
    /// Per client address.
    pub per_client: Rate,
    /// For all clients together.
    pub global: Rate,
}

impl Default for JoinLimits {
    /// 20 attempts at once per address, then one every 3 s; 200 at once overall, then 20/s.
    fn default() -> Self {
        Self {
            per_client: Rate {
                burst: 20,
                interval: Duration::from_secs(3),
            },
            global: Rate {
                burst: 200,
                interval: Duration::from_millis(50),
            },
        }
    }
}

/// The state of the join limits, shared by every request.
#[derive(Debug)]
pub struct JoinLimiter {
    limits: JoinLimits,
    state: Mutex<LimiterState>,
}

#[derive(Debug, Default)]
struct LimiterState {
    global: Option<Instant>,
    by_client: HashMap<Option<IpAddr>, Instant>,
}

impl JoinLimiter {
    /// A limiter with these limits and no history.
    pub fn new(limits: JoinLimits) -> Self {
        Self {
            limits,
            state: Mutex::new(LimiterState::default()),
        }
    }

    /// Admits one attempt from `client` (unknown address: one shared key) at `now`, or says
    /// how long to wait. A refused attempt uses up nothing.
    pub fn check(&self, client: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let client_tat = self
            .limits
            .per_client
            .admit(state.by_client.get(&client).copied(), now)?;
        let global_tat = self.limits.global.admit(state.global, now)?;
        state.global = Some(global_tat);
        state.by_client.insert(client, client_tat);
        if state.by_client.len() > PRUNE_ABOVE {
            state.by_client.retain(|_, tat| *tat > now);
        }
        Ok(())
    }
}

impl Default for JoinLimiter {
    fn default() -> Self {
        Self::new(JoinLimits::default())
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)))
    }

    fn limiter(per_client: u32, global: u32) -> JoinLimiter {
        let rate = |burst| Rate {
            burst,
            interval: Duration::from_secs(10),
        };
        JoinLimiter::new(JoinLimits {
            per_client: rate(per_client),
            global: rate(global),
        })
    }

    #[test]
    fn a_client_gets_its_burst_then_waits_one_interval() {
        let limiter = limiter(3, 100);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(ip(1), start), Ok(()));
        }
        assert_eq!(limiter.check(ip(1), start), Err(Duration::from_secs(10)));
        let later = start + Duration::from_secs(4);
        assert_eq!(limiter.check(ip(1), later), Err(Duration::from_secs(6)));
        assert_eq!(
            limiter.check(ip(1), start + Duration::from_secs(10)),
            Ok(())
        );
    }

    #[test]
    fn one_client_hammering_does_not_lock_out_another() {
        let limiter = limiter(2, 100);
        let now = Instant::now();
        for _ in 0..10 {
            let _ = limiter.check(ip(1), now);
        }
        assert_eq!(limiter.check(ip(2), now), Ok(()));
    }

    #[test]
    fn many_clients_together_meet_the_global_limit() {
        let limiter = limiter(5, 3);
        let now = Instant::now();
        for client in 1..=3 {
            assert_eq!(limiter.check(ip(client), now), Ok(()));
        }
        assert!(limiter.check(ip(4), now).is_err());
    }

    #[test]
    fn a_refused_attempt_uses_up_nothing() {
        let limiter = limiter(1, 1);
        let now = Instant::now();
        assert_eq!(limiter.check(ip(1), now), Ok(()));
        assert!(limiter.check(ip(2), now).is_err());
        let later = now + Duration::from_secs(10);
        assert_eq!(limiter.check(ip(2), later), Ok(()));
    }
}
