//! Fisher's exact test on a 2x2 table, as scipy.stats.fisher_exact (two-sided).
//!
//! Matches `scipy.stats.fisher_exact(table)` (scipy 1.17.1, `scipy/stats/_stats_py.py`)
//! for 2x2 tables with the default `alternative="two-sided"`. evidently's `fisher_exact`
//! test builds the table from two equally long binary samples and returns this p-value.

/// Odds ratio and p-value of [`fisher_exact_2x2`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FisherResult {
    /// The sample (unconditional) odds ratio `a·d / (b·c)` of `[[a, b], [c, d]]`: `inf`
    /// when `b` or `c` is zero (and the margins are not), NaN when a row or column sums
    /// to zero.
    pub odds_ratio: f64,
    /// The two-sided p-value: the probability, under the hypergeometric null with the
    /// table's margins, of a table no more likely than the observed one.
    pub p_value: f64,
}

/// Fisher's exact test of `[[a, b], [c, d]]`, as `scipy.stats.fisher_exact(table)`.
///
/// Under the null, `a` is hypergeometric: `a + b` "white" among `N = a + b + c + d`, with
/// `a + c` drawn. scipy's two-sided rule, reproduced step by step: with the mode
/// `⌊(a + c + 1)(a + b + 1) / (N + 2)⌋` and `γ = 1 + 1e-14`,
/// - if `pmf(a)` and `pmf(mode)` agree to a relative `1e-14`, the p-value is 1;
/// - if `a` is below the mode, `P(X <= a)` plus the upper tail `P(X > g)`, where `g` is
///   found by scipy's binary search as the last point at or above the mode with
///   `pmf(g) >= γ·pmf(a)` (nothing is added when `pmf(a + c) > γ·pmf(a)`);
/// - otherwise the mirror image: `P(X >= a)` plus `P(X <= g)`;
///
/// then the p-value is capped at 1. A row or a column of zeros gives `(NaN, 1)`.
///
/// The pmf is evaluated with Loader's saddle-point expansion (as R's `dhyper`: Stirling
/// remainders and the deviance `bd0`), which keeps a relative error of a few ulps for
/// counts up to 10^6 and beyond, so the `1e-14` tie tolerance decides as it does in
/// scipy (which uses Boost's `hypergeometric_pdf`). Tail sums run the exact ratio
/// recurrence `pmf(x ± 1) / pmf(x)` from the starting point until the remaining terms are
/// negligible (at most 2^27 terms per tail, far more than any in-memory table needs).
/// Against exact p-values (from exact pmf ratios) the reference cases agree to 2e-14
/// relative; scipy's own p-values are up to 5e-10 off on tables of about 10^6 counts,
/// where Boost switches to its Lanczos approximation.
pub fn fisher_exact_2x2(table: [[u64; 2]; 2]) -> FisherResult {
    let [[a, b], [c, d]] = table.map(|row| row.map(i128::from));
    let (row0, row1, col0, col1) = (a + b, c + d, a + c, b + d);
    if row0 == 0 || row1 == 0 || col0 == 0 || col1 == 0 {
        return FisherResult {
            odds_ratio: f64::NAN,
            p_value: 1.0,
        };
    }
    let odds_ratio = if c > 0 && b > 0 {
        // a·d and b·c as exact integers (u64 products fit in u128), then one division
        let product = |u: i128, v: i128| (u as u128 * v as u128) as f64;
        product(a, d) / product(c, b)
    } else {
        f64::INFINITY
    };
    let h = Hypergeometric {
        white: row0,
        black: row1,
        drawn: col0,
    };
    FisherResult {
        odds_ratio,
        p_value: two_sided_p(&h, a),
    }
}

/// scipy's two-sided p-value for `observed` white balls drawn.
fn two_sided_p(h: &Hypergeometric, observed: i128) -> f64 {
    const EPSILON: f64 = 1e-14;
    const GAMMA: f64 = 1.0 + EPSILON;
    let total = h.white + h.black;
    // int((n + 1) * (n1 + 1) / (n1 + n2 + 2)): a float division, truncated
    let mode_numerator = match (h.drawn + 1).checked_mul(h.white + 1) {
        Some(product) => product as f64,
        None => (h.drawn + 1) as f64 * (h.white + 1) as f64,
    };
    let mode = (mode_numerator / (total + 2) as f64) as i128;
    let p_exact = h.pmf(observed);
    let p_mode = h.pmf(mode);
    if (p_exact - p_mode).abs() / p_exact.max(p_mode) <= EPSILON {
        return 1.0;
    }
    let p = if observed < mode {
        let lower = h.lower_tail(observed);
        if h.pmf(h.drawn) > p_exact * GAMMA {
            return lower.min(1.0);
        }
        let guess = binary_search(|x| -h.pmf(x), -p_exact * GAMMA, mode, h.drawn);
        lower + h.upper_tail(guess + 1)
    } else {
        let upper = h.upper_tail(observed);
        if h.pmf(0) > p_exact * GAMMA {
            return upper.min(1.0);
        }
        let guess = binary_search(|x| h.pmf(x), p_exact * GAMMA, 0, mode);
        upper + h.lower_tail(guess)
    };
    p.min(1.0)
}

/// scipy's `_binary_search_for_binom_tst`: for `f` ascending on `lo..=hi`, the `i` with
/// `f(i) <= target < f(i + 1)` (possibly `lo - 1`).
fn binary_search(f: impl Fn(i128) -> f64, target: f64, mut lo: i128, mut hi: i128) -> i128 {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let value = f(mid);
        if value < target {
            lo = mid + 1;
        } else if value > target {
            hi = mid - 1;
        } else {
            return mid;
        }
    }
    if f(lo) <= target { lo } else { lo - 1 }
}

/// Upper bound on the terms of one tail sum: far more than the ~40 standard deviations
/// a sum needs for any table whose counts fit in memory, and a guarantee of termination
/// for absurd ones.
const MAX_TERMS: i128 = 1 << 27;

/// The number of white balls among `drawn` taken from an urn of `white` and `black`.
struct Hypergeometric {
    white: i128,
    black: i128,
    drawn: i128,
}

impl Hypergeometric {
    fn support(&self) -> (i128, i128) {
        ((self.drawn - self.black).max(0), self.drawn.min(self.white))
    }

    /// `P(X = x)`, 0 off the support.
    fn pmf(&self, x: i128) -> f64 {
        let (lo, hi) = self.support();
        if x < lo || x > hi {
            return 0.0;
        }
        let total = (self.white + self.black) as f64;
        let (white, black, drawn) = (self.white as f64, self.black as f64, self.drawn as f64);
        let p = drawn / total;
        let q = (self.white + self.black - self.drawn) as f64 / total;
        let p1 = dbinom_raw(x as f64, white, p, q);
        let p2 = dbinom_raw((self.drawn - x) as f64, black, p, q);
        let p3 = dbinom_raw(drawn, total, p, q);
        p1 * p2 / p3
    }

    /// `pmf(x - 1) / pmf(x)`.
    fn ratio_down(&self, x: i128) -> f64 {
        let (x, w, b, n) = (
            x as f64,
            self.white as f64,
            self.black as f64,
            self.drawn as f64,
        );
        x * (b - n + x) / ((w - x + 1.0) * (n - x + 1.0))
    }

    /// `pmf(x + 1) / pmf(x)`.
    fn ratio_up(&self, x: i128) -> f64 {
        let (x, w, b, n) = (
            x as f64,
            self.white as f64,
            self.black as f64,
            self.drawn as f64,
        );
        (w - x) * (n - x) / ((x + 1.0) * (b - n + x + 1.0))
    }

    /// `P(X <= k)`, summed downwards from `pmf(k)`.
    fn lower_tail(&self, k: i128) -> f64 {
        let (lo, hi) = self.support();
        if k < lo {
            return 0.0;
        }
        let start = k.min(hi);
        let mut term = self.pmf(start);
        let mut sum = term;
        // x runs from `start` down: each step adds pmf(x - 1)
        for x in ((start - MAX_TERMS).max(lo) + 1..=start).rev() {
            let ratio = self.ratio_down(x);
            term *= ratio;
            sum += term;
            if term <= 0.0 || negligible_rest(term, ratio, sum) {
                break;
            }
        }
        sum
    }

    /// `P(X >= k)`, summed upwards from `pmf(k)`.
    fn upper_tail(&self, k: i128) -> f64 {
        let (lo, hi) = self.support();
        if k > hi {
            return 0.0;
        }
        let start = k.max(lo);
        let mut term = self.pmf(start);
        let mut sum = term;
        // x runs from `start` up: each step adds pmf(x + 1)
        for x in start..hi.min(start + MAX_TERMS) {
            let ratio = self.ratio_up(x);
            term *= ratio;
            sum += term;
            if term <= 0.0 || negligible_rest(term, ratio, sum) {
                break;
            }
        }
        sum
    }
}

/// Whether the terms after `term` can be dropped: moving away from the mode the ratio of
/// consecutive terms only decreases (the pmf is log-concave), so they sum to less than
/// `term · r / (1 - r)`.
fn negligible_rest(term: f64, ratio: f64, sum: f64) -> bool {
    ratio < 1.0 && term * ratio / (1.0 - ratio) < sum * 1e-18
}

/// `ln(n!) - ln(sqrt(2πn) (n/e)^n)` for whole `n`, the remainder of Stirling's formula:
/// exact values up to 15, the asymptotic series beyond (as R's `stirlerr`).
fn stirlerr(n: f64) -> f64 {
    const SMALL: [f64; 16] = [
        0.0,
        0.08106146679532726,
        0.0413406959554093,
        0.02767792568499834,
        0.020790672103765093,
        0.016644691189821193,
        0.013876128823070748,
        0.01189670994589177,
        0.010411265261972096,
        0.009255462182712733,
        0.00833056343336287,
        0.007573675487951841,
        0.00694284010720953,
        0.006408994188004207,
        0.0059513701127588475,
        0.005554733551962801,
    ];
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 15.0 {
        return SMALL[n as usize];
    }
    let nn = n * n;
    if n > 500.0 {
        (S0 - S1 / nn) / n
    } else if n > 80.0 {
        (S0 - (S1 - S2 / nn) / nn) / n
    } else if n > 35.0 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
    }
}

/// The deviance term `x ln(x / np) + np - x`, by its series when `x` is near `np`
/// (Loader's `bd0`), so that it keeps its relative precision where it is small.
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let mut v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let s1 = s + ej / f64::from(2 * j + 1);
            #[allow(clippy::float_cmp)] // exact: the series has converged when s stops changing
            let converged = s1 == s;
            if converged {
                return s1;
            }
            s = s1;
        }
        return s;
    }
    x * (x / np).ln() + np - x
}

/// The binomial pmf `C(n, x) p^x q^(n-x)` by Loader's saddle-point expansion (R's
/// `dbinom_raw`), with `q = 1 - p` given separately for precision.
#[allow(clippy::float_cmp)] // exact: `x` and `n` are whole numbers, `p` and `q` tested for 0 and 1 ends
fn dbinom_raw(x: f64, n: f64, p: f64, q: f64) -> f64 {
    const LN_2PI: f64 = 1.8378770664093456;
    if p == 0.0 {
        return if x == 0.0 { 1.0 } else { 0.0 };
    }
    if q == 0.0 {
        return if x == n { 1.0 } else { 0.0 };
    }
    if x == 0.0 {
        if n == 0.0 {
            return 1.0;
        }
        let lc = if p < 0.1 {
            -bd0(n, n * q) - n * p
        } else {
            n * q.ln()
        };
        return lc.exp();
    }
    if x == n {
        let lc = if q < 0.1 {
            -bd0(n, n * p) - n * q
        } else {
            n * p.ln()
        };
        return lc.exp();
    }
    if x < 0.0 || x > n {
        return 0.0;
    }
    let lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
    let lf = LN_2PI + x.ln() + (-x / n).ln_1p();
    (lc - 0.5 * lf).exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use test_support::{assert_close, load_reference, relative_difference};

    fn num(v: &Value) -> f64 {
        match v {
            Value::String(s) => match s.as_str() {
                "nan" => f64::NAN,
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                other => panic!("unexpected number string {other}"),
            },
            other => other.as_f64().expect("a number"),
        }
    }

    #[test]
    #[allow(clippy::print_stderr)] // reports the measured agreement with scipy (--nocapture)
    fn matches_scipy_fisher_exact() {
        let reference = load_reference("scipy_rank_tests.json");
        let (mut worst_odds, mut worst_p, mut worst_exact) = (0.0f64, 0.0f64, 0.0f64);
        for entry in reference["fisher"].as_array().expect("fisher tables") {
            let cell = |i: usize, j: usize| entry["table"][i][j].as_u64().expect("a count");
            let table = [[cell(0, 0), cell(0, 1)], [cell(1, 0), cell(1, 1)]];
            let result = fisher_exact_2x2(table);
            let (odds, p) = (num(&entry["odds_ratio"]), num(&entry["p_value"]));
            assert_close(
                result.odds_ratio,
                odds,
                1e-9,
                0.0,
                &format!("{table:?} odds ratio"),
            );
            assert_close(
                result.p_value,
                p,
                1e-6,
                1e-12,
                &format!("{table:?} p-value"),
            );
            if let Some(exact) = entry["p_value_exact"].as_f64() {
                // exact pmf ratios: scipy itself is ~5e-10 off on the largest tables
                assert_close(
                    result.p_value,
                    exact,
                    1e-12,
                    0.0,
                    &format!("{table:?} exact p-value"),
                );
                worst_exact = worst_exact.max(relative_difference(result.p_value, exact));
            }
            if odds.is_finite() {
                worst_odds = worst_odds.max(relative_difference(result.odds_ratio, odds));
            }
            if p > 0.0 {
                worst_p = worst_p.max(relative_difference(result.p_value, p));
            }
        }
        eprintln!(
            "Fisher worst relative difference: odds ratio {worst_odds:e}, p-value {worst_p:e}; \
             p-value against the exact one {worst_exact:e}"
        );
    }

    #[test]
    fn pmf_sums_to_one_and_matches_the_exact_ratio() {
        // C(10, 3) C(15, 5) / C(25, 8) = 120 · 3003 / 1081575
        let h = Hypergeometric {
            white: 10,
            black: 15,
            drawn: 8,
        };
        assert_close(h.pmf(3), 120.0 * 3003.0 / 1_081_575.0, 1e-14, 0.0, "pmf(3)");
        let total: f64 = (0..=8).map(|x| h.pmf(x)).sum();
        assert_close(total, 1.0, 1e-14, 0.0, "total");
        assert_close(h.lower_tail(3) + h.upper_tail(4), 1.0, 1e-14, 0.0, "tails");
        let big = Hypergeometric {
            white: 1_999_000,
            black: 1_999_000,
            drawn: 1_998_500,
        };
        let x = 999_000;
        assert_close(
            big.pmf(x + 1) / big.pmf(x),
            big.ratio_up(x),
            1e-13,
            0.0,
            "ratio",
        );
    }

    #[test]
    fn symmetric_tables_are_two_sided() {
        // [[a, b], [b, a]]: swapping the columns gives the same p-value
        let p1 = fisher_exact_2x2([[3, 9], [9, 3]]).p_value;
        let p2 = fisher_exact_2x2([[9, 3], [3, 9]]).p_value;
        assert_close(p1, p2, 1e-14, 0.0, "mirror");
        let huge = fisher_exact_2x2([[u64::MAX, 1], [1, u64::MAX]]);
        assert!(huge.p_value.is_finite() && huge.odds_ratio.is_finite());
        let skewed = fisher_exact_2x2([[u64::MAX, u64::MAX], [0, u64::MAX]]);
        assert!(skewed.p_value.is_finite() && skewed.odds_ratio.is_infinite());
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_p_is_a_probability(
            a in 0u64..3000, b in 0u64..3000, c in 0u64..3000, d in 0u64..3000,
        ) {
            let result = fisher_exact_2x2([[a, b], [c, d]]);
            proptest::prop_assert!((0.0..=1.0).contains(&result.p_value), "{result:?}");
            // the two-sided p-value does not depend on which row or column comes first
            let swapped = fisher_exact_2x2([[b, a], [d, c]]);
            proptest::prop_assert!((result.p_value - swapped.p_value).abs() <= 1e-12 * result.p_value.max(1e-300));
        }
    }
}
