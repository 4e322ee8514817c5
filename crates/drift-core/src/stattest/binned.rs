//! Divergences over binned data: evidently's `psi`, `kl_div`, `jensenshannon`, `hellinger`.
//!
//! evidently bins a numeric column with more than 20 distinct reference values into
//! Sturges bins over both samples (`numpy.histogram_bin_edges(.., bins="sturges")`) and
//! otherwise compares per-value frequencies; PSI and KL then replace empty bins by a small
//! share (its "zero replacement"). The edges and counts here follow numpy's arithmetic step
//! by step so that the divergences agree with evidently to rounding.

use super::frequencies::Frequencies;
use crate::column::{NumericSample, count_runs};

/// The two share vectors a divergence compares.
#[derive(Debug, Clone, PartialEq)]
pub struct Shares {
    /// Reference share of each bin or value.
    pub reference: Vec<f64>,
    /// Current share of each bin or value.
    pub current: Vec<f64>,
}

/// Sturges bin edges over `sorted`, as `numpy.histogram_bin_edges(sorted, bins="sturges")`.
///
/// Range `[min, max]` (widened by 0.5 each way when constant); bin width
/// `(max - min) / (log2(n) + 1)`; `ceil(range / width)` bins; edges
/// `start + i * (range / n_bins)` with the last edge set to `max`, as `numpy.linspace`.
pub fn sturges_edges(min: f64, max: f64, n: usize) -> Vec<f64> {
    let ptp = max - min;
    let (first, last) = if ptp == 0.0 {
        (min - 0.5, max + 0.5)
    } else {
        (min, max)
    };
    let width = ptp / ((n as f64).log2() + 1.0);
    let n_bins = if width != 0.0 {
        ((last - first) / width).ceil() as usize
    } else {
        1
    };
    let n_bins = n_bins.max(1);
    let step = (last - first) / n_bins as f64;
    let mut edges: Vec<f64> = (0..=n_bins).map(|i| i as f64 * step + first).collect();
    edges[n_bins] = last;
    edges
}

/// Counts of `sorted` in each bin, as `numpy.histogram(values, bins=edges)`: bins are
/// half-open `[e_i, e_{i+1})` except the last, which includes its right edge; values
/// outside the edges are not counted.
pub fn histogram(sorted: &[f64], edges: &[f64]) -> Vec<u64> {
    let n_bins = edges.len() - 1;
    // cumulative count strictly below each edge, and at or below the last edge
    let below = |edge: f64| sorted.partition_point(|&v| v < edge);
    let mut counts = Vec::with_capacity(n_bins);
    let mut previous = below(edges[0]);
    for (bin_idx, &edge) in edges[1..].iter().enumerate() {
        let upto = if bin_idx + 1 == n_bins {
            sorted.partition_point(|&v| v <= edge)
        } else {
            below(edge)
        };
        counts.push((upto - previous) as u64);
        previous = upto;
    }
    counts
}

/// Reference number of distinct values above which evidently bins numeric columns.
const MAX_UNBINNED_UNIQUE: usize = 20;

/// evidently's `get_binned_data` for a numeric column: Sturges bins over the pooled
/// sample when the reference has more than 20 distinct values, per-value shares otherwise.
pub fn numeric_shares(
    reference: &NumericSample,
    current: &NumericSample,
    fill_zeroes: bool,
) -> Shares {
    let shares = if reference.n_unique() > MAX_UNBINNED_UNIQUE {
        let (x, y) = (reference.sorted(), current.sorted());
        let min = x[0].min(y[0]);
        let max = x[x.len() - 1].max(y[y.len() - 1]);
        let edges = sturges_edges(min, max, x.len() + y.len());
        Shares {
            reference: to_shares(&histogram(x, &edges), x.len()),
            current: to_shares(&histogram(y, &edges), y.len()),
        }
    } else {
        frequency_shares(&Frequencies::of_numeric(reference, current))
    };
    if fill_zeroes { filled(shares) } else { shares }
}

/// evidently's `get_binned_data` for per-value frequencies (categorical columns).
pub fn categorical_shares(freq: &Frequencies, fill_zeroes: bool) -> Shares {
    let shares = frequency_shares(freq);
    if fill_zeroes { filled(shares) } else { shares }
}

fn frequency_shares(freq: &Frequencies) -> Shares {
    let (n_ref, n_cur) = (freq.n_reference() as usize, freq.n_current() as usize);
    Shares {
        reference: to_shares(&freq.reference, n_ref),
        current: to_shares(&freq.current, n_cur),
    }
}

fn to_shares(counts: &[u64], n: usize) -> Vec<f64> {
    counts.iter().map(|&c| c as f64 / n as f64).collect()
}

fn filled(shares: Shares) -> Shares {
    Shares {
        reference: fill_zero_shares(shares.reference),
        current: fill_zero_shares(shares.current),
    }
}

/// evidently's zero replacement: an empty bin gets `min_nonzero / 1e6` when the smallest
/// non-empty share is at most 1e-4, and 1e-4 otherwise.
fn fill_zero_shares(mut shares: Vec<f64>) -> Vec<f64> {
    let min_nonzero = shares
        .iter()
        .copied()
        .filter(|&s| s != 0.0)
        .fold(f64::INFINITY, f64::min);
    if min_nonzero.is_finite() {
        let fill = if min_nonzero <= 0.0001 {
            min_nonzero / 1e6
        } else {
            0.0001
        };
        for share in shares.iter_mut().filter(|s| **s == 0.0) {
            *share = fill;
        }
    }
    shares
}

/// Population stability index `Σ (r - c) ln(r / c)` over zero-replaced shares (evidently's `psi`).
pub fn psi(shares: &Shares) -> f64 {
    shares
        .reference
        .iter()
        .zip(&shares.current)
        .map(|(&r, &c)| (r - c) * (r / c).ln())
        .sum()
}

/// Kullback-Leibler divergence `Σ p ln(p / q)` of the reference from the current shares,
/// each renormalised to sum 1 first, as `scipy.stats.entropy(p, q)` (evidently's `kl_div`).
pub fn kl_div(shares: &Shares) -> f64 {
    let p = normalised(&shares.reference);
    let q = normalised(&shares.current);
    p.iter().zip(&q).map(|(&p, &q)| rel_entr(p, q)).sum()
}

/// Jensen-Shannon distance `sqrt((KL(p‖m) + KL(q‖m)) / 2)` with `m = (p + q) / 2`, natural
/// log, as `scipy.spatial.distance.jensenshannon(p, q)` (evidently's `jensenshannon`).
pub fn jensen_shannon(shares: &Shares) -> f64 {
    let p = normalised(&shares.reference);
    let q = normalised(&shares.current);
    let (mut left, mut right) = (0.0, 0.0);
    for (&p, &q) in p.iter().zip(&q) {
        let m = (p + q) / 2.0;
        left += rel_entr(p, m);
        right += rel_entr(q, m);
    }
    ((left + right) / 2.0).sqrt()
}

fn normalised(shares: &[f64]) -> Vec<f64> {
    let total: f64 = shares.iter().sum();
    shares.iter().map(|s| s / total).collect()
}

/// `scipy.special.rel_entr`: `p ln(p / q)`, 0 when `p = 0`, infinite when only `q = 0`.
fn rel_entr(p: f64, q: f64) -> f64 {
    if p > 0.0 && q > 0.0 {
        p * (p / q).ln()
    } else if p == 0.0 && q >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// evidently's `hellinger` on a numeric column: Sturges bins over the *distinct* values of
/// both sides, densities as `numpy.histogram(.., density=True)`, then
/// `sqrt(1 - clip(Σ sqrt(d_r d_c) · w, 0, 1))` with the mean bin width `w`.
pub fn hellinger_numeric(reference: &NumericSample, current: &NumericSample) -> f64 {
    let freq = Frequencies::of_numeric(reference, current);
    let distinct: Vec<f64> = freq
        .keys
        .iter()
        .map(|k| match k {
            super::frequencies::Key::Number(v) => *v,
            super::frequencies::Key::Label(_) => unreachable!("numeric frequencies hold numbers"),
        })
        .collect();
    debug_assert_eq!(count_runs(&distinct), distinct.len());
    let edges = sturges_edges(distinct[0], distinct[distinct.len() - 1], distinct.len());
    hellinger_binned(
        &edges,
        &histogram(reference.sorted(), &edges),
        &histogram(current.sorted(), &edges),
    )
}

/// The last step of [`hellinger_numeric`]: the distance from both sides' counts in the
/// bins `edges` (for callers that count without the samples, such as profiles).
pub fn hellinger_binned(edges: &[f64], reference: &[u64], current: &[u64]) -> f64 {
    let dr = densities(reference, edges);
    let dc = densities(current, edges);
    let bin_width = (edges[edges.len() - 1] - edges[0]) / (edges.len() - 1) as f64;
    let overlap: f64 = dr
        .iter()
        .zip(&dc)
        .map(|(&r, &c)| (r * c).sqrt() * bin_width)
        .sum();
    (1.0 - overlap.clamp(0.0, 1.0)).sqrt()
}

fn densities(counts: &[u64], edges: &[f64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .zip(edges.windows(2))
        .map(|(&c, e)| c as f64 / (e[1] - e[0]) / total as f64)
        .collect()
}

/// evidently's `hellinger` on a categorical column (or few values):
/// `sqrt(1 - clip(Σ sqrt(r_k c_k), 0, 1))` over per-value shares.
pub fn hellinger_frequencies(freq: &Frequencies) -> f64 {
    let shares = frequency_shares(freq);
    let overlap: f64 = shares
        .reference
        .iter()
        .zip(&shares.current)
        .map(|(&r, &c)| (r * c).sqrt())
        .sum();
    (1.0 - overlap.clamp(0.0, 1.0)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sturges_matches_numpy_on_a_small_case() {
        // numpy.histogram_bin_edges([0, 1, 2, 3, 4, 5, 6, 7], bins="sturges") has 4 bins
        let edges = sturges_edges(0.0, 7.0, 8);
        assert_eq!(edges, vec![0.0, 1.75, 3.5, 5.25, 7.0]);
        let counts = histogram(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], &edges);
        assert_eq!(counts, vec![2, 2, 2, 2]);
    }

    #[test]
    fn constant_data_gets_one_unit_bin() {
        assert_eq!(sturges_edges(3.0, 3.0, 10), vec![2.5, 3.5]);
    }

    #[test]
    fn zero_replacement_follows_evidently() {
        assert_eq!(
            fill_zero_shares(vec![0.5, 0.0, 0.5]),
            vec![0.5, 0.0001, 0.5]
        );
        assert_eq!(
            fill_zero_shares(vec![0.99995, 0.0, 0.00005]),
            vec![0.99995, 0.00005 / 1e6, 0.00005]
        );
    }
}
