//! Percentiles and medians.

use serde::Serialize;

/// Latency percentiles in milliseconds, by the nearest-rank method: the p-th percentile is the
/// smallest sample that at least p % of the samples do not exceed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Latency {
    pub count: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    /// Summarises samples given in microseconds.
    pub fn from_micros(samples: &mut [u64]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let ms = |us: u64| us as f64 / 1000.0;
        let sum: u128 = samples.iter().map(|&s| u128::from(s)).sum();
        Latency {
            count: samples.len(),
            p50_ms: ms(nearest_rank(samples, 50.0)),
            p95_ms: ms(nearest_rank(samples, 95.0)),
            p99_ms: ms(nearest_rank(samples, 99.0)),
            max_ms: ms(samples[samples.len() - 1]),
            mean_ms: sum as f64 / samples.len() as f64 / 1000.0,
        }
    }
}

/// The nearest-rank percentile of sorted, non-empty samples.
pub fn nearest_rank(sorted: &[u64], percentile: f64) -> u64 {
    let n = sorted.len();
    let rank = ((percentile / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

/// Median, smallest and largest of repeated measurements of one figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: usize,
}

impl Spread {
    /// `None` for no values. The median of an even count is the mean of the middle two.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Spread {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            runs: n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_picks_a_real_sample() {
        let sorted: Vec<u64> = (1..=100).collect();

        assert_eq!(nearest_rank(&sorted, 50.0), 50);
        assert_eq!(nearest_rank(&sorted, 99.0), 99);
        assert_eq!(nearest_rank(&sorted, 100.0), 100);
        assert_eq!(nearest_rank(&[7], 99.0), 7);
        assert_eq!(nearest_rank(&[1, 2, 3], 0.0), 1);
    }

    #[test]
    fn latency_summary_in_milliseconds() {
        let mut samples = vec![3000, 1000, 2000, 10_000];

        let latency = Latency::from_micros(&mut samples);

        assert_eq!(latency.count, 4);
        assert_eq!(latency.p50_ms, 2.0);
        assert_eq!(latency.p99_ms, 10.0);
        assert_eq!(latency.max_ms, 10.0);
        assert_eq!(latency.mean_ms, 4.0);
    }

    #[test]
    fn no_samples_no_latency() {
        assert_eq!(Latency::from_micros(&mut []), Latency::default());
    }

    #[test]
    fn spread_of_odd_and_even_counts() {
        let odd = Spread::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((odd.median, odd.min, odd.max, odd.runs), (3.0, 1.0, 5.0, 3));

        let even = Spread::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(even.median, 2.5);

        assert!(Spread::of(&[]).is_none());
        assert_eq!(Spread::of(&[f64::NAN, 2.0]).unwrap().runs, 1);
    }
}
