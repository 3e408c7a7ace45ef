//! Each scenario's result as the figures of a report, under stable names (`compare` matches
//! them across runs).

use crate::groups::GroupsResult;
use crate::idle::IdleResult;
use crate::live::LiveResult;
use crate::monitor::CpuUse;
use crate::pull::PullResult;
use crate::report::Metrics;

fn cpu(metrics: &mut Metrics, cpu: &CpuUse) {
    metrics
        .add_some("relay_cpu", cpu.relay_s, "s")
        .add_some("relay_cores", cpu.relay_share(), "cores")
        .add_some("generator_cpu", cpu.generator_s, "s")
        .add_some("generator_cores", cpu.generator_share(), "cores");
}

pub fn live(result: &LiveResult) -> Metrics {
    let mut m = Metrics::default();
    let l = &result.latency;
    m.add("latency_p50", l.p50_ms, "ms")
        .add("latency_p95", l.p95_ms, "ms")
        .add("latency_p99", l.p99_ms, "ms")
        .add("latency_max", l.max_ms, "ms")
        .add("latency_mean", l.mean_ms, "ms")
        .add("edits_offered", result.offered_edits_per_s, "/s")
        .add("edits_achieved", result.edits_per_s(), "/s")
        .add("deliveries_offered", result.offered_deliveries_per_s, "/s")
        .add("deliveries_achieved", result.deliveries_per_s(), "/s")
        .add("edits", result.edits as f64, "")
        .add("deliveries_expected", result.deliveries_expected as f64, "")
        .add("deliveries", result.deliveries as f64, "")
        .add("missing_deliveries", result.missing() as f64, "")
        .add("disconnects", result.disconnects as f64, "");
    cpu(&mut m, &result.cpu);
    m.add_some(
        "relay_cpu_per_delivery",
        result.relay_ms_per_delivery(),
        "ms",
    )
    .add_some(
        "relay_cpu_per_edit",
        result
            .cpu
            .relay_s
            .map(|s| s * 1000.0 / result.edits.max(1) as f64),
        "ms",
    )
    .add_some("relay_rss_start", result.relay_rss_start_mb, "MB")
    .add_some("relay_rss_peak", result.relay_rss_peak_mb, "MB")
    .add_some("relay_rss_hwm", result.relay_hwm_mb, "MB")
    .add("edit_lag_p99", result.edit_lag.p99_ms, "ms")
    .add("measured_window", result.cpu.wall_s, "s")
    .add("setup", result.setup_s, "s")
    .add("frames_to_relay", result.traffic.frames_out as f64, "")
    .add("frames_from_relay", result.traffic.frames_in as f64, "");
    m
}

pub fn pull(result: &PullResult) -> Metrics {
    let mut m = Metrics::default();
    m.add("pull_time", result.pull_s, "s")
        .add("connect_time", result.connect_s, "s")
        .add("notes", result.notes as f64, "")
        .add("notes_complete", result.complete as f64, "")
        .add("notes_unavailable", result.unavailable as f64, "")
        .add("bytes_from_relay", result.traffic.bytes_in as f64, "B")
        .add("bytes_to_relay", result.traffic.bytes_out as f64, "B")
        .add("messages_from_relay", result.traffic.frames_in as f64, "")
        .add("messages_to_relay", result.traffic.frames_out as f64, "");
    cpu(&mut m, &result.cpu);
    m.add_some("relay_rss_start", result.relay_rss_start_mb, "MB")
        .add_some("relay_rss_peak", result.relay_rss_peak_mb, "MB");
    m
}

pub fn idle(result: &IdleResult) -> Metrics {
    let mut m = Metrics::default();
    m.add("connections", result.connected as f64, "")
        .add("failed", result.failed as f64, "")
        .add("connect_time", result.connect_s, "s")
        .add_some("relay_rss_before", result.relay_rss_before_mb, "MB")
        .add_some("relay_rss_open", result.relay_rss_open_mb, "MB")
        .add_some(
            "relay_rss_per_connection",
            result.relay_kb_per_connection,
            "KB",
        )
        .add_some(
            "relay_rss_after_close",
            result.relay_rss_after_close_mb,
            "MB",
        )
        .add_some("relay_idle_cores", result.hold_cpu.relay_share(), "cores");
    m
}

pub fn groups(result: &GroupsResult) -> Metrics {
    let mut m = Metrics::default();
    let last = result.series.last();
    m.add("touched", result.touched as f64, "")
        .add("failed", result.failed as f64, "")
        .add("touch_time", result.touch_s, "s")
        .add_some("relay_cpu_touching", result.touch_cpu.relay_s, "s")
        .add_some("relay_rss_start", result.relay_rss_start_mb, "MB")
        .add_some("relay_rss_peak", result.relay_rss_peak_mb, "MB")
        .add_some("relay_rss_end", result.relay_rss_end_mb, "MB")
        .add_some(
            "relay_rss_end_minus_start",
            result
                .relay_rss_end_mb
                .zip(result.relay_rss_start_mb)
                .map(|(e, s)| e - s),
            "MB",
        )
        .add_some(
            "groups_in_memory_end",
            last.and_then(|s| s.groups_in_memory),
            "",
        )
        .add_some(
            "documents_in_memory_end",
            last.and_then(|s| s.documents_in_memory),
            "",
        )
        .add("idle_watched", last.map_or(0.0, |s| s.t), "s");
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::Traffic;
    use crate::stats::Latency;

    #[test]
    fn live_figures_include_cpu_per_delivery_and_missing_deliveries() {
        let result = LiveResult {
            latency: Latency {
                count: 90,
                p50_ms: 1.0,
                p95_ms: 2.0,
                p99_ms: 3.0,
                max_ms: 4.0,
                mean_ms: 1.5,
            },
            edit_lag: Latency::default(),
            edits: 10,
            deliveries_expected: 90,
            deliveries: 88,
            offered_edits_per_s: 10.0,
            offered_deliveries_per_s: 90.0,
            edit_window_s: 1.0,
            cpu: CpuUse {
                wall_s: 2.0,
                relay_s: Some(0.044),
                generator_s: None,
            },
            setup_s: 0.5,
            disconnects: 0,
            traffic: Traffic::default(),
            relay_rss_start_mb: Some(10.0),
            relay_rss_peak_mb: Some(12.0),
            relay_rss_end_mb: None,
            relay_hwm_mb: None,
            problems: vec![],
        };

        let metrics = live(&result).0;
        let get = |name: &str| metrics.iter().find(|m| m.name == name).map(|m| m.value);

        assert_eq!(get("missing_deliveries"), Some(2.0));
        assert_eq!(get("relay_cpu_per_delivery"), Some(0.5));
        assert_eq!(get("relay_cores"), Some(0.022));
        assert_eq!(get("deliveries_achieved"), Some(44.0));
        assert_eq!(get("generator_cpu"), None);
    }
}
