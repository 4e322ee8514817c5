//! Paired tests: Wilcoxon's signed-rank test and the paired t-test, as scipy.

use drift_core::special::{norm_sf, student_t_sf};

/// How the signed-rank p-value was computed (scipy's `method="auto"` choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignedRankMethod {
    /// The exact null distribution (at most 50 differences, no ties, no zeros).
    Exact,
    /// Every one of the `2ⁿ` sign assignments (at most 13 differences, with ties or zeros).
    Permutation,
    /// The normal approximation with the tie correction.
    Asymptotic,
}

/// Wilcoxon's signed-rank test on paired differences.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SignedRankTest {
    /// `min(R⁺, R⁻)`, scipy's two-sided statistic.
    pub statistic: f64,
    /// Two-sided p-value; NaN without any difference.
    pub p_value: f64,
    /// Non-zero differences ranked (zeros are dropped, Wilcoxon's convention).
    pub n_nonzero: u64,
    /// How the p-value was computed.
    pub method: SignedRankMethod,
}

/// Wilcoxon's signed-rank test of `differences` (finite), as
/// `scipy.stats.wilcoxon(d)` with its defaults: `zero_method="wilcox"`,
/// `correction=False`, `alternative="two-sided"`, `method="auto"`.
///
/// Zeros are dropped and the absolute values of the rest ranked (average ranks for ties);
/// `R⁺` sums the ranks of the positive differences. scipy's automatic method, reproduced:
/// more than 50 differences (zeros included) use the normal approximation
/// `z = (R⁺ - n(n+1)/4) / sqrt(n(n+1)(2n+1)/24 - Σ(t³ - t)/48)`; otherwise, without ties
/// or zeros, the exact distribution of `R⁺`, `p = 2 min(P(R⁺ >= r), P(R⁺ <= r))`; with ties
/// or zeros and at most 13 differences, all `2ⁿ` sign flips, scipy's permutation p-value
/// `2 min(P(T <= r), P(T >= r))` with its relative tolerance `100ε`; else the normal
/// approximation. p-values are capped at 1.
pub fn wilcoxon_signed_rank(differences: &[f64]) -> SignedRankTest {
    let n_total = differences.len();
    let mut nonzero: Vec<f64> = differences.iter().copied().filter(|&d| d != 0.0).collect();
    let n_zero = n_total - nonzero.len();
    nonzero.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let n = nonzero.len();
    // average ranks of |d|
    let mut ranks = vec![0.0; n];
    let mut tie_term = 0.0;
    let mut has_ties = false;
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && nonzero[end].abs() == nonzero[start].abs() {
            end += 1;
        }
        let t = (end - start) as f64;
        has_ties |= end - start > 1;
        tie_term += t * t * t - t;
        let rank = (start + end + 1) as f64 / 2.0;
        ranks[start..end].fill(rank);
        start = end;
    }
    let r_plus: f64 = nonzero
        .iter()
        .zip(&ranks)
        .filter(|(d, _)| **d > 0.0)
        .map(|(_, r)| r)
        .sum();
    let nf = n as f64;
    let r_minus = nf * (nf + 1.0) / 2.0 - r_plus;
    let statistic = r_plus.min(r_minus);
    if n_total == 0 {
        return SignedRankTest {
            statistic: f64::NAN,
            p_value: f64::NAN,
            n_nonzero: 0,
            method: SignedRankMethod::Asymptotic,
        };
    }
    let method = if n_total > 50 {
        SignedRankMethod::Asymptotic
    } else if !(has_ties || n_zero > 0) {
        SignedRankMethod::Exact
    } else if n_total <= 13 {
        SignedRankMethod::Permutation
    } else {
        SignedRankMethod::Asymptotic
    };
    let p_value = match method {
        SignedRankMethod::Asymptotic => {
            let mean = nf * (nf + 1.0) / 4.0;
            let se = ((nf * (nf + 1.0) * (2.0 * nf + 1.0) - tie_term / 2.0) / 24.0).sqrt();
            let z = (r_plus - mean) / se;
            if z.is_nan() {
                f64::NAN // no non-zero difference: scipy's 0/0
            } else {
                (2.0 * norm_sf(z.abs())).min(1.0)
            }
        }
        SignedRankMethod::Exact => {
            let counts = signed_rank_counts(n);
            let total: f64 = counts.iter().sum();
            let r = r_plus.round() as usize; // an integer without ties
            let cdf: f64 = counts[..=r].iter().sum::<f64>() / total;
            let sf: f64 = counts[r..].iter().sum::<f64>() / total;
            (2.0 * cdf.min(sf)).min(1.0)
        }
        SignedRankMethod::Permutation => {
            // every sign pattern of all n_total differences (zeros stay zero)
            let mut signed: Vec<(f64, f64)> = nonzero.iter().copied().zip(ranks).collect();
            signed.extend(std::iter::repeat_n((0.0, 0.0), n_zero));
            let gamma = (100.0 * f64::EPSILON * r_plus).abs();
            let patterns = 1u32 << n_total;
            let (mut less, mut greater) = (0u32, 0u32);
            for pattern in 0..patterns {
                let t: f64 = signed
                    .iter()
                    .enumerate()
                    .filter(|&(i, &(d, _))| {
                        let flipped = pattern >> i & 1 == 1;
                        if flipped { d < 0.0 } else { d > 0.0 }
                    })
                    .map(|(_, &(_, r))| r)
                    .sum();
                less += u32::from(t <= r_plus + gamma);
                greater += u32::from(t >= r_plus - gamma);
            }
            let total = f64::from(patterns);
            (2.0 * (f64::from(less) / total).min(f64::from(greater) / total)).min(1.0)
        }
    };
    SignedRankTest {
        statistic,
        p_value,
        n_nonzero: n as u64,
        method,
    }
}

/// How many subsets of `{1, ..., n}` sum to each `s` in `0..=n(n+1)/2`.
fn signed_rank_counts(n: usize) -> Vec<f64> {
    let max = n * (n + 1) / 2;
    let mut counts = vec![0.0f64; max + 1];
    counts[0] = 1.0;
    for k in 1..=n {
        for s in (k..=max).rev() {
            counts[s] += counts[s - k];
        }
    }
    counts
}

/// The paired t-test on differences.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairedTTest {
    /// `t = mean(d) / (sd(d) / sqrt(n))` with the sample standard deviation (`n - 1`).
    pub t: f64,
    /// Degrees of freedom `n - 1`.
    pub df: f64,
    /// Two-sided p-value; NaN when `t` is undefined (fewer than two pairs, or all
    /// differences equal to zero).
    pub p_value: f64,
}

/// The paired t-test of `differences`, as `scipy.stats.ttest_rel(shadow, live)` (two-sided):
/// `t = d̄ / (s_d / sqrt(n))`, `p = 2 P(T_{n-1} > |t|)`. Differences that are all equal and
/// non-zero give `t = ±inf` and `p = 0`, as scipy.
pub fn paired_t_test(differences: &[f64]) -> PairedTTest {
    let n = differences.len() as f64;
    if differences.len() < 2 {
        return PairedTTest {
            t: f64::NAN,
            df: n - 1.0,
            p_value: f64::NAN,
        };
    }
    let mean = differences.iter().sum::<f64>() / n;
    let var = differences.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let t = mean / (var / n).sqrt();
    let df = n - 1.0;
    let p_value = if t.is_nan() {
        f64::NAN
    } else {
        (2.0 * student_t_sf(t.abs(), df)).min(1.0)
    };
    PairedTTest { t, df, p_value }
}

#[cfg(test)]
mod tests {
    use super::*;

    use test_support::{assert_close, load_reference, number, numbers};

    #[test]
    fn signed_rank_matches_scipy_wilcoxon() {
        let reference = load_reference("scipy_canary.json");
        let cases = reference["wilcoxon"].as_array().expect("wilcoxon cases");
        let mut seen = std::collections::BTreeSet::new();
        for case in cases {
            let name = case["name"].as_str().expect("name");
            let d = numbers(&case["d"]);
            let test = wilcoxon_signed_rank(&d);
            let method = case["method"].as_str().expect("method");
            let expected_method = match method {
                "exact" => SignedRankMethod::Exact,
                "permutation" => SignedRankMethod::Permutation,
                _ => SignedRankMethod::Asymptotic,
            };
            assert_eq!(test.method, expected_method, "{name}");
            seen.insert(method.to_owned());
            assert_close(
                test.statistic,
                number(&case["statistic"]),
                1e-12,
                0.0,
                &format!("{name}: statistic"),
            );
            assert_close(
                test.p_value,
                number(&case["p_value"]),
                1e-9,
                1e-15,
                &format!("{name}: p"),
            );
        }
        assert_eq!(seen.len(), 3, "every method is exercised: {seen:?}");
    }

    #[test]
    fn paired_t_matches_scipy_ttest_rel() {
        let reference = load_reference("scipy_canary.json");
        for case in reference["ttest_rel"].as_array().expect("ttest cases") {
            let name = case["name"].as_str().expect("name");
            let test = paired_t_test(&numbers(&case["d"]));
            assert_close(
                test.t,
                number(&case["t"]),
                1e-10,
                1e-14,
                &format!("{name}: t"),
            );
            assert_close(
                test.p_value,
                number(&case["p_value"]),
                1e-9,
                1e-15,
                &format!("{name}: p"),
            );
        }
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert!(wilcoxon_signed_rank(&[]).p_value.is_nan());
        assert!(paired_t_test(&[1.0]).p_value.is_nan());
        assert!(paired_t_test(&[0.0, 0.0, 0.0]).p_value.is_nan());
    }
}
