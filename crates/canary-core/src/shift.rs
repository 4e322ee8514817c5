//! Mann-Whitney U with the Hodges-Lehmann shift and its confidence interval, as Kayenta.
//!
//! Kayenta's `MannWhitney.scala` (a port of R's `wilcox.test(x, y, conf.int = TRUE,
//! exact = FALSE, correct = TRUE)`) defines the interval for the shift `x - y` as the
//! roots of
//!
//! `f(d; zq) = (dz(d) - sign(dz(d)) / 2) / σ(d) - zq`, `dz(d) = R₁(x - d, y) - n(n + 1)/2 - nm/2`,
//!
//! with `R₁` the sum of `x - d`'s average ranks among `(x - d) ++ y` and `σ` the
//! tie-corrected standard deviation of `U`; `zq = ±Φ⁻¹(α/2)` for the interval's ends and
//! `zq = 0` for the estimate. Kayenta finds the roots with Brent's method between
//! `min x - max y` and `max x - min y`. `f` is a step function of `d` that jumps only at
//! the pairwise differences `xᵢ - yⱼ` (between two of them `dz = #{xᵢ - yⱼ > d} - nm/2` and
//! `σ` is constant), so each root of the interval's ends *is* a pairwise difference: the
//! one at which `f` changes sign. We compute it exactly, by counting, instead of
//! approximating it by bisection; Brent's answer agrees within its tolerance.
//!
//! For `zq = 0`, `f` is exactly zero on the whole interval between the middle pairwise
//! differences, and Brent's method stops anywhere in it. We return the Hodges-Lehmann
//! estimator proper, the median of the pairwise differences, which lies in that zero set
//! (it is its midpoint when `nm` is even).
//!
//! Pairwise differences are never materialised: the k-th smallest `xᵢ - yⱼ` is selected
//! in `O((n + m) log(nm))` time and `O(n + m)` memory (selection in a sorted matrix, pivoting
//! on the weighted median of row medians), so 10⁵ values a side cost milliseconds.

use drift_core::rank::pooled_ranks;
use drift_core::special::norm_sf;

use crate::error::CanaryError;
use crate::normal::norm_ppf;

/// The Mann-Whitney test of a candidate against a baseline, with Kayenta's estimate and
/// interval for the shift `candidate - baseline`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ShiftTest {
    /// `U = R - n(n + 1)/2` for the candidate (`n` values, rank sum `R` in the pooled
    /// sample): the number of (candidate, baseline) pairs where the candidate is larger,
    /// ties counting one half; scipy's `statistic` for `mannwhitneyu(candidate, baseline)`.
    pub u: f64,
    /// Two-sided p-value by the normal approximation with tie and continuity
    /// corrections, as `scipy.stats.mannwhitneyu(..., method="asymptotic",
    /// use_continuity=True)`. 1 when every value is tied.
    pub p_value: f64,
    /// Hodges-Lehmann estimate of the shift: the median of all `candidateᵢ - baselineⱼ`.
    pub estimate: f64,
    /// Lower end of the confidence interval for the shift.
    pub lower: f64,
    /// Upper end of the confidence interval for the shift.
    pub upper: f64,
    /// The interval's confidence level (Kayenta: 0.98).
    pub confidence: f64,
}

/// Runs the Mann-Whitney test of `candidate` against `baseline` and Kayenta's interval
/// for the shift at `confidence`; both slices sorted ascending, finite.
///
/// # Errors
/// [`CanaryError::EmptySide`] when either side is empty.
pub fn shift_test(
    candidate_sorted: &[f64],
    baseline_sorted: &[f64],
    confidence: f64,
) -> Result<ShiftTest, CanaryError> {
    if candidate_sorted.is_empty() || baseline_sorted.is_empty() {
        return Err(CanaryError::EmptySide {
            what: "the Mann-Whitney test",
        });
    }
    debug_assert!(candidate_sorted.is_sorted_by(|a, b| a <= b));
    debug_assert!(baseline_sorted.is_sorted_by(|a, b| a <= b));
    let (x, y) = (candidate_sorted, baseline_sorted);
    let (n, m) = (x.len() as f64, y.len() as f64);
    let ranks = pooled_ranks(x, y);
    let u = ranks.x.iter().sum::<f64>() - n * (n + 1.0) / 2.0;
    let p_value = asymptotic_two_sided(u, n, m, &ranks.tie_sizes);

    let total = (x.len() as u64) * (y.len() as u64);
    let estimate = if !total.is_multiple_of(2) {
        kth_difference(x, y, total / 2)
    } else {
        let (lo, hi) = (
            kth_difference(x, y, total / 2 - 1),
            kth_difference(x, y, total / 2),
        );
        lo + (hi - lo) / 2.0
    };
    // σ between jumps: only ties within a sample survive a shift
    let within: f64 = tie_term(x) + tie_term(y);
    let big_n = n + m;
    let sigma = (n * m / 12.0 * ((big_n + 1.0) - within / (big_n * (big_n - 1.0)))).sqrt();
    let alpha = 1.0 - confidence;
    let z = -norm_ppf(alpha / 2.0);
    let lower = root(x, y, total, sigma, z);
    let upper = root(x, y, total, sigma, -z);
    Ok(ShiftTest {
        u,
        p_value,
        estimate,
        lower,
        upper,
        confidence,
    })
}

/// scipy's two-sided asymptotic p-value: `2 Φ(-(max(U, nm - U) - nm/2 - 1/2) / s)`.
fn asymptotic_two_sided(u: f64, n: f64, m: f64, tie_sizes: &[usize]) -> f64 {
    let big_n = n + m;
    let u_max = u.max(n * m - u);
    let ties: f64 = tie_sizes
        .iter()
        .map(|&t| (t as f64).powi(3) - t as f64)
        .sum();
    let spread = if tie_sizes.len() == 1 {
        0.0 // every value tied
    } else {
        ((big_n + 1.0) - ties / (big_n * (big_n - 1.0))).max(0.0)
    };
    let s = (n * m / 12.0 * spread).sqrt();
    if s == 0.0 {
        return 1.0;
    }
    let z = (u_max - n * m / 2.0 - 0.5) / s;
    (2.0 * norm_sf(z)).min(1.0)
}

/// `Σ (t³ - t)` over the groups of equal values of a sorted slice.
fn tie_term(sorted: &[f64]) -> f64 {
    sorted
        .chunk_by(|a, b| a == b)
        .map(|group| {
            let t = group.len() as f64;
            t * t * t - t
        })
        .sum()
}

/// The root of Kayenta's `f(d; zq)`: the pairwise difference where `f` changes sign, or
/// an end of `[min x - max y, max x - min y]` when it keeps one sign.
///
/// Between jumps, with `c = #{xᵢ - yⱼ > d}`, `f > 0` exactly when
/// `h(c) = (c - nm/2) - sign(c - nm/2)/2 > zq·σ`; `h` grows with `c`, so with `c*` the
/// least count for which it holds, `f > 0` exactly for `d` below the `c*`-th largest
/// difference, which is the root.
fn root(x: &[f64], y: &[f64], total: u64, sigma: f64, zq: f64) -> f64 {
    let half = total as f64 / 2.0;
    let positive = |c: u64| {
        let dz = c as f64 - half;
        let correction = if dz > 0.0 {
            0.5
        } else if dz < 0.0 {
            -0.5
        } else {
            0.0
        };
        (dz - correction) / sigma - zq > 0.0
    };
    let mu_min = x[0] - y[y.len() - 1];
    let mu_max = x[x.len() - 1] - y[0];
    if !positive(total) {
        return mu_min; // f <= 0 everywhere
    }
    if positive(0) {
        return mu_max; // f > 0 everywhere
    }
    // least c in 1..=total with positive(c); positive(0) is false, positive(total) true
    let (mut lo, mut hi) = (0u64, total);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if positive(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    kth_difference(x, y, total - hi)
}

/// The `k`-th smallest (0-based) of the `n·m` differences `x[i] - y[j]`, both slices sorted
/// ascending.
///
/// Row `i` of the matrix `M[i][j] = x[i] - y[m - 1 - j]` ascends in `j`, and every column
/// ascends in `i` (rounding is monotone), so the count of entries below a pivot is a
/// staircase found in `O(n + m)`. Each round pivots on the weighted median of the active
/// rows' middle entries, which removes at least a quarter of the active entries; the last
/// few thousand are selected directly.
pub(crate) fn kth_difference(x: &[f64], y: &[f64], k: u64) -> f64 {
    let (n, m) = (x.len(), y.len());
    debug_assert!(k < (n as u64) * (m as u64));
    let entry = |i: usize, j: usize| x[i] - y[m - 1 - j];
    let mut lo = vec![0usize; n];
    let mut hi = vec![m; n];
    let mut below = vec![0usize; n];
    let mut below_or_equal = vec![0usize; n];
    loop {
        let active: usize = lo.iter().zip(&hi).map(|(l, h)| h - l).sum();
        let eliminated: u64 = lo.iter().map(|&l| l as u64).sum();
        let rank = (k - eliminated) as usize;
        if active <= 4096.max(n) {
            let mut values: Vec<f64> = (0..n)
                .flat_map(|i| (lo[i]..hi[i]).map(move |j| (i, j)))
                .map(|(i, j)| entry(i, j))
                .collect();
            let (_, value, _) = values.select_nth_unstable_by(rank, f64::total_cmp);
            return *value;
        }
        // weighted median of the active rows' middle entries
        let mut middles: Vec<(f64, usize)> = (0..n)
            .filter(|&i| hi[i] > lo[i])
            .map(|i| (entry(i, lo[i] + (hi[i] - lo[i]) / 2), hi[i] - lo[i]))
            .collect();
        let pivot = weighted_median(&mut middles, active.div_ceil(2));
        // staircases: entries < pivot and <= pivot in every full row
        let (mut s_lt, mut s_le) = (0usize, 0usize);
        for i in 0..n {
            // x[i] - y[s] >= pivot for s < s_lt (y ascending); s only moves forward as i grows
            while s_lt < m && x[i] - y[s_lt] >= pivot {
                s_lt += 1;
            }
            while s_le < m && x[i] - y[s_le] > pivot {
                s_le += 1;
            }
            below[i] = m - s_lt;
            below_or_equal[i] = m - s_le;
        }
        let count_lt: u64 = below.iter().map(|&c| c as u64).sum();
        let count_le: u64 = below_or_equal.iter().map(|&c| c as u64).sum();
        if k < count_lt {
            for i in 0..n {
                hi[i] = hi[i].min(below[i]);
            }
        } else if k < count_le {
            return pivot;
        } else {
            for i in 0..n {
                lo[i] = lo[i].max(below_or_equal[i]);
            }
        }
    }
}

/// The least value whose items, with those of smaller values, weigh at least `need`
/// (`need` at most the total weight), by repeated selection in expected linear time.
fn weighted_median(items: &mut [(f64, usize)], need: usize) -> f64 {
    let mut slice = items;
    let mut need = need;
    loop {
        let mid = slice.len() / 2;
        slice.select_nth_unstable_by(mid, |a, b| a.0.total_cmp(&b.0));
        let left: usize = slice[..mid].iter().map(|item| item.1).sum();
        if left >= need && mid > 0 {
            slice = &mut slice[..mid];
        } else if left + slice[mid].1 >= need {
            return slice[mid].0;
        } else {
            need -= left + slice[mid].1;
            slice = &mut slice[mid + 1..];
        }
    }
}

/// Arithmetic mean, as Apache Commons Math's `StatUtils.mean` (sum over n with the
/// second-pass correction `Σ(xᵢ - mean)/n`).
pub fn mean(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let first = values.iter().sum::<f64>() / n;
    first + values.iter().map(|v| v - first).sum::<f64>() / n
}

/// Kayenta's mean ratio `mean(candidate) / mean(baseline)` (`EffectSizes.meanRatio`): None
/// (Kayenta: NaN) when either mean is 0 or a side is empty.
pub fn mean_ratio(candidate: &[f64], baseline: &[f64]) -> Option<f64> {
    if candidate.is_empty() || baseline.is_empty() {
        return None;
    }
    let (c, b) = (mean(candidate), mean(baseline));
    (c != 0.0 && b != 0.0)
        .then(|| c / b)
        .filter(|r| r.is_finite())
}

/// Kayenta's common-language effect size (`EffectSizes.cles`, Vargha and Delaney's A):
/// `U / (n·m)`, the share of (candidate, baseline) pairs where the candidate is larger,
/// ties counting one half.
pub fn cles(u: f64, n_candidate: usize, n_baseline: usize) -> f64 {
    u / (n_candidate as f64 * n_baseline as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    use test_support::{
        assert_close, load_reference, number, numbers, relative_difference, sorted,
    };

    #[test]
    #[allow(clippy::print_stderr)] // reports the measured agreement with scipy (--nocapture)
    fn matches_scipy_and_kayentas_definitions() {
        let reference = load_reference("scipy_canary.json");
        let cases = reference["shift"].as_array().expect("shift cases");
        assert!(cases.len() >= 10);
        let (mut worst_u, mut worst_p, mut worst_ci, mut worst_hl) = (0f64, 0f64, 0f64, 0f64);
        for case in cases {
            let name = case["name"].as_str().expect("name");
            let x = sorted(numbers(&case["candidate"]));
            let y = sorted(numbers(&case["baseline"]));
            let result = shift_test(&x, &y, 0.98).expect("non-empty");
            let (u, p) = (number(&case["u"]), number(&case["p_value"]));
            assert_close(result.u, u, 1e-12, 0.0, &format!("{name}: U"));
            assert_close(result.p_value, p, 1e-9, 1e-15, &format!("{name}: p"));
            // the interval's ends are pairwise differences: equal up to rounding
            let scale = x[x.len() - 1].abs().max(y[y.len() - 1].abs()).max(1e-300);
            for (got, key) in [(result.lower, "lower"), (result.upper, "upper")] {
                let expected = number(&case[key]);
                assert_close(
                    got,
                    expected,
                    1e-12,
                    1e-13 * scale,
                    &format!("{name}: {key}"),
                );
                worst_ci = worst_ci.max((got - expected).abs() / scale);
            }
            let hl = number(&case["hodges_lehmann"]);
            assert_close(
                result.estimate,
                hl,
                1e-12,
                1e-13 * scale,
                &format!("{name}: HL"),
            );
            // and it lies in the set where Kayenta's estimating function is zero
            let (zero_lo, zero_hi) = (number(&case["zero_set"][0]), number(&case["zero_set"][1]));
            assert!(
                zero_lo - 1e-12 * scale <= result.estimate
                    && result.estimate <= zero_hi + 1e-12 * scale,
                "{name}: estimate {} outside Kayenta's zero set [{zero_lo}, {zero_hi}]",
                result.estimate
            );
            // Brent's root (as Kayenta finds it) is the same jump point, up to its tolerance
            for (got, key) in [(result.lower, "brent_lower"), (result.upper, "brent_upper")] {
                assert_close(
                    got,
                    number(&case[key]),
                    1e-9,
                    1e-9 * scale,
                    &format!("{name}: {key}"),
                );
            }
            worst_u = worst_u.max(relative_difference(result.u, u));
            worst_p = worst_p.max(relative_difference(result.p_value, p));
            worst_hl = worst_hl.max((result.estimate - hl).abs() / scale);
        }
        eprintln!(
            "shift test worst difference: U {worst_u:e}, p {worst_p:e} (relative); interval {worst_ci:e}, HL {worst_hl:e} (relative to the data's scale)"
        );
    }

    #[test]
    fn kth_difference_matches_sorting_all_pairs() {
        // enough pairs to take the pivoting path, with ties and negative values
        let x: Vec<f64> = sorted((0..97).map(|i| f64::from((i * 37) % 41) - 7.5).collect());
        let y: Vec<f64> = sorted((0..83).map(|i| f64::from((i * 11) % 23) * 0.5).collect());
        let mut all: Vec<f64> = x
            .iter()
            .flat_map(|a| y.iter().map(move |b| a - b))
            .collect();
        all.sort_by(f64::total_cmp);
        for k in [0, 1, 17, 4000, 4031, 4032, 5000, all.len() as u64 - 1] {
            assert_eq!(kth_difference(&x, &y, k), all[k as usize], "k = {k}");
        }
    }

    fn values(len: std::ops::Range<usize>) -> impl proptest::strategy::Strategy<Value = Vec<f64>> {
        use proptest::prelude::*;
        let value = prop_oneof![(-5i32..6).prop_map(f64::from), -1e3f64..1e3];
        prop::collection::vec(value, len).prop_map(sorted)
    }

    proptest::proptest! {
        #[test]
        fn kth_difference_is_the_kth_of_all_pairs(x in values(1..120), y in values(1..90), pick in 0.0f64..1.0) {
            let mut all: Vec<f64> = x.iter().flat_map(|a| y.iter().map(move |b| a - b)).collect();
            all.sort_by(f64::total_cmp);
            let k = ((all.len() - 1) as f64 * pick) as usize;
            proptest::prop_assert_eq!(kth_difference(&x, &y, k as u64), all[k]);
        }

        #[test]
        fn the_interval_holds_the_estimate(x in values(1..60), y in values(1..60)) {
            let t = shift_test(&x, &y, 0.98).expect("non-empty");
            proptest::prop_assert!(t.lower <= t.estimate && t.estimate <= t.upper, "{t:?}");
            proptest::prop_assert!((0.0..=1.0).contains(&t.p_value));
        }
    }

    #[test]
    fn empty_side_is_an_error() {
        assert!(shift_test(&[], &[1.0], 0.98).is_err());
        assert!(shift_test(&[1.0], &[], 0.98).is_err());
    }

    #[test]
    fn constant_sides_shift_by_their_difference() {
        // Kayenta adds Gaussian noise of scale 1e-5·value here; in the limit every pairwise
        // difference is b - a, and so are the estimate and both ends of the interval
        let result = shift_test(&[3.0; 20], &[1.0; 20], 0.98).expect("valid");
        assert_eq!(
            (result.estimate, result.lower, result.upper),
            (2.0, 2.0, 2.0)
        );
    }

    #[test]
    fn effect_sizes() {
        assert_eq!(mean_ratio(&[2.0, 4.0], &[1.0, 2.0]), Some(2.0));
        assert_eq!(mean_ratio(&[0.0], &[1.0]), None);
        assert_eq!(mean_ratio(&[], &[1.0]), None);
        assert_eq!(cles(6.0, 3, 4), 0.5);
    }
}
