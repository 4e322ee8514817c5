//! One-sided two-sample Kolmogorov-Smirnov test, as scipy.stats.ks_2samp with alternative
//! `greater` or `less` and method auto.
//!
//! The statistic is `D+ = max_t (F1(t) - F2(t))` (`greater`) or `D- = max_t (F2(t) - F1(t))`
//! (`less`) over the pooled observations, the empirical distribution functions counting
//! observations `<= t`. The p-value `P(D+ >= d)` under the null hypothesis is the same
//! function of `d` for both alternatives and symmetric in the sample sizes: exact (lattice
//! paths) when both samples have at most 10000 observations and scipy's exact computation
//! succeeds, otherwise Hodges' (1958) approximation 5.3.
//!
//! Reference implementation: scipy 1.17.1, `scipy/stats/_stats_py.py` (`ks_2samp`,
//! `_attempt_exact_2kssamp`, `_count_paths_outside_method`). Agreement is checked against
//! committed scipy values (`reference/scripts/ks_one_sided_reference.py`) in the unit tests.

use super::ks::{KsMethod, KsResult, MAX_EXACT_N, cdf_difference_extremes, gcd};
use crate::special::ln_binomial;

/// The alternative hypothesis of a one-sided test, named as in scipy.
///
/// The names describe the distribution functions, not the values: `Greater` is "`x`'s CDF
/// lies above `y`'s somewhere", which is "`x` tends to take *smaller* values than `y`".
/// alibi-detect's `ClassifierDrift` calls `ks_2samp(reference_scores, current_scores,
/// alternative='greater')`: drift when the current rows score higher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneSided {
    /// `'greater'`: `F1(t) > F2(t)` for some `t`; statistic `D+ = max (F1 - F2)`.
    Greater,
    /// `'less'`: `F1(t) < F2(t)` for some `t`; statistic `D- = max (F2 - F1)`.
    Less,
}

/// Two-sample one-sided Kolmogorov-Smirnov test.
///
/// Statistic: `D+ = max_t (F1(t) - F2(t))` for [`OneSided::Greater`], and
/// `D- = clip(-min_t (F1(t) - F2(t)), 0, 1)` for [`OneSided::Less`], both empirical CDFs
/// evaluated at every pooled observation with "count of values `<= t`" (numpy
/// `searchsorted(side='right')`), in one merge pass over the sorted slices.
///
/// p-value, matching `scipy.stats.ks_2samp(x, y, alternative, method='auto')` of scipy
/// 1.17.1:
/// * `max(n1, n2) <= 10000`: exact. With `L = lcm(n1, n2)` and `h = round(D L)` (the
///   statistic is reported as `h / L`), the probability that a uniformly random lattice path
///   from `(0, 0)` to `(n1, n2)` reaches the line `x/n1 - y/n2 = h/L`. For `n1 == n2` it is
///   `C(2n, n-h) / C(2n, n) = prod_{j<h} (n - j) / (n + j + 1)`, evaluated as scipy does.
///   Otherwise scipy counts the paths with Hodges' inclusion-exclusion over binomial
///   coefficients and divides by `C(n1 + n2, n1)`; this function computes the same
///   probability with a recursion in probabilities that has no cancellation (agreement with
///   scipy about 1e-12 relative, see the tests). scipy gives up when `C(n1 + n2, n1)`
///   overflows a double (for example 515 and 516 observations, or 135 and 10000), and so
///   does this function.
/// * otherwise, and where the exact path gives up: Hodges' approximation 5.3 with `m >= n`
///   the larger and smaller sample sizes, `z = sqrt(m n / (m + n)) D`,
///   `p = exp(-2 z² - 2 z (m + 2n) / (3 sqrt(m n (m + n))))`, with the lattice `D` if the
///   exact path was attempted.
///
/// `x_sorted` and `y_sorted`: finite values sorted ascending, each non-empty (the caller
/// guarantees it; debug builds assert it). Release builds return NaN for an empty sample
/// and never panic on any other input. `ks_2samp_one_sided(x, y, Less)` equals
/// `ks_2samp_one_sided(y, x, Greater)`.
pub fn ks_2samp_one_sided(x_sorted: &[f64], y_sorted: &[f64], alternative: OneSided) -> KsResult {
    debug_assert!(
        !x_sorted.is_empty() && !y_sorted.is_empty(),
        "ks_2samp_one_sided: empty sample"
    );
    debug_assert!(
        x_sorted.iter().chain(y_sorted).all(|v| v.is_finite()),
        "ks_2samp_one_sided: non-finite value"
    );
    debug_assert!(
        x_sorted.windows(2).all(|w| w[0] <= w[1]) && y_sorted.windows(2).all(|w| w[0] <= w[1]),
        "ks_2samp_one_sided: input not sorted"
    );
    if x_sorted.is_empty() || y_sorted.is_empty() {
        return KsResult {
            statistic: f64::NAN,
            p_value: f64::NAN,
            method: KsMethod::Asymptotic,
        };
    }
    let (max_diff, min_diff) = cdf_difference_extremes(x_sorted, y_sorted);
    let d = match alternative {
        OneSided::Greater => max_diff,
        OneSided::Less => (-min_diff).clamp(0.0, 1.0),
    };
    from_statistic(d, x_sorted.len(), y_sorted.len())
}

/// The p-value paths of [`ks_2samp_one_sided`] for a statistic `d` and sample sizes `n1`,
/// `n2` (both at least 1).
fn from_statistic(d: f64, n1: usize, n2: usize) -> KsResult {
    let mut statistic = d;
    if n1.max(n2) <= MAX_EXACT_N {
        match exact_one_sided(n1 as u64, n2 as u64, d) {
            Ok((lattice_d, p)) => {
                return KsResult {
                    statistic: lattice_d,
                    p_value: p,
                    method: KsMethod::Exact,
                };
            }
            Err(lattice_d) => statistic = lattice_d,
        }
    }
    KsResult {
        statistic,
        p_value: hodges_sf(statistic, n1, n2).clamp(0.0, 1.0),
        method: KsMethod::Asymptotic,
    }
}

/// Hodges' approximation 5.3 to `P(D+ >= d)`, in scipy's order of operations (`m` the
/// larger sample size: the formula is not symmetric in the sizes).
fn hodges_sf(d: f64, n1: usize, n2: usize) -> f64 {
    let (a, b) = (n1 as f64, n2 as f64);
    let (m, n) = if a >= b { (a, b) } else { (b, a) };
    let en = m * n / (m + n);
    let z = en.sqrt() * d;
    let exponent = -2.0 * (z * z) - 2.0 * z * (m + 2.0 * n) / (m * n * (m + n)).sqrt() / 3.0;
    exponent.exp()
}

/// scipy's `_attempt_exact_2kssamp` for a one-sided alternative: `Ok((lattice D, p))`, or
/// `Err(lattice D)` where scipy's computation fails and it switches to Hodges' formula.
fn exact_one_sided(n1: u64, n2: u64, d: f64) -> Result<(f64, f64), f64> {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) * n2;
    let h = (d * lcm as f64).round_ties_even();
    let lattice_d = h / lcm as f64;
    if h <= 0.0 {
        return Ok((lattice_d, 1.0));
    }
    let h = h as u64;
    let p = if n1 == n2 {
        // C(2n, n-h) / C(2n, n) as scipy's np.prod of the h ratios, left to right
        (0..h).fold(1.0, |p, j| p * ((n1 - j) as f64 / (n1 + j + 1) as f64))
    } else {
        // scipy divides a path count by C(n1 + n2, n1) and gives up when that is infinite;
        // ln C is accurate to ~1e-10 here, and no (n1, n2) with both at most 10000 has
        // ln C within 8e-6 of ln(f64::MAX) (checked against scipy.special.binom over all of
        // them while writing the reference script), so the decision is the same as scipy's
        if ln_binomial((n1 + n2) as f64, n1 as f64) > f64::MAX.ln() {
            return Err(lattice_d);
        }
        prob_reaching_line(n1, n2, g, h)
    };
    if (0.0..=1.0).contains(&p) {
        Ok((lattice_d, p))
    } else {
        Err(lattice_d)
    }
}

/// Proportion of monotone lattice paths from `(0, 0)` to `(n1, n2)` that touch
/// `x/n1 - y/n2 >= h/L` (`L = lcm(n1, n2)`, `1 <= h <= L`): the exact `P(D+ >= h/L)`.
///
/// `A(i, j)`, the probability that a uniformly random path to `(i, j)` has touched the line,
/// is 1 on or beyond it and `(i A(i-1, j) + j A(i, j-1)) / (i + j)` elsewhere (the last step
/// came from the left with probability `i / (i + j)`), with `A(0, j) = 0`; the answer is
/// `A(n1, n2)`. Every step is a convex combination of non-negative numbers, so the relative
/// error stays near `(n1 + n2)` ulps even for tiny probabilities (scipy's inclusion-exclusion
/// cancels). The probability is symmetric in the sizes; columns run along the larger one and
/// hold `min(n1, n2) + 1` values. Cost `O(n1 n2)`.
fn prob_reaching_line(n1: u64, n2: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if n1 >= n2 { (n1, n2) } else { (n2, n1) };
    // (i, j) is on or beyond the line when i (n/g) - j (m/g) >= h
    let (step_i, step_j, h) = ((n / g) as i64, (m / g) as i64, h as i64);
    let n = n as usize;
    let mut column = vec![0.0f64; n + 1];
    for i in 1..=m as i64 {
        let reach = i * step_i - h;
        // rows 0..crossed are on or beyond the line (at i = m, crossed <= n)
        let crossed = if reach < 0 {
            0
        } else {
            ((reach / step_j) as usize + 1).min(n + 1)
        };
        column[..crossed].fill(1.0);
        let fi = i as f64;
        for j in crossed.max(1)..=n {
            let fj = j as f64;
            column[j] = (column[j] * fi + column[j - 1] * fj) / (fi + fj);
        }
    }
    column[n]
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::stattest::ks::ks_2samp;
    use test_support::{assert_close, load_reference, relative_difference, sorted};

    /// Largest relative difference seen, for the bounds asserted at the end of a test.
    #[derive(Default)]
    struct Worst(f64);

    impl Worst {
        fn record(&mut self, actual: f64, expected: f64) {
            self.0 = self.0.max(relative_difference(actual, expected));
        }
    }

    fn sample(value: &serde_json::Value) -> Vec<f64> {
        let values = value.as_array().expect("a list of integers");
        sorted(
            values
                .iter()
                .map(|v| v.as_i64().expect("an integer") as f64)
                .collect(),
        )
    }

    const ALTERNATIVES: [(&str, OneSided); 2] =
        [("greater", OneSided::Greater), ("less", OneSided::Less)];

    #[test]
    #[allow(clippy::print_stderr)] // reports the measured agreement with scipy (--nocapture)
    fn matches_scipy_ks_2samp_one_sided() {
        let reference = load_reference("ks_one_sided.json");
        let (mut stat, mut p_exact, mut p_asymp) =
            (Worst::default(), Worst::default(), Worst::default());
        let mut methods = std::collections::BTreeSet::new();
        for case in reference["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let (x, y) = (sample(&case["x"]), sample(&case["y"]));
            for (key, alternative) in ALTERNATIVES {
                let expected = &case[key];
                let what = format!("{name} ({key})");
                let expected_stat = expected["statistic"].as_f64().expect("statistic");
                let expected_p = expected["p_value"].as_f64().expect("p_value");
                let fallback = expected["fallback"].as_bool().expect("fallback");
                let expected_method = match expected["method"].as_str().expect("method") {
                    "exact" => KsMethod::Exact,
                    _ => KsMethod::Asymptotic,
                };
                let r = ks_2samp_one_sided(&x, &y, alternative);
                assert_eq!(r.method, expected_method, "{what}: method");
                methods.insert((key, expected["method"].as_str(), fallback));
                assert_close(r.statistic, expected_stat, 1e-15, 0.0, &what);
                assert_close(r.p_value, expected_p, 1e-10, 0.0, &format!("{what}: p"));
                stat.record(r.statistic, expected_stat);
                match r.method {
                    KsMethod::Exact => p_exact.record(r.p_value, expected_p),
                    KsMethod::Asymptotic => p_asymp.record(r.p_value, expected_p),
                }
                let mirrored = match alternative {
                    OneSided::Greater => OneSided::Less,
                    OneSided::Less => OneSided::Greater,
                };
                assert_eq!(ks_2samp_one_sided(&y, &x, mirrored), r, "{what}: mirrored");
            }
        }
        // every path, for both alternatives
        for key in ["greater", "less"] {
            for (method, fallback) in [("exact", false), ("asymp", true), ("asymp", false)] {
                assert!(
                    methods.contains(&(key, Some(method), fallback)),
                    "{key}: no case takes {method} (fallback {fallback})"
                );
            }
        }
        eprintln!(
            "one-sided KS vs scipy: statistic {:e}, exact p {:e}, asymptotic p {:e}",
            stat.0, p_exact.0, p_asymp.0
        );
        // Observed with scipy 1.17.1: statistic and Hodges' formula identical, exact p within
        // 2.7e-12 (scipy counts paths with cancellation, we do not; see the next tests).
        assert!(stat.0 == 0.0, "statistic: worst {:e}", stat.0);
        assert!(p_exact.0 <= 1e-11, "exact p: worst {:e}", p_exact.0);
        assert!(p_asymp.0 <= 1e-14, "asymptotic p: worst {:e}", p_asymp.0);
    }

    #[test]
    fn hodges_formula_matches_scipy_asymp_on_every_case() {
        let reference = load_reference("ks_one_sided.json");
        let mut worst = Worst::default();
        for case in reference["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let (n1, n2) = (
                case["x"].as_array().expect("x").len(),
                case["y"].as_array().expect("y").len(),
            );
            for (key, _) in ALTERNATIVES {
                let expected = &case[key];
                let d = expected["asymp_statistic"].as_f64().expect("statistic");
                let want = expected["asymp_p_value"].as_f64().expect("p-value");
                let got = hodges_sf(d, n1, n2).clamp(0.0, 1.0);
                assert_close(got, want, 1e-14, 0.0, &format!("{name} ({key})"));
                worst.record(got, want);
            }
        }
        assert!(worst.0 <= 1e-14, "worst {:e}", worst.0);
    }

    #[test]
    #[allow(clippy::print_stderr)] // reports the measured agreement with scipy (--nocapture)
    fn exact_probabilities_match_scipy_and_give_up_where_it_does() {
        let reference = load_reference("ks_one_sided.json");
        let (mut vs_scipy, mut vs_truth, mut scipy_vs_truth) =
            (Worst::default(), Worst::default(), Worst::default());
        let (mut successes, mut failures) = (0, 0);
        for point in reference["exact_prob"].as_array().expect("exact_prob") {
            let n1 = point["n1"].as_u64().expect("n1");
            let n2 = point["n2"].as_u64().expect("n2");
            let h = point["h"].as_u64().expect("h");
            let lcm = n1 / gcd(n1, n2) * n2;
            let what = format!("n1={n1} n2={n2} h={h}");
            let got = exact_one_sided(n1, n2, h as f64 / lcm as f64);
            if !point["success"].as_bool().expect("success") {
                assert!(got.is_err(), "{what}: scipy gives up, we gave {got:?}");
                failures += 1;
                continue;
            }
            successes += 1;
            let (lattice_d, p) = got.unwrap_or_else(|_| panic!("{what}: gave up"));
            assert_eq!(
                lattice_d,
                h as f64 / lcm as f64,
                "{what}: lattice statistic"
            );
            let want = point["p"].as_f64().expect("p");
            if want < 1e-290 {
                // subnormal territory: both carry few digits
                assert_close(p, want, 0.0, 1e-300, &what);
                continue;
            }
            assert_close(p, want, 1e-10, 0.0, &what);
            vs_scipy.record(p, want);
            if let Some(truth) = point.get("exact").and_then(serde_json::Value::as_f64) {
                vs_truth.record(p, truth);
                scipy_vs_truth.record(want, truth);
            }
        }
        assert!(successes > 250 && failures > 30, "{successes} / {failures}");
        eprintln!(
            "exact one-sided p: vs scipy {:e}, vs the integer count {:e} (scipy's own {:e})",
            vs_scipy.0, vs_truth.0, scipy_vs_truth.0
        );
        // Observed: 1.8e-11 from scipy, all of it scipy's own error (its inclusion-exclusion
        // cancels; against the integer path count of the reference script it is off by
        // 1.8e-11 at 10000 vs 60 observations), while ours is within 6e-15 of the count.
        assert!(vs_scipy.0 <= 3e-11, "vs scipy: worst {:e}", vs_scipy.0);
        assert!(vs_truth.0 <= 1e-13, "vs the count: worst {:e}", vs_truth.0);
        assert!(
            scipy_vs_truth.0 > 1e-11,
            "the reference no longer shows scipy's rounding: {:e}",
            scipy_vs_truth.0
        );
    }

    #[test]
    fn the_alternative_follows_which_side_has_larger_values() {
        let low: Vec<f64> = (0..40).map(f64::from).collect();
        let high: Vec<f64> = (0..40).map(|i| f64::from(i) + 20.5).collect();
        // x smaller: its CDF lies above y's, so `greater` rejects and `less` does not
        let greater = ks_2samp_one_sided(&low, &high, OneSided::Greater);
        let less = ks_2samp_one_sided(&low, &high, OneSided::Less);
        assert_eq!(greater.statistic, 0.525);
        assert!(greater.p_value < 1e-4, "{greater:?}");
        assert_eq!(less.statistic, 0.0);
        assert_eq!(less.p_value, 1.0);
        // the two-sided statistic is the larger one-sided one
        assert_eq!(ks_2samp(&low, &high).statistic, greater.statistic);
    }

    #[test]
    fn method_switches_at_10000_and_where_the_binomial_overflows() {
        let values = |n: u32, shift: f64| -> Vec<f64> {
            (0..n).map(|i| f64::from(i) * 0.5 + shift).collect()
        };
        let method = |x: &[f64], y: &[f64]| ks_2samp_one_sided(x, y, OneSided::Greater).method;
        let (a, b) = (values(10_001, 0.0), values(10_001, 3.25));
        assert_eq!(method(&a[..10_000], &b[..10_000]), KsMethod::Exact);
        assert_eq!(method(&a, &b), KsMethod::Asymptotic);
        assert_eq!(method(&a[..134], &b[..10_000]), KsMethod::Exact);
        assert_eq!(method(&a[..135], &b[..10_000]), KsMethod::Asymptotic);
        assert_eq!(method(&a[..514], &b[..515]), KsMethod::Exact);
        assert_eq!(method(&a[..515], &b[..516]), KsMethod::Asymptotic);
        // the statistic after a failed exact attempt is the lattice one: h / lcm
        let r = ks_2samp_one_sided(&a[..515], &b[..516], OneSided::Greater);
        let lcm = 515.0 * 516.0;
        assert_eq!(r.statistic, (r.statistic * lcm).round() / lcm);
    }

    #[test]
    fn degenerate_inputs_stay_in_range() {
        let samples: [&[f64]; 6] = [
            &[0.0],
            &[1.0],
            &[0.0, 0.0],
            &[-1.0, 0.0, 0.0, 2.0],
            &[1.0, 1.0, 1.0, 1.0, 1.0],
            &[-0.0, 1e300, 1e300],
        ];
        for x in samples {
            for y in samples {
                for (_, alternative) in ALTERNATIVES {
                    let r = ks_2samp_one_sided(x, y, alternative);
                    assert!((0.0..=1.0).contains(&r.statistic), "{x:?} {y:?}: {r:?}");
                    assert!((0.0..=1.0).contains(&r.p_value), "{x:?} {y:?}: {r:?}");
                }
            }
        }
        let big = sorted((0..20_000).map(|i| f64::from(i % 97)).collect());
        for (x, method) in [
            (&big[..5_000], KsMethod::Exact),
            (&big[..], KsMethod::Asymptotic),
        ] {
            let r = ks_2samp_one_sided(x, x, OneSided::Greater);
            assert_eq!(
                r,
                KsResult {
                    statistic: 0.0,
                    p_value: 1.0,
                    method
                }
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_small_tied_samples_give_a_probability(
            x in proptest::collection::vec(0u8..5, 1..40),
            y in proptest::collection::vec(0u8..5, 1..40),
        ) {
            let x = sorted(x.into_iter().map(f64::from).collect());
            let y = sorted(y.into_iter().map(f64::from).collect());
            let greater = ks_2samp_one_sided(&x, &y, OneSided::Greater);
            proptest::prop_assert!((0.0..=1.0).contains(&greater.statistic), "{:?}", greater);
            proptest::prop_assert!((0.0..=1.0).contains(&greater.p_value), "{:?}", greater);
            proptest::prop_assert_eq!(ks_2samp_one_sided(&y, &x, OneSided::Less), greater);
            // the two-sided statistic is the larger of the one-sided ones
            let less = ks_2samp_one_sided(&x, &y, OneSided::Less);
            proptest::prop_assert_eq!(
                ks_2samp(&x, &y).statistic,
                greater.statistic.max(less.statistic)
            );
        }
    }
}
