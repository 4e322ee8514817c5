//! Ranks of pooled samples with ties averaged, as `scipy.stats.rankdata(method="average")`.

/// Average (1-based) ranks of the concatenation `x ++ y`, in that order, plus the tie sizes.
///
/// Both inputs must be sorted ascending and hold no NaN. Runs in `O(n + m)` by merging.
#[derive(Debug, Clone, PartialEq)]
pub struct PooledRanks {
    /// Ranks of `x`'s values, aligned with `x`.
    pub x: Vec<f64>,
    /// Ranks of `y`'s values, aligned with `y`.
    pub y: Vec<f64>,
    /// The size of every group of tied values in the pooled sample (groups of 1 included).
    pub tie_sizes: Vec<usize>,
}

/// Ranks `x ++ y` with average ranks for ties; see [`PooledRanks`].
pub fn pooled_ranks(x_sorted: &[f64], y_sorted: &[f64]) -> PooledRanks {
    debug_assert!(x_sorted.is_sorted_by(|a, b| a <= b) && y_sorted.is_sorted_by(|a, b| a <= b));
    let (mut rx, mut ry) = (vec![0.0; x_sorted.len()], vec![0.0; y_sorted.len()]);
    let mut tie_sizes = Vec::new();
    let (mut i, mut j) = (0usize, 0usize);
    let mut next_rank = 1usize;
    while i < x_sorted.len() || j < y_sorted.len() {
        let value = match (x_sorted.get(i), y_sorted.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => unreachable!("loop condition"),
        };
        let (i0, j0) = (i, j);
        while i < x_sorted.len() && x_sorted[i] == value {
            i += 1;
        }
        while j < y_sorted.len() && y_sorted[j] == value {
            j += 1;
        }
        let size = (i - i0) + (j - j0);
        // ranks next_rank ..= next_rank + size - 1 share their mean
        let rank = next_rank as f64 + (size as f64 - 1.0) / 2.0;
        rx[i0..i].fill(rank);
        ry[j0..j].fill(rank);
        tie_sizes.push(size);
        next_rank += size;
    }
    PooledRanks {
        x: rx,
        y: ry,
        tie_sizes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_mean_rank() {
        let ranks = pooled_ranks(&[1.0, 2.0, 2.0], &[2.0, 3.0]);
        assert_eq!(ranks.x, vec![1.0, 3.0, 3.0]);
        assert_eq!(ranks.y, vec![3.0, 5.0]);
        assert_eq!(ranks.tie_sizes, vec![1, 3, 1]);
    }
}
