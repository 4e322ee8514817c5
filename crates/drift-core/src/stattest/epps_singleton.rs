//! Epps-Singleton two-sample test, as scipy.stats.epps_singleton_2samp.
//!
//! Matches `scipy.stats.epps_singleton_2samp(x, y)` with the default points
//! `t = (0.4, 0.8)` (scipy 1.17.1, `scipy/stats/_hypotests.py`), on which evidently's `es`
//! test is built: evidently first raises when the pooled sample's interquartile range is
//! zero, then returns scipy's p-value.

use crate::error::TestError;
use crate::special::chi2_sf;

/// The points where the empirical characteristic functions are compared, before scaling
/// by the semi-interquartile range (scipy's default, proposed by Epps and Singleton).
const T: [f64; 2] = [0.4, 0.8];

/// Statistic and p-value of [`epps_singleton_2samp`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EppsSingletonResult {
    /// The statistic `W`, with the small-sample correction when both sides have fewer
    /// than 25 values.
    pub statistic: f64,
    /// `chi2.sf(W, r)`, with `r` the rank of the estimated covariance matrix (4 unless
    /// the data take very few distinct values).
    pub p_value: f64,
}

/// The Epps-Singleton test, as `scipy.stats.epps_singleton_2samp(x, y)`.
///
/// With `σ = IQR(x ∪ y) / 2` (linear-interpolation quartiles, as `scipy.stats.iqr`) and
/// `τ = t / σ` for `t = (0.4, 0.8)`, each value `v` maps to
/// `g(v) = (cos τ₁v, cos τ₂v, sin τ₁v, sin τ₂v)`. With `ḡ_x`, `ḡ_y` the sample means,
/// `Σ_x`, `Σ_y` the biased (divide-by-n) covariances and `N = n + m`:
///
/// `W = N (ḡ_x - ḡ_y)ᵀ Ŝ⁺ (ḡ_x - ḡ_y)`, `Ŝ = (N/n) Σ_x + (N/m) Σ_y`,
///
/// where `Ŝ⁺` is the pseudo-inverse. scipy uses `array_api_compat`'s `pinv`, which drops
/// singular values at or below `4 · ε · s_max` (`max(shape) · eps`), and takes the
/// chi-square degrees of freedom `r` as the rank of that pseudo-inverse (equal to the
/// number of singular values kept). `Ŝ` is symmetric positive semi-definite, so its
/// singular values are its eigenvalues' magnitudes; here they come from a cyclic Jacobi
/// eigen-decomposition of the 4×4 matrix. Data with only two, three or four distinct
/// values give `r = 1`, `2` or `3` (scipy warns and carries on; so does this function,
/// silently): with `k` distinct values at most the `k - 1` largest eigenvalues are kept,
/// since the others are rounding noise that sits only a factor of a few below the
/// cut-off (an exact rank that scipy's rule alone reaches on every reference case).
/// When `max(n, m) < 25`, `W` is multiplied by
/// `1 / (1 + N^-0.45 + 10.1 (n^-1.7 + m^-1.7))`. The p-value is `chi2.sf(W, r)`.
///
/// # Errors
/// - [`TestError::TooFewValues`] when a side has fewer than 5 values (scipy raises).
/// - [`TestError::NoSpread`] when the pooled interquartile range is zero (evidently
///   raises; scipy fails in its SVD).
/// - [`TestError::Singular`] when the covariance estimate is zero, as when each sample is
///   constant (scipy returns `W = 0` with a NaN p-value on zero degrees of freedom), or
///   not finite, when `|v| / IQR` overflows (scipy's SVD fails on the NaN).
pub fn epps_singleton_2samp(
    x_sorted: &[f64],
    y_sorted: &[f64],
) -> Result<EppsSingletonResult, TestError> {
    TestError::require_per_side(x_sorted.len(), y_sorted.len(), 5)?;
    let pooled = merge_sorted(x_sorted, y_sorted);
    let iqr = quantile_linear(&pooled, 0.75) - quantile_linear(&pooled, 0.25);
    if iqr <= 0.0 {
        return Err(TestError::NoSpread(
            "interquartile range of the pooled sample is zero",
        ));
    }
    let sigma = iqr / 2.0;
    let ts = [T[0] / sigma, T[1] / sigma];

    let (nx, ny) = (x_sorted.len() as f64, y_sorted.len() as f64);
    let n = nx + ny;
    let (mean_x, cov_x) = ecf_moments(x_sorted, ts);
    let (mean_y, cov_y) = ecf_moments(y_sorted, ts);
    let mut est_cov = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            est_cov[i][j] = (n / nx) * cov_x[i][j] + (n / ny) * cov_y[i][j];
        }
    }
    let diff: [f64; 4] = std::array::from_fn(|i| mean_x[i] - mean_y[i]);
    if !est_cov.iter().flatten().chain(&diff).all(|v| v.is_finite()) {
        return Err(TestError::Singular(
            "the covariance estimate is not finite: values too large for their interquartile range",
        ));
    }

    let (eigenvalues, eigenvectors) = symmetric_eigen(est_cov);
    // k distinct values map to k points, whose centred images span at most k - 1 dimensions
    let n_distinct = 1 + pooled.windows(2).filter(|w| w[0] < w[1]).count();
    let kept = pinv_support(&eigenvalues, n_distinct - 1);
    let rank = kept.iter().filter(|&&k| k).count();
    let mut quadratic_form = 0.0;
    for (k, &lambda) in eigenvalues.iter().enumerate() {
        if kept[k] {
            let projection: f64 = (0..4).map(|i| eigenvectors[i][k] * diff[i]).sum();
            quadratic_form += projection * projection / lambda;
        }
    }
    if rank == 0 {
        return Err(TestError::Singular(
            "the covariance estimate of the empirical characteristic function is zero",
        ));
    }
    let mut w = n * quadratic_form;
    if nx.max(ny) < 25.0 {
        w /= 1.0 + n.powf(-0.45) + 10.1 * (nx.powf(-1.7) + ny.powf(-1.7));
    }
    Ok(EppsSingletonResult {
        statistic: w,
        p_value: chi2_sf(w, rank as f64),
    })
}

/// Which eigenvalues of the covariance estimate its pseudo-inverse keeps.
///
/// scipy's rule: singular values (here `|λ|`) above `4 · ε · s_max`. On top of it, at most
/// `max_rank` of the largest: with few distinct values the matrix is rank-deficient by
/// construction and its smallest eigenvalues are rounding noise of order `ε · s_max`,
/// which would otherwise sit a factor of a few below the cut-off and could cross it.
fn pinv_support(eigenvalues: &[f64; 4], max_rank: usize) -> [bool; 4] {
    let s_max = eigenvalues.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let cutoff = 4.0 * f64::EPSILON * s_max;
    let mut order = [0, 1, 2, 3];
    order.sort_by(|&i, &j| eigenvalues[j].abs().total_cmp(&eigenvalues[i].abs()));
    let mut kept = [false; 4];
    for &k in order.iter().take(max_rank) {
        kept[k] = eigenvalues[k].abs() > cutoff;
    }
    kept
}

/// Merges two ascending slices into one ascending vector.
fn merge_sorted(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if b[j] < a[i] {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// The `q`-quantile of a non-empty ascending slice with numpy's default `"linear"`
/// method: virtual index `h = (len - 1) q`, interpolated as numpy's `_lerp` does.
fn quantile_linear(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len() - 1;
    let h = last as f64 * q;
    if h >= last as f64 {
        return sorted[last];
    }
    let below = h.floor();
    let gamma = h - below;
    let (a, b) = (sorted[below as usize], sorted[below as usize + 1]);
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

/// Mean and biased covariance of `g(v) = (cos τ₁v, cos τ₂v, sin τ₁v, sin τ₂v)` over a
/// sample (two passes: the mean first, then centred products).
fn ecf_moments(sample: &[f64], ts: [f64; 2]) -> ([f64; 4], [[f64; 4]; 4]) {
    let g = |v: f64| -> [f64; 4] {
        let (a, b) = (ts[0] * v, ts[1] * v);
        [a.cos(), b.cos(), a.sin(), b.sin()]
    };
    if sample[0] >= sample[sample.len() - 1] {
        // a constant sample: no spread, exactly (its mean of identical terms may round)
        return (g(sample[0]), [[0.0; 4]; 4]);
    }
    let len = sample.len() as f64;
    let mut mean = [0.0; 4];
    for &v in sample {
        for (m, gi) in mean.iter_mut().zip(g(v)) {
            *m += gi;
        }
    }
    mean.iter_mut().for_each(|m| *m /= len);
    // the full matrix, not a triangle: d_i·d_j and d_j·d_i are the same float, so it
    // comes out exactly symmetric
    let mut cov = [[0.0; 4]; 4];
    for &v in sample {
        let gv = g(v);
        let d: [f64; 4] = std::array::from_fn(|i| gv[i] - mean[i]);
        for (row, &di) in cov.iter_mut().zip(&d) {
            for (c, &dj) in row.iter_mut().zip(&d) {
                *c += di * dj;
            }
        }
    }
    cov.iter_mut().flatten().for_each(|c| *c /= len);
    (mean, cov)
}

/// Eigenvalues and eigenvectors (as columns) of a symmetric 4×4 matrix, by cyclic
/// Jacobi rotations (Numerical Recipes' `jacobi`), accurate to a few ulps of the largest
/// eigenvalue.
fn symmetric_eigen(mut a: [[f64; 4]; 4]) -> ([f64; 4], [[f64; 4]; 4]) {
    let mut v = [[0.0; 4]; 4];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for sweep in 0..100 {
        let off: f64 = (0..4)
            .flat_map(|p| (p + 1..4).map(move |q| (p, q)))
            .map(|(p, q)| a[p][q].abs())
            .sum();
        if off == 0.0 {
            break;
        }
        for p in 0..3 {
            for q in p + 1..4 {
                let apq = a[p][q];
                let g = 100.0 * apq.abs();
                // after a few sweeps, drop an element already negligible against both
                // diagonal entries
                #[allow(clippy::float_cmp)] // exact: the addition leaves the value unchanged
                let negligible = sweep > 3
                    && a[p][p].abs() + g == a[p][p].abs()
                    && a[q][q].abs() + g == a[q][q].abs();
                if negligible {
                    a[p][q] = 0.0;
                    a[q][p] = 0.0;
                    continue;
                }
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * apq);
                let t = if theta.abs() > 1e150 {
                    1.0 / (2.0 * theta)
                } else {
                    let t = 1.0 / (theta.abs() + (theta * theta + 1.0).sqrt());
                    if theta < 0.0 { -t } else { t }
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                a[p][p] -= t * apq;
                a[q][q] += t * apq;
                a[p][q] = 0.0;
                a[q][p] = 0.0;
                for r in 0..4 {
                    if r != p && r != q {
                        let (arp, arq) = (a[r][p], a[r][q]);
                        a[r][p] = c * arp - s * arq;
                        a[p][r] = a[r][p];
                        a[r][q] = s * arp + c * arq;
                        a[q][r] = a[r][q];
                    }
                    let (vrp, vrq) = (v[r][p], v[r][q]);
                    v[r][p] = c * vrp - s * vrq;
                    v[r][q] = s * vrp + c * vrq;
                }
            }
        }
    }
    ([a[0][0], a[1][1], a[2][2], a[3][3]], v)
}

#[cfg(test)]
mod tests {
    use super::*;

    use test_support::{assert_close, load_reference, number, numbers, relative_difference};

    #[test]
    #[allow(clippy::print_stderr)] // reports the measured agreement with scipy (--nocapture)
    fn matches_scipy_epps_singleton_2samp() {
        let reference = load_reference("scipy_rank_tests.json");
        let (mut worst_stat, mut worst_p) = (0.0f64, 0.0f64);
        let mut compared = 0;
        for case in reference["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let (x, y) = (numbers(&case["x"]), numbers(&case["y"]));
            let expected = &case["es"];
            let result = epps_singleton_2samp(&x, &y);
            match expected["error"].as_str() {
                Some("too_few") => {
                    assert!(
                        matches!(result, Err(TestError::TooFewValues { need: 5, .. })),
                        "{name}: {result:?}"
                    );
                }
                Some("iqr_zero") => {
                    assert_eq!(
                        result,
                        Err(TestError::NoSpread(
                            "interquartile range of the pooled sample is zero"
                        )),
                        "{name}"
                    );
                }
                Some(other) => panic!("{name}: unknown error kind {other}"),
                None if expected["rank"].as_u64() == Some(0) => {
                    // scipy: W = 0 and a NaN p-value on zero degrees of freedom
                    assert!(number(&expected["p_value"]).is_nan(), "{name}");
                    assert!(
                        matches!(result, Err(TestError::Singular(_))),
                        "{name}: {result:?}"
                    );
                }
                None => {
                    let result = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                    let (stat, p) = (number(&expected["statistic"]), number(&expected["p_value"]));
                    assert_close(
                        result.statistic,
                        stat,
                        1e-9,
                        1e-12,
                        &format!("{name} statistic"),
                    );
                    assert_close(result.p_value, p, 1e-6, 1e-12, &format!("{name} p-value"));
                    if stat != 0.0 {
                        worst_stat = worst_stat.max(relative_difference(result.statistic, stat));
                    }
                    worst_p = worst_p.max(relative_difference(result.p_value, p));
                    compared += 1;
                }
            }
        }
        assert!(compared >= 15, "only {compared} cases compared");
        eprintln!(
            "Epps-Singleton worst relative difference: statistic {worst_stat:e}, p-value {worst_p:e}"
        );
    }

    #[test]
    fn ranks_follow_the_number_of_distinct_values() {
        let reference = load_reference("scipy_rank_tests.json");
        for case in reference["cases"].as_array().expect("cases") {
            let Some(expected_rank) = case["es"]["rank"].as_u64() else {
                continue;
            };
            let (x, y) = (numbers(&case["x"]), numbers(&case["y"]));
            let pooled = merge_sorted(&x, &y);
            let iqr = quantile_linear(&pooled, 0.75) - quantile_linear(&pooled, 0.25);
            let ts = [T[0] / (iqr / 2.0), T[1] / (iqr / 2.0)];
            let (n, nx, ny) = ((x.len() + y.len()) as f64, x.len() as f64, y.len() as f64);
            let ((_, cx), (_, cy)) = (ecf_moments(&x, ts), ecf_moments(&y, ts));
            let m: [[f64; 4]; 4] = std::array::from_fn(|i| {
                std::array::from_fn(|j| n / nx * cx[i][j] + n / ny * cy[i][j])
            });
            let (values, _) = symmetric_eigen(m);
            // scipy's cut-off alone, without the distinct-value cap, already agrees here
            let rank = pinv_support(&values, 4).iter().filter(|&&k| k).count();
            assert_eq!(rank as u64, expected_rank, "{}", case["name"]);
        }
    }

    #[test]
    fn jacobi_reconstructs_the_matrix() {
        let a = [
            [4.0, 1.0, -2.0, 0.5],
            [1.0, 3.0, 0.25, 0.0],
            [-2.0, 0.25, 5.0, 1.5],
            [0.5, 0.0, 1.5, 2.0],
        ];
        let (values, vectors) = symmetric_eigen(a);
        for i in 0..4 {
            for j in 0..4 {
                let rebuilt: f64 = (0..4)
                    .map(|k| vectors[i][k] * values[k] * vectors[j][k])
                    .sum();
                assert_close(rebuilt, a[i][j], 0.0, 1e-14, "A = V Λ Vᵀ");
            }
        }
    }

    #[test]
    fn quartiles_match_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4, 10], [25, 75]) == [2.0, 4.0]; of 0..=5: [1.25, 3.75]
        assert_close(
            quantile_linear(&[1.0, 2.0, 3.0, 4.0, 10.0], 0.25),
            2.0,
            0.0,
            0.0,
            "q25",
        );
        assert_close(
            quantile_linear(&[1.0, 2.0, 3.0, 4.0, 10.0], 0.75),
            4.0,
            0.0,
            0.0,
            "q75",
        );
        let six = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        assert_close(quantile_linear(&six, 0.25), 1.25, 0.0, 0.0, "q25");
        assert_close(quantile_linear(&six, 0.75), 3.75, 0.0, 0.0, "q75");
    }

    #[test]
    fn too_few_values() {
        let five = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(
            epps_singleton_2samp(&five[..4], &five),
            Err(TestError::TooFewValues {
                need: 5,
                side: "reference",
                got: 4
            })
        );
        assert_eq!(
            epps_singleton_2samp(&five, &five[..2]),
            Err(TestError::TooFewValues {
                need: 5,
                side: "current",
                got: 2
            })
        );
    }

    /// Finite values of every magnitude, mixed with small integers for ties.
    fn finite_values(
        len: std::ops::Range<usize>,
    ) -> impl proptest::strategy::Strategy<Value = Vec<f64>> {
        use proptest::prelude::*;
        let value = prop_oneof![
            prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
            (-3i32..4).prop_map(f64::from),
            (-1e3f64..1e3),
        ];
        prop::collection::vec(value, len).prop_map(|mut v| {
            v.sort_by(f64::total_cmp);
            v
        })
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_finite_input(x in finite_values(0..40), y in finite_values(0..40)) {
            if let Ok(result) = epps_singleton_2samp(&x, &y) {
                proptest::prop_assert!(result.p_value.is_nan() || (0.0..=1.0).contains(&result.p_value));
            }
        }
    }
}
