//! ADWIN (adaptive windowing, Bifet and Gavaldà 2007) over an exponential histogram, as river.
//!
//! The window is summarised by buckets: row `i` holds up to `max_buckets` buckets of `2^i`
//! values each (their sum and their sum of squared deviations), oldest first. A new value
//! enters row 0; a row that reaches `max_buckets + 1` buckets merges its two oldest into
//! one bucket of the next row. Every `clock` updates, once the window holds more than
//! `grace_period` values, every boundary between buckets splits the window into an older
//! part `W0` (`n0` values, mean `m0`) and a newer part `W1` (`n1`, `m1`), and the window
//! has changed when, for some boundary with `n0, n1 >= min_window_length`,
//!
//! ```text
//! |m0 - m1| > sqrt(2 m v d') + (2/3) d' m
//!     m  = 1 / (n0 - min_window_length + 1) + 1 / (n1 - min_window_length + 1)
//!     v  = (sum of squared deviations of the window) / width
//!     d' = ln(2 ln(width) / delta)
//! ```
//!
//! Reference implementation: river 0.26.1, `ADWIN` (`river/drift/adwin.py`) over its Rust
//! `AdaptiveWindowing` (`rust_src/adwin.rs`, a port of the earlier `adwin_c.pyx`); the
//! floating-point operations here are the same ones in the same order, so detections fall on
//! the same updates. river resets the whole detector on the update after a detection,
//! discarding the shrunken window; so does this one (at once), which makes river's
//! post-detection shrinking loop unobservable and it is not carried out.
//!
//! Cost: an update is amortised O(1) plus, every `clock` updates, a scan of the
//! `O(max_buckets log width)` buckets; memory is `O(max_buckets log width)`. Buckets live
//! in flat vectors that only grow when the window doubles, so updates do not allocate.

use serde::{Deserialize, Serialize};

use super::{DetectorKind, ParamValue, Params, Signal, parse_count, parse_number, require};
use crate::error::DetectorError;

const KIND: DetectorKind = DetectorKind::Adwin;

/// ADWIN's parameters; `Default` is river 0.26.1's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdwinParams {
    /// Significance of the cut test, in `(0, 1)`. Default 0.002.
    pub delta: f64,
    /// Test for a change every `clock` updates, `>= 1`. Default 32.
    pub clock: usize,
    /// Buckets kept per size before two are merged, `>= 1`. Default 5.
    pub max_buckets: usize,
    /// Smallest sub-window on either side of a cut, `>= 1`. Default 5.
    pub min_window_length: usize,
    /// No test until the window holds more than this many values. Default 10.
    pub grace_period: usize,
}

impl Default for AdwinParams {
    fn default() -> Self {
        AdwinParams {
            delta: 0.002,
            clock: 32,
            max_buckets: 5,
            min_window_length: 5,
            grace_period: 10,
        }
    }
}

impl AdwinParams {
    /// The `--set` keys, in report order.
    pub const KEYS: &'static [&'static str] = &[
        "delta",
        "clock",
        "max_buckets",
        "min_window_length",
        "grace_period",
    ];

    /// Checks every range.
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] naming the first parameter out of range.
    pub fn validate(&self) -> Result<(), DetectorError> {
        require(
            self.delta > 0.0 && self.delta < 1.0,
            KIND,
            "delta",
            self.delta,
            "in (0, 1)",
        )?;
        require(self.clock >= 1, KIND, "clock", self.clock, "at least 1")?;
        require(
            self.max_buckets >= 1,
            KIND,
            "max_buckets",
            self.max_buckets,
            "at least 1",
        )?;
        require(
            self.min_window_length >= 1,
            KIND,
            "min_window_length",
            self.min_window_length,
            "at least 1",
        )
    }
}

impl Params for AdwinParams {
    fn set(&mut self, key: &str, value: &str) -> Result<(), DetectorError> {
        match key {
            "delta" => self.delta = parse_number(KIND, "delta", value)?,
            "clock" => self.clock = parse_count(KIND, "clock", value)?,
            "max_buckets" => self.max_buckets = parse_count(KIND, "max_buckets", value)?,
            "min_window_length" => {
                self.min_window_length = parse_count(KIND, "min_window_length", value)?;
            }
            "grace_period" => self.grace_period = parse_count(KIND, "grace_period", value)?,
            _ => return Err(super::unknown_key(KIND, key)),
        }
        Ok(())
    }

    fn entries(&self) -> Vec<(&'static str, ParamValue)> {
        vec![
            ("delta", ParamValue::Number(self.delta)),
            ("clock", ParamValue::Integer(self.clock as u64)),
            ("max_buckets", ParamValue::Integer(self.max_buckets as u64)),
            (
                "min_window_length",
                ParamValue::Integer(self.min_window_length as u64),
            ),
            (
                "grace_period",
                ParamValue::Integer(self.grace_period as u64),
            ),
        ]
    }
}

/// The ADWIN detector (river's `drift.ADWIN`); signals drift only, never a warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adwin {
    params: AdwinParams,
    /// Values in the window.
    width: f64,
    /// Their sum.
    total: f64,
    /// Their sum of squared deviations from the window mean (river's `variance`).
    variance: f64,
    /// Updates since the last reset, for `clock`.
    tick: u64,
    /// Buckets per row; row `i` holds buckets of `2^i` values.
    lens: Vec<usize>,
    /// Row `i`, bucket `k` (oldest first) at `i * (max_buckets + 1) + k`: the bucket's sum.
    totals: Vec<f64>,
    /// Same layout: the bucket's sum of squared deviations from its own mean.
    variances: Vec<f64>,
}

impl Default for Adwin {
    fn default() -> Self {
        Adwin::fresh(AdwinParams::default())
    }
}

impl Adwin {
    /// An empty detector.
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] when a parameter is out of range.
    pub fn new(params: AdwinParams) -> Result<Adwin, DetectorError> {
        params.validate()?;
        Ok(Adwin::fresh(params))
    }

    fn fresh(params: AdwinParams) -> Adwin {
        let stride = params.max_buckets + 1;
        Adwin {
            params,
            width: 0.0,
            total: 0.0,
            variance: 0.0,
            tick: 0,
            lens: vec![0],
            totals: vec![0.0; stride],
            variances: vec![0.0; stride],
        }
    }

    /// The parameters in force.
    pub fn params(&self) -> &AdwinParams {
        &self.params
    }

    /// Values in the current window.
    pub fn width(&self) -> f64 {
        self.width
    }

    /// Mean of the current window (0 when it is empty), river's `estimation`.
    pub fn estimation(&self) -> f64 {
        if self.width == 0.0 {
            0.0
        } else {
            self.total / self.width
        }
    }

    /// Feeds one value; [`Signal::Drift`] when the window was cut, after which the
    /// detector starts afresh. Non-finite values are ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Signal {
        if !x.is_finite() {
            return Signal::None;
        }
        self.insert(x);
        self.tick += 1;
        if self.tick.is_multiple_of(self.params.clock as u64)
            && self.width > self.params.grace_period as f64
            && self.has_cut()
        {
            self.reset();
            return Signal::Drift;
        }
        Signal::None
    }

    fn reset(&mut self) {
        let stride = self.params.max_buckets + 1;
        self.width = 0.0;
        self.total = 0.0;
        self.variance = 0.0;
        self.tick = 0;
        self.lens.clear();
        self.lens.push(0);
        // keep the capacity: a reset does not free what the next window will need
        self.totals.truncate(stride);
        self.totals.fill(0.0);
        self.variances.truncate(stride);
        self.variances.fill(0.0);
    }

    /// Adds `x` as a bucket of one, updates the window's moments, merges full rows.
    #[inline]
    fn insert(&mut self, x: f64) {
        let len = self.lens[0];
        self.totals[len] = x;
        self.variances[len] = 0.0;
        self.lens[0] = len + 1;

        self.width += 1.0;
        let mut increment = 0.0;
        if self.width > 1.0 {
            let deviation = x - self.total / (self.width - 1.0);
            increment = (self.width - 1.0) * deviation * deviation / self.width;
        }
        self.variance += increment;
        self.total += x;

        if len + 1 == self.params.max_buckets + 1 {
            self.compress();
        }
    }

    /// Merges the two oldest buckets of every full row into the next row, lowest first.
    fn compress(&mut self) {
        let max = self.params.max_buckets;
        let stride = max + 1;
        let mut row = 0;
        while self.lens[row] == max + 1 {
            let base = row * stride;
            let size = (1u64 << row) as f64;
            let (t0, t1) = (self.totals[base], self.totals[base + 1]);
            let (v0, v1) = (self.variances[base], self.variances[base + 1]);
            let mean0 = t0 / size;
            let mean1 = t1 / size;
            let merged_total = t0 + t1;
            let between = size * 0.5 * (mean0 - mean1) * (mean0 - mean1);
            let merged_variance = v0 + v1 + between;

            if row + 1 == self.lens.len() {
                self.lens.push(0);
                self.totals.resize(self.totals.len() + stride, 0.0);
                self.variances.resize(self.variances.len() + stride, 0.0);
            }
            let next = (row + 1) * stride + self.lens[row + 1];
            self.totals[next] = merged_total;
            self.variances[next] = merged_variance;
            self.lens[row + 1] += 1;

            // drop the two merged buckets from the front of this row
            let len = self.lens[row];
            self.totals.copy_within(base + 2..base + len, base);
            self.variances.copy_within(base + 2..base + len, base);
            self.totals[base + len - 2..base + len].fill(0.0);
            self.variances[base + len - 2..base + len].fill(0.0);
            self.lens[row] = len - 2;

            row += 1;
        }
    }

    /// river's `detect_change` scan: true at the first boundary, oldest first, where the
    /// two sub-windows' means differ by more than the bound.
    fn has_cut(&self) -> bool {
        let stride = self.params.max_buckets + 1;
        let min_length = self.params.min_window_length as f64;
        // constant over the scan (river recomputes them at every boundary; same values)
        let delta_prime = (2.0 * self.width.ln() / self.params.delta).ln();
        let window_variance = self.variance / self.width;
        let two_thirds_delta_prime = 2.0 / 3.0 * delta_prime;

        let (mut n0, mut n1) = (0.0f64, self.width);
        let (mut u0, mut u1) = (0.0f64, self.total);
        for row in (0..self.lens.len()).rev() {
            let size = (1u64 << row) as f64;
            let len = self.lens[row];
            let totals = &self.totals[row * stride..row * stride + len];
            for (k, &t) in totals.iter().enumerate() {
                n0 += size;
                n1 -= size;
                u0 += t;
                u1 -= t;
                if row == 0 && k == len - 1 {
                    // the newest bucket: no boundary after it
                    return false;
                }
                if n1 >= min_length && n0 >= min_length {
                    let mean_difference = u0 / n0 - u1 / n1;
                    let m = 1.0 / (n0 - min_length + 1.0) + 1.0 / (n1 - min_length + 1.0);
                    let epsilon = (2.0 * m * window_variance * delta_prime).sqrt()
                        + two_thirds_delta_prime * m;
                    if mean_difference.abs() > epsilon {
                        return true;
                    }
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean and sum of squared deviations of a slice, two-pass.
    fn moments(values: &[f64]) -> (f64, f64) {
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        (mean, values.iter().map(|v| (v - mean).powi(2)).sum())
    }

    #[test]
    fn buckets_hold_exact_sums_and_variances() {
        let mut adwin = Adwin::default();
        let values: Vec<f64> = (0..1000).map(|i| f64::from((i * 37) % 101) / 7.0).collect();
        for &v in &values {
            // a constant-free, change-free stream: no cut expected this early
            assert_eq!(adwin.update(v), Signal::None);
        }
        assert_eq!(adwin.width(), 1000.0);
        let (mean, ss) = moments(&values);
        assert!((adwin.estimation() - mean).abs() < 1e-12);
        assert!((adwin.variance - ss).abs() < 1e-9 * ss);
        // every row holds at most max_buckets buckets, and sizes add up to the width
        let stride = adwin.params.max_buckets + 1;
        let mut covered = 0u64;
        let mut offset = 0usize;
        for (row, &len) in adwin.lens.iter().enumerate().rev() {
            assert!(len <= adwin.params.max_buckets, "row {row} has {len}");
            for k in 0..len {
                let n = 1usize << row;
                let bucket = &values[offset..offset + n];
                let (bucket_mean, bucket_ss) = moments(bucket);
                assert!((adwin.totals[row * stride + k] - bucket_mean * n as f64).abs() < 1e-9);
                assert!(
                    (adwin.variances[row * stride + k] - bucket_ss).abs()
                        < 1e-9 * (1.0 + bucket_ss)
                );
                offset += n;
                covered += n as u64;
            }
        }
        assert_eq!(covered, 1000);
    }

    #[test]
    fn memory_grows_with_the_log_of_the_window() {
        let mut adwin = Adwin::default();
        for _ in 0..1_000_000 {
            adwin.update(1.0);
        }
        assert_eq!(adwin.width(), 1_000_000.0);
        // 2^rows * max_buckets must cover the window: about log2(1e6 / 5) + 1 rows
        assert!(adwin.lens.len() <= 19, "{} rows", adwin.lens.len());
    }

    #[test]
    fn a_large_shift_is_cut_and_the_detector_restarts() {
        let mut adwin = Adwin::default();
        let mut drifts = Vec::new();
        for i in 0..2000 {
            let x = if i < 1000 { 0.0 } else { 10.0 };
            if adwin.update(x) == Signal::Drift {
                drifts.push(i);
            }
        }
        assert_eq!(drifts.len(), 1, "{drifts:?}");
        // the first clock tick at which the new values fill min_window_length
        assert!((1004..1040).contains(&drifts[0]), "{drifts:?}");
        assert!(adwin.width() < 1000.0);
    }

    #[test]
    fn non_finite_values_are_ignored() {
        let mut adwin = Adwin::default();
        adwin.update(1.0);
        assert_eq!(adwin.update(f64::NAN), Signal::None);
        assert_eq!(adwin.update(f64::INFINITY), Signal::None);
        assert_eq!(adwin.width(), 1.0);
    }
}
