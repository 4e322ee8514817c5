//! The drift tests under evidently's names, and the primitives they are built from.
//!
//! [`StatTest`] is the registry: each test's name, the column kinds it takes, its default
//! threshold, whether its score is a p-value or a distance, and which side of the threshold
//! is drift, all as evidently 0.7 defines them. [`run`] applies one test to a cleaned pair
//! of samples. The modules below hold the statistics themselves, each documented with the
//! formula and the scipy or evidently function it matches.

pub mod anderson;
pub mod binned;
pub mod categorical;
pub mod cvm;
pub mod distance;
pub mod epps_singleton;
pub mod fisher;
pub mod frequencies;
pub mod ks;
pub mod ks_one_sided;
#[cfg(test)]
mod large_samples;
pub mod mann_whitney;
pub mod permutation;
pub mod t_test;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::column::{CategoricalSample, ColumnKind, NumericSample};
use crate::error::TestError;
use frequencies::Frequencies;
pub use permutation::PermutationOptions;

/// A univariate drift test, named as in evidently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatTest {
    /// Two-sample Kolmogorov-Smirnov, p-value (`ks`).
    Ks,
    /// Chi-square goodness of fit against reference proportions, p-value (`chisquare`).
    ChiSquare,
    /// Pooled two-proportion z-test, p-value (`z`).
    Z,
    /// Wasserstein distance normed by the reference std (`wasserstein`).
    Wasserstein,
    /// Population stability index (`psi`).
    Psi,
    /// Kullback-Leibler divergence (`kl_div`).
    KlDiv,
    /// Jensen-Shannon distance (`jensenshannon`).
    JensenShannon,
    /// Hellinger distance (`hellinger`).
    Hellinger,
    /// Anderson-Darling k-sample, p-value (`anderson`).
    Anderson,
    /// Cramér-von Mises two-sample, p-value (`cramer_von_mises`).
    CramerVonMises,
    /// Energy distance (`ed`).
    EnergyDistance,
    /// Epps-Singleton, p-value (`es`).
    EppsSingleton,
    /// Mann-Whitney U with alternative "less", p-value (`mannw`).
    MannWhitney,
    /// Student's two-sample t-test, p-value (`t_test`).
    TTest,
    /// Fisher's exact test on binary data, p-value (`fisher_exact`).
    FisherExact,
    /// G-test (log-likelihood ratio), p-value (`g_test`).
    GTest,
    /// Total variation distance, permutation p-value (`TVD`).
    Tvd,
    /// Empirical maximum mean discrepancy, permutation p-value (`empirical_mmd`).
    EmpiricalMmd,
    /// The seed's heuristic: absolute mean difference over the reference std (`mean_shift`).
    MeanShift,
}

/// Whether a test's score is a p-value (drift when small) or a distance (drift when large).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    /// Drift when the p-value is below (or at) the threshold.
    PValue,
    /// Drift when the distance is above (or at) the threshold.
    Distance,
}

impl StatTest {
    /// Every test, in the order of evidently's documentation.
    pub const ALL: [StatTest; 19] = [
        StatTest::Ks,
        StatTest::ChiSquare,
        StatTest::Z,
        StatTest::Wasserstein,
        StatTest::Psi,
        StatTest::KlDiv,
        StatTest::JensenShannon,
        StatTest::Hellinger,
        StatTest::Anderson,
        StatTest::CramerVonMises,
        StatTest::EnergyDistance,
        StatTest::EppsSingleton,
        StatTest::MannWhitney,
        StatTest::TTest,
        StatTest::FisherExact,
        StatTest::GTest,
        StatTest::Tvd,
        StatTest::EmpiricalMmd,
        StatTest::MeanShift,
    ];

    /// The test's name, exactly as evidently spells it.
    pub fn name(self) -> &'static str {
        match self {
            StatTest::Ks => "ks",
            StatTest::ChiSquare => "chisquare",
            StatTest::Z => "z",
            StatTest::Wasserstein => "wasserstein",
            StatTest::Psi => "psi",
            StatTest::KlDiv => "kl_div",
            StatTest::JensenShannon => "jensenshannon",
            StatTest::Hellinger => "hellinger",
            StatTest::Anderson => "anderson",
            StatTest::CramerVonMises => "cramer_von_mises",
            StatTest::EnergyDistance => "ed",
            StatTest::EppsSingleton => "es",
            StatTest::MannWhitney => "mannw",
            StatTest::TTest => "t_test",
            StatTest::FisherExact => "fisher_exact",
            StatTest::GTest => "g_test",
            StatTest::Tvd => "TVD",
            StatTest::EmpiricalMmd => "empirical_mmd",
            StatTest::MeanShift => "mean_shift",
        }
    }

    /// Looks a test up by its evidently name.
    pub fn from_name(name: &str) -> Option<StatTest> {
        StatTest::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Every test name, comma separated, for error messages.
    pub fn known_names() -> String {
        StatTest::ALL.map(StatTest::name).join(", ")
    }

    /// evidently's default threshold for the test.
    pub fn default_threshold(self) -> f64 {
        match self {
            StatTest::Ks
            | StatTest::ChiSquare
            | StatTest::Z
            | StatTest::EppsSingleton
            | StatTest::MannWhitney
            | StatTest::TTest => 0.05,
            StatTest::MeanShift => 0.2,
            _ => 0.1,
        }
    }

    /// Whether the score is a p-value or a distance.
    pub fn score_kind(self) -> ScoreKind {
        match self {
            StatTest::Wasserstein
            | StatTest::Psi
            | StatTest::KlDiv
            | StatTest::JensenShannon
            | StatTest::Hellinger
            | StatTest::EnergyDistance
            | StatTest::MeanShift => ScoreKind::Distance,
            _ => ScoreKind::PValue,
        }
    }

    /// Whether `score` means drift at `threshold`, with the comparison evidently uses for
    /// this test (`<=` for `ks` and `cramer_von_mises`, `<` for other p-values, `>` for
    /// `ed`, `>=` for other distances). A NaN score is never drift.
    pub fn is_drift(self, score: f64, threshold: f64) -> bool {
        match self {
            StatTest::Ks | StatTest::CramerVonMises => score <= threshold,
            StatTest::EnergyDistance => score > threshold,
            _ => match self.score_kind() {
                ScoreKind::PValue => score < threshold,
                ScoreKind::Distance => score >= threshold,
            },
        }
    }

    /// Whether evidently registers the test for this column kind when asked for it by name.
    ///
    /// (Automatic selection also applies `chisquare` and `z` to numeric columns with at most
    /// five distinct values, as evidently does; see [`crate::select`].)
    pub fn supports(self, kind: ColumnKind) -> bool {
        match self {
            StatTest::Psi | StatTest::KlDiv | StatTest::JensenShannon | StatTest::Hellinger => true,
            StatTest::ChiSquare
            | StatTest::Z
            | StatTest::FisherExact
            | StatTest::GTest
            | StatTest::Tvd => kind == ColumnKind::Categorical,
            _ => kind == ColumnKind::Numeric,
        }
    }

    /// The kinds the test takes, in words (for error messages).
    pub fn allowed_kinds(self) -> &'static str {
        match (
            self.supports(ColumnKind::Numeric),
            self.supports(ColumnKind::Categorical),
        ) {
            (true, true) => "numeric and categorical columns",
            (true, false) => "numeric columns",
            _ => "categorical columns",
        }
    }
}

impl fmt::Display for StatTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for StatTest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for StatTest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        StatTest::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown test \"{name}\"")))
    }
}

/// Two cleaned sides of one column.
#[derive(Debug, Clone, Copy)]
pub enum Samples<'a> {
    /// Numeric sides (finite values, sorted).
    Numeric {
        /// The reference side.
        reference: &'a NumericSample,
        /// The current side.
        current: &'a NumericSample,
    },
    /// Categorical sides (label counts).
    Categorical {
        /// The reference side.
        reference: &'a CategoricalSample,
        /// The current side.
        current: &'a CategoricalSample,
    },
}

impl Samples<'_> {
    /// The kind of both sides.
    pub fn kind(&self) -> ColumnKind {
        match self {
            Samples::Numeric { .. } => ColumnKind::Numeric,
            Samples::Categorical { .. } => ColumnKind::Categorical,
        }
    }

    /// Number of distinct values over both sides, without building the joint counts.
    pub fn n_unique_both(&self) -> usize {
        match self {
            Samples::Numeric { reference, current } => {
                let (x, y) = (reference.sorted(), current.sorted());
                let (mut i, mut j, mut distinct) = (0, 0, 0);
                while i < x.len() || j < y.len() {
                    let value = match (x.get(i), y.get(j)) {
                        (Some(&a), Some(&b)) => a.min(b),
                        (Some(&a), None) => a,
                        (None, Some(&b)) => b,
                        (None, None) => break,
                    };
                    while x.get(i) == Some(&value) {
                        i += 1;
                    }
                    while y.get(j) == Some(&value) {
                        j += 1;
                    }
                    distinct += 1;
                }
                distinct
            }
            Samples::Categorical { reference, current } => {
                let known = reference.labels();
                reference.n_unique()
                    + current
                        .labels()
                        .iter()
                        .filter(|l| known.binary_search(l).is_err())
                        .count()
            }
        }
    }

    /// Joint value counts (numbers or labels).
    pub fn frequencies(&self) -> Frequencies {
        match self {
            Samples::Numeric { reference, current } => Frequencies::of_numeric(reference, current),
            Samples::Categorical { reference, current } => {
                Frequencies::of_categorical(reference, current)
            }
        }
    }
}

/// The outcome of one test on one column.
#[derive(Debug, Clone, PartialEq)]
pub struct TestOutcome {
    /// The statistic or distance.
    pub statistic: f64,
    /// The p-value, for p-value tests.
    pub p_value: Option<f64>,
    /// How the p-value was obtained where a test has several ways ("exact", "asymptotic",
    /// "subsample of 2000 per side").
    pub method: Option<String>,
}

impl TestOutcome {
    fn distance(statistic: f64) -> Self {
        TestOutcome {
            statistic,
            p_value: None,
            method: None,
        }
    }

    fn p_value(statistic: f64, p_value: f64) -> Self {
        TestOutcome {
            statistic,
            p_value: Some(p_value),
            method: None,
        }
    }
}

/// Runs `test` on two cleaned, non-empty sides.
///
/// Kind checks are the caller's (see [`StatTest::supports`]); a frequency test given
/// numeric samples compares per-value counts, as evidently's automatic selection does.
///
/// # Errors
/// [`TestError`] when the test cannot be computed on these values (too few of them, no
/// spread, not binary, ...).
pub fn run(
    test: StatTest,
    samples: Samples<'_>,
    options: &PermutationOptions,
) -> Result<TestOutcome, TestError> {
    if let Samples::Numeric { reference, current } = samples {
        let (x, y) = (reference.sorted(), current.sorted());
        match test {
            StatTest::Ks => {
                let r = ks::ks_2samp(x, y);
                let method = match r.method {
                    ks::KsMethod::Exact => "exact",
                    ks::KsMethod::Asymptotic => "asymptotic",
                };
                return Ok(TestOutcome {
                    method: Some(method.into()),
                    ..TestOutcome::p_value(r.statistic, r.p_value)
                });
            }
            StatTest::Wasserstein => {
                return Ok(TestOutcome::distance(distance::wasserstein_normed(x, y)));
            }
            StatTest::EnergyDistance => {
                return Ok(TestOutcome::distance(distance::energy_distance(x, y)));
            }
            StatTest::MeanShift => return Ok(TestOutcome::distance(distance::mean_shift(x, y))),
            StatTest::Psi => {
                return Ok(TestOutcome::distance(binned::psi(&binned::numeric_shares(
                    reference, current, true,
                ))));
            }
            StatTest::KlDiv => {
                return Ok(TestOutcome::distance(binned::kl_div(
                    &binned::numeric_shares(reference, current, true),
                )));
            }
            StatTest::JensenShannon => {
                let shares = binned::numeric_shares(reference, current, false);
                return Ok(TestOutcome::distance(binned::jensen_shannon(&shares)));
            }
            StatTest::Hellinger => {
                return Ok(TestOutcome::distance(binned::hellinger_numeric(
                    reference, current,
                )));
            }
            StatTest::Anderson => {
                let r = anderson::anderson_ksamp(x, y)?;
                return Ok(TestOutcome::p_value(r.statistic, r.p_value));
            }
            StatTest::CramerVonMises => {
                let r = cvm::cramer_von_mises_2samp(x, y)?;
                let method = if x.len().max(y.len()) <= 20 {
                    "exact"
                } else {
                    "asymptotic"
                };
                return Ok(TestOutcome {
                    method: Some(method.into()),
                    ..TestOutcome::p_value(r.statistic, r.p_value)
                });
            }
            StatTest::EppsSingleton => {
                let r = epps_singleton::epps_singleton_2samp(x, y)?;
                return Ok(TestOutcome::p_value(r.statistic, r.p_value));
            }
            StatTest::MannWhitney => {
                let r = mann_whitney::mann_whitney_u(x, y, mann_whitney::Alternative::Less)?;
                return Ok(TestOutcome::p_value(r.statistic, r.p_value));
            }
            StatTest::TTest => {
                let r = t_test::t_test_ind(x, y)?;
                return Ok(TestOutcome::p_value(r.statistic, r.p_value));
            }
            StatTest::EmpiricalMmd => {
                let r = permutation::mmd_test(x, y, options)?;
                let method = r.subsampled_to.map(|(n, m)| {
                    format!("seeded subsample of {n} reference and {m} current values")
                });
                return Ok(TestOutcome {
                    method,
                    ..TestOutcome::p_value(r.statistic, r.p_value)
                });
            }
            // frequency tests on numeric values (evidently's automatic selection)
            _ => {}
        }
    }
    run_on_frequencies(test, &samples.frequencies(), options)
}

/// The frequency branch of [`run`]: `test` on joint value counts (categorical columns, and
/// numeric ones for `chisquare`, `z`, `g_test`, `TVD`, `fisher_exact`).
pub(crate) fn run_on_frequencies(
    test: StatTest,
    freq: &Frequencies,
    options: &PermutationOptions,
) -> Result<TestOutcome, TestError> {
    match test {
        StatTest::ChiSquare => {
            let r = categorical::chisquare(freq);
            Ok(TestOutcome::p_value(r.statistic, r.p_value))
        }
        StatTest::GTest => {
            let r = categorical::g_test(freq);
            Ok(TestOutcome::p_value(r.statistic, r.p_value))
        }
        StatTest::Z => {
            let r = categorical::z_test(freq);
            Ok(TestOutcome::p_value(r.statistic, r.p_value))
        }
        StatTest::Tvd => {
            let r = permutation::tvd_test(freq, options);
            Ok(TestOutcome::p_value(r.statistic, r.p_value))
        }
        StatTest::FisherExact => fisher_on_frequencies(freq),
        StatTest::Psi => Ok(TestOutcome::distance(binned::psi(
            &binned::categorical_shares(freq, true),
        ))),
        StatTest::KlDiv => Ok(TestOutcome::distance(binned::kl_div(
            &binned::categorical_shares(freq, true),
        ))),
        StatTest::JensenShannon => Ok(TestOutcome::distance(binned::jensen_shannon(
            &binned::categorical_shares(freq, false),
        ))),
        StatTest::Hellinger => Ok(TestOutcome::distance(binned::hellinger_frequencies(freq))),
        _ => Err(TestError::UnsupportedKind(ColumnKind::Categorical)),
    }
}

/// evidently's `fisher_exact`: both sides must be equally long and hold at most two values
/// between them; the 2x2 table counts each value per side.
fn fisher_on_frequencies(freq: &Frequencies) -> Result<TestOutcome, TestError> {
    let (n_ref, n_cur) = (freq.n_reference(), freq.n_current());
    if n_ref != n_cur {
        return Err(TestError::UnequalLengths {
            reference: n_ref as usize,
            current: n_cur as usize,
        });
    }
    if freq.keys.len() > 2 {
        return Err(TestError::NotBinary {
            found: freq.keys.len(),
        });
    }
    // evidently's table: [[one_cur, zero_cur], [one_ref, zero_ref]]; which value is "one"
    // does not change the two-sided p-value
    let (one_ref, one_cur) = (freq.reference[0], freq.current[0]);
    let table = [[one_cur, n_cur - one_cur], [one_ref, n_ref - one_ref]];
    let r = fisher::fisher_exact_2x2(table);
    Ok(TestOutcome::p_value(r.odds_ratio, r.p_value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_values_over_both_sides() {
        let (a, b) = (
            NumericSample::from_values(&[1.0, 1.0, 2.0]),
            NumericSample::from_values(&[2.0, 3.0]),
        );
        assert_eq!(
            Samples::Numeric {
                reference: &a,
                current: &b
            }
            .n_unique_both(),
            3
        );
        let (a, b) = (
            CategoricalSample::from_labels([Some("x"), Some("y")]),
            CategoricalSample::from_labels([Some("y"), Some("z")]),
        );
        assert_eq!(
            Samples::Categorical {
                reference: &a,
                current: &b
            }
            .n_unique_both(),
            3
        );
    }

    #[test]
    fn names_round_trip() {
        for test in StatTest::ALL {
            assert_eq!(StatTest::from_name(test.name()), Some(test));
        }
        assert_eq!(StatTest::from_name("nope"), None);
    }

    #[test]
    fn drift_sides_follow_evidently() {
        assert!(StatTest::Ks.is_drift(0.05, 0.05));
        assert!(!StatTest::ChiSquare.is_drift(0.05, 0.05));
        assert!(StatTest::Wasserstein.is_drift(0.1, 0.1));
        assert!(!StatTest::EnergyDistance.is_drift(0.1, 0.1));
        assert!(!StatTest::Ks.is_drift(f64::NAN, 0.05));
    }
}
