//! Distances between empirical distributions: evidently's `wasserstein` and `ed`, and the
//! seed's `mean_shift` heuristic.

/// Smallest reference standard deviation a distance is normed by (evidently's floor).
pub(crate) const MIN_NORM: f64 = 0.001;

/// `∫ |F_x(t) - F_y(t)|^p dt` for p = 1 or 2 between two empirical CDFs, as scipy's
/// `_cdf_distance`: the CDFs are evaluated at each pooled value and multiplied by the gap to
/// the next one. One merge pass over the sorted samples, compensated summation.
fn cdf_distance(x_sorted: &[f64], y_sorted: &[f64], p: u8) -> f64 {
    let (nx, ny) = (x_sorted.len() as f64, y_sorted.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut sum = NeumaierSum::default();
    // Advance past every copy of the smallest remaining value, then add the step to the next.
    loop {
        let value = match (x_sorted.get(i), y_sorted.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        while i < x_sorted.len() && x_sorted[i] == value {
            i += 1;
        }
        while j < y_sorted.len() && y_sorted[j] == value {
            j += 1;
        }
        let next = match (x_sorted.get(i), y_sorted.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        let gap = (i as f64 / nx - j as f64 / ny).abs();
        let delta = next - value;
        sum.add(if p == 1 {
            gap * delta
        } else {
            gap * gap * delta
        });
    }
    sum.total()
}

/// First Wasserstein distance between two samples, as `scipy.stats.wasserstein_distance`.
///
/// Inputs: finite, sorted ascending, non-empty.
pub fn wasserstein(x_sorted: &[f64], y_sorted: &[f64]) -> f64 {
    cdf_distance(x_sorted, y_sorted, 1)
}

/// evidently's `wasserstein`: the Wasserstein distance divided by the reference's
/// population standard deviation, floored at 0.001.
pub fn wasserstein_normed(x_sorted: &[f64], y_sorted: &[f64]) -> f64 {
    wasserstein(x_sorted, y_sorted) / population_std(x_sorted).max(MIN_NORM)
}

/// Energy distance `sqrt(2) · sqrt(∫ (F_x - F_y)²)`, as `scipy.stats.energy_distance`
/// (evidently's `ed`).
pub fn energy_distance(x_sorted: &[f64], y_sorted: &[f64]) -> f64 {
    std::f64::consts::SQRT_2 * cdf_distance(x_sorted, y_sorted, 2).sqrt()
}

/// The seed's heuristic, kept as `mean_shift`: `|mean(y) - mean(x)| / max(std(x), 0.001)`
/// with the reference's population standard deviation.
pub fn mean_shift(x: &[f64], y: &[f64]) -> f64 {
    (mean(y) - mean(x)).abs() / population_std(x).max(MIN_NORM)
}

/// Arithmetic mean with compensated summation (the slices are non-empty).
pub fn mean(values: &[f64]) -> f64 {
    let mut sum = NeumaierSum::default();
    values.iter().for_each(|&v| sum.add(v));
    sum.total() / values.len() as f64
}

/// Population (ddof 0) standard deviation, two-pass, as `numpy.std`.
pub fn population_std(values: &[f64]) -> f64 {
    let m = mean(values);
    let mut sum = NeumaierSum::default();
    values.iter().for_each(|&v| sum.add((v - m) * (v - m)));
    (sum.total() / values.len() as f64).sqrt()
}

/// Neumaier's compensated sum: error independent of the number of terms.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    pub(crate) fn add(&mut self, value: f64) {
        let t = self.sum + value;
        if self.sum.abs() >= value.abs() {
            self.compensation += (self.sum - t) + value;
        } else {
            self.compensation += (value - t) + self.sum;
        }
        self.sum = t;
    }

    pub(crate) fn total(self) -> f64 {
        self.sum + self.compensation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasserstein_of_a_shift_is_the_shift() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [0.5, 1.5, 2.5, 3.5];
        assert!((wasserstein(&x, &y) - 0.5).abs() < 1e-15);
        assert!((wasserstein(&y, &x) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn scipy_docstring_examples() {
        // scipy.stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) == 5.0
        assert!((wasserstein(&[0.0, 1.0, 3.0], &[5.0, 6.0, 8.0]) - 5.0).abs() < 1e-12);
        // scipy.stats.energy_distance([0], [2]) == 2.0
        assert!((energy_distance(&[0.0], &[2.0]) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn identical_samples_have_no_distance() {
        let x = [1.0, 1.0, 2.0, 5.0];
        assert_eq!(wasserstein(&x, &x), 0.0);
        assert_eq!(energy_distance(&x, &x), 0.0);
        assert_eq!(mean_shift(&x, &x), 0.0);
    }
}
