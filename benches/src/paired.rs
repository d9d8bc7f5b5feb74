//! Paired, interleaved measurement of two implementations of the same work, for ratios that hold
//! on a shared, noisy machine.
//!
//! Criterion measures one benchmark after the other: when another process starts compiling between
//! "ours" and "bare", the ratio of their figures measures the neighbour. Here the two sides run in
//! alternating rounds of the same fixed amount of work, in ABBA order (ours, bare, bare, ours, ...)
//! so a load that rises or falls steadily hurts both sides alike; each round pair gives one ratio,
//! and the median of the ratios is reported with its spread.

use std::future::Future;
use std::time::Duration;

/// Throughputs and ratios of a paired measurement.
#[derive(Debug, Clone)]
pub struct Paired {
    /// Operations per round.
    pub ops: u64,
    /// Our operations per second, one per round.
    pub ours: Vec<f64>,
    /// The baseline's operations per second, one per round.
    pub bare: Vec<f64>,
    /// ours / bare throughput, one per round pair.
    pub ratios: Vec<f64>,
}

impl Paired {
    /// The median of our throughputs.
    pub fn ours_median(&self) -> f64 {
        median(&self.ours)
    }

    /// The median of the baseline's throughputs.
    pub fn bare_median(&self) -> f64 {
        median(&self.bare)
    }

    /// The median ratio ours / bare.
    pub fn ratio(&self) -> f64 {
        median(&self.ratios)
    }

    /// The lowest and highest ratio of the middle half of the rounds (interquartile range).
    pub fn ratio_iqr(&self) -> (f64, f64) {
        (quantile(&self.ratios, 0.25), quantile(&self.ratios, 0.75))
    }
}

/// Runs `rounds` rounds of each side, interleaved in ABBA order. Each call of a side does `ops`
/// operations and returns the time they took (setup excluded by the side itself).
pub async fn measure<O, OF, B, BF>(rounds: usize, ops: u64, mut ours: O, mut bare: B) -> Paired
where
    O: FnMut() -> OF,
    OF: Future<Output = Duration>,
    B: FnMut() -> BF,
    BF: Future<Output = Duration>,
{
    // One untimed round each: connections opened, caches and allocator warm.
    ours().await;
    bare().await;
    let rate = |elapsed: Duration| ops as f64 / elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
    let mut result = Paired {
        ops,
        ours: Vec::with_capacity(rounds),
        bare: Vec::with_capacity(rounds),
        ratios: Vec::with_capacity(rounds),
    };
    for round in 0..rounds {
        let (o, b) = if round % 2 == 0 {
            let o = ours().await;
            (o, bare().await)
        } else {
            let b = bare().await;
            (ours().await, b)
        };
        result.ours.push(rate(o));
        result.bare.push(rate(b));
        result.ratios.push(rate(o) / rate(b));
    }
    result
}

/// The median of `values` (NaN when empty).
pub fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// The `q` quantile of `values` by linear interpolation (NaN when empty).
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    let weight = position - low as f64;
    sorted[low] * (1.0 - weight) + sorted[high] * weight
}
