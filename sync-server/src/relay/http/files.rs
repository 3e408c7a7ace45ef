//! The relay's budget of file descriptors: the soft limit raised to the hard one at start, and
//! a reserve kept below it, so that `accept` never fails for want of one and the database can
//! always open its files.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors never given to connections: the database, its journal and shared memory for
/// each of the store's connections, the log, the runtime's own, and sockets being closed.
pub const RESERVE: u64 = 128;
/// The fewest sockets worth serving with.
const MIN_SOCKETS: u64 = 32;
/// Where to stop when the hard limit is unlimited: Linux refuses more than `fs.nr_open`,
/// 1,048,576 unless raised.
const CEILING: u64 = 1 << 20;

/// Raises the soft limit on open files as far as the hard limit allows; returns the soft limit
/// in effect.
pub fn raise_limit() -> u64 {
    let limit = getrlimit(Resource::Nofile);
    let current = limit.current.unwrap_or(CEILING);
    let target = limit.maximum.unwrap_or(CEILING);
    if current >= target {
        return current;
    }
    let raised = Rlimit {
        current: Some(target),
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => target,
        Err(error) => {
            tracing::debug!(%error, current, target, "cannot raise the limit on open files");
            current
        }
    }
}

/// How many sockets the relay may hold open with `limit` files, or what to do about a limit
/// too low to serve with.
pub fn socket_budget(limit: u64) -> Result<usize, String> {
    let sockets = limit.saturating_sub(RESERVE);
    if sockets < MIN_SOCKETS {
        return Err(format!(
            "the relay may open only {limit} files, too few to serve: raise the limit to at \
             least {} (`ulimit -n 65536`, or `LimitNOFILE=65536` in its systemd unit)",
            RESERVE + MIN_SOCKETS
        ));
    }
    Ok(usize::try_from(sockets).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_kept_below_the_limit() {
        assert_eq!(socket_budget(1_024), Ok(1_024 - RESERVE as usize));
        assert_eq!(socket_budget(1 << 20), Ok((1 << 20) - RESERVE as usize));
    }

    #[test]
    fn a_limit_too_low_to_serve_says_how_to_raise_it() {
        let error = socket_budget(100).unwrap_err();
        assert!(error.contains("ulimit -n"), "{error}");
        assert!(socket_budget(RESERVE + MIN_SOCKETS).is_ok());
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let raised = raise_limit();
        let limit = getrlimit(Resource::Nofile);
        assert_eq!(limit.current, Some(raised));
        assert!(limit.maximum.is_none_or(|hard| raised <= hard));
    }
}
