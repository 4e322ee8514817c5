//! Two-sample Kolmogorov-Smirnov test, as scipy.stats.ks_2samp with method auto.
//!
//! The statistic is `D = max_t |F1(t) - F2(t)|` over the pooled observations, where the
//! empirical distribution functions count observations `<= t`. The two-sided p-value is
//! exact (lattice-path counting) when both samples have at most 10000
//! observations, and otherwise comes from the one-sample two-sided Kolmogorov
//! distribution `P(D_n >= D)` with `n = round(n1 n2 / (n1 + n2))`, computed with the
//! regime selection of Simard and L'Ecuyer (2011) as scipy's `kstwo.sf` does.
//!
//! Reference implementation: scipy 1.17.1, `scipy/stats/_stats_py.py` (`ks_2samp`,
//! `_attempt_exact_2kssamp`, `_compute_prob_outside_square`),
//! `scipy/stats/_stats_pythran.py` (`_compute_outer_prob_inside_method`),
//! `scipy/stats/_ksstats.py` (`_kolmogn` and its helpers) and xsf's `cephes/kolmogorov.h`
//! (`smirnov`). Agreement is checked against committed scipy values in the unit tests.

use std::f64::consts::{LN_2, PI};

/// Largest sample size for which the exact p-value is attempted (scipy's `MAX_AUTO_N`).
pub(super) const MAX_EXACT_N: usize = 10_000;

/// Which p-value path was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KsMethod {
    /// Exact lattice-path probability (both samples at most 10000 observations).
    Exact,
    /// A large-sample formula: for the two-sided test the Kolmogorov distribution
    /// `kstwo.sf(D, round(n1 n2 / (n1 + n2)))`, for the one-sided tests Hodges'
    /// approximation (see [`super::ks_one_sided`]). Used for larger samples, and when the
    /// exact computation fails (leaves `[0, 1]` by rounding, or overflows).
    Asymptotic,
}

/// Outcome of [`ks_2samp`] and [`super::ks_one_sided::ks_2samp_one_sided`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsResult {
    /// Two-sided `D = max |F1 - F2|`, or one-sided `D+ = max (F1 - F2)` (`greater`) or
    /// `D- = max (F2 - F1)` (`less`); when the exact path was attempted, rounded to the
    /// lattice, `round(D L) / L` with `L = lcm(n1, n2)`, as scipy reports it.
    pub statistic: f64,
    /// p-value `P(D' >= D)` under the null hypothesis for the test's alternative, clipped
    /// to `[0, 1]`.
    pub p_value: f64,
    /// The path the p-value came from.
    pub method: KsMethod,
}

/// Two-sample two-sided Kolmogorov-Smirnov test.
///
/// Statistic: `D = max_t |F1(t) - F2(t)|`, both empirical CDFs evaluated at every pooled
/// observation with "count of values `<= t`" (numpy `searchsorted(side='right')`), computed
/// in one merge pass over the sorted slices.
///
/// p-value, matching `scipy.stats.ks_2samp(x, y, alternative='two-sided', method='auto')`
/// of scipy 1.17.1:
/// * `max(n1, n2) <= 10000`: exact. With `L = lcm(n1, n2)` and `h = round(D L)`, the
///   probability that a uniformly random lattice path from `(0, 0)` to `(n1, n2)` leaves
///   the band `|x/n1 - y/n2| < h/L` (Hodges 1958). For `n1 == n2` this is the alternating
///   series `2 sum_k (-1)^(k+1) C(2n, n-kh) / C(2n, n)` in Horner form; otherwise the
///   band-limited recursion of Viehmann (2021) that carries `1 - p` column by column.
///   If rounding pushes the exact value outside `[0, 1]` scipy abandons it, and so does
///   this function, falling back to the asymptotic path with the lattice `D`.
/// * otherwise: `kstwo.sf(D, round(n1 n2 / (n1 + n2)))`, the distribution of the one-sample
///   two-sided statistic, with scipy's choice among Ruben-Gambino closed forms, the
///   Durbin matrix (Marsaglia-Tsang-Wang), Pomeranz's recursion, the Pelz-Good expansion
///   and twice the one-sided Smirnov tail (Birnbaum-Tingey sum).
///
/// `x_sorted` and `y_sorted`: finite values sorted ascending, each non-empty (the caller
/// guarantees it; debug builds assert it). Release builds return NaN for an empty sample
/// and never panic on any other input.
pub fn ks_2samp(x_sorted: &[f64], y_sorted: &[f64]) -> KsResult {
    debug_assert!(
        !x_sorted.is_empty() && !y_sorted.is_empty(),
        "ks_2samp: empty sample"
    );
    debug_assert!(
        x_sorted.iter().chain(y_sorted).all(|v| v.is_finite()),
        "ks_2samp: non-finite value"
    );
    debug_assert!(
        x_sorted.windows(2).all(|w| w[0] <= w[1]) && y_sorted.windows(2).all(|w| w[0] <= w[1]),
        "ks_2samp: input not sorted"
    );
    if x_sorted.is_empty() || y_sorted.is_empty() {
        return KsResult {
            statistic: f64::NAN,
            p_value: f64::NAN,
            method: KsMethod::Asymptotic,
        };
    }
    ks_2samp_from_statistic(
        ks_statistic(x_sorted, y_sorted),
        x_sorted.len(),
        y_sorted.len(),
    )
}

/// [`ks_2samp`] from its statistic `d` and the sample sizes (both at least 1): the same
/// lattice rounding and p-value paths. For callers that know `D` without the samples
/// (profiles compute it from quantile sketches).
pub fn ks_2samp_from_statistic(d: f64, n1: usize, n2: usize) -> KsResult {
    let mut statistic = d;
    if n1.max(n2) <= MAX_EXACT_N {
        match exact_two_sided(n1 as u64, n2 as u64, d) {
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
    let (a, b) = (n1 as f64, n2 as f64);
    let (m, n) = if a >= b { (a, b) } else { (b, a) };
    let en = m * n / (m + n);
    let p = kstwo_sf(statistic, en.round_ties_even());
    KsResult {
        statistic,
        p_value: p.clamp(0.0, 1.0),
        method: KsMethod::Asymptotic,
    }
}

/// `max(max_t (F1 - F2), clip(-min_t (F1 - F2), 0, 1))` over the pooled values, with the
/// same floating-point operations as scipy (`i / n1 - j / n2`).
fn ks_statistic(x: &[f64], y: &[f64]) -> f64 {
    let (max_diff, min_diff) = cdf_difference_extremes(x, y);
    let min_s = (-min_diff).clamp(0.0, 1.0);
    if min_s > max_diff { min_s } else { max_diff }
}

/// `(max_t (F1 - F2), min_t (F1 - F2))` over the pooled values of two non-empty sorted
/// samples, each difference computed as scipy does (`i / n1 - j / n2`).
///
/// One merge pass over the distinct pooled values: after a value `v` and all its ties are
/// consumed, `(i, j)` are the counts of values `<= v` in either sample, which is what
/// `searchsorted(side='right')` gives at every pooled copy of `v`. The sample the next
/// value comes from always advances, so the loop also ends on (contract-violating) NaN.
pub(super) fn cdf_difference_extremes(x: &[f64], y: &[f64]) -> (f64, f64) {
    let (n1, n2) = (x.len(), y.len());
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut max_diff = f64::NEG_INFINITY;
    let mut min_diff = f64::INFINITY;
    while i < n1 || j < n2 {
        let v = if j >= n2 || (i < n1 && x[i] <= y[j]) {
            i += 1;
            x[i - 1]
        } else {
            j += 1;
            y[j - 1]
        };
        while i < n1 && x[i] <= v {
            i += 1;
        }
        while j < n2 && y[j] <= v {
            j += 1;
        }
        let diff = i as f64 / n1f - j as f64 / n2f;
        max_diff = max_diff.max(diff);
        min_diff = min_diff.min(diff);
    }
    (max_diff, min_diff)
}

/// Greatest common divisor (Euclid).
pub(super) fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// scipy's `_attempt_exact_2kssamp` for the two-sided alternative: `Ok((lattice D, p))`, or
/// `Err(lattice D)` when the exact value is not a probability (scipy then switches to the
/// asymptotic distribution).
fn exact_two_sided(n1: u64, n2: u64, d: f64) -> Result<(f64, f64), f64> {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) * n2;
    let h = (d * lcm as f64).round_ties_even();
    let lattice_d = h / lcm as f64;
    if h <= 0.0 {
        return Ok((lattice_d, 1.0));
    }
    let h = h as u64;
    let p = if n1 == n2 {
        prob_outside_square(n1, h)
    } else {
        prob_outside_band(n1, n2, g, h)
    };
    if (0.0..=1.0).contains(&p) {
        Ok((lattice_d, p))
    } else {
        Err(lattice_d)
    }
}

/// `P(D_{n,n} >= h/n)` for two samples of equal size `n`, `1 <= h <= n`:
/// `2 [A_0 (1 - A_1 (1 - A_2 (1 - ...)))]` with `A_k = C(2n, n - (k+1) h) / C(2n, n - k h)`
/// evaluated as `h` ratios each, in scipy's order of operations (its rounding decides
/// whether the exact path is accepted).
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let (n, h) = (n as i64, h as i64);
    let mut p = 0.0;
    let mut k = n / h;
    while k >= 0 {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// Proportion of monotone lattice paths from `(0, 0)` to `(m, n)` that touch
/// `|n x - m y| / g >= h` (scipy's `_compute_outer_prob_inside_method`).
///
/// `A(i, j)` is the probability that a path through `(i, j)` has already left the band;
/// inside the band `A(i, j) = (i A(i-1, j) + j A(i, j-1)) / (i + j)`, outside it is 1, and the
/// answer is `A(m, n)`. One column of `n + 1` values is kept; the band limits per column
/// follow scipy exactly, so the arithmetic is the same operation for operation.
///
/// Each cell waits for a division in its neighbour, so a single column is a serial chain.
/// [`BAND_BLOCK`] consecutive columns are therefore swept together along a diagonal
/// wavefront (column `k` of the block one row behind column `k - 1`), which gives the
/// processor independent chains to overlap without changing any cell's arithmetic.
fn prob_outside_band(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n {
        (n as i64, m as i64)
    } else {
        (m as i64, n as i64)
    };
    let (g, h) = (g as i64, h as i64);
    let (mg, ng) = (m / g, n / g);
    let ceil_div = |a: i64, b: i64| a.div_euclid(b) + i64::from(a.rem_euclid(b) != 0);
    let band = |i: i64| -> (i64, i64) {
        let minj = ((ng * i - h).div_euclid(mg) + 1).max(0).min(n);
        let maxj = ceil_div(ng * i + h, mg).min(n + 1);
        (minj, maxj)
    };
    let first_maxj = ceil_div(h, mg).min(n + 1);
    // Entries at or above the band's upper edge stay 1 for good (the edge only rises);
    // the first column is 0 inside the band.
    let mut col = vec![1.0f64; (n + 1) as usize];
    col[..first_maxj as usize].fill(0.0);

    let mut last_maxj = first_maxj;
    let mut i0 = 1;
    while i0 <= m {
        let count = (m - i0 + 1).min(BAND_BLOCK as i64) as usize;
        // Band of each column in the block; unused slots get an empty band.
        let mut lo = [0i64; BAND_BLOCK];
        let mut hi = [0i64; BAND_BLOCK];
        let mut fi = [0.0f64; BAND_BLOCK];
        let mut val = [0.0f64; BAND_BLOCK];
        for k in 0..count {
            let i = i0 + k as i64;
            let (minj, maxj) = band(i);
            if maxj <= minj {
                return 1.0;
            }
            lo[k] = minj;
            hi[k] = maxj;
            fi[k] = i as f64;
            val[k] = if minj == 0 { 0.0 } else { 1.0 };
            last_maxj = maxj;
        }
        let s_end = (0..count).map(|k| hi[k] + k as i64).max().unwrap_or(0);
        for s in lo[0]..s_end {
            for k in 0..BAND_BLOCK {
                let j = s - k as i64;
                if j >= lo[k] && j < hi[k] {
                    let cell = &mut col[j as usize];
                    let fj = j as f64;
                    val[k] = (*cell * fi[k] + val[k] * fj) / (fi[k] + fj);
                    *cell = val[k];
                }
            }
        }
        i0 += count as i64;
    }
    col[(last_maxj - 1) as usize]
}

/// Columns swept together by [`prob_outside_band`].
const BAND_BLOCK: usize = 8;

// ---------------------------------------------------------------------------------------
// The one-sample two-sided Kolmogorov distribution (scipy.stats.kstwo).
// ---------------------------------------------------------------------------------------

const LOG_2PI: f64 = 1.837_877_066_409_345_3;
const SQRT_2PI: f64 = 2.506_628_274_631_000_2;
const SQRT_3: f64 = 1.732_050_807_568_877_2;
const PI_SQUARED: f64 = 9.869_604_401_089_358;
const PI_FOUR: f64 = 97.409_091_034_002_42;
const PI_SIX: f64 = 961.389_193_575_304_3;
/// `2^128` and `2^-128`, the rescaling steps of the Durbin and Pomeranz recursions.
const EP128: f64 = 3.402_823_669_209_385e38;
const EM128: f64 = 2.938_735_877_055_719e-39;
const E128: i64 = 128;

/// `kstwo.sf(x, n)`: `P(D_n >= x)` for the one-sample two-sided statistic with `n`
/// observations. `n` must be a positive integer (NaN otherwise); `x <= 1/(2n)` gives 1 and
/// `x >= 1` gives 0, as scipy's support handling does.
fn kstwo_sf(x: f64, n: f64) -> f64 {
    if x.is_nan() || n.is_nan() || n < 1.0 || n.fract() != 0.0 {
        return f64::NAN;
    }
    if x <= 0.5 / n {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    kolmogn_sf(n as u64, x)
}

/// scipy's `_kolmogn(n, x, cdf=False)`: the Simard-L'Ecuyer regime selection.
fn kolmogn_sf(n: u64, x: f64) -> f64 {
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        // Ruben-Gambino: P(D_n < x) = n!/n^n (2t - 1)^n for 1/(2n) <= x <= 1/n.
        if t <= 0.5 {
            return 1.0;
        }
        let cdf = if n <= 140 {
            let step = 1.0 / nf;
            let base = 2.0 * t - 1.0;
            (1..=n).fold(1.0, |acc, k| acc * (k as f64 * step * base))
        } else {
            (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    if t >= nf - 1.0 {
        // Ruben-Gambino: P(D_n >= x) = 2 (1 - x)^n for x >= 1 - 1/n.
        return (2.0 * (1.0 - x).powf(nf)).clamp(0.0, 1.0);
    }
    if x >= 0.5 {
        // The two one-sided events are disjoint here, so the tail is exactly twice Smirnov's.
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let nxsquared = t * x;
    if n <= 140 {
        if nxsquared <= 0.754_693 {
            let cdf = durbin_cdf(n, x);
            return (1.0 - cdf).clamp(0.0, 1.0);
        }
        if nxsquared <= 4.0 {
            let cdf = pomeranz_cdf(n, x);
            return (1.0 - cdf).clamp(0.0, 1.0);
        }
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    if nxsquared >= 370.0 {
        return 0.0;
    }
    if nxsquared >= 2.2 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let cdf = if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        durbin_cdf(n, x)
    } else {
        pelz_good_cdf(n, x)
    };
    (1.0 - cdf).clamp(0.0, 1.0)
}

/// `ln(n! / n^n)` by Stirling's series with the `n ln n` term removed analytically.
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    // B_{2j} / (2j (2j - 1)) for j = 8, ..., 1 (highest power first).
    const STIRLING: [f64; 8] = [
        -0.029_550_653_594_771_242,   // -3617/122400
        0.006_410_256_410_256_41,     // 1/156
        -0.001_917_526_917_526_917_6, // -691/360360
        0.000_841_750_841_750_841_7,  // 1/1188
        -0.000_595_238_095_238_095_3, // -1/1680
        0.000_793_650_793_650_793_7,  // 1/1260
        -0.002_777_777_777_777_778,   // -1/360
        0.083_333_333_333_333_33,     // 1/12
    ];
    let rn = 1.0 / n;
    let z = rn / n;
    let poly = STIRLING.iter().fold(0.0, |acc, &c| acc * z + c);
    n.ln() / 2.0 - n + LOG_2PI / 2.0 + rn * poly
}

/// `x 2^e` without intermediate overflow or underflow for any `i64` exponent.
fn ldexp(mut x: f64, mut e: i64) -> f64 {
    let step = 1000;
    while e > step && x.is_finite() && x != 0.0 {
        x *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < -step && x != 0.0 {
        x *= 2f64.powi(-step as i32);
        e += step;
    }
    x * 2f64.powi(e as i32)
}

/// Square matrix product `a b` into `out` (row-major `m x m`).
fn mat_mul(a: &[f64], b: &[f64], out: &mut [f64], m: usize) {
    out.fill(0.0);
    for i in 0..m {
        let row = &mut out[i * m..(i + 1) * m];
        for (k, &aik) in a[i * m..(i + 1) * m].iter().enumerate() {
            if aik == 0.0 {
                continue;
            }
            for (o, &bkj) in row.iter_mut().zip(&b[k * m..(k + 1) * m]) {
                *o += aik * bkj;
            }
        }
    }
}

/// `P(D_n <= d)` by Durbin's matrix method as organised by Marsaglia, Tsang and Wang:
/// with `d = (k - h)/n`, `0 <= h < 1`, the answer is `n!/n^n (H^n)_{kk}` for a
/// `(2k-1) x (2k-1)` matrix `H`, powered by squaring with scaling by `2^128`.
fn durbin_cdf(n: u64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let nd = nf * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;

    // v_j = (1 - h^j)/j! (last one corrected), w_j = 1/(j-1)!
    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powf(j as f64)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powf(m as f64) - 2.0 * h.powf(m as f64);
    v[m - 1] = (1.0 + tt) * fac;

    let mut hm = vec![0.0; m * m];
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r + 1 - i];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }

    let mut pw = vec![0.0; m * m];
    for i in 0..m {
        pw[i * m + i] = 1.0;
    }
    let mut tmp = vec![0.0; m * m];
    let kk = (k - 1) * m + (k - 1);
    let mut nn = n;
    let mut expnt: i64 = 0;
    let mut h_expnt: i64 = 0;
    while nn > 0 {
        if nn % 2 == 1 {
            mat_mul(&pw, &hm, &mut tmp, m);
            std::mem::swap(&mut pw, &mut tmp);
            expnt += h_expnt;
        }
        nn /= 2;
        if nn > 0 {
            mat_mul(&hm, &hm, &mut tmp, m);
            std::mem::swap(&mut hm, &mut tmp);
            h_expnt *= 2;
            if hm[kk].abs() > EP128 {
                hm.iter_mut().for_each(|e| *e *= EM128);
                h_expnt += E128;
            }
        }
    }

    let mut p = pw[kk];
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < EM128 {
            p *= EP128;
            expnt -= E128;
        }
    }
    if expnt != 0 {
        p = ldexp(p, expnt);
    }
    p.clamp(0.0, 1.0)
}

/// Row limits `(j1, j2)` of Pomeranz's recursion for row `i`.
fn pomeranz_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let (ip1div2, ip1mod2) = ((i + 1) / 2, (i + 1) % 2);
        if ip1mod2 == 0 {
            if ip1div2 == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1)
            }
        } else {
            (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// `P(D_n <= x)` by Pomeranz's (1974) recursion: `2n + 1` rows, each the convolution of
/// the previous one with truncated Poisson weights for step lengths `g/n`, `2g/n` or
/// `(1-2g)/n`, `g = min(f, 1-f)` with `f` the fractional part of `n x`; the answer is
/// `n!` times the last entry. Rows are rescaled by `2^128` against underflow.
fn pomeranz_cdf(n: u64, x: f64) -> f64 {
    let nf = n as f64;
    let t = nf * x;
    let ll_f = t.floor();
    let ll = ll_f as i64;
    let f = t - ll_f;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    let npwrs = (2 * (ll + 1)) as usize;
    let mut gpower = vec![1.0; npwrs];
    let mut twogpower = vec![1.0; npwrs];
    let mut onem2gpower = vec![1.0; npwrs];
    let (g_over_n, two_g_over_n, one_minus_two_g_over_n) =
        (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
    for m in 1..npwrs {
        let mf = m as f64;
        gpower[m] = gpower[m - 1] * g_over_n / mf;
        twogpower[m] = twogpower[m - 1] * two_g_over_n / mf;
        onem2gpower[m] = onem2gpower[m - 1] * one_minus_two_g_over_n / mf;
    }

    let ni = n as i64;
    let mut v0 = vec![0.0; npwrs];
    let mut v1 = vec![0.0; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s) = (0i64, 0i64);
    let mut expnt: i64 = 0;
    let (mut j1, _) = pomeranz_j1j2(0, ni, ll, ceilf, roundf);
    let at = |v: &[f64], idx: i64| -> f64 {
        usize::try_from(idx)
            .ok()
            .and_then(|i| v.get(i))
            .copied()
            .unwrap_or(0.0)
    };
    for i in 1..(2 * ni + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.fill(0.0);
        let (nj1, j2) = pomeranz_j1j2(i, ni, ll, ceilf, roundf);
        j1 = nj1;
        let pwrs: &[f64] = if i == 1 || i == 2 * ni + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            // conv[c] = sum_a V0[k1 - v0s + a] pwrs[c - a], for c in j1-k1 .. j2-k1.
            let base = k1 - v0s;
            let conv_start = j1 - k1;
            let conv_len = j2 - j1 + 1;
            for (out_idx, c) in (conv_start..conv_start + conv_len).enumerate() {
                let a_lo = (c - ln2 + 1).max(0);
                let a_hi = c.min(ln2 - 1);
                let mut s = 0.0;
                for a in a_lo..=a_hi {
                    s += at(&v0, base + a) * at(pwrs, c - a);
                }
                if let Some(slot) = v1.get_mut(out_idx) {
                    *slot = s;
                }
            }
            let vmax = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if vmax > 0.0 && vmax < EM128 {
                v1.iter_mut().for_each(|e| *e *= EP128);
                expnt -= E128;
            }
            v1s = v0s + j1 - k1;
        }
    }

    let mut ans = at(&v1, ni - v1s);
    for m in 1..=n {
        if ans.abs() > EP128 {
            ans *= EM128;
            expnt += E128;
        }
        ans *= m as f64;
    }
    if expnt != 0 {
        ans = ldexp(ans, expnt);
    }
    ans.clamp(0.0, 1.0)
}

/// Pelz-Good (1976) approximation to `P(D_n <= x)`: the Li-Chien/Korolyuk expansion
/// `K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^1.5`, `z = x sqrt(n)`, with each term
/// rewritten through the Jacobi theta transformation into series in `exp(-pi^2/(8 z^2))`.
/// Not clipped (scipy clips after taking the complement).
fn pelz_good_cdf(n: u64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let z = nf.sqrt() * x;
    let zsquared = z.powf(2.0);
    let zthree = z.powf(3.0);
    let zfour = z.powf(4.0);
    let zsix = z.powf(6.0);

    let qlog = -PI_SQUARED / 8.0 / zsquared;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();

    let k1a = -zsquared;
    let k1b = PI_SQUARED / 4.0;
    let k2a = 6.0 * zsix + 2.0 * zfour;
    let k2b = (2.0 * zfour - 5.0 * zsquared) * PI_SQUARED / 4.0;
    let k2c = PI_FOUR * (1.0 - 2.0 * zsquared) / 16.0;
    let k3d = PI_SIX * (5.0 - 30.0 * zsquared) / 64.0;
    let k3c = PI_FOUR * (-60.0 * zsquared + 212.0 * zfour) / 16.0;
    let k3b = PI_SQUARED * (135.0 * zfour - 96.0 * zsix) / 4.0;
    let k3a = -30.0 * zsix - 90.0 * z.powf(8.0);

    // Horner scheme for sum_k c_k q^((2k-1)^2) over odd integers.
    let mut kk = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for k in (1..=maxk).rev() {
        let m = (2 * k - 1) as f64;
        let (msquared, mfour, msix) = (m * m, m.powi(4), m.powi(6));
        let qpower = q.powf((8 * k) as f64);
        let coeffs = [
            1.0,
            k1a + k1b * msquared,
            k2a + k2b * msquared + k2c * mfour,
            k3a + k3b * msquared + k3c * mfour + k3d * msix,
        ];
        for (acc, c) in kk.iter_mut().zip(coeffs) {
            *acc = *acc * qpower + c;
        }
    }
    let denominators = [z, 6.0 * zfour, 72.0 * z.powf(7.0), 6480.0 * z.powf(10.0)];
    for (acc, den) in kk.iter_mut().zip(denominators) {
        *acc = *acc * q * SQRT_2PI / den;
    }

    // Remaining sums over all integers k for K2 and K3.
    let q = (-PI_SQUARED / 2.0 / zsquared).exp();
    let sqrt3z = SQRT_3 * z;
    let mut k2extra = 0.0;
    let mut k3extra = 0.0;
    for k in (1..=maxk).rev() {
        let ksquared = (k * k) as f64;
        let kspi = PI * k as f64;
        let qp = q.powf(ksquared);
        k2extra += ksquared * qp;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qp;
    }
    kk[2] += k2extra * (PI_SQUARED * SQRT_2PI / (-36.0 * zthree));
    kk[3] += k3extra * (PI_SQUARED * SQRT_2PI / (216.0 * zsix));
    let powers_of_n = [1.0, nf.powf(0.5), nf, nf.powf(1.5)];
    kk.iter()
        .zip(powers_of_n)
        .fold(0.0, |acc, (k, p)| acc + k / p)
}

// ---------------------------------------------------------------------------------------
// Smirnov's one-sided distribution (scipy.special.smirnov).
// ---------------------------------------------------------------------------------------

/// `ln` of cephes' `MINLOG`, `ln(2^-1075)`: below it the one-sided tail underflows.
const MINLOG: f64 = -7.451_332_191_019_412e2;
const SMIRNOV_MAX_COMPUTE_N: u64 = 1_000_000;

/// `(hi + lo)^m` for a double-double base, `m >= 1`: `hi^m` corrected by `(1 + lo/hi)^m`.
fn pow_dd(hi: f64, lo: f64, m: i64) -> f64 {
    if m <= 0 {
        return if m == 0 {
            1.0
        } else {
            1.0 / pow_dd(hi, lo, -m)
        };
    }
    if hi == 0.0 {
        return 0.0;
    }
    let mf = m as f64;
    let ans = hi.powf(mf);
    let r = lo / hi;
    let mut adj = mf * r;
    if adj.abs() > 1e-8 {
        if adj.abs() < 1e-4 {
            adj += (mf * r) * ((mf - 1.0) / 2.0 * r);
        } else {
            adj = (mf * r.ln_1p()).exp_m1();
        }
    }
    ans + ans * adj
}

/// `(1 + y)^m` with `1 + y` carried exactly as a double-double.
fn pow_one_plus(y: f64, m: i64) -> f64 {
    let s = 1.0 + y;
    let bb = s - 1.0;
    let err = (1.0 - (s - bb)) + (y - bb);
    pow_dd(s, err, m)
}

/// Binomial coefficient `C(n, j)` as `mant * 2^exp2`, `mant` in `[1, 2)`.
struct ScaledBinomial {
    mant: f64,
    exp2: i64,
}

impl ScaledBinomial {
    /// `C(n, j) -> C(n, j + 1)`.
    fn step(&mut self, n: i64, j: i64) {
        self.mant *= (n - j) as f64 / (j + 1) as f64;
        let bits = self.mant.to_bits();
        let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
        self.mant = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023u64 << 52));
        self.exp2 += e;
    }
}

/// `smirnov(n, x) = P(D_n^+ >= x)`, the one-sided one-sample tail, as xsf's `smirnov`.
///
/// Birnbaum-Tingey: `x sum_{v=0}^{floor(n(1-x))} C(n,v) (1 - x - v/n)^(n-v) (x + v/n)^(v-1)`,
/// or, for small `x` with at most three terms, one minus the complementary upper sum.
/// Special cases as in xsf: `x <= 1/n` and `x >= 1 - 1/n` closed forms, `-2 n x^2 < MINLOG`
/// gives 0, and for `n > 10^6` the approximation `exp(-(6 n x + 1)^2 / (18 n))`.
///
/// xsf sums in double-double arithmetic; here each term is evaluated in the log domain from
/// exactly formed bases (`n x` as an error-free product), which keeps every term to about
/// `1e-10` relative and is several times faster for large `n`.
fn smirnov_sf(n: u64, x: f64) -> f64 {
    if n == 0 || x.is_nan() || !(0.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let ni = n as i64;
    // n x = nx_hi + nx_lo exactly; its floor and fractional part alpha.
    let nx_hi = nf * x;
    let nx_lo = nf.mul_add(x, -nx_hi);
    let (nxfl_f, mut alpha) = if nx_hi.floor() < nx_hi {
        let fl = nx_hi.floor();
        (fl, (nx_hi - fl) + nx_lo)
    } else {
        let lf = nx_lo.floor();
        (nx_hi + lf, nx_lo - lf)
    };
    let mut nxfl = nxfl_f as i64;
    if alpha >= 1.0 {
        nxfl += 1;
        alpha = 0.0;
    }
    let alpha_is_zero = alpha == 0.0;
    let mut n1mxfl = ni - nxfl - i64::from(!alpha_is_zero);
    let mut n1mxceil = ni - nxfl;
    if alpha_is_zero {
        n1mxfl -= 1;
        n1mxceil += 1;
    }

    if nxfl == 0 || (nxfl == 1 && alpha_is_zero) {
        // x <= 1/n: P = x (1 + x)^(n-1)
        let t = pow_one_plus(x, ni - 1);
        return 1.0 - x * t;
    }
    if -2.0 * nf * x * x < MINLOG {
        return 0.0;
    }
    if nxfl >= ni - 1 {
        // x >= 1 - 1/n: P = (1 - x)^n
        return pow_one_plus(-x, ni);
    }
    if n > SMIRNOV_MAX_COMPUTE_N {
        let logp = -(6.0 * nf * x + 1.0).powf(2.0) / 18.0 / nf;
        return if logp < -LN_2 {
            logp.exp()
        } else {
            1.0 - (-logp.exp_m1())
        };
    }

    let n_upper_terms = ni - n1mxceil + 1;
    let use_upper =
        (n_upper_terms <= 1 && x < 0.5) || (ni >= 10 && n_upper_terms <= 3 && x <= 0.5 / nf.sqrt());
    let (start, step, n_terms) = if use_upper {
        (ni, -1, n_upper_terms)
    } else {
        (0, 1, n1mxfl + 1)
    };

    // A_v = C(n, v) (1 - x - v/n)^(n-v) (x + v/n)^(v-1), with C(n, v) = C(n, j), j = |v - start|.
    let term = |v: i64, c: &ScaledBinomial| -> f64 {
        let e2 = ni - v;
        let e1 = v - 1;
        let num1 = (v as f64 + nx_hi) + nx_lo; // n (x + v/n) > 0
        let mut log_mag = c.exp2 as f64 * LN_2 + e1 as f64 * (num1 / nf).ln();
        let mut negative = false;
        if e2 > 0 {
            let num2 = ((ni - v) as f64 - nx_hi) - nx_lo; // n (1 - x - v/n)
            if num2 == 0.0 {
                return 0.0;
            }
            log_mag += e2 as f64 * (num2.abs() / nf).ln();
            negative = num2 < 0.0 && e2 % 2 == 1;
        }
        let mag = c.mant * log_mag.exp();
        if negative { -mag } else { mag }
    };

    let mut binom = ScaledBinomial { mant: 1.0, exp2: 0 };
    let mut sum = NeumaierSum::default();
    sum.add(term(start, &binom));
    binom.step(ni, 0);
    let vmid = ni / 2;
    for j in 1..n_terms {
        let v = start + j * step;
        let aj = term(v, &binom);
        if aj.is_finite() && aj != 0.0 {
            sum.add(aj);
        }
        if aj != 0.0 {
            if 4.0 * (n_terms - j) as f64 * aj.abs() < f64::EPSILON * sum.value()
                && j != n_terms - 1
            {
                break;
            }
        } else if j > vmid {
            break;
        }
        binom.step(ni, j);
    }
    let prob = x * sum.value();
    let sf = if use_upper { 1.0 - prob } else { prob };
    sf.clamp(0.0, 1.0)
}

/// Compensated (Neumaier) summation.
#[derive(Default)]
struct NeumaierSum {
    sum: f64,
    comp: f64,
}

impl NeumaierSum {
    fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.comp += (self.sum - t) + v;
        } else {
            self.comp += (v - t) + self.sum;
        }
        self.sum = t;
    }

    fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use test_support::{assert_close, load_reference, relative_difference, sorted, sorted_numbers};

    /// Largest relative difference seen, for the bounds asserted at the end of a test.
    #[derive(Default)]
    struct Worst(f64);

    impl Worst {
        fn record(&mut self, actual: f64, expected: f64) {
            self.0 = self.0.max(relative_difference(actual, expected));
        }
    }

    #[test]
    fn matches_scipy_ks_2samp() {
        let reference = load_reference("scipy_ks.json");
        let (mut stat, mut p_exact, mut p_asymp) =
            (Worst::default(), Worst::default(), Worst::default());
        for case in reference["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let x = sorted_numbers(&case["x"]);
            let y = sorted_numbers(&case["y"]);
            let expected_stat = case["statistic"].as_f64().expect("statistic");
            let expected_p = case["p_value"].as_f64().expect("p_value");
            let expected_method = match case["method"].as_str().expect("method") {
                "exact" => KsMethod::Exact,
                _ => KsMethod::Asymptotic,
            };
            let r = ks_2samp(&x, &y);
            assert_eq!(r.method, expected_method, "{name}: method");
            assert_close(
                r.statistic,
                expected_stat,
                1e-9,
                0.0,
                &format!("{name}: statistic"),
            );
            assert_close(
                r.p_value,
                expected_p,
                1e-6,
                1e-12,
                &format!("{name}: p-value"),
            );
            stat.record(r.statistic, expected_stat);
            match r.method {
                KsMethod::Exact => p_exact.record(r.p_value, expected_p),
                KsMethod::Asymptotic => p_asymp.record(r.p_value, expected_p),
            }
            // The test is symmetric in its two samples.
            let swapped = ks_2samp(&y, &x);
            assert_eq!(swapped, r, "{name}: swapping the samples");
        }
        // Observed with scipy 1.17.1: the statistic is bit-identical, the exact p-values
        // agree to a few ulps and the asymptotic ones to about 1e-13.
        assert!(
            stat.0 <= 1e-15,
            "statistic: worst relative difference {:e}",
            stat.0
        );
        assert!(
            p_exact.0 <= 1e-12,
            "exact p-value: worst relative difference {:e}",
            p_exact.0
        );
        assert!(
            p_asymp.0 <= 1e-9,
            "asymptotic p-value: worst relative difference {:e}",
            p_asymp.0
        );
    }

    #[test]
    fn kstwo_sf_matches_scipy_in_every_regime() {
        let reference = load_reference("scipy_ks.json");
        let mut covered = std::collections::BTreeSet::new();
        let mut worst = Worst::default();
        for point in reference["kstwo"].as_array().expect("kstwo") {
            let n = point["n"].as_f64().expect("n");
            let d = point["d"].as_f64().expect("d");
            let expected = point["sf"].as_f64().expect("sf");
            let regime = point["regime"].as_str().expect("regime");
            let got = kstwo_sf(d, n);
            assert_close(
                got,
                expected,
                1e-6,
                1e-12,
                &format!("kstwo.sf({d}, {n}) [{regime}]"),
            );
            if expected >= 1e-300 {
                // Below that both sides are subnormal and carry only a few digits.
                worst.record(got, expected);
            }
            covered.insert(regime.to_owned());
        }
        for regime in [
            "support_low",
            "support_high",
            "ruben_gambino_low_prod",
            "ruben_gambino_low_stirling",
            "ruben_gambino_high",
            "smirnov_x_ge_half",
            "durbin_small_n",
            "pomeranz",
            "smirnov_small_n",
            "zero_tail",
            "smirnov_large_n",
            "smirnov_large_n_approx",
            "durbin_large_n",
            "pelz_good",
            "pelz_good_underflow",
        ] {
            assert!(
                covered.contains(regime),
                "regime {regime} not covered by the reference grid"
            );
        }
        // Observed: about 2e-11 (Smirnov sums with n = 500000 terms), elsewhere <= 3e-12.
        assert!(
            worst.0 <= 1e-9,
            "kstwo.sf: worst relative difference {:e}",
            worst.0
        );
    }

    #[test]
    fn smirnov_matches_scipy() {
        let reference = load_reference("scipy_ks.json");
        let mut worst = Worst::default();
        for point in reference["smirnov"].as_array().expect("smirnov") {
            let n = point["n"].as_u64().expect("n");
            let x = point["x"].as_f64().expect("x");
            let expected = point["sf"].as_f64().expect("sf");
            let got = smirnov_sf(n, x);
            assert_close(got, expected, 1e-6, 1e-12, &format!("smirnov({n}, {x})"));
            if expected >= 1e-300 {
                worst.record(got, expected);
            }
        }
        assert!(
            worst.0 <= 1e-11,
            "smirnov: worst relative difference {:e}",
            worst.0
        );
    }

    #[test]
    fn exact_probabilities_match_scipy_bit_for_bit() {
        let reference = load_reference("scipy_ks.json");
        for point in reference["exact_prob"].as_array().expect("exact_prob") {
            let n1 = point["n1"].as_u64().expect("n1");
            let n2 = point["n2"].as_u64().expect("n2");
            let h = point["h"].as_u64().expect("h");
            let expected = f64::from_bits(point["p_bits"].as_u64().expect("p_bits"));
            let got = if n1 == n2 {
                prob_outside_square(n1, h)
            } else {
                prob_outside_band(n1, n2, gcd(n1, n2), h)
            };
            // Same operations in the same order as scipy, so the same bits; they decide
            // scipy's exact-to-asymptotic fall-back when the value rounds above 1.
            assert_eq!(
                got.to_bits(),
                expected.to_bits(),
                "n1={n1} n2={n2} h={h}: {got:e} vs {expected:e}"
            );
        }
    }

    #[test]
    fn exact_value_above_one_falls_back_to_asymptotic() {
        // scipy: _compute_prob_outside_square(5, 1) == 1.0000000000000002.
        assert!(prob_outside_square(5, 1) > 1.0);
        let r = ks_2samp(&[1.0, 3.0, 5.0, 7.0, 9.0], &[2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(r.method, KsMethod::Asymptotic);
        assert_close(r.statistic, 0.2, 1e-15, 0.0, "lattice statistic");
        assert_close(r.p_value, 1.0, 0.0, 0.0, "p-value");
    }

    #[test]
    fn method_switches_above_10000() {
        // Shifted by 100 values: D = 0.02 or so, well inside the exact method's range.
        let a: Vec<f64> = (0..10_000).map(|i| f64::from(i) * 0.5).collect();
        let b: Vec<f64> = (0..10_001).map(|i| f64::from(i) * 0.5 + 50.25).collect();
        assert_eq!(ks_2samp(&a, &b[..10_000]).method, KsMethod::Exact);
        assert_eq!(ks_2samp(&a, &b[..9_999]).method, KsMethod::Exact);
        assert_eq!(ks_2samp(&a[..9_999], &b[..10_000]).method, KsMethod::Exact);
        assert_eq!(ks_2samp(&a, &b).method, KsMethod::Asymptotic);
        assert_eq!(ks_2samp(&b, &a[..17]).method, KsMethod::Asymptotic);
    }

    #[test]
    fn small_and_degenerate_inputs_stay_in_range() {
        let samples: [&[f64]; 8] = [
            &[0.0],
            &[1.0],
            &[0.0, 0.0],
            &[0.0, 1.0],
            &[-1.0, 0.0, 0.0, 2.0],
            &[1.0, 1.0, 1.0, 1.0, 1.0],
            &[-3.0, -2.0, -1.0, 5.0, 6.0],
            &[-0.0, 1e300, 1e300],
        ];
        for x in samples {
            for y in samples {
                let r = ks_2samp(x, y);
                assert!((0.0..=1.0).contains(&r.statistic), "{x:?} {y:?}: {r:?}");
                assert!((0.0..=1.0).contains(&r.p_value), "{x:?} {y:?}: {r:?}");
            }
        }
        // Identical samples give D = 0 and p = 1 on both paths.
        let big: Vec<f64> = (0..20_000).map(|i| f64::from(i % 97)).collect();
        let big = sorted(big);
        for (x, method) in [
            (&big[..5_000], KsMethod::Exact),
            (&big[..], KsMethod::Asymptotic),
        ] {
            let r = ks_2samp(x, x);
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
            let r = ks_2samp(&x, &y);
            proptest::prop_assert!((0.0..=1.0).contains(&r.statistic), "{:?}", r);
            proptest::prop_assert!((0.0..=1.0).contains(&r.p_value), "{:?}", r);
            proptest::prop_assert_eq!(ks_2samp(&y, &x), r);
        }
    }
}
