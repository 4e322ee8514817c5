//! Every drift test against evidently 0.7.23 itself, on the cases of
//! `reference/scripts/evidently_drift.py` (committed output: `reference/values/evidently_drift.json`).
//!
//! Scores (p-values for p-value tests, distances otherwise) must agree within 1e-6
//! relative or 1e-12 absolute for p-values and 1e-9 relative for statistics; the permutation
//! tests' p-values within their Monte Carlo bound (see `stattest::permutation`). The auto
//! rule must pick evidently's test on every case, and the drift verdict must match.

use std::collections::BTreeMap;

use drift_core::select::auto_test;
use drift_core::stattest::{self, PermutationOptions, Samples};
use drift_core::{CategoricalSample, ColumnKind, NumericSample, ScoreKind, StatTest};
use serde_json::Value;
use test_support::{assert_close, load_reference, relative_difference};

const P_REL: f64 = 1e-6;
const P_ABS: f64 = 1e-12;
const STAT_REL: f64 = 1e-9;

/// Where evidently raises and we compute, on purpose (see CHANGELOG.md, "Differs from
/// evidently"): the test name and a fragment of evidently's error.
const DELIBERATE: &[(&str, &str)] = &[
    // scipy rejects raw reference counts of another total; we scale them as chisquare does
    ("g_test", "sum of the observed frequencies"),
    // evidently's exact CvM path overflows numpy's integer dtype on some tiny inputs; we
    // count exactly, as scipy does
    ("cramer_von_mises", "UFuncTypeError"),
];

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Null => None,
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "nan" => Some(f64::NAN),
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            other => panic!("unexpected numeric token {other:?}"),
        },
        other => panic!("unexpected value {other}"),
    }
}

enum Pair {
    Numeric(NumericSample, NumericSample),
    Categorical(CategoricalSample, CategoricalSample),
}

impl Pair {
    fn from_case(case: &Value) -> Pair {
        let side = |key: &str| {
            case[key]
                .as_array()
                .unwrap_or_else(|| panic!("{key} is not a list"))
                .clone()
        };
        match case["kind"].as_str() {
            Some("numeric") => {
                let raw = |values: Vec<Value>| values.iter().map(number).collect::<Vec<_>>();
                Pair::Numeric(
                    NumericSample::from_raw(&raw(side("reference"))),
                    NumericSample::from_raw(&raw(side("current"))),
                )
            }
            Some("categorical") => {
                let labels = |values: Vec<Value>| {
                    CategoricalSample::from_labels(
                        values
                            .iter()
                            .map(|v| v.as_str().map(str::to_owned))
                            .collect::<Vec<_>>(),
                    )
                };
                Pair::Categorical(labels(side("reference")), labels(side("current")))
            }
            other => panic!("unknown kind {other:?}"),
        }
    }

    fn samples(&self) -> Samples<'_> {
        match self {
            Pair::Numeric(reference, current) => Samples::Numeric { reference, current },
            Pair::Categorical(reference, current) => Samples::Categorical { reference, current },
        }
    }

    fn max_side(&self) -> usize {
        match self {
            Pair::Numeric(r, c) => r.len().max(c.len()),
            Pair::Categorical(r, c) => r.len().max(c.len()),
        }
    }

    fn n_reference(&self) -> usize {
        match self {
            Pair::Numeric(r, _) => r.len(),
            Pair::Categorical(r, _) => r.len(),
        }
    }
}

/// Monte Carlo bound on |ours - evidently's| for two permutation p-values from `b` draws
/// each: four standard errors of their difference at the pooled estimate (at least 1/b, so
/// that two estimates of a tiny p-value are not held to zero), plus 2/b for discreteness.
fn permutation_bound(ours: f64, theirs: f64, b: f64) -> f64 {
    let pooled = ((ours + theirs) / 2.0).max(1.0 / b);
    4.0 * (2.0 * pooled * (1.0 - pooled) / b).sqrt() + 2.0 / b
}

/// Measured agreement of one test with evidently: relative where the expected value is not
/// tiny, absolute where it is (a relative error of a p-value of 1e-15 says nothing).
#[derive(Default)]
struct Agreement {
    compared: usize,
    worst_relative: f64,
    worst_absolute_small: f64,
}

impl Agreement {
    fn record(&mut self, actual: f64, expected: f64) {
        self.compared += 1;
        if expected.abs() >= 1e-9 {
            self.worst_relative = self
                .worst_relative
                .max(relative_difference(actual, expected));
        } else if !(actual.is_nan() && expected.is_nan()) {
            self.worst_absolute_small = self.worst_absolute_small.max((actual - expected).abs());
        }
    }
}

#[test]
#[allow(clippy::print_stderr)] // reports the measured agreement, quoted in the closing note
fn every_test_agrees_with_evidently() {
    let reference = load_reference("evidently_drift.json");
    let cases = reference["cases"].as_array().expect("cases");
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut worst: BTreeMap<&'static str, Agreement> = BTreeMap::new();
    let options = PermutationOptions::default();
    for case in cases {
        let name = case["name"].as_str().expect("case name");
        let pair = Pair::from_case(case);
        let samples = pair.samples();
        let kind = samples.kind();
        if pair.n_reference() > 0 {
            let auto = auto_test(kind, pair.n_reference(), samples.n_unique_both());
            assert_eq!(
                auto.name(),
                case["auto_test"].as_str().expect("auto_test"),
                "{name}: auto test"
            );
        }
        for (test_name, expected) in case["tests"].as_object().expect("tests") {
            let test = StatTest::from_name(test_name)
                .unwrap_or_else(|| panic!("unknown test {test_name}"));
            let context = format!("{name} / {test_name}");
            if test == StatTest::EppsSingleton && samples.n_unique_both() <= 4 {
                // With at most 4 distinct values the covariance of Epps-Singleton's 4 features
                // is singular and scipy's rank (its degrees of freedom) is decided by rounding
                // noise (scipy warns the test "might not be consistent"). We use the exact
                // rank, k - 1 (see stattest::epps_singleton); no value to compare here.
                continue;
            }
            let ours = stattest::run(test, samples, &options);
            if let Some(error) = expected.get("error").and_then(Value::as_str) {
                let deliberate = DELIBERATE
                    .iter()
                    .any(|(t, fragment)| t == test_name && error.contains(fragment));
                match (&ours, deliberate) {
                    (Ok(_), true) | (Err(_), false) => {}
                    (Ok(outcome), false) => {
                        panic!("{context}: evidently raises ({error}) but we computed {outcome:?}")
                    }
                    (Err(e), true) => {
                        panic!("{context}: we fail ({e}) where we deliberately compute")
                    }
                }
                continue;
            }
            let expected_score = number(&expected["score"]).unwrap_or(f64::NAN);
            let outcome = match ours {
                Ok(outcome) => outcome,
                // where scipy answers NaN for degenerate input (a t-test without degrees of
                // freedom, Epps-Singleton on two constants) we say why instead
                Err(_) if expected_score.is_nan() => continue,
                Err(e) => panic!("{context}: {e}"),
            };
            let threshold = expected["threshold"].as_f64().expect("threshold");
            assert_eq!(
                test.default_threshold(),
                threshold,
                "{context}: default threshold"
            );
            let score = match test.score_kind() {
                ScoreKind::PValue => outcome.p_value.expect("p-value tests report one"),
                ScoreKind::Distance => outcome.statistic,
            };
            if test == StatTest::CramerVonMises && pair.max_side() <= 20 {
                // evidently's exact CvM counts paths in numpy's smallest fitting dtype, which
                // numpy 2 makes float16/float32 here: its p-values are off by up to several
                // percent. Ours is scipy's exact count, checked to 1e-6 in stattest::cvm.
                continue;
            }
            let entry = worst.entry(test.name()).or_default();
            if matches!(test, StatTest::Tvd | StatTest::EmpiricalMmd) {
                let expected_statistic =
                    number(&expected["statistic"]).expect("observed statistic");
                assert_close(
                    outcome.statistic,
                    expected_statistic,
                    STAT_REL,
                    0.0,
                    &format!("{context}: statistic"),
                );
                let draws = if test == StatTest::Tvd { 1000.0 } else { 100.0 };
                let bound = permutation_bound(score, expected_score, draws);
                assert!(
                    (score - expected_score).abs() <= bound,
                    "{context}: p-value {score} vs evidently's {expected_score}, beyond the Monte Carlo bound {bound}"
                );
                entry.record(outcome.statistic, expected_statistic);
                continue;
            }
            match test.score_kind() {
                ScoreKind::PValue => assert_close(score, expected_score, P_REL, P_ABS, &context),
                ScoreKind::Distance => assert_close(score, expected_score, STAT_REL, 0.0, &context),
            }
            let expected_drift = expected["drifted"].as_bool().expect("drifted");
            assert_eq!(
                test.is_drift(score, threshold),
                expected_drift,
                "{context}: verdict (score {score})"
            );
            entry.record(score, expected_score);
        }
    }
    eprintln!(
        "agreement of the score with evidently 0.7.23 (TVD and MMD: the observed statistic):"
    );
    eprintln!(
        "  test               compared  worst relative (|expected| >= 1e-9)  worst absolute (below)"
    );
    for (test, a) in &worst {
        eprintln!(
            "  {test:<18} {:>8}  {:>35.2e}  {:>22.2e}",
            a.compared, a.worst_relative, a.worst_absolute_small
        );
    }
    let kinds_seen: Vec<ColumnKind> = cases
        .iter()
        .map(|c| {
            if c["kind"] == "numeric" {
                ColumnKind::Numeric
            } else {
                ColumnKind::Categorical
            }
        })
        .collect();
    assert!(
        kinds_seen.contains(&ColumnKind::Numeric) && kinds_seen.contains(&ColumnKind::Categorical)
    );
    for test in StatTest::ALL {
        assert!(
            worst.contains_key(test.name()),
            "no evidently case exercised {}",
            test.name()
        );
    }
}
