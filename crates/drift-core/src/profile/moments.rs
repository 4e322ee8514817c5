//! Count, mean and sum of squared deviations, merged with Chan's parallel formula.
//!
//! Values are added one at a time with Welford's update; two summaries merge with Chan,
//! Golub and LeVeque's formula `M2 = M2_a + M2_b + δ² n_a n_b / n`, `δ = mean_b - mean_a`.
//! The operands of a merge are put in a canonical order first, so `a.merge(b)` and
//! `b.merge(a)` give the same bits; different groupings agree up to rounding (about
//! `1e-15` relative on well-conditioned data).

use serde::{Deserialize, Serialize};

/// Mergeable first and second moments of the finite values of a column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// Number of values.
    pub count: u64,
    /// Their mean (0 when there are none).
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl Moments {
    /// Adds one value (Welford).
    pub fn push(&mut self, value: f64) {
        self.count += 1;
        let delta = value - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (value - self.mean);
    }

    /// Merges another summary into this one (Chan et al.), symmetric in its operands.
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let key = |m: &Moments| (m.count, m.mean.to_bits(), m.m2.to_bits());
        let (a, b) = if key(self) <= key(other) {
            (*self, *other)
        } else {
            (*other, *self)
        };
        let count = a.count + b.count;
        let (na, nb, n) = (a.count as f64, b.count as f64, count as f64);
        let delta = b.mean - a.mean;
        *self = Moments {
            count,
            mean: a.mean + delta * (nb / n),
            m2: a.m2 + b.m2 + delta * delta * (na * nb / n),
        };
    }

    /// Mean, `None` without values.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.mean)
    }

    /// Population (ddof 0) standard deviation, `None` without values.
    pub fn population_std(&self) -> Option<f64> {
        (self.count > 0).then(|| (self.m2.max(0.0) / self.count as f64).sqrt())
    }

    /// Sample (ddof 1) standard deviation, `None` below two values.
    pub fn sample_std(&self) -> Option<f64> {
        (self.count > 1).then(|| (self.m2.max(0.0) / (self.count - 1) as f64).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_and_chan_agree_with_two_pass() {
        let values: Vec<f64> = (0..1000).map(|i| 1e6 + f64::from(i % 37) * 0.25).collect();
        let (mut all, mut left, mut right) =
            (Moments::default(), Moments::default(), Moments::default());
        values.iter().for_each(|&v| all.push(v));
        values[..300].iter().for_each(|&v| left.push(v));
        values[300..].iter().for_each(|&v| right.push(v));
        let mut merged = left;
        merged.merge(&right);
        let mut other_way = right;
        other_way.merge(&left);
        assert_eq!(merged, other_way);
        let mean = values.iter().sum::<f64>() / 1000.0;
        let m2: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
        for m in [all, merged] {
            assert_eq!(m.count, 1000);
            assert!((m.mean - mean).abs() <= 1e-9, "{}", m.mean);
            assert!((m.m2 - m2).abs() <= 1e-9 * m2, "{} {m2}", m.m2);
        }
    }
}
