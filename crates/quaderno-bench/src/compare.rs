//! Side by side: the median (and range) of each figure over repeated runs against two relays,
//! and their ratio, as a Markdown table.

use std::fmt::Write as _;

use crate::report::{Report, format_value};
use crate::stats::Spread;

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: String,
    pub unit: String,
    pub left: Option<Spread>,
    pub right: Option<Spread>,
}

impl Line {
    /// right / left, when both are known and left is not zero.
    pub fn ratio(&self) -> Option<f64> {
        let (l, r) = (self.left?.median, self.right?.median);
        (l != 0.0).then_some(r / l)
    }
}

/// Every metric of either side, in the order the left side's first report lists them.
pub fn lines(left: &[Report], right: &[Report]) -> Vec<Line> {
    let mut names: Vec<(String, String)> = Vec::new();
    for report in left.iter().chain(right) {
        for metric in &report.metrics {
            if !names.iter().any(|(n, _)| *n == metric.name) {
                names.push((metric.name.clone(), metric.unit.clone()));
            }
        }
    }
    let spread = |reports: &[Report], name: &str| {
        let values: Vec<f64> = reports.iter().filter_map(|r| r.metric(name)).collect();
        Spread::of(&values)
    };
    names
        .into_iter()
        .map(|(name, unit)| Line {
            left: spread(left, &name),
            right: spread(right, &name),
            name,
            unit,
        })
        .collect()
}

/// The Markdown table.
pub fn markdown(left_name: &str, right_name: &str, lines: &[Line]) -> String {
    let cell = |s: Option<Spread>| match s {
        None => "–".to_string(),
        Some(s) if s.runs == 1 || s.min == s.max => format_value(s.median),
        Some(s) => format!(
            "{} ({}–{})",
            format_value(s.median),
            format_value(s.min),
            format_value(s.max)
        ),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| figure | {left_name} | {right_name} | {right_name} / {left_name} |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for line in lines {
        let name = if line.unit.is_empty() {
            line.name.clone()
        } else {
            format!("{} ({})", line.name, line.unit)
        };
        let ratio = line.ratio().map_or("–".to_string(), |r| format!("{r:.2}×"));
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {ratio} |",
            cell(line.left),
            cell(line.right)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Machine, Metric, TargetInfo};

    fn report(values: &[(&str, f64)]) -> Report {
        Report {
            scenario: "typing".into(),
            summary: String::new(),
            target: TargetInfo {
                kind: "quaderno".into(),
                url: "ws://127.0.0.1:1".into(),
                relay_pid: None,
            },
            params: serde_json::Value::Null,
            started_at: String::new(),
            machine: Machine {
                cores: 2,
                loadavg_before: [0.0; 3],
                loadavg_after: [0.0; 3],
            },
            metrics: values
                .iter()
                .map(|(n, v)| Metric {
                    name: n.to_string(),
                    value: *v,
                    unit: "ms".into(),
                })
                .collect(),
            details: serde_json::Value::Null,
            problems: vec![],
        }
    }

    #[test]
    fn medians_ranges_and_ratios_side_by_side() {
        let ours = [
            report(&[("p99", 10.0)]),
            report(&[("p99", 12.0)]),
            report(&[("p99", 11.0)]),
        ];
        let theirs = [report(&[("p99", 44.0), ("only_theirs", 1.0)])];

        let lines = lines(&ours, &theirs);
        let table = markdown("quaderno", "reference", &lines);

        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].ratio(), Some(4.0));
        assert!(
            table.contains("| p99 (ms) | 11 (10–12) | 44 | 4.00× |"),
            "{table}"
        );
        assert!(
            table.contains("| only_theirs (ms) | – | 1 | – |"),
            "{table}"
        );
    }
}
