//! Anderson-Darling k-sample test (two samples), as scipy.stats.anderson_ksamp.
//!
//! The reference is scipy 1.17.1's `anderson_ksamp([x, y])` with its defaults (the midrank
//! variant, `method=None`), which evidently 0.7.23's `anderson` drift test calls, keeping the
//! p-value (`[2]`). With pooled sample size `N`, distinct pooled values `z_1 < … < z_L`,
//! `l_j` pooled values equal to `z_j`, `B_j = #{pooled < z_j} + l_j / 2` and, for sample `i`
//! of size `n_i`, `M_ij = #{sample i <= z_j} - #{sample i = z_j} / 2`:
//!
//! * `A²_akN = (N - 1) / N · Σ_i 1/n_i Σ_j l_j / N · (N M_ij - B_j n_i)² / (B_j (N - B_j) - N l_j / 4)`
//!   (Scholz & Stephens 1987, eq. 7);
//! * the statistic `A2 = (A²_akN - (k - 1)) / σ_N`, with `σ_N²` the exact variance of eq. 4
//!   (`k = 2`);
//! * the p-value interpolated from Table 2's critical values (`b0 + b1/√m + b2/m`, `m = 1`) by
//!   a quadratic least-squares fit of `ln(significance)` on the critical values (`np.polyfit`),
//!   and clipped: `0.25` below the smallest critical value, `0.001` above the largest (scipy
//!   then warns "p-value capped" / "p-value floored").
//!
//! Every float operation is carried out in scipy's order, numpy's pairwise summation
//! included, so statistics agree with scipy to the last bits. Runs in `O(N)` on sorted input.

use crate::error::TestError;

/// The standardized two-sample Anderson-Darling statistic and its (clipped) p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AndersonResult {
    /// scipy's `statistic`: `(A²_akN - 1) / σ_N`, the standardized midrank statistic.
    pub statistic: f64,
    /// scipy's interpolated `pvalue`, within `[0.001, 0.25]`.
    pub p_value: f64,
}

/// Table 2 of Scholz & Stephens (1987) as scipy holds it, `b0` per significance level.
const B0: [f64; 7] = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
/// Table 2's `b1` (the coefficient of `1 / √m`).
const B1: [f64; 7] = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
/// Table 2's `b2` (the coefficient of `1 / m`).
const B2: [f64; 7] = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];
/// The significance levels of the critical values.
const SIGNIFICANCE: [f64; 7] = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];

/// scipy 1.17.1 `anderson_ksamp([x, y])` (midrank variant, interpolated p-value).
///
/// `x_sorted` is the reference sample and `y_sorted` the current one, both finite and sorted
/// ascending. Where scipy returns NaN (three values in all, where `σ_N²` divides zero by
/// zero) so does this. The p-value is clipped to `[0.001, 0.25]` as scipy's is.
///
/// # Errors
/// Where scipy raises: [`TestError::NoSpread`] when every value is the same ("needs more than
/// one distinct observation", checked first, as scipy does); [`TestError::TooFewValues`] when
/// a side is empty (`need: 1`) or when there are only two values in all (`need: 2`, reported
/// on the reference side; scipy fails with an `IndexError` there).
pub fn anderson_ksamp(x_sorted: &[f64], y_sorted: &[f64]) -> Result<AndersonResult, TestError> {
    let (nx, ny) = (x_sorted.len(), y_sorted.len());
    let first = x_sorted.first().or(y_sorted.first());
    #[allow(clippy::float_cmp)] // np.unique: distinct means not equal, exactly
    let all_same = first.is_none_or(|&v| x_sorted.iter().chain(y_sorted).all(|&w| w == v));
    if all_same {
        return Err(TestError::NoSpread(
            "anderson_ksamp needs more than one distinct observation",
        ));
    }
    TestError::require_per_side(nx, ny, 1)?;
    let n_total = nx + ny;
    if n_total < 3 {
        return Err(TestError::TooFewValues {
            need: 2,
            side: "reference",
            got: nx,
        });
    }

    let a2kn = midrank_statistic(x_sorted, y_sorted);
    let sigma_sq = variance(nx, ny);
    let statistic = (a2kn - 1.0) / sigma_sq.sqrt();
    let p_value = interpolated_p_value(statistic);
    Ok(AndersonResult { statistic, p_value })
}

/// One run of equal values in the pooled sample: the value's counts in each sample.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// Values equal to `z_j` in the reference sample.
    in_x: usize,
    /// Values equal to `z_j` in the current sample.
    in_y: usize,
}

/// scipy's `_anderson_ksamp_midrank`: `A²_akN` of Scholz & Stephens eq. 7, evaluated run by
/// run over the distinct pooled values, each term in numpy's operation order and each sample's
/// sum by numpy's pairwise summation.
fn midrank_statistic(x: &[f64], y: &[f64]) -> f64 {
    let runs = distinct_runs(x, y);
    let n_total = (x.len() + y.len()) as f64;
    let mut a2akn = 0.0;
    for (sample, n_i) in [(0usize, x.len()), (1, y.len())] {
        let n_i_f = n_i as f64;
        let (mut below, mut in_sample_upto) = (0usize, 0usize);
        let mut runs_iter = runs.iter();
        let inner_sum = pairwise_sum(runs.len(), &mut || {
            let run = runs_iter
                .next()
                .copied()
                .unwrap_or(Run { in_x: 0, in_y: 0 });
            let lj = run.in_x + run.in_y;
            let fij = if sample == 0 { run.in_x } else { run.in_y };
            in_sample_upto += fij;
            // Bj = Z_ssorted_left + lj / 2.
            let bj = below as f64 + lj as f64 / 2.0;
            below += lj;
            // Mij = s_ssorted_right.astype(float); Mij -= fij / 2.
            let mij = in_sample_upto as f64 - fij as f64 / 2.0;
            // lj / float(N) * (N*Mij - Bj*n[i])**2 / (Bj*(N - Bj) - N*lj/4.)
            let diff = n_total * mij - bj * n_i_f;
            let denominator = bj * (n_total - bj) - (n_total * lj as f64) / 4.0;
            lj as f64 / n_total * (diff * diff) / denominator
        });
        a2akn += inner_sum / n_i_f;
    }
    a2akn * ((n_total - 1.0) / n_total)
}

/// The distinct values of the pooled sorted samples with their multiplicities per sample.
#[allow(clippy::float_cmp)] // ties are exact equality, as numpy's searchsorted sees them
fn distinct_runs(x: &[f64], y: &[f64]) -> Vec<Run> {
    let mut runs = Vec::new();
    let (mut i, mut j) = (0usize, 0usize);
    while i < x.len() || j < y.len() {
        let value = match (x.get(i), y.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        let (i0, j0) = (i, j);
        while i < x.len() && x[i] == value {
            i += 1;
        }
        while j < y.len() && y[j] == value {
            j += 1;
        }
        if i == i0 && j == j0 {
            // only reachable with NaN input, which callers exclude; never loop forever
            i += usize::from(i < x.len());
            j += usize::from(j < y.len());
        }
        runs.push(Run {
            in_x: i - i0,
            in_y: j - j0,
        });
    }
    runs
}

/// `σ_N²`, the variance of `A²_akN` under the null (Scholz & Stephens eq. 4), for `k = 2`
/// samples, in scipy's order of operations (`h`, `g` from the cumulative harmonic sums).
fn variance(nx: usize, ny: usize) -> f64 {
    const K: f64 = 2.0;
    let n = nx + ny;
    let n_f = n as f64;
    // H = (1. / n).sum(): numpy's pairwise sum of two terms is 0 + a + b
    let big_h = 0.0 + 1.0 / nx as f64 + 1.0 / ny as f64;
    // hs_cs = (1. / arange(N - 1, 1, -1)).cumsum(); h = hs_cs[-1] + 1
    // g = (hs_cs / arange(2, N)).sum(), pairwise over the N - 2 quotients
    let mut running = 0.0;
    let mut j = 0usize;
    let g = pairwise_sum(n - 2, &mut || {
        let term = 1.0 / (n - 1 - j) as f64;
        running = if j == 0 { term } else { running + term };
        let quotient = running / (j + 2) as f64;
        j += 1;
        quotient
    });
    let h = running + 1.0;

    let a = (4.0 * g - 6.0) * (K - 1.0) + (10.0 - 6.0 * g) * big_h;
    let b = (2.0 * g - 4.0) * (K * K) + 8.0 * h * K + (2.0 * g - 14.0 * h - 4.0) * big_h - 8.0 * h
        + 4.0 * g
        - 6.0;
    let c = (6.0 * h + 2.0 * g - 2.0) * (K * K)
        + (4.0 * h - 4.0 * g + 6.0) * K
        + (2.0 * h - 6.0) * big_h
        + 4.0 * h;
    let d = (2.0 * h + 6.0) * (K * K) - 4.0 * h * K;
    // Python integers N**3 and N**2 are exact, then rounded once to float
    let n128 = n as u128;
    let numerator = a * (n128 * n128 * n128) as f64 + b * (n128 * n128) as f64 + c * n_f + d;
    numerator / ((n_f - 1.0) * (n_f - 2.0) * (n_f - 3.0))
}

/// Critical values `b0 + b1 / √m + b2 / m` for `m = k - 1 = 1` sample degrees of freedom.
fn critical_values() -> [f64; 7] {
    std::array::from_fn(|i| B0[i] + B1[i] / 1.0 + B2[i] / 1.0)
}

/// scipy's p-value for a standardized statistic: 0.25 below the smallest critical value,
/// 0.001 above the largest, otherwise `exp(polyval(polyfit(critical, ln(sig), 2), A2))`.
fn interpolated_p_value(statistic: f64) -> f64 {
    let critical = critical_values();
    let (min, max) = (critical[0], critical[6]);
    if statistic < min {
        SIGNIFICANCE[0]
    } else if statistic > max {
        SIGNIFICANCE[6]
    } else {
        let fit = log_significance_fit();
        // np.polyval: y = 0; y = y * x + c for each coefficient
        let y = fit.iter().fold(0.0, |y, &c| y * statistic + c);
        y.exp()
    }
}

/// `np.polyfit(critical, ln(sig), 2)`: the least-squares quadratic (highest power first).
///
/// As numpy does, the Vandermonde columns are scaled to unit norm before solving and the
/// solution unscaled after; the 7×3 problem is solved by Householder QR (numpy uses LAPACK's
/// SVD-based `gelsd`; both are backward stable on this well-conditioned problem and agree to
/// ~1e-15).
fn log_significance_fit() -> [f64; 3] {
    let critical = critical_values();
    let mut lhs = [[0.0f64; 3]; 7];
    for (row, &x) in lhs.iter_mut().zip(&critical) {
        *row = [x * x, x, 1.0];
    }
    let mut scale = [0.0f64; 3];
    for (col, s) in scale.iter_mut().enumerate() {
        *s = lhs
            .iter()
            .map(|row| row[col] * row[col])
            .sum::<f64>()
            .sqrt();
    }
    for row in &mut lhs {
        for (v, s) in row.iter_mut().zip(&scale) {
            *v /= s;
        }
    }
    let mut rhs: [f64; 7] = SIGNIFICANCE.map(f64::ln);
    // Householder QR: reduce lhs to upper triangular R, applying the reflections to rhs
    for col in 0..3 {
        let norm = (col..7)
            .map(|r| lhs[r][col] * lhs[r][col])
            .sum::<f64>()
            .sqrt();
        let alpha = if lhs[col][col] > 0.0 { -norm } else { norm };
        let mut v = [0.0f64; 7];
        for r in col..7 {
            v[r] = lhs[r][col];
        }
        v[col] -= alpha;
        let v_norm_sq: f64 = v[col..].iter().map(|e| e * e).sum();
        if v_norm_sq == 0.0 {
            continue;
        }
        for c in col..3 {
            let dot: f64 = (col..7).map(|r| v[r] * lhs[r][c]).sum();
            let factor = 2.0 * dot / v_norm_sq;
            for (row, &vr) in lhs.iter_mut().zip(&v).skip(col) {
                row[c] -= factor * vr;
            }
        }
        let dot: f64 = (col..7).map(|r| v[r] * rhs[r]).sum();
        let factor = 2.0 * dot / v_norm_sq;
        for r in col..7 {
            rhs[r] -= factor * v[r];
        }
    }
    // back substitution on R c = Qᵀ rhs, then undo the column scaling
    let mut coef = [0.0f64; 3];
    for row in (0..3).rev() {
        let tail: f64 = (row + 1..3).map(|c| lhs[row][c] * coef[c]).sum();
        coef[row] = (rhs[row] - tail) / lhs[row][row];
    }
    for (c, s) in coef.iter_mut().zip(&scale) {
        *c /= s;
    }
    coef
}

/// numpy's pairwise summation (`DOUBLE_pairwise_sum`) of `n` values drawn in order from
/// `next`: sequential below 8 values, eight interleaved accumulators up to 128, halves (cut at
/// a multiple of 8) above. The recursion visits values strictly in order, so they can be
/// generated on the fly. numpy's `add.reduce` then adds the result to its initial 0.
fn pairwise_sum(n: usize, next: &mut impl FnMut() -> f64) -> f64 {
    0.0 + pairwise_block(n, next)
}

/// One level of [`pairwise_sum`].
fn pairwise_block(n: usize, next: &mut impl FnMut() -> f64) -> f64 {
    if n < 8 {
        let mut res = 0.0;
        for _ in 0..n {
            res += next();
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        for acc in &mut r {
            *acc = next();
        }
        let whole = n - n % 8;
        for _ in (8..whole).step_by(8) {
            for acc in &mut r {
                *acc += next();
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for _ in whole..n {
            res += next();
        }
        res
    } else {
        let half = n / 2;
        let cut = half - half % 8;
        let left = pairwise_block(cut, next);
        left + pairwise_block(n - cut, next)
    }
}

#[cfg(test)]
#[allow(clippy::print_stderr)] // the tests report their worst measured agreement
mod tests {
    use super::*;
    use crate::stattest::large_samples::large_samples;
    use serde_json::Value;
    use test_support::{
        assert_close, load_reference, numbers, relative_difference, sorted, sorted_numbers,
    };

    fn reference() -> Value {
        load_reference("scipy_cvm_anderson.json")
    }

    #[test]
    fn matches_scipy_on_every_reference_case() {
        let reference = reference();
        let cases = reference["cases"].as_array().expect("cases");
        let (mut worst_stat, mut worst_p) = (0.0f64, 0.0f64);
        for case in cases {
            let name = case["name"].as_str().expect("name");
            let x = sorted_numbers(&case["x"]);
            let y = sorted_numbers(&case["y"]);
            let expected = &case["anderson"];
            if expected.is_null() {
                continue; // scipy raised (listed in anderson_errors)
            }
            let got = anderson_ksamp(&x, &y).expect("computable");
            let (stat, p) = (
                expected["statistic"].as_f64().expect("statistic"),
                expected["pvalue"].as_f64().expect("p"),
            );
            assert_close(
                got.statistic,
                stat,
                1e-9,
                0.0,
                &format!("{name}: statistic"),
            );
            assert_close(got.p_value, p, 1e-6, 1e-12, &format!("{name}: p-value"));
            worst_stat = worst_stat.max(relative_difference(got.statistic, stat));
            worst_p = worst_p.max(relative_difference(got.p_value, p));
        }
        eprintln!(
            "anderson: {} cases, worst statistic rel {worst_stat:e}, worst p rel {worst_p:e}",
            cases.len()
        );
    }

    #[test]
    fn matches_scipy_on_a_million_values_per_side() {
        let reference = reference();
        for entry in reference["large"].as_array().expect("large") {
            let (x, y) = large_samples(entry);
            let started = std::time::Instant::now();
            let got = anderson_ksamp(&x, &y).expect("computable");
            let elapsed = started.elapsed();
            let expected = &entry["anderson"];
            let what = format!("large, shift {}", entry["shift_units"]);
            assert_close(
                got.statistic,
                expected["statistic"].as_f64().expect("statistic"),
                1e-9,
                0.0,
                &format!("{what}: statistic"),
            );
            assert_close(
                got.p_value,
                expected["pvalue"].as_f64().expect("pvalue"),
                1e-6,
                1e-12,
                &format!("{what}: p-value"),
            );
            eprintln!("{what}: anderson_ksamp on 2 x 1M values took {elapsed:?}");
        }
    }

    #[test]
    fn polyfit_matches_numpy() {
        let reference = reference();
        let expected = numbers(&reference["anderson_polyfit"]);
        for (got, want) in log_significance_fit().iter().zip(&expected) {
            assert_close(*got, *want, 1e-12, 0.0, "polyfit coefficient");
        }
        let critical = numbers(&reference["anderson_critical"]);
        for (got, want) in critical_values().iter().zip(&critical) {
            // serde_json without its `float_roundtrip` feature may misread the last bit
            // (1.9609999999999999 comes back as 1.961), hence one ulp of slack
            assert_close(*got, *want, 2.3e-16, 0.0, "critical value");
        }
        #[allow(clippy::float_cmp, clippy::approx_constant)]
        // bit-exact sums numpy forms; 2.718 is a table entry, not e
        let exact = critical_values()
            == [
                0.325_000_000_000_000_07,
                1.226,
                1.960_999_999_999_999_9,
                2.718,
                3.752,
                4.592,
                6.546,
            ];
        assert!(exact, "{:?}", critical_values());
    }

    #[test]
    fn scipy_errors_are_test_errors() {
        let reference = reference();
        for case in reference["anderson_errors"].as_array().expect("errors") {
            let x = sorted_numbers(&case["x"]);
            let y = sorted_numbers(&case["y"]);
            assert!(
                anderson_ksamp(&x, &y).is_err(),
                "scipy raises {} on {x:?} / {y:?}",
                case["error"]
            );
        }
        assert_eq!(
            anderson_ksamp(&[2.0, 2.0], &[2.0]),
            Err(TestError::NoSpread(
                "anderson_ksamp needs more than one distinct observation"
            ))
        );
        assert_eq!(
            anderson_ksamp(&[], &[1.0, 2.0]),
            Err(TestError::TooFewValues {
                need: 1,
                side: "reference",
                got: 0
            })
        );
        assert_eq!(
            anderson_ksamp(&[1.0], &[2.0]),
            Err(TestError::TooFewValues {
                need: 2,
                side: "reference",
                got: 1
            })
        );
    }

    #[test]
    fn three_values_give_nan_as_scipy() {
        let r = anderson_ksamp(&[1.0], &[2.0, 3.0]).expect("scipy returns NaN, no error");
        assert!(r.statistic.is_nan() && r.p_value.is_nan(), "{r:?}");
    }

    #[test]
    fn never_panics_on_small_tied_samples() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut draw = |modulus: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % modulus
        };
        for _ in 0..2000 {
            let (nx, ny, levels) = (draw(8) as usize, draw(8) as usize, 1 + draw(5));
            let x = sorted((0..nx).map(|_| draw(levels) as f64).collect());
            let y = sorted((0..ny).map(|_| draw(levels) as f64).collect());
            if let Ok(r) = anderson_ksamp(&x, &y) {
                let in_range = (0.001..=0.25).contains(&r.p_value);
                assert!(
                    in_range || (nx + ny == 3 && r.p_value.is_nan()),
                    "{x:?} {y:?} {r:?}"
                );
            }
        }
    }

    #[test]
    #[allow(clippy::float_cmp)] // sums of small integers are exact
    fn pairwise_sum_visits_every_value_once() {
        for n in [0usize, 1, 7, 8, 9, 127, 128, 129, 1000, 4099] {
            let mut i = 0.0;
            let sum = pairwise_sum(n, &mut || {
                i += 1.0;
                i
            });
            assert_eq!(sum, (n * (n + 1) / 2) as f64);
        }
    }
}
