//! Two-sample Cramer-von Mises test, as scipy.stats.cramervonmises_2samp (evidently's `cramer_von_mises`).
//!
//! The reference is scipy 1.17.1's `cramervonmises_2samp` with `method="auto"`, of which
//! evidently 0.7.23's `_cvm_2samp` is a copy. With pooled average ranks `r`, sample sizes `n`
//! (reference) and `m` (current), `k = nm`, `N = n + m`:
//!
//! * `U = n Σ_i (r_x(i) - i)² + m Σ_j (r_y(j) - j)²` (Anderson 1962, eq. 10) and the statistic
//!   `T = U / (kN) - (4k - 1) / (6N)` (eq. 9);
//! * when `max(n, m) <= 20`, the exact p-value `P(U' >= U)` counted over lattice paths
//!   (Xiao, Gordon & Yakovlev 2006, Algorithm 1), see `exact_p_value` below;
//! * otherwise the asymptotic one: `T` standardized with its exact mean and variance (eq. 11,
//!   14, 15) to `tn`, then `p = max(0, 1 - F(tn))` with `F` the limiting one-sample
//!   distribution (Csörgő & Faraway 1996, eq. 1.2; `cdf_cvm_inf` below), and `p = 1` when
//!   `tn < 0.003`.
//!
//! `U` and `T` are evaluated in numpy's order of operations (numpy's pairwise summation
//! included), so the statistic agrees with evidently's to the last bits even where `T` is a
//! small difference of two large terms; the exact path takes `4U` in integers.
//!
//! evidently's copy differs on the exact path only: under numpy 2 it stores its lattice table
//! as `float16` or `float32` for many size pairs (8 v 8, 10 v 10, 20 v 20, ...), which rounds
//! its p-values by up to several percent (identical constant samples get p = 0.04), and it
//! raises for others (2 v 2, 3 v 5, ...). We count exactly, as scipy does, for every pair.

use crate::error::TestError;
use crate::rank::pooled_ranks;

/// The two-sample Cramér-von Mises statistic and its p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CvmResult {
    /// `T = U / (nm(n + m)) - (4nm - 1) / (6(n + m))`, evidently's (and scipy's) statistic.
    pub statistic: f64,
    /// Exact p-value for `max(n, m) <= 20`, asymptotic above, as scipy computes it.
    pub p_value: f64,
}

/// The two-sample Cramér-von Mises test, as `scipy.stats.cramervonmises_2samp(x, y)` (`method="auto"`).
///
/// `x_sorted` is the reference sample and `y_sorted` the current one; both must be finite and
/// sorted ascending. Ties get average ranks. The p-value is exact (an integer count of
/// lattice paths) when neither side has more than 20 values and asymptotic otherwise (see the
/// module docs).
///
/// # Errors
/// [`TestError::TooFewValues`] when a side has fewer than two values (evidently raises
/// "x and y must contain at least two observations").
pub fn cramer_von_mises_2samp(x_sorted: &[f64], y_sorted: &[f64]) -> Result<CvmResult, TestError> {
    let (nx, ny) = (x_sorted.len(), y_sorted.len());
    TestError::require_per_side(nx, ny, 2)?;
    let ranks = pooled_ranks(x_sorted, y_sorted);
    // numpy: u = nx * np.sum((rx - arange(1, nx + 1)) ** 2); u += ny * np.sum(...). Each
    // squared deviation is exact (a multiple of 1/4 far below 2^51); the sums are numpy's
    // pairwise ones, so u rounds as evidently's does when it exceeds 2^51.
    let u = nx as f64 * squared_rank_deviation_sum(&ranks.x)
        + ny as f64 * squared_rank_deviation_sum(&ranks.y);
    let (k, n_total) = (nx as u128 * ny as u128, (nx + ny) as u128);
    // numpy: u / (k * N) - (4 * k - 1) / (6 * N), Python integers converted to float
    let statistic = u / (k * n_total) as f64 - (4 * k - 1) as f64 / (6 * n_total) as f64;

    let p_value = if nx.max(ny) <= 20 {
        // 4U exactly, in integers (twice an average rank is an integer); numpy's float U is
        // exact at these sizes, so this is the same number
        let four_u = nx as u128 * twice_rank_deviation_squares(&ranks.x)
            + ny as u128 * twice_rank_deviation_squares(&ranks.y);
        exact_p_value(four_u, nx, ny)
    } else {
        asymptotic_p_value(statistic, nx, ny)
    };
    Ok(CvmResult { statistic, p_value })
}

/// `Σ_i (r_i - i)²` over 1-based positions `i`, summed as numpy's `np.sum` does.
fn squared_rank_deviation_sum(ranks: &[f64]) -> f64 {
    let mut terms = ranks.iter().enumerate().map(|(i, &r)| {
        let d = r - (i + 1) as f64;
        d * d
    });
    pairwise_sum(ranks.len(), &mut || terms.next().unwrap_or(0.0))
}

/// `Σ_i (2 r_i - 2 i)²` over 1-based positions `i`, exactly.
fn twice_rank_deviation_squares(ranks: &[f64]) -> u128 {
    ranks
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            // 2r is an integer below 2^53 for any realistic sample size: exact conversion
            let d = (2.0 * r) as i128 - 2 * (i as i128 + 1);
            (d * d) as u128
        })
        .sum()
}

/// evidently's asymptotic p-value: `T` standardized (Anderson 1962, eq. 11, 14, 15) and
/// referred to the limiting distribution, `p = max(0, 1 - F(tn))`, or 1 when `tn < 0.003`.
fn asymptotic_p_value(t: f64, nx: usize, ny: usize) -> f64 {
    let n_total = (nx + ny) as f64;
    let et = (1.0 + 1.0 / n_total) / 6.0;
    // (N + 1.0) * (4kN - 3(n² + m²) - 2k) / (45 N² 4k), the integer parts exact as in Python
    let (nxi, nyi) = (nx as i128, ny as i128);
    let (k, ni) = (nxi * nyi, nxi + nyi);
    let inner = 4i128
        .checked_mul(k)
        .and_then(|v| v.checked_mul(ni))
        .and_then(|v| v.checked_sub(3 * (nxi * nxi + nyi * nyi)))
        .and_then(|v| v.checked_sub(2 * k))
        .map_or_else(
            || 4.0 * k as f64 * n_total - 3.0 * (nxi * nxi + nyi * nyi) as f64 - 2.0 * k as f64,
            |v| v as f64,
        );
    let denominator = 180i128
        .checked_mul(ni * ni)
        .and_then(|v| v.checked_mul(k))
        .map_or_else(|| 180.0 * n_total * n_total * k as f64, |v| v as f64);
    let vt = (n_total + 1.0) * inner / denominator;
    let tn = 1.0 / 6.0 + (t - et) / (45.0 * vt).sqrt();
    if tn < 0.003 {
        return 1.0;
    }
    let p = 1.0 - cdf_cvm_inf(tn);
    // Python's max(0, p): 0 unless p > 0 (NaN included)
    if p > 0.0 { p } else { 0.0 }
}

/// Limiting distribution function of the one-sample Cramér-von Mises statistic, evidently's
/// (and scipy's) `_cdf_cvm_inf`: Csörgő & Faraway (1996) eq. 1.2,
///
/// `F(x) = Σ_k Γ(k + 1/2) / (Γ(k + 1) π^{3/2} √x) · √(4k + 1) · e^{-q_k} K_{1/4}(q_k)`,
/// `q_k = (4k + 1)² / (16x)`,
///
/// summed from `k = 0` until (and including) the first term below `1e-7`, exactly as evidently
/// stops, so that the truncation error is reproduced too. `Γ(k + 1/2) / Γ(k + 1)` is carried
/// by its recurrence instead of `exp(gammaln - gammaln)`; the two agree to ~1e-15 relative.
fn cdf_cvm_inf(x: f64) -> f64 {
    let scale = std::f64::consts::PI.powf(1.5) * x.sqrt();
    let mut gamma_ratio = std::f64::consts::PI.sqrt(); // Γ(1/2) / Γ(1)
    let mut total = 0.0;
    let mut k = 0u64;
    loop {
        if k > 0 {
            gamma_ratio *= (k as f64 - 0.5) / k as f64;
        }
        let u = gamma_ratio / scale;
        let y = (4 * k + 1) as f64;
        let q = y * y / (16.0 * x);
        let term = u * y.sqrt() * (-q).exp() * bessel_k(0.25, q);
        total += term;
        // numpy's `np.abs(z) >= 1e-7` keeps going; NaN stops
        if term.abs() < 1e-7 || term.is_nan() {
            return total;
        }
        k += 1;
    }
}

/// Modified Bessel function of the second kind `K_nu(x)` for real `nu` and `x > 0`, as
/// `scipy.special.kv(nu, x)`: `e^{-x}` times [`bessel_k_scaled`]. Infinite at `x = 0`, NaN
/// below. scipy (AMOS `zbesk`) flushes the result to 0 from `x ≈ 697.874` (for `nu = 1/4`)
/// while this keeps the true value down to the subnormals; the CvM series cannot tell, its
/// factor `e^{-q}` has already flushed such terms to 0.
fn bessel_k(nu: f64, x: f64) -> f64 {
    (-x).exp() * bessel_k_scaled(nu, x)
}

/// The exponentially scaled `e^{x} K_nu(x)` (scipy's `kve`), by the trapezoidal rule on
///
/// `e^{x} K_nu(x) = ∫_0^∞ exp(-2x sinh²(t/2)) cosh(nu t) dt`
///
/// (`cosh t - 1 = 2 sinh²(t/2)`, written so that large `x` loses no precision). The integrand
/// is analytic and decays double-exponentially, so the rule converges geometrically in the
/// step: with `h = min(0.2, 0.6 / √x)` the discretisation error is below 1e-17 relative for
/// every `x > 0` (the strip of analyticity is `|Im t| < π/2` for small `x`; for large `x`
/// the error behaves like `exp(-2π² / (h² x))`, hence the `1 / √x` step). Summation stops
/// once the integrand is decreasing and below 1e-18 of the running sum. Checked against
/// mpmath to 1e-15 relative over `x` in `[1e-10, 800]` during development.
fn bessel_k_scaled(nu: f64, x: f64) -> f64 {
    if x.is_nan() || nu.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::INFINITY;
    }
    if x.is_infinite() {
        return 0.0;
    }
    let h = (0.6 / x.sqrt()).min(0.2);
    let mut sum = 0.5; // half weight for the integrand at t = 0, where it is 1
    // the integrand falls below 1e-18 of the sum long before t = 1500 for x >= 1e-300
    for j in 1..20_000u32 {
        let t = f64::from(j) * h;
        let s = (0.5 * t).sinh();
        let f = (-2.0 * x * s * s).exp() * (nu * t).cosh();
        sum += f;
        if f < 1e-18 * sum && x * t.sinh() > nu.abs() {
            break;
        }
    }
    h * sum
}

/// scipy's exact p-value `_pval_cvm_2samp_exact(U, n, m)`: the share of the `C(n+m, n)`
/// equally likely rank arrangements whose statistic is at least the observed one, counted with
/// the generating-function recursion over lattice paths of Xiao, Gordon & Yakovlev (2006).
///
/// With `L = lcm(n, m)`, a path's value is `Σ (a v - b u)²` over the lattice points it visits
/// (`a = L / n`, `b = L / m`), and a path counts when its value is `>= ζ`, where
/// `ζ = ⌊L² (n + m) (6U - nm(4nm - 1)) / (6 n² m²)⌋`. numpy evaluates `ζ` as a float floor
/// division of exactly representable operands, which equals the integer floor computed here
/// from `4U`.
///
/// The count is exact (integer path counts, a `u64` suffices: `C(40, 20) < 2^38`), which is
/// the p-value of `scipy.stats.cramervonmises_2samp`.
fn exact_p_value(four_u: u128, n: usize, m: usize) -> f64 {
    ExactDistribution::new(n, m).p_value(four_u)
}

/// The lattice-path distribution of `U` for sample sizes `n` (reference) and `m` (current);
/// it answers [`exact_p_value`] for any `U`.
struct ExactDistribution {
    /// Reference sample size.
    n: usize,
    /// Current sample size.
    m: usize,
    /// `lcm(n, m)`.
    lcm: u64,
    /// `C(n + m, n)`, the number of paths.
    combinations: u64,
    /// The `(value, count)` pairs of the paths' end point.
    paths: Vec<(u64, u64)>,
}

impl ExactDistribution {
    /// Runs the recursion for sizes `n` and `m` (both at most 20 on the exact path).
    fn new(n: usize, m: usize) -> Self {
        let lcm = lcm(n as u64, m as u64);
        let (a, b) = (lcm / n as u64, lcm / m as u64);
        let combinations = u64::try_from(binomial(n + m, n)).unwrap_or(u64::MAX);
        let paths = lattice_paths(n, m, a, b);
        Self {
            n,
            m,
            lcm,
            combinations,
            paths,
        }
    }

    /// `P(U' >= U)`: the share of paths whose value reaches `zeta` for the observed `4U`.
    fn p_value(&self, four_u: u128) -> f64 {
        let (lcm, n, m) = (i128::from(self.lcm), self.n as i128, self.m as i128);
        let mn = n * m;
        // ζ = ⌊L²(n+m)(6U - mn(4mn-1)) / (6 m²n²)⌋, numerator and denominator times 4
        let zeta = (lcm * lcm * (n + m) * (6 * four_u as i128 - 4 * mn * (4 * mn - 1)))
            .div_euclid(24 * mn * mn);
        let count: u64 = self
            .paths
            .iter()
            .filter(|&&(v, _)| i128::from(v) >= zeta)
            .map(|&(_, c)| c)
            .sum();
        count as f64 / self.combinations as f64
    }
}

/// The paths ending at the far corner as `(value, count)` pairs sorted by value: the
/// recursion of `_pval_cvm_2samp_exact` over `u = 0..=m` (current size) and `v = 0..=n`
/// (reference size), where the running table absorbs `gs[v]` (counts of equal values added)
/// and then every value grows by `(a v - b u)²`.
fn lattice_paths(n: usize, m: usize, a: u64, b: u64) -> Vec<(u64, u64)> {
    let mut gs: Vec<Vec<(u64, u64)>> = vec![Vec::new(); n + 1];
    gs[0].push((0, 1));
    for u in 0..=m as u64 {
        let mut running: Vec<(u64, u64)> = Vec::new();
        for (v, g) in gs.iter_mut().enumerate() {
            running = merge_counts(&running, g);
            let d = (a * v as u64).abs_diff(b * u);
            running.iter_mut().for_each(|entry| entry.0 += d * d);
            g.clone_from(&running);
        }
    }
    gs.pop().unwrap_or_default()
}

/// Merges two value-sorted `(value, count)` lists, adding the counts of equal values.
fn merge_counts(x: &[(u64, u64)], y: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::with_capacity(x.len() + y.len());
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        match x[i].0.cmp(&y[j].0) {
            std::cmp::Ordering::Less => {
                out.push(x[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(y[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((x[i].0, x[i].1 + y[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&x[i..]);
    out.extend_from_slice(&y[j..]);
    out
}

/// numpy's pairwise summation (`FLOAT_pairwise_sum`, `DOUBLE_pairwise_sum`, in the type's
/// own precision) of `n` values drawn in order from `next`, plus the reduction's initial 0:
/// sequential below 8 values, eight interleaved accumulators up to 128, halves (cut at a
/// multiple of 8) above. The recursion visits values strictly in order.
fn pairwise_sum<T: Copy + Default + std::ops::Add<Output = T>>(
    n: usize,
    next: &mut impl FnMut() -> T,
) -> T {
    T::default() + pairwise_block(n, next)
}

/// One level of [`pairwise_sum`].
fn pairwise_block<T: Copy + Default + std::ops::Add<Output = T>>(
    n: usize,
    next: &mut impl FnMut() -> T,
) -> T {
    if n < 8 {
        let mut res = T::default();
        for _ in 0..n {
            res = res + next();
        }
        res
    } else if n <= 128 {
        let mut r = [T::default(); 8];
        for acc in &mut r {
            *acc = next();
        }
        let whole = n - n % 8;
        for _ in (8..whole).step_by(8) {
            for acc in &mut r {
                *acc = *acc + next();
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for _ in whole..n {
            res = res + next();
        }
        res
    } else {
        let half = n / 2;
        let cut = half - half % 8;
        let left = pairwise_block(cut, next);
        left + pairwise_block(n - cut, next)
    }
}

/// Greatest common divisor.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Least common multiple of two positive integers.
fn lcm(a: u64, b: u64) -> u64 {
    a / gcd(a, b) * b
}

/// `C(n, k)` exactly (the exact path only needs `n <= 40`).
fn binomial(n: usize, k: usize) -> u128 {
    let k = k.min(n - k);
    (0..k).fold(1u128, |acc, i| acc * (n - i) as u128 / (i as u128 + 1))
}

#[cfg(test)]
#[allow(clippy::print_stderr)] // the tests report their worst measured agreement
mod tests {
    use super::*;
    use crate::stattest::large_samples::large_samples;
    use serde_json::Value;
    use test_support::{assert_close, load_reference, relative_difference, sorted, sorted_numbers};

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
            let cvm = &case["cvm"];
            if cvm.is_null() {
                continue;
            }
            let got = cramer_von_mises_2samp(&x, &y).expect("computable");
            let expected_stat = cvm["statistic"].as_f64().expect("statistic");
            let expected_p = cvm["pvalue"].as_f64().expect("pvalue");
            assert_close(
                got.statistic,
                expected_stat,
                1e-9,
                0.0,
                &format!("{name}: statistic"),
            );
            assert_close(
                got.p_value,
                expected_p,
                1e-6,
                1e-12,
                &format!("{name}: p-value"),
            );
            worst_stat = worst_stat.max(relative_difference(got.statistic, expected_stat));
            worst_p = worst_p.max(relative_difference(got.p_value, expected_p));
        }
        eprintln!(
            "cvm: {} cases, worst statistic rel {worst_stat:e}, worst p rel {worst_p:e}",
            cases.len()
        );
    }

    #[test]
    fn exact_p_value_matches_scipy_for_every_size_pair() {
        let reference = reference();
        let rows = reference["cvm_exact_grid"].as_array().expect("grid");
        let mut worst = 0.0f64;
        let mut table: Option<ExactDistribution> = None;
        for row in rows {
            let (n, m) = (
                row["n"].as_u64().expect("n") as usize,
                row["m"].as_u64().expect("m") as usize,
            );
            let four_u = row["four_u"].as_u64().expect("four_u") as u128;
            let expected = row["pvalue"].as_f64().expect("pvalue");
            // one table per size pair (rows come grouped), as exact_p_value would build it
            if table.as_ref().is_none_or(|t| (t.n, t.m) != (n, m)) {
                table = Some(ExactDistribution::new(n, m));
            }
            let got = table.as_ref().map_or(f64::NAN, |t| t.p_value(four_u));
            assert_close(
                got,
                expected,
                1e-6,
                1e-12,
                &format!("exact p-value n={n} m={m} 4U={four_u}"),
            );
            worst = worst.max(relative_difference(got, expected));
        }
        eprintln!(
            "exact p-values: {} rows, worst relative difference {worst:e}",
            rows.len()
        );
    }

    #[test]
    fn matches_scipy_on_a_million_values_per_side() {
        let reference = reference();
        for entry in reference["large"].as_array().expect("large") {
            let (x, y) = large_samples(entry);
            let got = cramer_von_mises_2samp(&x, &y).expect("computable");
            let cvm = &entry["cvm"];
            let what = format!("large, shift {}", entry["shift_units"]);
            assert_close(
                got.statistic,
                cvm["statistic"].as_f64().expect("statistic"),
                1e-9,
                0.0,
                &format!("{what}: statistic"),
            );
            assert_close(
                got.p_value,
                cvm["pvalue"].as_f64().expect("pvalue"),
                1e-6,
                1e-12,
                &format!("{what}: p-value"),
            );
        }
    }

    #[test]
    fn bessel_k_quarter_matches_scipy_kv() {
        let reference = reference();
        let mut worst = 0.0f64;
        for pair in reference["kv_quarter"].as_array().expect("kv grid") {
            let (x, expected) = (pair[0].as_f64().expect("x"), pair[1].as_f64().expect("kv"));
            let got = bessel_k(0.25, x);
            if expected == 0.0 {
                // scipy (AMOS) flushes K to 0 from x = 697.874 on; the true value is < 4e-305
                assert!(x > 697.8 && got < 4e-305, "K_1/4({x}) = {got:e}, scipy 0");
                continue;
            }
            assert_close(got, expected, 1e-12, 0.0, &format!("K_1/4({x})"));
            worst = worst.max(relative_difference(got, expected));
        }
        eprintln!("kv(0.25, x): worst relative difference {worst:e}");
    }

    #[test]
    fn limiting_cdf_matches_evidently() {
        let reference = reference();
        let mut worst = 0.0f64;
        for pair in reference["cdf_cvm_inf"].as_array().expect("cdf grid") {
            let (x, expected) = (pair[0].as_f64().expect("x"), pair[1].as_f64().expect("cdf"));
            assert_close(
                cdf_cvm_inf(x),
                expected,
                1e-12,
                1e-14,
                &format!("_cdf_cvm_inf({x})"),
            );
            worst = worst.max((cdf_cvm_inf(x) - expected).abs());
        }
        eprintln!("_cdf_cvm_inf: worst absolute difference {worst:e}");
    }

    #[test]
    fn p_values_are_probabilities_on_small_tied_samples() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut draw = |modulus: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % modulus
        };
        for _ in 0..400 {
            let (nx, ny, levels) = (2 + draw(24) as usize, 2 + draw(24) as usize, 1 + draw(6));
            let x = sorted((0..nx).map(|_| draw(levels) as f64).collect());
            let y = sorted((0..ny).map(|_| draw(levels) as f64).collect());
            let r = cramer_von_mises_2samp(&x, &y).expect("two values per side");
            assert!((0.0..=1.0).contains(&r.p_value), "{nx} v {ny}: {r:?}");
            assert!(r.statistic.is_finite(), "{r:?}");
        }
    }

    #[test]
    fn too_few_values_are_refused() {
        assert_eq!(
            cramer_von_mises_2samp(&[1.0], &[1.0, 2.0]),
            Err(TestError::TooFewValues {
                need: 2,
                side: "reference",
                got: 1
            })
        );
        assert_eq!(
            cramer_von_mises_2samp(&[1.0, 2.0], &[]),
            Err(TestError::TooFewValues {
                need: 2,
                side: "current",
                got: 0
            })
        );
    }
}
