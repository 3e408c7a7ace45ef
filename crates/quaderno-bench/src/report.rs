//! One report per run: JSON for scripts (stdout, or `--out`), a table for people (stderr).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::procfs;

/// Everything one run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub scenario: String,
    /// One line saying what ran: the parameters in words.
    pub summary: String,
    pub target: TargetInfo,
    pub params: serde_json::Value,
    pub started_at: String,
    pub machine: Machine,
    /// The figures, in the order a person reads them.
    pub metrics: Vec<Metric>,
    /// Figures that do not fit one number (series over time, per-step rows).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
    /// Whatever went wrong: timeouts, failed connections, missing deliveries. Empty when the
    /// run went as planned.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetInfo {
    /// `quaderno` (with device tokens) or `plain` (any automerge-repo server, no tokens).
    pub kind: String,
    pub url: String,
    pub relay_pid: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cores: usize,
    /// 1, 5 and 15 minute load averages just before the run.
    pub loadavg_before: [f64; 3],
    pub loadavg_after: [f64; 3],
}

impl Machine {
    pub fn before() -> Machine {
        Machine {
            cores: procfs::cores(),
            loadavg_before: procfs::loadavg(),
            loadavg_after: [0.0; 3],
        }
    }
}

/// One named figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    pub value: f64,
    pub unit: String,
}

/// Collects metrics in order.
#[derive(Debug, Default)]
pub struct Metrics(pub Vec<Metric>);

impl Metrics {
    pub fn add(&mut self, name: &str, value: f64, unit: &str) -> &mut Self {
        self.0.push(Metric {
            name: name.to_string(),
            value,
            unit: unit.to_string(),
        });
        self
    }

    /// Adds the metric only when the value is known.
    pub fn add_some(&mut self, name: &str, value: Option<f64>, unit: &str) -> &mut Self {
        if let Some(value) = value {
            self.add(name, value, unit);
        }
        self
    }
}

impl Report {
    /// The value of a metric by name.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }

    /// The table people read.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} against {} ({})",
            self.scenario, self.target.url, self.target.kind
        );
        let _ = writeln!(out, "{}", self.summary);
        let [l1, l5, l15] = self.machine.loadavg_before;
        let _ = writeln!(
            out,
            "machine: {} cores, load average before the run {l1:.2} {l5:.2} {l15:.2}",
            self.machine.cores
        );
        let width = self.metrics.iter().map(|m| m.name.len()).max().unwrap_or(0);
        for metric in &self.metrics {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>12} {}",
                metric.name,
                format_value(metric.value),
                metric.unit
            );
        }
        if self.problems.is_empty() {
            let _ = writeln!(out, "no problems");
        }
        for problem in &self.problems {
            let _ = writeln!(out, "PROBLEM: {problem}");
        }
        out
    }
}

/// Three significant digits or so, without exponent notation for everyday magnitudes.
pub fn format_value(value: f64) -> String {
    let magnitude = value.abs();
    if value == value.trunc() && magnitude < 1e12 {
        format!("{value:.0}")
    } else if magnitude >= 100.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut metrics = Metrics::default();
        metrics
            .add("latency_p99", 12.3456, "ms")
            .add("missing_deliveries", 0.0, "")
            .add_some("relay_cpu", None, "s");
        Report {
            scenario: "typing".into(),
            summary: "10 clients, 10 documents".into(),
            target: TargetInfo {
                kind: "quaderno".into(),
                url: "ws://127.0.0.1:7878".into(),
                relay_pid: Some(42),
            },
            params: serde_json::json!({ "clients": 10 }),
            started_at: "2026-11-22T10:00:00Z".into(),
            machine: Machine {
                cores: 2,
                loadavg_before: [0.1, 0.2, 0.3],
                loadavg_after: [0.0; 3],
            },
            metrics: metrics.0,
            details: serde_json::Value::Null,
            problems: vec![],
        }
    }

    #[test]
    fn the_table_lists_every_metric_with_its_unit() {
        let table = report().table();

        assert!(table.contains("typing against ws://127.0.0.1:7878 (quaderno)"));
        assert!(table.contains("latency_p99"));
        assert!(table.contains("12.35 ms"));
        assert!(table.contains("load average before the run 0.10 0.20 0.30"));
        assert!(!table.contains("relay_cpu"), "unknown values are left out");
        assert!(table.contains("no problems"));
    }

    #[test]
    fn reports_round_trip_through_json() {
        let json = serde_json::to_string(&report()).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();

        assert_eq!(back.metric("latency_p99"), Some(12.3456));
        assert_eq!(back.metric("nothing"), None);
    }

    #[test]
    fn values_are_printed_readably() {
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(1500.0), "1500");
        assert_eq!(format_value(123.456), "123.5");
        assert_eq!(format_value(4.56789), "4.57");
        assert_eq!(format_value(0.012345), "0.0123");
    }
}
