//! Sweep mode: scenario 1 at a growing number of clients (as many documents as clients, each
//! client in `per_client` of them), until p99 latency passes a threshold. Writes the curve as
//! CSV and as an SVG plot.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use plotters::prelude::*;
use serde::Serialize;

use crate::live::{self, LiveConfig, LiveResult};
use crate::plan::Plan;
use crate::stats::Spread;
use crate::target::Target;

#[derive(Debug, Clone)]
pub struct SweepConfig {
    pub clients: Vec<usize>,
    pub per_client: usize,
    pub repeats: usize,
    /// Stop after the first number of clients whose median p99 exceeds this.
    pub stop_p99_ms: f64,
    /// Pause between runs, so the relay settles.
    pub pause: Duration,
    /// Edits, interval, timeouts and the rest, as for one typing run.
    pub base: LiveConfig,
}

/// One run of the sweep.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub clients: usize,
    pub docs: usize,
    pub repeat: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub deliveries: u64,
    pub missing: u64,
    pub deliveries_per_s: f64,
    pub relay_ms_per_delivery: Option<f64>,
    pub relay_cores: Option<f64>,
    pub generator_cores: Option<f64>,
}

impl Row {
    fn new(clients: usize, docs: usize, repeat: usize, result: &LiveResult) -> Row {
        Row {
            clients,
            docs,
            repeat,
            p50_ms: result.latency.p50_ms,
            p95_ms: result.latency.p95_ms,
            p99_ms: result.latency.p99_ms,
            max_ms: result.latency.max_ms,
            deliveries: result.deliveries,
            missing: result.missing(),
            deliveries_per_s: result.deliveries_per_s(),
            relay_ms_per_delivery: result.relay_ms_per_delivery(),
            relay_cores: result.cpu.relay_share(),
            generator_cores: result.cpu.generator_share(),
        }
    }
}

/// Runs the sweep; prints a line per run on stderr.
pub async fn run(target: &Target, config: &SweepConfig) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for &clients in &config.clients {
        let per_client = config.per_client.min(clients);
        let mut p99s = Vec::new();
        for repeat in 0..config.repeats.max(1) {
            let live = LiveConfig {
                plan: Plan::typing(clients, clients, per_client)?,
                seed: config.base.seed + repeat as u64,
                ..config.base.clone()
            };
            let result = live::run(target, live).await?;
            let row = Row::new(clients, clients, repeat, &result);
            eprintln!(
                "sweep: {clients} clients run {}: p50 {:.1} ms, p99 {:.1} ms, {} missing, relay {} ms per delivery",
                repeat + 1,
                row.p50_ms,
                row.p99_ms,
                row.missing,
                row.relay_ms_per_delivery
                    .map_or("?".into(), |v| format!("{v:.3}"))
            );
            p99s.push(row.p99_ms);
            rows.push(row);
            tokio::time::sleep(config.pause).await;
        }
        if Spread::of(&p99s).is_some_and(|s| s.median > config.stop_p99_ms) {
            break;
        }
    }
    Ok(rows)
}

const CSV_HEADER: &str = "clients,docs,repeat,p50_ms,p95_ms,p99_ms,max_ms,deliveries,missing,deliveries_per_s,relay_ms_per_delivery,relay_cores,generator_cores";

pub fn csv(rows: &[Row]) -> String {
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{:.3},{:.3},{:.3},{:.3},{},{},{:.1},{},{},{}\n",
            r.clients,
            r.docs,
            r.repeat,
            r.p50_ms,
            r.p95_ms,
            r.p99_ms,
            r.max_ms,
            r.deliveries,
            r.missing,
            r.deliveries_per_s,
            opt(r.relay_ms_per_delivery),
            opt(r.relay_cores),
            opt(r.generator_cores),
        ));
    }
    out
}

/// Per number of clients: the median of each column over the repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub clients: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub relay_ms_per_delivery: Option<f64>,
}

pub fn medians(rows: &[Row]) -> Vec<Point> {
    let mut clients: Vec<usize> = rows.iter().map(|r| r.clients).collect();
    clients.dedup();
    clients
        .into_iter()
        .map(|n| {
            let of = |f: &dyn Fn(&Row) -> Option<f64>| {
                let values: Vec<f64> = rows
                    .iter()
                    .filter(|r| r.clients == n)
                    .filter_map(f)
                    .collect();
                Spread::of(&values).map(|s| s.median)
            };
            Point {
                clients: n,
                p50_ms: of(&|r| Some(r.p50_ms)).unwrap_or(0.0),
                p95_ms: of(&|r| Some(r.p95_ms)).unwrap_or(0.0),
                p99_ms: of(&|r| Some(r.p99_ms)).unwrap_or(0.0),
                relay_ms_per_delivery: of(&|r| r.relay_ms_per_delivery),
            }
        })
        .collect()
}

/// Two panels: latency percentiles against clients (with the threshold that stops the sweep as
/// a dashed line), relay CPU per delivery against clients.
pub fn svg(rows: &[Row], title: &str, threshold_ms: f64, path: &Path) -> anyhow::Result<()> {
    let points = medians(rows);
    let root = SVGBackend::new(path, (1100, 460)).into_drawing_area();
    root.fill(&WHITE).context("drawing the plot")?;
    let root = root
        .titled(title, ("sans-serif", 20))
        .context("drawing the plot")?;
    let (left, right) = root.split_horizontally(550);
    let max_n = points.iter().map(|p| p.clients).max().unwrap_or(1) as f64 * 1.05;

    let max_ms = points.iter().map(|p| p.p99_ms).fold(threshold_ms, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(&left)
        .caption("propagation latency (median of runs)", ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..max_n, 0.0..max_ms)
        .context("drawing the plot")?;
    chart
        .configure_mesh()
        .x_desc("clients (= documents)")
        .y_desc("ms")
        .draw()
        .context("drawing the plot")?;
    type Column = fn(&Point) -> f64;
    let series: [(&str, RGBColor, Column); 3] = [
        ("p50", BLUE, |p| p.p50_ms),
        ("p95", GREEN, |p| p.p95_ms),
        ("p99", RED, |p| p.p99_ms),
    ];
    for (label, color, value) in series {
        let line: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (p.clients as f64, value(p)))
            .collect();
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
            .context("drawing the plot")?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        chart
            .draw_series(
                line.into_iter()
                    .map(|xy| Circle::new(xy, 3, color.filled())),
            )
            .context("drawing the plot")?;
    }
    chart
        .draw_series(DashedLineSeries::new(
            [(0.0, threshold_ms), (max_n, threshold_ms)],
            6,
            4,
            BLACK.stroke_width(1),
        ))
        .context("drawing the plot")?
        .label(format!("{threshold_ms} ms"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .context("drawing the plot")?;

    let cpu: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| {
            p.relay_ms_per_delivery
                .map(|c| (p.clients as f64, c * 1000.0))
        })
        .collect();
    let max_us = cpu.iter().map(|c| c.1).fold(1.0, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(&right)
        .caption("relay CPU per delivery", ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..max_n, 0.0..max_us)
        .context("drawing the plot")?;
    chart
        .configure_mesh()
        .x_desc("clients (= documents)")
        .y_desc("µs per delivery")
        .draw()
        .context("drawing the plot")?;
    chart
        .draw_series(LineSeries::new(cpu.clone(), BLACK.stroke_width(2)))
        .context("drawing the plot")?;
    chart
        .draw_series(cpu.into_iter().map(|xy| Circle::new(xy, 3, BLACK.filled())))
        .context("drawing the plot")?;
    root.present().context("writing the plot")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(clients: usize, repeat: usize, p99: f64) -> Row {
        Row {
            clients,
            docs: clients,
            repeat,
            p50_ms: p99 / 4.0,
            p95_ms: p99 / 2.0,
            p99_ms: p99,
            max_ms: p99 * 2.0,
            deliveries: 100,
            missing: 0,
            deliveries_per_s: 50.0,
            relay_ms_per_delivery: Some(0.05),
            relay_cores: None,
            generator_cores: Some(0.3),
        }
    }

    #[test]
    fn csv_has_a_header_and_a_line_per_run() {
        let text = csv(&[row(10, 0, 4.0), row(10, 1, 6.0)]);
        let lines: Vec<&str> = text.lines().collect();

        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("clients,docs,repeat,p50_ms"));
        assert_eq!(
            lines[1],
            "10,10,0,1.000,2.000,4.000,8.000,100,0,50.0,0.0500,,0.3000"
        );
    }

    #[test]
    fn points_are_medians_over_repeats() {
        let rows = [
            row(10, 0, 4.0),
            row(10, 1, 8.0),
            row(10, 2, 6.0),
            row(20, 0, 9.0),
        ];

        let points = medians(&rows);

        assert_eq!(points.len(), 2);
        assert_eq!(points[0].p99_ms, 6.0);
        assert_eq!(points[1].clients, 20);
        assert_eq!(points[1].relay_ms_per_delivery, Some(0.05));
    }

    #[test]
    fn the_plot_is_an_svg_file() {
        let dir = std::env::temp_dir().join(format!("quaderno-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sweep.svg");

        svg(&[row(10, 0, 4.0), row(50, 0, 20.0)], "test", 100.0, &path).unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("<svg"));
        assert!(text.contains("p99"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
