//! Properties every drift test keeps on any input: p-values are probabilities, identical
//! samples never drift, symmetric statistics are symmetric, and nothing panics.

use drift_core::stattest::{self, PermutationOptions, Samples};
use drift_core::{CategoricalSample, NumericSample, ScoreKind, StatTest};
use proptest::prelude::*;

/// Permutation counts kept small so that the properties run quickly; the statistics are
/// the same, only the p-values' Monte Carlo resolution is coarser.
fn options() -> PermutationOptions {
    PermutationOptions {
        tvd_iterations: 50,
        mmd_permutations: 20,
        ..PermutationOptions::default()
    }
}

fn numeric_tests() -> impl Iterator<Item = StatTest> {
    StatTest::ALL
        .into_iter()
        .filter(|t| t.supports(drift_core::ColumnKind::Numeric))
}

fn categorical_tests() -> impl Iterator<Item = StatTest> {
    StatTest::ALL
        .into_iter()
        .filter(|t| t.supports(drift_core::ColumnKind::Categorical))
}

/// Finite values of very different scales, with ties likely.
fn values() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![
            (-5i32..5).prop_map(f64::from),
            -1e6f64..1e6,
            -1e-3f64..1e-3,
            prop::num::f64::NORMAL.prop_map(|v| v.clamp(-1e150, 1e150)),
        ],
        1..60,
    )
}

fn labels() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::sample::select(vec!["a", "b", "c", "d", "long label é"]),
        1..80,
    )
    .prop_map(|v| v.into_iter().map(str::to_owned).collect())
}

fn check_outcome(test: StatTest, outcome: &stattest::TestOutcome) -> Result<(), TestCaseError> {
    if let Some(p) = outcome.p_value {
        prop_assert!(
            p.is_nan() || (0.0..=1.0).contains(&p),
            "{test}: p-value {p}"
        );
    }
    if test.score_kind() == ScoreKind::Distance {
        prop_assert!(
            outcome.statistic.is_nan() || outcome.statistic >= 0.0,
            "{test}: distance {}",
            outcome.statistic
        );
    }
    Ok(())
}

proptest! {
    // 256 cases by default; PROPTEST_CASES=N runs more

    #[test]
    fn numeric_tests_return_probabilities_and_never_panic(x in values(), y in values()) {
        let (reference, current) = (NumericSample::from_values(&x), NumericSample::from_values(&y));
        for test in numeric_tests() {
            // an error is an acceptable answer (too few values, no spread); a panic is not
            if let Ok(outcome) = stattest::run(test, Samples::Numeric { reference: &reference, current: &current }, &options()) {
                check_outcome(test, &outcome)?;
            }
        }
    }

    #[test]
    fn categorical_tests_return_probabilities_and_never_panic(x in labels(), y in labels()) {
        let reference = CategoricalSample::from_labels(x.iter().map(Some));
        let current = CategoricalSample::from_labels(y.iter().map(Some));
        for test in categorical_tests() {
            if let Ok(outcome) = stattest::run(test, Samples::Categorical { reference: &reference, current: &current }, &options()) {
                check_outcome(test, &outcome)?;
            }
        }
    }

    #[test]
    fn identical_numeric_samples_never_drift(x in values()) {
        let sample = NumericSample::from_values(&x);
        for test in numeric_tests() {
            if let Ok(outcome) = stattest::run(test, Samples::Numeric { reference: &sample, current: &sample }, &options()) {
                let score = outcome.p_value.unwrap_or(outcome.statistic);
                // Cramér-von Mises (scipy's statistic, also evidently's) is the known exception:
                // with every value tied, T does not vanish and its p-value can be small
                let all_tied = sample.n_unique() == 1;
                if !(test == StatTest::CramerVonMises && all_tied) {
                    prop_assert!(!test.is_drift(score, test.default_threshold()), "{test} drifts on identical samples: {outcome:?}");
                }
            }
        }
    }

    #[test]
    fn identical_categorical_samples_never_drift(x in labels()) {
        let sample = CategoricalSample::from_labels(x.iter().map(Some));
        for test in categorical_tests() {
            if let Ok(outcome) = stattest::run(test, Samples::Categorical { reference: &sample, current: &sample }, &options()) {
                let score = outcome.p_value.unwrap_or(outcome.statistic);
                prop_assert!(!test.is_drift(score, test.default_threshold()), "{test} drifts on identical samples: {outcome:?}");
            }
        }
    }

    #[test]
    fn symmetric_statistics_are_symmetric(x in values(), y in values()) {
        let (a, b) = (NumericSample::from_values(&x), NumericSample::from_values(&y));
        // tests whose statistic does not depend on which side is the reference (not PSI, KL or
        // JS: evidently bins by the reference's distinct count, so sides are not interchangeable)
        for test in [StatTest::Ks, StatTest::EnergyDistance, StatTest::Anderson, StatTest::CramerVonMises, StatTest::Hellinger] {
            let forward = stattest::run(test, Samples::Numeric { reference: &a, current: &b }, &options());
            let backward = stattest::run(test, Samples::Numeric { reference: &b, current: &a }, &options());
            match (forward, backward) {
                (Ok(f), Ok(g)) => {
                    let (s, t) = (f.statistic, g.statistic);
                    prop_assert!((s - t).abs() <= 1e-9 * s.abs().max(t.abs()).max(1e-300) || (s.is_nan() && t.is_nan()), "{test}: {s} vs {t}");
                    if let (Some(p), Some(q)) = (f.p_value, g.p_value) {
                        prop_assert!((p - q).abs() <= 1e-9 || (p.is_nan() && q.is_nan()), "{test}: p {p} vs {q}");
                    }
                }
                (Err(_), Err(_)) => {}
                (f, g) => prop_assert!(false, "{test}: one direction failed: {f:?} / {g:?}"),
            }
        }
    }
}
