//! Drift between two profiles: the exact path's tests, computed from counts and sketches.
//!
//! [`DriftReport::from_profiles`] gives the report [`DriftReport::compute`] would give on
//! the raw data, column for column, with the same automatic test choice (evidently's
//! rule, whose inputs a profile holds exactly: the finite count, and the distinct count
//! while it is at most the exact limit, which is at least 20), the same thresholds, drift
//! sides, corrections and JSON shape. What differs is how exact each number is:
//!
//! - exact counts on both sides (numeric columns with at most `exact_limit` distinct
//!   values, categorical columns with at most `exact_limit` labels): every supported
//!   statistic is the exact path's, to rounding (the moments behind `wasserstein`'s norm,
//!   `mean_shift` and `t_test` are merged, not recomputed);
//! - quantile sketches: `ks`'s statistic is within `ε_r + ε_c` of the exact one (the two
//!   sketches' [`KllSketch::rank_error_bound`](super::KllSketch::rank_error_bound)), its
//!   p-value is scipy's for that statistic; `wasserstein`, `ed` and the binned `psi`,
//!   `kl_div`, `jensenshannon`, `hellinger` use counts read off the sketches on the exact
//!   bin edges (min, max and counts are exact), with the errors stated and tested in
//!   `docs/profiles.md`;
//! - frequent-items summaries: categories a summary does not keep are pooled into one
//!   "other" category on both sides before the test, and kept counts are low by at most
//!   the summary's `max_undercount`.
//!
//! Tests that need every raw value (`anderson`, `cramer_von_mises`, `es`, `mannw`,
//! `empirical_mmd`) are a column error, [`DriftError::NotFromProfiles`].

use super::column::{CategoricalProfile, ColumnProfile, NumericProfile};
use super::{Profile, hll::HyperLogLog};
use crate::column::ColumnKind;
use crate::error::{DriftError, TestError};
use crate::report::{
    ColumnDrift, DatasetInfo, DriftOptions, DriftReport, TestChoice, UnmatchedColumn,
};
use crate::select::auto_test;
use crate::stattest::distance::{MIN_NORM, NeumaierSum};
use crate::stattest::frequencies::{Frequencies, Key};
use crate::stattest::{self, StatTest, TestOutcome, binned, ks};
use crate::summary::{
    CategoricalSummary, CategoryCount, ColumnSummary, Distribution, NumericSummary, Quality,
    Quartiles, plot_edges,
};

/// Tests a numeric column's profiles support.
const NUMERIC_SUPPORTED: &str =
    "ks, wasserstein, ed, psi, kl_div, jensenshannon, hellinger, mean_shift, t_test";

/// Tests a categorical column's profiles support.
const CATEGORICAL_SUPPORTED: &str =
    "chisquare, z, g_test, fisher_exact, TVD, psi, kl_div, jensenshannon, hellinger";

/// Label of the pooled category of values a frequent-items summary does not keep.
const OTHER_LABEL: &str = "(other categories)";

impl DriftReport {
    /// Compares two profiles column by column, as [`DriftReport::compute`] compares two
    /// tables (columns matched by name, in the reference's order; test failures in each
    /// column's `error`); see the module docs for what is exact and what approximate.
    ///
    /// # Errors
    /// [`DriftError::NoCommonColumns`] when no column is in both profiles,
    /// [`DriftError::KindMismatch`] when a column's kinds differ, and
    /// [`DriftError::InvalidParameter`] for options out of range.
    pub fn from_profiles(
        reference: (&DatasetInfo, &Profile),
        current: (&DatasetInfo, &Profile),
        options: &DriftOptions,
    ) -> Result<DriftReport, DriftError> {
        options.validate()?;
        let (pairs, unmatched) = match_profiles(reference.1, current.1);
        let columns = pairs
            .iter()
            .map(|&(name, r, c)| ColumnDrift::from_profiles(name, r, c, options))
            .collect::<Result<Vec<_>, _>>()?;
        DriftReport::assemble(reference.0, current.0, columns, unmatched, options)
    }
}

/// Column profiles on both sides, matched by name: `(name, reference, current)` in the
/// reference's order, and the columns present on one side only.
pub fn match_profiles<'a>(
    reference: &'a Profile,
    current: &'a Profile,
) -> (
    Vec<(&'a str, &'a ColumnProfile, &'a ColumnProfile)>,
    Vec<UnmatchedColumn>,
) {
    let mut pairs = Vec::new();
    let mut unmatched = Vec::new();
    for column in &reference.columns {
        match current.column(&column.name) {
            Some(c) => pairs.push((column.name.as_str(), &column.profile, c)),
            None => unmatched.push(UnmatchedColumn {
                name: column.name.clone(),
                present_in: "reference".into(),
            }),
        }
    }
    for column in &current.columns {
        if reference.column(&column.name).is_none() {
            unmatched.push(UnmatchedColumn {
                name: column.name.clone(),
                present_in: "current".into(),
            });
        }
    }
    (pairs, unmatched)
}

impl ColumnDrift {
    /// Tests one column from its two profiles (see [`DriftReport::from_profiles`]); a
    /// caller with threads can run columns in parallel and hand them to
    /// [`DriftReport::assemble`].
    ///
    /// # Errors
    /// [`DriftError::KindMismatch`] when the profiles differ in kind.
    pub fn from_profiles(
        name: &str,
        reference: &ColumnProfile,
        current: &ColumnProfile,
        options: &DriftOptions,
    ) -> Result<ColumnDrift, DriftError> {
        match (reference, current) {
            (ColumnProfile::Numeric(r), ColumnProfile::Numeric(c)) => {
                Ok(numeric_drift(name, r, c, options))
            }
            (ColumnProfile::Categorical(r), ColumnProfile::Categorical(c)) => {
                Ok(categorical_drift(name, r, c, options))
            }
            _ => Err(DriftError::KindMismatch {
                column: name.to_owned(),
                reference: reference.kind(),
                current: current.kind(),
            }),
        }
    }
}

impl ColumnProfile {
    /// The column described as in a drift report's `reference` and `current` fields
    /// (counts, moments, range and quartiles, or top categories), for `monitor profile
    /// show`; quartiles and `unique` are approximate past the exact limit.
    pub fn summary(&self) -> ColumnSummary {
        match self {
            ColumnProfile::Numeric(p) => {
                ColumnSummary::Numeric(numeric_summary(&NumericSide::new(p)))
            }
            ColumnProfile::Categorical(p) => ColumnSummary::Categorical(categorical_summary(p)),
        }
    }
}

/// One numeric side as sorted `(value, count)` pairs: exact, or read off the sketch.
struct NumericSide<'a> {
    profile: &'a NumericProfile,
    pairs: Vec<(f64, u64)>,
    n: u64,
    exact: bool,
    rank_error: f64,
}

impl<'a> NumericSide<'a> {
    fn new(profile: &'a NumericProfile) -> Self {
        let (pairs, exact) = match &profile.values {
            Some(values) => (values.iter().collect(), true),
            None => (profile.quantiles.weighted_values(), false),
        };
        NumericSide {
            profile,
            pairs,
            n: profile.count(),
            exact,
            rank_error: if exact {
                0.0
            } else {
                profile.quantiles.rank_error_bound()
            },
        }
    }

    /// Count of values `< edge` (or `<= edge` with `inclusive`).
    fn count_below(&self, edge: f64, inclusive: bool) -> u64 {
        let end = self
            .pairs
            .partition_point(|&(v, _)| if inclusive { v <= edge } else { v < edge });
        self.pairs[..end].iter().map(|p| p.1).sum()
    }

    /// Counts in bins as `numpy.histogram` (see [`binned::histogram`]); a sketched side
    /// reads them off its interpolated CDF, rounded to whole counts.
    fn histogram(&self, edges: &[f64]) -> Vec<u64> {
        let n_bins = edges.len() - 1;
        if !self.exact {
            let knots = self.knots();
            let n = self.n as f64;
            let mut counts = Vec::with_capacity(n_bins);
            let mut previous = (cdf_at(&knots, edges[0]).0 * n).round() as u64;
            for (bin_idx, &edge) in edges[1..].iter().enumerate() {
                let (left, right) = cdf_at(&knots, edge);
                let upto = if bin_idx + 1 == n_bins { right } else { left };
                let upto = ((upto * n).round() as u64).max(previous);
                counts.push(upto - previous);
                previous = upto;
            }
            return counts;
        }
        let mut counts = Vec::with_capacity(n_bins);
        let mut previous = self.count_below(edges[0], false);
        for (bin_idx, &edge) in edges[1..].iter().enumerate() {
            let upto = self.count_below(edge, bin_idx + 1 == n_bins);
            counts.push(upto - previous);
            previous = upto;
        }
        counts
    }

    /// Linear-interpolation quantile, as `numpy.quantile` on the expanded values.
    fn quantile(&self, q: f64) -> f64 {
        let position = q * (self.n - 1) as f64;
        let lo = position.floor() as u64;
        let hi = (lo + 1).min(self.n - 1);
        let value_at = |rank: u64| {
            let mut cum = 0;
            for &(v, c) in &self.pairs {
                cum += c;
                if cum > rank {
                    return v;
                }
            }
            self.pairs[self.pairs.len() - 1].0
        };
        let (a, b) = (value_at(lo), value_at(hi));
        a + (position - lo as f64) * (b - a)
    }

    /// The CDF as knots `(value, share <= value)` of a piecewise-linear function: a
    /// sketched side puts each item's weight half below and half above it (the CDF passes
    /// through `(C_i - w_i / 2) / n` at item `i`, from 0 at the exact min to 1 at the exact
    /// max), which removes most of the step error of a coarse sketch; an exact side is its
    /// step function (a vertical jump is two knots at one value).
    fn knots(&self) -> Vec<(f64, f64)> {
        let n = self.n as f64;
        let mut knots = Vec::with_capacity(self.pairs.len() * 2 + 2);
        let mut cum = 0u64;
        if self.exact {
            for &(v, w) in &self.pairs {
                knots.push((v, cum as f64 / n));
                cum += w;
                knots.push((v, cum as f64 / n));
            }
            return knots;
        }
        if let Some(min) = self.profile.min {
            knots.push((min, 0.0));
        }
        for &(v, w) in &self.pairs {
            knots.push((v, (cum as f64 + w as f64 / 2.0) / n));
            cum += w;
        }
        if let Some(max) = self.profile.max {
            knots.push((max, 1.0));
        }
        knots
    }

    fn n_unique(&self) -> usize {
        match &self.profile.values {
            Some(values) => values.len(),
            None => estimate(&self.profile.distinct),
        }
    }
}

fn estimate(hll: &HyperLogLog) -> usize {
    hll.estimate().round() as usize
}

/// Walks the distinct pooled values of two sorted weighted sides, calling `step` with
/// each value, the counts `<=` it on either side, and the next pooled value (if any).
fn walk(x: &[(f64, u64)], y: &[(f64, u64)], mut step: impl FnMut(f64, u64, u64, Option<f64>)) {
    let (mut i, mut j) = (0, 0);
    let (mut cx, mut cy) = (0u64, 0u64);
    let head = |i: usize, j: usize| match (x.get(i), y.get(j)) {
        (Some(a), Some(b)) => Some(a.0.min(b.0)),
        (Some(a), None) => Some(a.0),
        (None, Some(b)) => Some(b.0),
        (None, None) => None,
    };
    while let Some(value) = head(i, j) {
        if i < x.len() && x[i].0 == value {
            cx += x[i].1;
            i += 1;
        }
        if j < y.len() && y[j].0 == value {
            cy += y[j].1;
            j += 1;
        }
        step(value, cx, cy, head(i, j));
    }
}

/// The KS statistic `max |F_x - F_y|` with scipy's operations (see `ks::ks_2samp`).
fn ks_statistic(x: &NumericSide, y: &NumericSide) -> f64 {
    let (n1, n2) = (x.n as f64, y.n as f64);
    let (mut max_diff, mut min_diff) = (f64::NEG_INFINITY, f64::INFINITY);
    walk(&x.pairs, &y.pairs, |_, i, j, _| {
        let diff = i as f64 / n1 - j as f64 / n2;
        max_diff = max_diff.max(diff);
        min_diff = min_diff.min(diff);
    });
    let min_s = (-min_diff).clamp(0.0, 1.0);
    if min_s > max_diff { min_s } else { max_diff }
}

/// Left and right limits of a piecewise-linear CDF at `t` (see [`NumericSide::knots`]).
fn cdf_at(knots: &[(f64, f64)], t: f64) -> (f64, f64) {
    let lo = knots.partition_point(|k| k.0 < t);
    let hi = knots.partition_point(|k| k.0 <= t);
    if hi > lo {
        return (knots[lo].1, knots[hi - 1].1);
    }
    if lo == 0 {
        return (0.0, 0.0);
    }
    if lo == knots.len() {
        return (1.0, 1.0);
    }
    let ((a, fa), (b, fb)) = (knots[lo - 1], knots[lo]);
    let f = fa + (fb - fa) * (t - a) / (b - a);
    (f, f)
}

/// `∫ |F_x - F_y|^p dt` for p = 1 or 2 between piecewise-linear CDFs, exactly: between
/// consecutive pooled knots the difference is linear.
fn linear_cdf_distance(x: &[(f64, f64)], y: &[(f64, f64)], p: u8) -> f64 {
    let mut points: Vec<f64> = x.iter().chain(y).map(|k| k.0).collect();
    points.sort_unstable_by(f64::total_cmp);
    points.dedup();
    let mut sum = NeumaierSum::default();
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let d0 = cdf_at(x, a).1 - cdf_at(y, a).1;
        let d1 = cdf_at(x, b).0 - cdf_at(y, b).0;
        let width = b - a;
        sum.add(if p == 1 {
            if d0 * d1 >= 0.0 {
                (d0.abs() + d1.abs()) / 2.0 * width
            } else {
                (d0 * d0 + d1 * d1) / (2.0 * (d0.abs() + d1.abs())) * width
            }
        } else {
            (d0 * d0 + d0 * d1 + d1 * d1) / 3.0 * width
        });
    }
    sum.total()
}

/// `∫ |F_x - F_y|^p` as scipy's `_cdf_distance` (see `distance::cdf_distance`) when both
/// sides are exact, else between the interpolated CDFs.
fn cdf_distance(x: &NumericSide, y: &NumericSide, p: u8) -> f64 {
    if !(x.exact && y.exact) {
        return linear_cdf_distance(&x.knots(), &y.knots(), p);
    }
    let (nx, ny) = (x.n as f64, y.n as f64);
    let mut sum = NeumaierSum::default();
    walk(&x.pairs, &y.pairs, |value, i, j, next| {
        if let Some(next) = next {
            let gap = (i as f64 / nx - j as f64 / ny).abs();
            let delta = next - value;
            sum.add(if p == 1 {
                gap * delta
            } else {
                gap * gap * delta
            });
        }
    });
    sum.total()
}

/// Joint per-value counts; a side read off its sketch gets the weight of the sketch items
/// equal to each reference value and one extra key for the rest.
fn numeric_frequencies(x: &NumericSide, y: &NumericSide) -> Frequencies {
    let mut freq = Frequencies {
        keys: Vec::new(),
        reference: Vec::new(),
        current: Vec::new(),
    };
    if x.exact && y.exact {
        let (mut before_i, mut before_j) = (0, 0);
        walk(&x.pairs, &y.pairs, |value, i, j, _| {
            freq.keys.push(Key::Number(value));
            freq.reference.push(i - before_i);
            freq.current.push(j - before_j);
            (before_i, before_j) = (i, j);
        });
        return freq;
    }
    let at = |side: &NumericSide, value: f64| {
        side.pairs
            .iter()
            .filter(|p| p.0 == value)
            .map(|p| p.1)
            .sum::<u64>()
    };
    for &(value, count) in &x.pairs {
        freq.keys.push(Key::Number(value));
        freq.reference.push(count);
        freq.current.push(at(y, value));
    }
    let rest = y.n - freq.current.iter().sum::<u64>();
    if rest > 0 {
        freq.keys.push(Key::Number(f64::INFINITY));
        freq.reference.push(0);
        freq.current.push(rest);
    }
    freq
}

/// Shares for `psi`, `kl_div`, `jensenshannon`: evidently's per-value or Sturges binning.
fn numeric_shares(x: &NumericSide, y: &NumericSide, fill_zeroes: bool) -> binned::Shares {
    if x.n_unique() > 20 || !x.exact {
        let (min, max) = pooled_range(x, y);
        let edges = binned::sturges_edges(min, max, (x.n + y.n) as usize);
        let (hx, hy) = (x.histogram(&edges), y.histogram(&edges));
        let freq = Frequencies {
            keys: (0..hx.len()).map(|i| Key::Number(i as f64)).collect(),
            reference: hx,
            current: hy,
        };
        binned::categorical_shares(&freq, fill_zeroes)
    } else {
        binned::categorical_shares(&numeric_frequencies(x, y), fill_zeroes)
    }
}

fn pooled_range(x: &NumericSide, y: &NumericSide) -> (f64, f64) {
    let min = x
        .profile
        .min
        .into_iter()
        .chain(y.profile.min)
        .fold(f64::INFINITY, f64::min);
    let max = x
        .profile
        .max
        .into_iter()
        .chain(y.profile.max)
        .fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

/// Distinct values over both sides: exact from value counts, else the union's HyperLogLog.
fn n_unique_both_numeric(x: &NumericSide, y: &NumericSide) -> usize {
    if x.exact && y.exact {
        let mut n = 0;
        walk(&x.pairs, &y.pairs, |_, _, _, _| n += 1);
        n
    } else {
        estimate(&x.profile.distinct.union(&y.profile.distinct))
    }
}

fn numeric_basis(x: &NumericSide, y: &NumericSide) -> String {
    if x.exact && y.exact {
        "from profiles: exact value counts".into()
    } else {
        format!(
            "from profiles: quantile sketches, rank error at most {:.4} (reference) and {:.4} (current)",
            x.rank_error, y.rank_error
        )
    }
}

fn numeric_outcome(
    test: StatTest,
    x: &NumericSide,
    y: &NumericSide,
    options: &DriftOptions,
) -> Result<TestOutcome, TestError> {
    let distance = |statistic: f64, basis: String| TestOutcome {
        statistic,
        p_value: None,
        method: Some(basis),
    };
    let moments = || "from profiles: moments".to_owned();
    let norm = x
        .profile
        .moments
        .population_std()
        .unwrap_or(0.0)
        .max(MIN_NORM);
    Ok(match test {
        StatTest::Ks => {
            let r = ks::ks_2samp_from_statistic(ks_statistic(x, y), x.n as usize, y.n as usize);
            let method = match r.method {
                ks::KsMethod::Exact => "exact",
                ks::KsMethod::Asymptotic => "asymptotic",
            };
            TestOutcome {
                statistic: r.statistic,
                p_value: Some(r.p_value),
                method: Some(format!("{method}; {}", numeric_basis(x, y))),
            }
        }
        StatTest::Wasserstein => distance(cdf_distance(x, y, 1) / norm, numeric_basis(x, y)),
        StatTest::EnergyDistance => distance(
            std::f64::consts::SQRT_2 * cdf_distance(x, y, 2).sqrt(),
            numeric_basis(x, y),
        ),
        StatTest::Psi => distance(
            binned::psi(&numeric_shares(x, y, true)),
            numeric_basis(x, y),
        ),
        StatTest::KlDiv => distance(
            binned::kl_div(&numeric_shares(x, y, true)),
            numeric_basis(x, y),
        ),
        StatTest::JensenShannon => distance(
            binned::jensen_shannon(&numeric_shares(x, y, false)),
            numeric_basis(x, y),
        ),
        StatTest::Hellinger => {
            let (min, max) = pooled_range(x, y);
            let edges = binned::sturges_edges(min, max, n_unique_both_numeric(x, y).max(1));
            let statistic =
                binned::hellinger_binned(&edges, &x.histogram(&edges), &y.histogram(&edges));
            distance(statistic, numeric_basis(x, y))
        }
        StatTest::MeanShift => {
            let shift = (y.profile.moments.mean - x.profile.moments.mean).abs() / norm;
            distance(shift, moments())
        }
        StatTest::TTest => {
            TestError::require_per_side(x.n as usize, y.n as usize, 1)?;
            if x.n == 1 && y.n == 1 {
                return Err(TestError::TooFewValues {
                    need: 2,
                    side: "reference",
                    got: 1,
                });
            }
            let (n1, n2) = (x.n as f64, y.n as f64);
            let df = n1 + n2 - 2.0;
            let pooled = (x.profile.moments.m2 + y.profile.moments.m2) / df;
            let t = (x.profile.moments.mean - y.profile.moments.mean)
                / (pooled * (1.0 / n1 + 1.0 / n2)).sqrt();
            TestOutcome {
                statistic: t,
                p_value: Some(2.0 * crate::special::student_t_sf(t.abs(), df)),
                method: Some(moments()),
            }
        }
        StatTest::ChiSquare
        | StatTest::Z
        | StatTest::GTest
        | StatTest::Tvd
        | StatTest::FisherExact
            if x.exact && y.exact =>
        {
            let mut outcome = stattest::run_on_frequencies(
                test,
                &numeric_frequencies(x, y),
                &options.permutation,
            )?;
            outcome.method = Some(numeric_basis(x, y));
            outcome
        }
        _ => return Err(TestError::UnsupportedKind(ColumnKind::Numeric)),
    })
}

fn numeric_summary(side: &NumericSide) -> NumericSummary {
    let p = side.profile;
    let quantiles = (side.n > 0).then(|| Quartiles {
        p25: side.quantile(0.25),
        p50: side.quantile(0.5),
        p75: side.quantile(0.75),
    });
    NumericSummary {
        count: side.n as usize,
        missing: p.n_missing as usize,
        non_finite: p.n_non_finite as usize,
        unique: if side.n == 0 { 0 } else { side.n_unique() },
        mean: p.moments.mean(),
        std: p.moments.sample_std(),
        min: p.min,
        max: p.max,
        quantiles,
    }
}

fn numeric_drift(
    name: &str,
    reference: &NumericProfile,
    current: &NumericProfile,
    options: &DriftOptions,
) -> ColumnDrift {
    let (x, y) = (NumericSide::new(reference), NumericSide::new(current));
    let n_unique_both = if x.exact && y.exact {
        n_unique_both_numeric(&x, &y)
    } else {
        // more than `exact_limit` (at least 20) distinct values on one side
        usize::MAX
    };
    let (test, configured, threshold) = choose(
        name,
        ColumnKind::Numeric,
        x.n as usize,
        n_unique_both,
        options,
    );
    let missing_share = |p: &NumericProfile| share(p.n_missing + p.n_non_finite, p.n_rows);
    let out_of_range = match (reference.min, reference.max) {
        (Some(lo), Some(hi)) if y.n > 0 => {
            let below = y.count_below(lo, false);
            let above = y.n - y.count_below(hi, true);
            share(below + above, y.n)
        }
        _ => 0.0,
    };
    let distribution = if x.n + y.n == 0 {
        Distribution::Histogram {
            edges: Vec::new(),
            reference: Vec::new(),
            current: Vec::new(),
        }
    } else {
        let (min, max) = pooled_range(&x, &y);
        let edges = plot_edges(min, max, (x.n + y.n) as usize);
        Distribution::Histogram {
            reference: x.histogram(&edges),
            current: y.histogram(&edges),
            edges,
        }
    };
    let outcome = if let Some(err) = empty_side(name, &x, &y) {
        Err(err)
    } else {
        check_kind(name, test, configured, ColumnKind::Numeric).and_then(|()| {
            numeric_outcome(test, &x, &y, options)
                .map_err(|source| test_error(name, test, source, NUMERIC_SUPPORTED))
        })
    };
    finish(
        ColumnDrift {
            name: name.to_owned(),
            kind: ColumnKind::Numeric,
            test,
            test_selection: selection(configured),
            statistic: None,
            p_value: None,
            p_value_adjusted: None,
            method: None,
            threshold,
            drifted: false,
            error: None,
            reference: ColumnSummary::Numeric(numeric_summary(&x)),
            current: ColumnSummary::Numeric(numeric_summary(&y)),
            quality: Quality {
                missing_share_delta: missing_share(current) - missing_share(reference),
                new_categories: Vec::new(),
                out_of_range_share: out_of_range,
            },
            distribution,
        },
        outcome,
    )
}

fn empty_side(name: &str, x: &NumericSide, y: &NumericSide) -> Option<DriftError> {
    let (side, p) = if x.n == 0 {
        ("reference", x.profile)
    } else if y.n == 0 {
        ("current", y.profile)
    } else {
        return None;
    };
    Some(DriftError::EmptySide {
        column: name.to_owned(),
        side,
        missing: p.n_missing as usize,
        non_finite: p.n_non_finite as usize,
    })
}

/// Joint counts of two categorical profiles. A label gets its own key when every side
/// that is a frequent-items summary keeps it; the rest of each side is pooled into one
/// "other" key (absent when empty on both sides).
fn categorical_frequencies(x: &CategoricalProfile, y: &CategoricalProfile) -> Frequencies {
    let (cx, cy) = (x.counts.counts(), y.counts.counts());
    let known = |label: &String| {
        (x.counts.is_exact() || cx.contains_key(label))
            && (y.counts.is_exact() || cy.contains_key(label))
    };
    let mut labels: Vec<&String> = cx.keys().chain(cy.keys()).filter(|l| known(l)).collect();
    labels.sort_unstable();
    labels.dedup();
    let mut freq = Frequencies {
        keys: labels.iter().map(|l| Key::Label((*l).clone())).collect(),
        reference: labels
            .iter()
            .map(|l| cx.get(*l).copied().unwrap_or(0))
            .collect(),
        current: labels
            .iter()
            .map(|l| cy.get(*l).copied().unwrap_or(0))
            .collect(),
    };
    let rest_x = x.count() - freq.reference.iter().sum::<u64>();
    let rest_y = y.count() - freq.current.iter().sum::<u64>();
    if rest_x + rest_y > 0 {
        freq.keys.push(Key::Label(OTHER_LABEL.to_owned()));
        freq.reference.push(rest_x);
        freq.current.push(rest_y);
    }
    freq
}

fn categorical_summary(p: &CategoricalProfile) -> CategoricalSummary {
    let mut top: Vec<CategoryCount> = p
        .counts
        .counts()
        .iter()
        .map(|(value, &count)| CategoryCount {
            value: value.clone(),
            count,
        })
        .collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    top.truncate(10);
    CategoricalSummary {
        count: p.count() as usize,
        missing: p.n_missing as usize,
        unique: if p.counts.is_exact() {
            p.counts.counts().len()
        } else {
            estimate(&p.distinct)
        },
        top,
    }
}

fn categorical_drift(
    name: &str,
    reference: &CategoricalProfile,
    current: &CategoricalProfile,
    options: &DriftOptions,
) -> ColumnDrift {
    let freq = categorical_frequencies(reference, current);
    let exact = reference.counts.is_exact() && current.counts.is_exact();
    let n_unique_both = if exact { freq.keys.len() } else { usize::MAX };
    let (test, configured, threshold) = choose(
        name,
        ColumnKind::Categorical,
        reference.count() as usize,
        n_unique_both,
        options,
    );
    // new categories are known when the reference counts are exact
    let (mut new_categories, mut n_new) = (Vec::new(), 0);
    if reference.counts.is_exact() {
        for (label, &count) in current.counts.counts() {
            if !reference.counts.counts().contains_key(label) {
                new_categories.push(label.clone());
                n_new += count;
            }
        }
    }
    let basis = if exact {
        "from profiles: exact counts".to_owned()
    } else {
        format!(
            "from profiles: frequent-items summaries (counts low by at most {} and {}), untracked categories pooled",
            reference.counts.max_undercount(),
            current.counts.max_undercount()
        )
    };
    let outcome = if reference.count() == 0 || current.count() == 0 {
        let (side, p) = if reference.count() == 0 {
            ("reference", reference)
        } else {
            ("current", current)
        };
        Err(DriftError::EmptySide {
            column: name.to_owned(),
            side,
            missing: p.n_missing as usize,
            non_finite: 0,
        })
    } else {
        check_kind(name, test, configured, ColumnKind::Categorical).and_then(|()| {
            stattest::run_on_frequencies(test, &freq, &options.permutation)
                .map(|mut outcome| {
                    outcome.method = Some(basis);
                    outcome
                })
                .map_err(|source| test_error(name, test, source, CATEGORICAL_SUPPORTED))
        })
    };
    let missing_share = |p: &CategoricalProfile| share(p.n_missing, p.n_rows);
    finish(
        ColumnDrift {
            name: name.to_owned(),
            kind: ColumnKind::Categorical,
            test,
            test_selection: selection(configured),
            statistic: None,
            p_value: None,
            p_value_adjusted: None,
            method: None,
            threshold,
            drifted: false,
            error: None,
            reference: ColumnSummary::Categorical(categorical_summary(reference)),
            current: ColumnSummary::Categorical(categorical_summary(current)),
            quality: Quality {
                missing_share_delta: missing_share(current) - missing_share(reference),
                new_categories,
                out_of_range_share: share(n_new, current.count()),
            },
            distribution: Distribution::of_frequencies(&freq),
        },
        outcome,
    )
}

/// The test (configured, else evidently's automatic choice), whether it was configured,
/// and its threshold, as the exact path picks them.
fn choose(
    name: &str,
    kind: ColumnKind,
    n_reference: usize,
    n_unique_both: usize,
    options: &DriftOptions,
) -> (StatTest, bool, f64) {
    let overrides = options.columns.get(name);
    let configured = overrides.and_then(|o| o.test).or(match options.test {
        TestChoice::Fixed(test) => Some(test),
        TestChoice::Auto => None,
    });
    let test = configured.unwrap_or_else(|| auto_test(kind, n_reference, n_unique_both));
    let threshold = overrides
        .and_then(|o| o.threshold)
        .or(options.threshold)
        .unwrap_or(test.default_threshold());
    (test, configured.is_some(), threshold)
}

fn check_kind(
    name: &str,
    test: StatTest,
    configured: bool,
    kind: ColumnKind,
) -> Result<(), DriftError> {
    if configured && !test.supports(kind) {
        return Err(DriftError::UnsupportedKind {
            column: name.to_owned(),
            test: test.name(),
            kind,
            allowed: test.allowed_kinds(),
        });
    }
    Ok(())
}

/// A test the profile path does not compute becomes [`DriftError::NotFromProfiles`]
/// listing the `supported` ones.
fn test_error(
    name: &str,
    test: StatTest,
    source: TestError,
    supported: &'static str,
) -> DriftError {
    match source {
        TestError::UnsupportedKind(_) => DriftError::NotFromProfiles {
            column: name.to_owned(),
            test: test.name(),
            supported,
        },
        source => DriftError::Test {
            column: name.to_owned(),
            test: test.name(),
            source,
        },
    }
}

fn selection(configured: bool) -> String {
    if configured { "configured" } else { "auto" }.to_owned()
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Fills the outcome into the column as the exact path does (a NaN score is an error).
fn finish(mut drift: ColumnDrift, outcome: Result<TestOutcome, DriftError>) -> ColumnDrift {
    match outcome {
        Ok(outcome) if outcome.p_value.unwrap_or(outcome.statistic).is_nan() => {
            drift.error = Some(format!(
                "column \"{}\": test \"{}\" is undefined on these values (its score is NaN, as in scipy)",
                drift.name,
                drift.test.name()
            ));
        }
        Ok(outcome) => {
            drift.statistic = Some(outcome.statistic);
            drift.p_value = outcome.p_value;
            drift.p_value_adjusted = outcome.p_value;
            drift.method = outcome.method;
            let score = outcome.p_value.unwrap_or(outcome.statistic);
            drift.drifted = drift.test.is_drift(score, drift.threshold);
        }
        Err(err) => drift.error = Some(err.to_string()),
    }
    drift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolated_cdfs_integrate_exactly() {
        // uniform on [0, 1] against uniform on [1, 2]: a shift of 1
        let x = [(0.0, 0.0), (1.0, 1.0)];
        let y = [(1.0, 0.0), (2.0, 1.0)];
        assert!((linear_cdf_distance(&x, &y, 1) - 1.0).abs() < 1e-15);
        // ∫ (F_x - F_y)² over [0, 2]: 2 · ∫_0^1 t² dt = 2/3
        assert!((linear_cdf_distance(&x, &y, 2) - 2.0 / 3.0).abs() < 1e-15);
        // crossing CDFs: F_x = t, F_y = 1/2 on [0, 1]: ∫ |t - 1/2| = 1/4
        let y = [(0.0, 0.5), (1.0, 0.5), (1.0, 1.0)];
        assert!((linear_cdf_distance(&x, &y, 1) - 0.25).abs() < 1e-15);
        assert_eq!(cdf_at(&y, 1.0), (0.5, 1.0));
        assert_eq!(cdf_at(&x, -1.0), (0.0, 0.0));
        assert_eq!(cdf_at(&x, 0.25), (0.25, 0.25));
    }
}
