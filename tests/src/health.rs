//! The relay's health as a test sees it from outside: its resident memory, read from
//! `/proc/<pid>/status`, and the values it reports on `/metrics`.

/// `VmRSS` of a process, in bytes.
pub fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("cannot read /proc/{pid}/status: {e}"));
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("/proc/<pid>/status has a VmRSS line in kB");
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
