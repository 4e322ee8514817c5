//! Mann-Whitney U test, as scipy.stats.mannwhitneyu with method auto.
//!
//! Matches `scipy.stats.mannwhitneyu(x, y, use_continuity=True, alternative=...,
//! method="auto")` of scipy 1.17.1 (`scipy/stats/_mannwhitneyu.py`). evidently's `mannw`
//! test calls it with `alternative="less"` and returns the p-value.

use crate::error::TestError;
use crate::rank::pooled_ranks;
use crate::special::norm_sf;

/// The alternative hypothesis, as scipy's `alternative` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    /// `"two-sided"`: the distributions differ; the one-sided tail is doubled.
    TwoSided,
    /// `"less"`: `x` is stochastically less than `y` (evidently's choice).
    Less,
    /// `"greater"`: `x` is stochastically greater than `y`.
    Greater,
}

/// Statistic and p-value of [`mann_whitney_u`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitneyResult {
    /// `U1 = R1 - n(n + 1)/2`, with `R1` the sum of `x`'s average ranks in the pooled
    /// sample; the same for every alternative, as scipy reports it.
    pub statistic: f64,
    /// The p-value for the requested alternative, clipped to `[0, 1]`.
    pub p_value: f64,
}

/// The Mann-Whitney U test, as `scipy.stats.mannwhitneyu(x, y, alternative=...)`.
///
/// With `U2 = nm - U1`, the p-value is `P(U >= u)` under the null for `u = U1`
/// (greater), `u = U2` (less) or `u = max(U1, U2)` doubled (two-sided), then clipped to
/// `[0, 1]`. scipy's `method="auto"` rule (`_mwu_choose_method`): the exact null
/// distribution when at least one side has at most 8 values and no value is tied,
/// otherwise the normal approximation
/// `z = (u - nm/2 - 1/2) / sqrt(nm/12 · ((N + 1) - Σ(t³ - t) / (N(N - 1))))` with the tie
/// sizes `t` and the continuity correction, `p = Φ(-z)`.
///
/// The exact distribution counts the rank configurations with each `U` as the
/// coefficients of the Gaussian binomial `[n+m choose m]_q`, built by `m` multiplications
/// by `(1 - q^(n+j)) / (1 - q^j)` (scipy uses an equivalent recurrence). When every value
/// is tied the variance is zero and the p-value is 1, as scipy's `Φ(+inf)`.
///
/// # Errors
/// [`TestError::TooFewValues`] when a side is empty (scipy raises).
pub fn mann_whitney_u(
    x_sorted: &[f64],
    y_sorted: &[f64],
    alternative: Alternative,
) -> Result<MannWhitneyResult, TestError> {
    TestError::require_per_side(x_sorted.len(), y_sorted.len(), 1)?;
    let ranks = pooled_ranks(x_sorted, y_sorted);
    let (n1, n2) = (x_sorted.len(), y_sorted.len());
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let r1: f64 = ranks.x.iter().sum();
    let u1 = r1 - n1f * (n1f + 1.0) / 2.0;
    let u2 = n1f * n2f - u1;
    let (u, factor) = match alternative {
        Alternative::Greater => (u1, 1.0),
        Alternative::Less => (u2, 1.0),
        Alternative::TwoSided => (u1.max(u2), 2.0),
    };
    let ties = ranks.tie_sizes.iter().any(|&t| t > 1);
    let exact = (n1 <= 8 || n2 <= 8) && !ties;
    let p = if exact {
        // no ties: U is a whole number in 0..=n1·n2
        exact_sf(u as u64, n1.min(n2), n1.max(n2))
    } else {
        asymptotic_sf(u, n1, n2, &ranks.tie_sizes)
    };
    Ok(MannWhitneyResult {
        statistic: u1,
        p_value: (p * factor).clamp(0.0, 1.0),
    })
}

/// `P(U >= u)` by the normal approximation with tie and continuity corrections.
fn asymptotic_sf(u: f64, n1: usize, n2: usize, tie_sizes: &[usize]) -> f64 {
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let n = n1f + n2f;
    let mu = n1f * n2f / 2.0;
    let tie_term: f64 = tie_sizes
        .iter()
        .map(|&t| (t as f64).powi(3) - t as f64)
        .sum();
    let all_tied = tie_sizes.len() == 1;
    // (N + 1) - Σ(t³ - t)/(N(N - 1)) is 0 exactly when every value is tied; never negative
    let spread = if all_tied {
        0.0
    } else {
        ((n + 1.0) - tie_term / (n * (n - 1.0))).max(0.0)
    };
    let s = (n1f * n2f / 12.0 * spread).sqrt();
    if s == 0.0 {
        // every value tied: U = nm/2, z = -0.5/0 = -inf, Φ(+inf) = 1
        return 1.0;
    }
    let z = (u - mu - 0.5) / s;
    norm_sf(z)
}

/// `P(U >= k)` under the exact null distribution of U for samples of sizes `m <= n`,
/// evaluated as scipy's `_MWU.sf`: through the lower tail of whichever of `k` and
/// `mn - k` is smaller.
fn exact_sf(k: u64, m: usize, n: usize) -> f64 {
    let total_u = (m as u64) * (n as u64);
    let k = k.min(total_u);
    let kc = total_u - k;
    if k < kc {
        // P(U >= k) = 1 - P(U <= k) + P(U = k)
        let pmf = exact_pmf(m, n, k as usize);
        let cdf: f64 = pmf.iter().sum();
        1.0 - cdf + pmf[k as usize]
    } else {
        // symmetry: P(U >= k) = P(U <= mn - k)
        exact_pmf(m, n, kc as usize).iter().sum()
    }
}

/// `P(U = u)` for `u` in `0..=max_u`: the coefficients of the Gaussian binomial
/// `[n+m choose m]_q`, truncated at `q^max_u`, over `C(n+m, m)`.
///
/// Built as `Π_{j=1..m} (1 - q^(n+j)) / (1 - q^j)`: dividing by `(1 - q^j)` is a running
/// sum with stride `j` and multiplying by `(1 - q^(n+j))` a shifted subtraction. Every
/// intermediate polynomial has non-negative coefficients; counts below 2^53 are exact
/// and larger ones carry only rounding error (no cancellation in the lower tail).
fn exact_pmf(m: usize, n: usize, max_u: usize) -> Vec<f64> {
    let len = max_u + 1;
    let mut counts = vec![0.0f64; len];
    counts[0] = 1.0;
    for j in 1..=m {
        for u in j..len {
            counts[u] += counts[u - j];
        }
        let shift = n + j;
        for u in (shift..len).rev() {
            counts[u] -= counts[u - shift];
        }
    }
    let total = binomial(n + m, m);
    counts.iter_mut().for_each(|c| *c /= total);
    counts
}

/// `C(a, b)` in floating point, exact while it fits in 53 bits.
fn binomial(a: usize, b: usize) -> f64 {
    let b = b.min(a - b);
    (1..=b).fold(1.0, |acc, i| acc * (a - b + i) as f64 / i as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    use test_support::{assert_close, load_reference, number, numbers, relative_difference};

    #[test]
    #[allow(clippy::print_stderr)] // reports the measured agreement with scipy (--nocapture)
    fn matches_scipy_mannwhitneyu() {
        let reference = load_reference("scipy_rank_tests.json");
        let (mut worst_stat, mut worst_p) = (0.0f64, 0.0f64);
        for case in reference["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let (x, y) = (numbers(&case["x"]), numbers(&case["y"]));
            for (key, alternative) in [
                ("two-sided", Alternative::TwoSided),
                ("less", Alternative::Less),
                ("greater", Alternative::Greater),
            ] {
                let expected = &case["mwu"][key];
                let (stat, p) = (number(&expected["statistic"]), number(&expected["p_value"]));
                let result = mann_whitney_u(&x, &y, alternative).expect("valid input");
                let what = format!("{name} {key}");
                assert_close(
                    result.statistic,
                    stat,
                    1e-9,
                    0.0,
                    &format!("{what} statistic"),
                );
                assert_close(result.p_value, p, 1e-6, 1e-12, &format!("{what} p-value"));
                worst_stat = worst_stat.max(relative_difference(result.statistic, stat));
                worst_p = worst_p.max(relative_difference(result.p_value, p));
            }
        }
        eprintln!(
            "Mann-Whitney worst relative difference: statistic {worst_stat:e}, p-value {worst_p:e}"
        );
    }

    #[test]
    fn exact_distribution_is_a_distribution() {
        // C(7, 3) = 35 configurations; counts of U = 0..=12 for sizes 3 and 4
        let pmf = exact_pmf(3, 4, 12);
        let counts: Vec<f64> = pmf.iter().map(|p| (p * 35.0).round()).collect();
        assert_eq!(
            counts,
            vec![1., 1., 2., 3., 4., 4., 5., 4., 4., 3., 2., 1., 1.]
        );
        assert_close(exact_sf(0, 3, 4), 1.0, 1e-15, 0.0, "sf at 0");
        assert_close(exact_sf(12, 3, 4), 1.0 / 35.0, 1e-15, 0.0, "sf at the top");
    }

    #[test]
    fn empty_side_and_all_tied() {
        assert_eq!(
            mann_whitney_u(&[], &[1.0], Alternative::Less),
            Err(TestError::TooFewValues {
                need: 1,
                side: "reference",
                got: 0
            })
        );
        assert_eq!(
            mann_whitney_u(&[1.0], &[], Alternative::Less),
            Err(TestError::TooFewValues {
                need: 1,
                side: "current",
                got: 0
            })
        );
        let tied = mann_whitney_u(&[2.0; 9], &[2.0; 12], Alternative::TwoSided).expect("valid");
        assert_close(tied.statistic, 54.0, 0.0, 0.0, "U1");
        assert_close(tied.p_value, 1.0, 0.0, 0.0, "p-value");
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
        fn never_panics_and_p_is_a_probability(x in finite_values(0..30), y in finite_values(0..30)) {
            for alternative in [Alternative::TwoSided, Alternative::Less, Alternative::Greater] {
                if let Ok(result) = mann_whitney_u(&x, &y, alternative) {
                    proptest::prop_assert!((0.0..=1.0).contains(&result.p_value), "{result:?}");
                    let n = (x.len() * y.len()) as f64;
                    proptest::prop_assert!((0.0..=n).contains(&result.statistic));
                }
            }
        }
    }
}
