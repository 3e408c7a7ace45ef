//! What Linux says about a process in `/proc`: CPU time and resident memory.
//!
//! CPU time comes from `/proc/PID/stat` (user + system time of every thread, live or exited, in
//! clock ticks of 10 ms); memory from `/proc/PID/status` (`VmRSS` now, `VmHWM` the peak since
//! the process started).

use std::time::Duration;

use serde::Serialize;
use thiserror::Error;

/// Clock ticks per second in `/proc/PID/stat` (`USER_HZ`, fixed at 100 in the Linux ABI).
const TICKS_PER_SEC: f64 = 100.0;

#[derive(Debug, Error)]
pub enum ProcError {
    #[error("cannot read /proc/{pid}/{file}: is process {pid} running? ({source})")]
    Read {
        pid: String,
        file: &'static str,
        source: std::io::Error,
    },
    #[error("/proc/{pid}/{file} has an unexpected format")]
    Format { pid: String, file: &'static str },
}

/// A process to watch: another one by pid, or this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proc {
    Pid(u32),
    Myself,
}

impl Proc {
    fn dir(self) -> String {
        match self {
            Proc::Pid(pid) => pid.to_string(),
            Proc::Myself => "self".to_string(),
        }
    }

    fn read(self, file: &'static str) -> Result<String, ProcError> {
        let pid = self.dir();
        std::fs::read_to_string(format!("/proc/{pid}/{file}")).map_err(|source| ProcError::Read {
            pid,
            file,
            source,
        })
    }

    /// User plus system CPU time so far.
    pub fn cpu(self) -> Result<Duration, ProcError> {
        let text = self.read("stat")?;
        parse_stat_cpu(&text).ok_or(ProcError::Format {
            pid: self.dir(),
            file: "stat",
        })
    }

    /// Memory now and its peak so far.
    pub fn memory(self) -> Result<Memory, ProcError> {
        let text = self.read("status")?;
        parse_status_memory(&text).ok_or(ProcError::Format {
            pid: self.dir(),
            file: "status",
        })
    }
}

/// Resident memory of a process, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Memory {
    pub rss: u64,
    pub peak: u64,
}

/// The 1, 5 and 15 minute load averages of the machine.
pub fn loadavg() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut fields = text.split_whitespace().map(|f| f.parse().unwrap_or(-1.0));
    [(); 3].map(|_| fields.next().unwrap_or(-1.0))
}

/// CPU cores the machine has.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// utime (field 14) + stime (field 15). Field 2, the command, may hold spaces and parentheses,
/// so fields are counted from the last `)`.
fn parse_stat_cpu(text: &str) -> Option<Duration> {
    let after = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state), so field n is at index n - 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_secs_f64(
        (utime + stime) as f64 / TICKS_PER_SEC,
    ))
}

fn parse_status_memory(text: &str) -> Option<Memory> {
    let kb = |key: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(key))?;
        let value = line[key.len()..].trim().trim_end_matches("kB").trim();
        value.parse::<u64>().ok().map(|k| k * 1024)
    };
    Some(Memory {
        rss: kb("VmRSS:")?,
        peak: kb("VmHWM:")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_after_a_command_with_spaces_and_parentheses() {
        let stat = "4242 (node (server) x) S 1 4242 4242 0 -1 4194560 9000 0 0 0 \
                    250 130 0 0 20 0 11 0 12345 1000000 5000 18446744073709551615";

        assert_eq!(parse_stat_cpu(stat), Some(Duration::from_millis(3800)));
    }

    #[test]
    fn memory_is_read_from_status_in_bytes() {
        let status =
            "Name:\tquaderno-server\nVmHWM:\t   51200 kB\nVmRSS:\t   20480 kB\nThreads:\t5\n";

        assert_eq!(
            parse_status_memory(status),
            Some(Memory {
                rss: 20480 * 1024,
                peak: 51200 * 1024
            })
        );
    }

    #[test]
    fn this_process_can_be_read() {
        assert!(Proc::Myself.cpu().is_ok());
        assert!(Proc::Myself.memory().unwrap().rss > 0);
        assert!(loadavg()[0] >= 0.0);
    }
}
