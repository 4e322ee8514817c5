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
//! Two things keep it fast without changing any result: values are added to the window in
//! batches, just before each test (`Adwin::settle`), and a multiplication-only screen
//! that errs only on the safe side spares river's exact cut test (four divisions and a
//! square root) at boundaries that are nowhere near a cut (`Screen`).

use serde::{Deserialize, Serialize};

use super::{DetectorKind, ParamValue, Params, Signal, parse_count, parse_number, require};
use crate::error::DetectorError;

const KIND: DetectorKind = DetectorKind::Adwin;

/// Largest `max_buckets` accepted (river sets no limit; every row allocates that many
/// slots, so a mistyped huge value would exhaust memory).
const MAX_BUCKETS_LIMIT: usize = 10_000;

/// ADWIN's parameters; `Default` is river 0.26.1's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdwinParams {
    /// Significance of the cut test, in `(0, 1)`. Default 0.002.
    pub delta: f64,
    /// Test for a change every `clock` updates, `>= 1`. Default 32.
    pub clock: usize,
    /// Buckets kept per size before two are merged, 1 to 10000. Default 5.
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
        // every row reserves max_buckets + 1 slots up front
        require(
            (1..=MAX_BUCKETS_LIMIT).contains(&self.max_buckets),
            KIND,
            "max_buckets",
            self.max_buckets,
            "from 1 to 10000",
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
    /// Sum of their absolute values, for [`Screen`]'s rounding margin.
    sum_abs: f64,
    /// Values fed but not yet added to the buckets and the moments above: the first
    /// `pending_len` slots (see [`Adwin::settle`]).
    pending: [f64; PENDING],
    pending_len: usize,
    /// Updates since the last test for a change (river tests when its update count since
    /// the last reset is a multiple of `clock`).
    tick: u64,
    /// Row `i` holds buckets of `2^i` values in slots `i * (max_buckets + 1) ..`, as a
    /// ring (merging its two oldest buckets moves nothing).
    rows: Vec<Ring>,
    /// The buckets' slots.
    buckets: Vec<Bucket>,
}

/// One bucket: the sum of its values and their sum of squared deviations from its mean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
struct Bucket {
    total: f64,
    variance: f64,
}

/// Where a row's buckets are within its `max_buckets + 1` slots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Ring {
    /// Slot of the oldest bucket, relative to the row's first slot.
    head: usize,
    /// Buckets in the row.
    len: usize,
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
        Adwin {
            params,
            width: 0.0,
            total: 0.0,
            variance: 0.0,
            sum_abs: 0.0,
            pending: [0.0; PENDING],
            pending_len: 0,
            tick: 0,
            rows: vec![Ring::default()],
            buckets: vec![Bucket::default(); params.max_buckets + 1],
        }
    }

    /// The parameters in force.
    pub fn params(&self) -> &AdwinParams {
        &self.params
    }

    /// Values in the current window.
    pub fn width(&self) -> f64 {
        self.width + self.pending_len as f64
    }

    /// Mean of the current window (0 when it is empty), river's `estimation`.
    pub fn estimation(&self) -> f64 {
        let pending = &self.pending[..self.pending_len];
        let total = pending.iter().fold(self.total, |total, &x| total + x);
        let width = self.width();
        if width == 0.0 { 0.0 } else { total / width }
    }

    /// Feeds one value; [`Signal::Drift`] when the window was cut, after which the
    /// detector starts afresh. Non-finite values are ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Signal {
        if !x.is_finite() {
            return Signal::None;
        }
        self.pending[self.pending_len] = x;
        self.pending_len += 1;
        self.tick += 1;
        if self.pending_len == PENDING && self.tick != self.params.clock as u64 {
            self.settle();
        }
        if self.tick == self.params.clock as u64 {
            self.tick = 0;
            self.settle();
            if self.width > self.params.grace_period as f64 && self.has_cut() {
                self.reset();
                return Signal::Drift;
            }
        }
        Signal::None
    }

    fn reset(&mut self) {
        self.width = 0.0;
        self.total = 0.0;
        self.variance = 0.0;
        self.sum_abs = 0.0;
        self.pending_len = 0;
        self.tick = 0;
        self.rows.clear();
        self.rows.push(Ring::default());
        // keep the capacity: a reset does not free what the next window will need
        self.buckets.truncate(self.params.max_buckets + 1);
    }

    /// Appends a bucket to `row`.
    #[inline]
    fn push(&mut self, row: usize, bucket: Bucket) {
        let slots = self.params.max_buckets + 1;
        let ring = &mut self.rows[row];
        let mut at = ring.head + ring.len;
        if at >= slots {
            at -= slots;
        }
        ring.len += 1;
        self.buckets[row * slots + at] = bucket;
    }

    /// Adds the pending values to the window: river's `insert_element` for each, in
    /// order (the moments `width`, `variance`, `total`, then the bucket and its merges).
    ///
    /// Nothing looks at the window between two tests, so deferring this to the next test
    /// (or to [`PENDING`] values) changes no result, only speed: the per-value work runs in
    /// tight loops, and the two divisions per value, which dominate, depend only on the
    /// running total before the value, so once those totals are laid out the divisions of
    /// all pending values are independent and the compiler pairs them in SIMD lanes (IEEE
    /// division is exact-rounded either way).
    fn settle(&mut self) {
        let n = self.pending_len;
        let values = self.pending;
        // the running total before each value and the width after it
        let mut before = [0.0f64; PENDING];
        let mut widths = [0.0f64; PENDING];
        let (mut total, mut width) = (self.total, self.width);
        for i in 0..n {
            width += 1.0;
            widths[i] = width;
            before[i] = total;
            total += values[i];
        }
        // every slot, so the loop has a fixed trip count; slots past n are discarded
        let mut increments = [0.0f64; PENDING];
        for i in 0..PENDING {
            let w = widths[i];
            let deviation = values[i] - before[i] / (w - 1.0);
            let increment = (w - 1.0) * deviation * deviation / w;
            increments[i] = if w > 1.0 { increment } else { 0.0 };
        }
        for (&increment, &x) in increments[..n].iter().zip(&values[..n]) {
            self.variance += increment;
            self.sum_abs += x.abs();
        }
        self.total = total;
        self.width = width;

        // each value becomes a bucket of one in row 0; row 0's ring stays in a local
        let slots = self.params.max_buckets + 1;
        let mut ring = self.rows[0];
        for &x in &values[..n] {
            let mut at = ring.head + ring.len;
            if at >= slots {
                at -= slots;
            }
            self.buckets[at] = Bucket {
                total: x,
                variance: 0.0,
            };
            ring.len += 1;
            if ring.len == slots {
                // river's merge of row 0's two oldest buckets, specialised: single values
                // have size 1 and variance 0, so river's `v0 + v1 + 1 * 0.5 * (x0 - x1)^2`
                // is exactly `0.5 * (x0 - x1) * (x0 - x1)`
                let first = ring.head;
                let second = if first + 1 == slots { 0 } else { first + 1 };
                ring.head = if second + 1 == slots { 0 } else { second + 1 };
                ring.len -= 2;
                let (x0, x1) = (self.buckets[first].total, self.buckets[second].total);
                let merged = Bucket {
                    total: x0 + x1,
                    variance: 0.5 * (x0 - x1) * (x0 - x1),
                };
                if self.rows.len() == 1 {
                    self.add_row();
                }
                self.push(1, merged);
                if self.rows[1].len == slots {
                    self.compress(1);
                }
            }
        }
        self.rows[0] = ring;
        self.pending_len = 0;
    }

    /// A new, empty highest row.
    fn add_row(&mut self) {
        let slots = self.params.max_buckets + 1;
        self.rows.push(Ring::default());
        self.buckets
            .resize(self.buckets.len() + slots, Bucket::default());
    }

    /// Merges the two oldest buckets of every full row from `row` up into one new bucket of
    /// the next row (river's `compress_buckets`, past row 0).
    #[inline(never)]
    fn compress(&mut self, mut row: usize) {
        let slots = self.params.max_buckets + 1;
        while self.rows[row].len == slots {
            let ring = self.rows[row];
            let second = if ring.head + 1 == slots {
                0
            } else {
                ring.head + 1
            };
            let b0 = self.buckets[row * slots + ring.head];
            let b1 = self.buckets[row * slots + second];
            // river divides by the bucket size 2^row; multiplying by the exact power of two
            // 2^-row rounds the same real number, so the result is identical
            let inverse_size = f64::from_bits((1023 - row as u64) << 52);
            let size = (1u64 << row) as f64;
            let mean0 = b0.total * inverse_size;
            let mean1 = b1.total * inverse_size;
            let between = size * 0.5 * (mean0 - mean1) * (mean0 - mean1);
            let merged = Bucket {
                total: b0.total + b1.total,
                variance: b0.variance + b1.variance + between,
            };
            let ring = &mut self.rows[row];
            ring.head += 2;
            if ring.head >= slots {
                ring.head -= slots;
            }
            ring.len -= 2;
            if row + 1 == self.rows.len() {
                self.add_row();
            }
            self.push(row + 1, merged);
            row += 1;
        }
    }

    /// river's `detect_change` scan: true at the first boundary, oldest first, where the
    /// two sub-windows' means differ by more than the bound.
    ///
    /// One pass runs the [`Screen`] over every boundary; only if it is unsure anywhere
    /// (near a cut) does a second pass run river's exact test, boundary by boundary in
    /// river's order.
    #[inline(never)]
    fn has_cut(&self) -> bool {
        let min_length = self.params.min_window_length as f64;
        // constant over the scan (river recomputes them at every boundary; same values)
        let delta_prime = (2.0 * self.width.ln() / self.params.delta).ln();
        let window_variance = self.variance / self.width;
        let two_thirds_delta_prime = 2.0 / 3.0 * delta_prime;
        let (width, total) = (self.width, self.total);
        let screen = Screen::new(self, window_variance, delta_prime);

        let (mut n0, mut u0, mut u1) = (0.0f64, 0.0f64, total);
        let mut unsure = !screen.enabled;
        self.for_each_boundary(|size, t| {
            n0 += size;
            u0 += t;
            u1 -= t;
            // river's n1 (repeated subtraction of exact integers) is this same value; where
            // n0 or n1 is below min_window_length river tests nothing, so any verdict of
            // the screen there is sound and it needs no check of its own
            let n1 = width - n0;
            unsure |= !screen.certainly_no_cut(n0, n1, u0, u1);
            false
        });
        if !unsure {
            return false;
        }

        let (mut n0, mut u0, mut u1) = (0.0f64, 0.0f64, total);
        self.for_each_boundary(|size, t| {
            n0 += size;
            u0 += t;
            u1 -= t;
            let n1 = width - n0;
            if n1 >= min_length && n0 >= min_length {
                let mean_difference = u0 / n0 - u1 / n1;
                let m = 1.0 / (n0 - min_length + 1.0) + 1.0 / (n1 - min_length + 1.0);
                let epsilon =
                    (2.0 * m * window_variance * delta_prime).sqrt() + two_thirds_delta_prime * m;
                return mean_difference.abs() > epsilon;
            }
            false
        })
    }

    /// Calls `visit(size, total)` for every bucket but the newest, oldest first (highest
    /// row first, each row oldest first, as river's scan), until it returns true; returns
    /// whether it did.
    ///
    /// river stops before the newest bucket. (When row 0 is empty it does test after the
    /// newest, but there `n1 = 0 < min_window_length`, so skipping it changes nothing.)
    #[inline(always)]
    fn for_each_boundary(&self, mut visit: impl FnMut(f64, f64) -> bool) -> bool {
        let slots = self.params.max_buckets + 1;
        let mut remaining: usize = self.rows.iter().map(|r| r.len).sum::<usize>();
        remaining = remaining.saturating_sub(1);
        for (row, (ring, slots_of_row)) in self
            .rows
            .iter()
            .zip(self.buckets.chunks_exact(slots))
            .enumerate()
            .rev()
        {
            let size = (1u64 << row) as f64;
            let len = ring.len.min(remaining);
            remaining -= len;
            let end = ring.head + len;
            let (first, second) = if end <= slots {
                (&slots_of_row[ring.head..end], &slots_of_row[..0])
            } else {
                (&slots_of_row[ring.head..], &slots_of_row[..end - slots])
            };
            for bucket in first {
                if visit(size, bucket.total) {
                    return true;
                }
            }
            for bucket in second {
                if visit(size, bucket.total) {
                    return true;
                }
            }
        }
        false
    }
}

/// Most values [`Adwin::settle`] defers.
const PENDING: usize = 32;

/// Relative slack of [`Screen`]: a thousand times the rounding error of either side's
/// evaluation of the cut test.
const SLACK: f64 = 1e-12;

/// A cheap, sound screen in front of river's cut test: "certainly no cut" or "unsure".
///
/// River's test at a boundary is `|dm| > sqrt(2 m v d') + (2/3) d' m` with
/// `dm = u0/n0 - u1/n1` and `m = 1/a + 1/b = (a + b) / (a b)` (`a`, `b` the two
/// `n - min_window_length + 1`), four divisions and a square root. Dropping the
/// `(2/3) d' m` term, and using `a b <= n0 n1` (where river tests at all, `a, b >= 1`), only
/// weaken the "no cut" side, so `dm^2 <= 2 v d' (a + b) / (n0 n1)` suffices for no cut;
/// multiplied through by `(n0 n1)^2` it is
///
/// ```text
/// (u0 n1 - u1 n0)^2  <=  2 v d' (a + b) n0 n1        (a + b = width - 2 min + 2)
/// ```
///
/// three multiplications. The left side is rounded up by a margin of [`SLACK`] times
/// `2 sum|x| width` (which bounds `|u0| n1 + |u1| n0`, the scale of either side's rounding
/// error in `u0 n1 - u1 n0`) and the right side down by `SLACK` relative. When the screen
/// says "certainly no cut", river's own floating-point evaluation, whose errors are a
/// thousand times smaller than the slack, says no cut as well; otherwise the exact test runs.
/// (Where `n0` or `n1` is below `min_window_length` river tests nothing, so any verdict is
/// sound there.) A stationary window passes the screen at every boundary, so a scan costs a
/// few multiplications a boundary except near a cut.
#[derive(Debug, Clone, Copy)]
struct Screen {
    /// `2 v d' (width - 2 min_window_length + 2)`, rounded down.
    coefficient: f64,
    /// Bound on the rounding error of `u0 n1 - u1 n0`, rounded up.
    margin: f64,
    /// False when the magnitudes are such that products could leave the normal range
    /// (then every boundary gets the exact test).
    enabled: bool,
}

impl Screen {
    fn new(adwin: &Adwin, window_variance: f64, delta_prime: f64) -> Screen {
        let min_length = adwin.params.min_window_length as f64;
        let width = adwin.width;
        Screen {
            coefficient: 2.0
                * window_variance
                * delta_prime
                * (width - 2.0 * min_length + 2.0)
                * (1.0 - 4.0 * SLACK),
            margin: SLACK * 2.0 * adwin.sum_abs * width,
            enabled: delta_prime.is_finite()
                && delta_prime > 0.0
                && width < 1e15
                && adwin.sum_abs < 1e100
                && (window_variance == 0.0 || (1e-200..1e200).contains(&window_variance)),
        }
    }

    #[inline(always)]
    fn certainly_no_cut(&self, n0: f64, n1: f64, u0: f64, u1: f64) -> bool {
        let q = (u0 * n1 - u1 * n0).abs() + self.margin;
        q * q <= self.coefficient * (n0 * n1)
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
        adwin.settle();
        let (mean, ss) = moments(&values);
        assert!((adwin.estimation() - mean).abs() < 1e-12);
        assert!((adwin.variance - ss).abs() < 1e-9 * ss);
        // every row holds at most max_buckets buckets, and sizes add up to the width
        let mut covered = 0u64;
        let slots = adwin.params.max_buckets + 1;
        for (row, ring) in adwin.rows.iter().enumerate().rev() {
            assert!(
                ring.len <= adwin.params.max_buckets,
                "row {row} has {}",
                ring.len
            );
            for k in 0..ring.len {
                let n = 1usize << row;
                let bucket = &values[covered as usize..covered as usize + n];
                let (bucket_mean, bucket_ss) = moments(bucket);
                let stored = adwin.buckets[row * slots + (ring.head + k) % slots];
                assert!((stored.total - bucket_mean * n as f64).abs() < 1e-9);
                assert!((stored.variance - bucket_ss).abs() < 1e-9 * (1.0 + bucket_ss));
                covered += n as u64;
            }
        }
        assert_eq!(covered, 1000);
    }

    /// river's scan as river writes it: every boundary, the exact test, no screen.
    fn has_cut_unscreened(adwin: &Adwin) -> bool {
        let min_length = adwin.params.min_window_length as f64;
        let width = adwin.width;
        let delta_prime = (2.0 * width.ln() / adwin.params.delta).ln();
        let (mut n0, mut n1, mut u0, mut u1) = (0.0, width, 0.0, adwin.total);
        adwin.for_each_boundary(|size, t| {
            n0 += size;
            n1 -= size;
            u0 += t;
            u1 -= t;
            if n1 >= min_length && n0 >= min_length {
                let mean_difference = u0 / n0 - u1 / n1;
                let m = 1.0 / (n0 - min_length + 1.0) + 1.0 / (n1 - min_length + 1.0);
                let epsilon = (2.0 * m * (adwin.variance / width) * delta_prime).sqrt()
                    + 2.0 / 3.0 * delta_prime * m;
                return mean_difference.abs() > epsilon;
            }
            false
        })
    }

    #[test]
    fn the_screen_never_changes_the_verdict() {
        // streams that hover near the cut threshold (small shifts), with large offsets,
        // tiny and large spreads; the test runs at every update (clock 1)
        let mut cuts = 0;
        let mut tests = 0;
        for seed in 0..24u64 {
            let mut rng = crate::rng::SeededRng::new(seed);
            let offset = [0.0, 1e6, -3e3, 1e-3, 1e12, 0.5][(seed % 6) as usize];
            let scale = [1.0, 1e-4, 100.0, 1e-9, 1.0, 1e3][(seed / 4 % 6) as usize];
            let params = AdwinParams {
                clock: 1,
                delta: [0.002, 0.1, 0.5][(seed % 3) as usize],
                min_window_length: 1 + (seed % 7) as usize,
                max_buckets: 2 + (seed % 5) as usize,
                ..AdwinParams::default()
            };
            let mut adwin = Adwin::new(params).unwrap();
            for i in 0..4000 {
                let (u, v) = (1.0 - rng.uniform(), rng.uniform());
                let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
                let shift = if i % 1500 > 700 { 0.2 } else { 0.0 };
                adwin.pending[0] = offset + scale * (normal + shift);
                adwin.pending_len = 1;
                adwin.settle();
                if adwin.width > params.grace_period as f64 {
                    let expected = has_cut_unscreened(&adwin);
                    assert_eq!(adwin.has_cut(), expected, "seed {seed}, update {i}");
                    tests += 1;
                    if expected {
                        cuts += 1;
                        adwin.reset();
                    }
                }
            }
        }
        assert!(cuts > 100 && tests > 90_000, "{cuts} cuts in {tests} tests");
    }

    #[test]
    fn memory_grows_with_the_log_of_the_window() {
        let mut adwin = Adwin::default();
        for _ in 0..1_000_000 {
            adwin.update(1.0);
        }
        assert_eq!(adwin.width(), 1_000_000.0);
        // 2^rows * max_buckets must cover the window: about log2(1e6 / 5) + 1 rows
        assert!(adwin.rows.len() <= 19, "{} rows", adwin.rows.len());
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
