//! The relay's health as a test sees it from outside: its resident memory, read from
//! `/proc/<pid>/status`, and the values it reports on `/metrics`.

use std::time::{Duration, Instant};

/// For a relay whose memory a test measures: jemalloc (the relay's allocator) hands freed
/// memory back to the system at once rather than over the next ten seconds or so, so resident
/// memory shows what the relay holds, not what it recently let go.
pub const MEMORY_RETURNED_AT_ONCE: (&str, &str) =
    ("MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0");

/// `VmRSS` of a process, in bytes.
pub fn rss_bytes(pid: u32) -> u64 {
    status_bytes(pid, "VmRSS:")
}

/// Resident memory once it stopped moving: an allocator may hand freed memory back to the
/// system over some seconds (jemalloc does), and a measurement taken meanwhile would hide a
/// leak behind memory that was about to go. Samples every half second until two samples are
/// within 256 KiB of each other, for at most twenty seconds.
pub async fn settled_rss_bytes(pid: u32) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = rss_bytes(pid);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = rss_bytes(pid);
        if now.abs_diff(last) < 256 << 10 || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

/// Starts measuring a process's peak resident memory afresh (from its current value).
pub fn reset_peak_rss(pid: u32) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .unwrap_or_else(|e| panic!("cannot reset the peak memory of {pid}: {e}"));
}

/// `VmHWM`: the most resident memory the process had since it started or since
/// [`reset_peak_rss`], in bytes; transient peaks between two samples are not missed.
pub fn peak_rss_bytes(pid: u32) -> u64 {
    status_bytes(pid, "VmHWM:")
}

fn status_bytes(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("cannot read /proc/{pid}/status: {e}"));
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("/proc/{pid}/status has no {field} line in kB"));
    kib * 1024
}

/// Bytes as MiB with one decimal, for messages.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The value of one unlabelled series on the relay's `/metrics`, e.g. `quaderno_connections`.
pub async fn metric(relay_url: &str, name: &str) -> f64 {
    let text = reqwest::get(format!("{relay_url}/metrics"))
        .await
        .expect("the relay answers /metrics")
        .text()
        .await
        .expect("a text body");
    text.lines()
        .find_map(|line| {
            let (series, value) = line.split_once(' ')?;
            (series == name).then(|| value.trim().parse().ok())?
        })
        .unwrap_or_else(|| panic!("{name} is not on /metrics:\n{text}"))
}
