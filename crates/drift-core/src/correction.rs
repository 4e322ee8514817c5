//! Multiple-testing correction of per-column p-values.

use serde::{Deserialize, Serialize};

/// How p-values are adjusted for testing many columns at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Correction {
    /// No adjustment (evidently's behaviour).
    #[default]
    None,
    /// Bonferroni: `min(1, p · m)`; controls the family-wise error rate.
    Bonferroni,
    /// Benjamini-Hochberg step-up; controls the false discovery rate.
    Bh,
}

impl Correction {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Correction::None => "none",
            Correction::Bonferroni => "bonferroni",
            Correction::Bh => "bh",
        }
    }

    /// Parses `none`, `bonferroni` or `bh`.
    pub fn from_name(name: &str) -> Option<Self> {
        [Correction::None, Correction::Bonferroni, Correction::Bh]
            .into_iter()
            .find(|c| c.name() == name)
    }

    /// Adjusted p-values, aligned with `p_values` (NaN stays NaN and is not counted in `m`).
    ///
    /// Benjamini-Hochberg: `p_(i) · m / i`, made monotone from the largest down and capped
    /// at 1, as `statsmodels.stats.multitest.multipletests(method="fdr_bh")`.
    pub fn adjust(self, p_values: &[f64]) -> Vec<f64> {
        let valid: Vec<usize> = (0..p_values.len())
            .filter(|&i| !p_values[i].is_nan())
            .collect();
        let m = valid.len() as f64;
        let mut adjusted = p_values.to_vec();
        match self {
            Correction::None => {}
            Correction::Bonferroni => {
                for &i in &valid {
                    adjusted[i] = (p_values[i] * m).min(1.0);
                }
            }
            Correction::Bh => {
                let mut order = valid;
                order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
                let mut running_min = 1.0f64;
                for (rank, &i) in order.iter().enumerate().rev() {
                    let value = p_values[i] * m / (rank + 1) as f64;
                    running_min = running_min.min(value);
                    adjusted[i] = running_min;
                }
            }
        }
        adjusted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bonferroni_multiplies_and_caps() {
        let adjusted = Correction::Bonferroni.adjust(&[0.01, 0.5, f64::NAN]);
        assert_eq!(&adjusted[..2], &[0.02, 1.0]);
        assert!(adjusted[2].is_nan());
    }

    #[test]
    fn bh_steps_up_from_the_largest() {
        // worked by hand: sorted p·m/i = 0.02, 0.02, 0.04, 0.04, already monotone
        let adjusted = Correction::Bh.adjust(&[0.01, 0.04, 0.03, 0.005]);
        for (a, e) in adjusted.iter().zip([0.02, 0.04, 0.04, 0.02]) {
            assert!((a - e).abs() < 1e-15, "{adjusted:?}");
        }
    }
}
