//! Permutation tests: evidently's `TVD` and `empirical_mmd`, seeded and deterministic.
//!
//! evidently draws its permutations from numpy's global generator, so its p-values cannot
//! be reproduced draw for draw. Ours come from [`SeededRng`]: the same seed gives the same
//! p-value, and it agrees with evidently's within the Monte Carlo error of the permutation
//! count. With `B` permutations and true p-value `p`, each estimate has standard error
//! `sqrt(p (1 - p) / B)`; two independent estimates differ by more than
//! `4 · sqrt(2 p̄ (1 - p̄) / B) + 2 / B` (`p̄` their mean, at least `1 / B`) with probability
//! below about 1e-4: the bound the reference tests check.

use super::frequencies::Frequencies;
use crate::error::TestError;
use crate::rng::SeededRng;

/// Settings of the permutation tests; defaults are evidently's counts and seed.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PermutationOptions {
    /// Seed of the permutation generator (evidently seeds numpy with 0 for TVD).
    pub seed: u64,
    /// Permutations for TVD (evidently: 1000).
    pub tvd_iterations: usize,
    /// Permutations for empirical MMD (evidently: 100).
    pub mmd_permutations: usize,
    /// Values per side above which MMD runs on a seeded subsample of this size per side:
    /// its kernel matrix has `(n + m)²` entries (evidently builds it whole and runs out of
    /// memory long before 1M values).
    pub mmd_max_per_side: usize,
}

impl Default for PermutationOptions {
    fn default() -> Self {
        PermutationOptions {
            seed: 0,
            tvd_iterations: 1000,
            mmd_permutations: 100,
            mmd_max_per_side: 2000,
        }
    }
}

/// A permutation test's observed statistic and p-value.
#[derive(Debug, Clone, PartialEq)]
pub struct PermutationResult {
    /// The statistic on the data as given.
    pub statistic: f64,
    /// Share of permutations whose statistic is at least the observed one.
    pub p_value: f64,
    /// Set when MMD ran on a subsample: the per-side sample sizes used.
    pub subsampled_to: Option<(usize, usize)>,
}

/// Total variation distance `½ Σ |r_k / n_r - c_k / n_c|` between the two sides' shares.
pub fn total_variation_distance(reference: &[u64], current: &[u64]) -> f64 {
    let n_ref: u64 = reference.iter().sum();
    let n_cur: u64 = current.iter().sum();
    0.5 * reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| (r as f64 / n_ref as f64 - c as f64 / n_cur as f64).abs())
        .sum::<f64>()
}

/// evidently's `TVD`: the total variation distance and its permutation p-value (share of
/// relabellings of the pooled values whose distance is at least the observed one).
///
/// A relabelling matters only through how many of each category land on the reference side,
/// and those counts follow the multivariate hypergeometric distribution; they are drawn
/// directly, one category at a time ([`SeededRng::hypergeometric`]), so a permutation costs
/// `O(categories · sd)` instead of `O(rows)`.
pub fn tvd_test(freq: &Frequencies, options: &PermutationOptions) -> PermutationResult {
    let observed = total_variation_distance(&freq.reference, &freq.current);
    let n_ref = freq.n_reference();
    let totals: Vec<u64> = freq
        .reference
        .iter()
        .zip(&freq.current)
        .map(|(r, c)| r + c)
        .collect();
    let pooled: u64 = totals.iter().sum();
    let mut rng = SeededRng::new(options.seed);
    let mut reference = vec![0u64; totals.len()];
    let mut current = vec![0u64; totals.len()];
    let mut at_least = 0usize;
    for _ in 0..options.tvd_iterations {
        let (mut remaining, mut to_draw) = (pooled, n_ref);
        for ((r, c), &total) in reference.iter_mut().zip(current.iter_mut()).zip(&totals) {
            let drawn = rng.hypergeometric(remaining, total, to_draw);
            (*r, *c) = (drawn, total - drawn);
            remaining -= total;
            to_draw -= drawn;
        }
        if observed <= total_variation_distance(&reference, &current) {
            at_least += 1;
        }
    }
    PermutationResult {
        statistic: observed,
        p_value: at_least as f64 / options.tvd_iterations.max(1) as f64,
        subsampled_to: None,
    }
}

/// evidently's `empirical_mmd`: the unbiased squared maximum mean discrepancy with a
/// Gaussian kernel and its permutation p-value.
///
/// The bandwidth is `σ = sqrt(½ · median(‖x_i - x_j‖²))` over all reference pairs (the
/// `nearest` median, diagonal included; 1/√2 when that is 0), as evidently; squared
/// distances are computed as `y² - 2xy + x²` in evidently's order so that kernels agree to
/// the last bit. `MMD² = Σ_{X≠} k / (n(n-1)) + Σ_{Y≠} k / (m(m-1)) - 2 Σ_{X×Y} k / (nm)`;
/// the p-value is the share of permutations with `MMD² >= ` the observed one.
///
/// # Errors
/// [`TestError::TooFewValues`] when a side has fewer than 2 values, [`TestError::Overflow`]
/// when squared distances overflow (values beyond about 1e154).
pub fn mmd_test(
    x_values: &[f64],
    y_values: &[f64],
    options: &PermutationOptions,
) -> Result<PermutationResult, TestError> {
    TestError::require_per_side(x_values.len(), y_values.len(), 2)?;
    let mut rng = SeededRng::new(options.seed);
    let cap = options.mmd_max_per_side.max(2);
    let (x, y, subsampled_to) = if x_values.len() > cap || y_values.len() > cap {
        let x = subsample(x_values, cap, &mut rng);
        let y = subsample(y_values, cap, &mut rng);
        let sizes = (x.len(), y.len());
        (x, y, Some(sizes))
    } else {
        (x_values.to_vec(), y_values.to_vec(), None)
    };
    let (n, m) = (x.len(), y.len());
    let kernel = KernelMatrix::new(&x, &y);
    let mut in_x: Vec<f64> = (0..n + m).map(|i| if i < n { 1.0 } else { 0.0 }).collect();
    let observed = kernel.mmd(&in_x, n, m);
    if !observed.is_finite() {
        return Err(TestError::Overflow(
            "squared distances overflow; rescale the column",
        ));
    }
    let mut order: Vec<usize> = (0..n + m).collect();
    let mut at_least = 0usize;
    for _ in 0..options.mmd_permutations {
        rng.choose_front(&mut order, n);
        in_x.iter_mut().for_each(|v| *v = 0.0);
        for &i in &order[..n] {
            in_x[i] = 1.0;
        }
        if observed <= kernel.mmd(&in_x, n, m) {
            at_least += 1;
        }
    }
    Ok(PermutationResult {
        statistic: observed,
        p_value: at_least as f64 / options.mmd_permutations.max(1) as f64,
        subsampled_to,
    })
}

fn subsample(values: &[f64], cap: usize, rng: &mut SeededRng) -> Vec<f64> {
    if values.len() <= cap {
        return values.to_vec();
    }
    let mut copy = values.to_vec();
    rng.choose_front(&mut copy, cap);
    copy.truncate(cap);
    copy
}

/// The pooled Gaussian kernel matrix with a zero diagonal, row-major, with row sums.
struct KernelMatrix {
    size: usize,
    entries: Vec<f64>,
    row_sums: Vec<f64>,
}

impl KernelMatrix {
    fn new(x: &[f64], y: &[f64]) -> Self {
        let sigma = median_bandwidth(x);
        let gamma = 1.0 / (2.0 * sigma * sigma);
        let pooled: Vec<f64> = x.iter().chain(y).copied().collect();
        let size = pooled.len();
        let n = x.len();
        let mut entries = vec![0.0; size * size];
        for (i, row) in entries.chunks_exact_mut(size).enumerate() {
            for (j, entry) in row.iter_mut().enumerate() {
                if i == j {
                    continue;
                }
                // evidently's blocks: Kxx = rbf(x, x), Kxy = rbf(x, y) and its transpose,
                // Kyy = rbf(y, y); rbf(a, b)[i, j] = (b_j² - 2 a_i b_j) + a_i²
                let (a, b) = if i >= n && j < n {
                    (pooled[j], pooled[i])
                } else {
                    (pooled[i], pooled[j])
                };
                let dist = (b * b - 2.0 * (a * b)) + a * a;
                *entry = (-gamma * dist).exp();
            }
        }
        let row_sums = entries
            .chunks_exact(size)
            .map(|row| row.iter().sum())
            .collect();
        KernelMatrix {
            size,
            entries,
            row_sums,
        }
    }

    /// MMD² for the labelling `in_x` (1.0 for the `n` members of X, 0.0 for Y).
    fn mmd(&self, in_x: &[f64], n: usize, m: usize) -> f64 {
        let (mut sum_xx, mut sum_yy, mut sum_yx) = (0.0, 0.0, 0.0);
        for ((row, &row_sum), &is_x) in self
            .entries
            .chunks_exact(self.size)
            .zip(&self.row_sums)
            .zip(in_x)
        {
            let to_x: f64 = row.iter().zip(in_x).map(|(k, w)| k * w).sum();
            if is_x == 1.0 {
                sum_xx += to_x;
            } else {
                sum_yy += row_sum - to_x;
                sum_yx += to_x;
            }
        }
        let (n, m) = (n as f64, m as f64);
        sum_xx / (n * (n - 1.0)) + sum_yy / (m * (m - 1.0)) - 2.0 * sum_yx / (n * m)
    }
}

/// evidently's `sigma_median`: `sqrt(½ · d)` where `d` is the `nearest` median of all `n²`
/// squared reference distances; 1/√2 when that median is 0.
fn median_bandwidth(x: &[f64]) -> f64 {
    let mut dist: Vec<f64> = Vec::with_capacity(x.len() * x.len());
    for &a in x {
        for &b in x {
            dist.push((b * b - 2.0 * (a * b)) + a * a);
        }
    }
    // numpy's "nearest": index round-half-even((N - 1) / 2)
    let virtual_index = (dist.len() - 1) as f64 * 0.5;
    let idx = virtual_index.round_ties_even() as usize;
    let (_, median, _) = dist.select_nth_unstable_by(idx, f64::total_cmp);
    let sigma = (0.5 * *median).sqrt();
    if sigma == 0.0 || sigma.is_nan() {
        0.5f64.sqrt()
    } else {
        sigma
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::CategoricalSample;

    #[test]
    fn tvd_of_disjoint_supports_is_one() {
        assert_eq!(total_variation_distance(&[3, 0], &[0, 5]), 1.0);
        assert_eq!(total_variation_distance(&[3, 3], &[5, 5]), 0.0);
    }

    #[test]
    fn tvd_permutation_is_deterministic_and_detects_a_shift() {
        let reference = CategoricalSample::from_labels(
            (0..300).map(|i| Some(if i % 3 == 0 { "a" } else { "b" })),
        );
        let current = CategoricalSample::from_labels(
            (0..300).map(|i| Some(if i % 3 == 0 { "b" } else { "a" })),
        );
        let freq = Frequencies::of_categorical(&reference, &current);
        let options = PermutationOptions::default();
        let first = tvd_test(&freq, &options);
        assert_eq!(first, tvd_test(&freq, &options));
        assert_eq!(first.p_value, 0.0);
        let same = Frequencies::of_categorical(&reference, &reference);
        assert_eq!(tvd_test(&same, &options).p_value, 1.0);
    }

    #[test]
    fn mmd_needs_two_values_per_side() {
        let err = mmd_test(&[1.0], &[1.0, 2.0], &PermutationOptions::default()).unwrap_err();
        assert_eq!(
            err,
            TestError::TooFewValues {
                need: 2,
                side: "reference",
                got: 1
            }
        );
    }
}
