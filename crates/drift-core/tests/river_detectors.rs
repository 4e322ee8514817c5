//! The streaming detectors against river 0.26.1 (frouros 0.9.0 for CUSUM): same indices.
//!
//! Reference values: `reference/values/river_detectors.json`, written by
//! `reference/scripts/river_detectors.py`. Deterministic detectors must signal drift (and
//! warning) at exactly river's updates; KSWIN, which samples at random, must match river's
//! detection rate and delay within their Monte Carlo error. Every detector is also
//! checkpointed through serde_json mid-stream and must carry on exactly as uninterrupted.

use drift_core::stream::{Detector, DetectorKind, Signal};
use serde_json::Value;
use test_support::{load_reference, numbers};

struct Case {
    detector: String,
    settings: Vec<(String, String)>,
    stream: String,
    drift: Vec<usize>,
    warning: Option<Vec<usize>>,
}

fn indices(value: &Value) -> Vec<usize> {
    value
        .as_array()
        .expect("a list of indices")
        .iter()
        .map(|v| v.as_u64().expect("an index") as usize)
        .collect()
}

/// A JSON parameter value as the text a user would pass to `--set`.
fn setting_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn cases(reference: &Value) -> Vec<Case> {
    reference["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|case| Case {
            detector: case["detector"].as_str().unwrap().to_owned(),
            settings: case["params"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), setting_text(v)))
                .collect(),
            stream: case["stream"].as_str().unwrap().to_owned(),
            drift: indices(&case["drift"]),
            warning: (!case["warning"].is_null()).then(|| indices(&case["warning"])),
        })
        .collect()
}

fn build(case: &Case) -> Detector {
    let settings: Vec<(&str, &str)> = case
        .settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Detector::from_name(&case.detector, &settings)
        .unwrap_or_else(|e| panic!("{} {:?}: {e}", case.detector, case.settings))
}

/// Drift and warning indices of one run.
fn run(detector: &mut Detector, values: &[f64]) -> (Vec<usize>, Vec<usize>) {
    let (mut drift, mut warning) = (Vec::new(), Vec::new());
    for (i, &x) in values.iter().enumerate() {
        match detector.update(x) {
            Signal::Drift => drift.push(i),
            Signal::Warning => warning.push(i),
            Signal::None => {}
        }
    }
    (drift, warning)
}

fn stream(reference: &Value, name: &str) -> Vec<f64> {
    numbers(&reference["streams"][name]["values"])
}

#[test]
fn deterministic_detectors_signal_at_rivers_indices() {
    let reference = load_reference("river_detectors.json");
    let cases = cases(&reference);
    let mut failures = Vec::new();
    let (mut n_drifts, mut n_warnings) = (0, 0);
    let mut kinds_seen = std::collections::BTreeSet::new();
    for case in &cases {
        let values = stream(&reference, &case.stream);
        let mut detector = build(case);
        kinds_seen.insert(detector.kind());
        let (drift, warning) = run(&mut detector, &values);
        n_drifts += case.drift.len();
        if drift != case.drift {
            failures.push(format!(
                "{} {:?} on {}: drift at {drift:?}, river at {:?}",
                case.detector, case.settings, case.stream, case.drift
            ));
        }
        let expected_warning = case.warning.clone().unwrap_or_default();
        n_warnings += expected_warning.len();
        if warning != expected_warning {
            let first = warning
                .iter()
                .zip(&expected_warning)
                .position(|(a, b)| a != b)
                .unwrap_or(warning.len().min(expected_warning.len()));
            failures.push(format!(
                "{} {:?} on {}: {} warnings, river {}; first difference at position {first}",
                case.detector,
                case.settings,
                case.stream,
                warning.len(),
                expected_warning.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // every deterministic detector was compared, on streams where it does detect
    for kind in DetectorKind::ALL {
        if kind != DetectorKind::Kswin {
            assert!(kinds_seen.contains(&kind), "{kind} has no reference case");
        }
    }
    assert!(
        n_drifts > 1000 && n_warnings > 10_000,
        "{n_drifts} {n_warnings}"
    );
    #[allow(clippy::print_stderr)] // the summary shows what was compared
    {
        eprintln!(
            "{} cases: {n_drifts} drift and {n_warnings} warning indices, all equal to river's",
            cases.len()
        );
    }
}

/// Runs `values` with a serde_json round trip of the detector after each index in
/// `checkpoints`; returns every signal.
fn run_with_checkpoints(
    mut detector: Detector,
    values: &[f64],
    checkpoints: &[usize],
) -> Vec<Signal> {
    let mut signals = Vec::with_capacity(values.len());
    for (i, &x) in values.iter().enumerate() {
        signals.push(detector.update(x));
        if checkpoints.contains(&i) {
            let json = serde_json::to_string(&detector).expect("serialize");
            let restored: Detector = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(restored, detector, "round trip changed the state");
            detector = restored;
        }
    }
    signals
}

#[test]
fn a_checkpointed_detector_carries_on_as_the_uninterrupted_one() {
    let reference = load_reference("river_detectors.json");
    let mut checked = std::collections::BTreeSet::new();
    let mut jobs: Vec<(Detector, Vec<f64>)> = cases(&reference)
        .iter()
        .filter(|case| case.settings.is_empty() && !case.drift.is_empty())
        .map(|case| (build(case), stream(&reference, &case.stream)))
        .collect();
    // KSWIN: its generator state must survive the checkpoint too
    let kswin_stream = numbers(&reference["kswin"]["change"]["streams"][0]);
    jobs.push((
        Detector::from_name("kswin", &[("seed", "3")]).unwrap(),
        kswin_stream,
    ));
    for (detector, values) in jobs {
        let uninterrupted = run_with_checkpoints(detector.clone(), &values, &[]);
        let first_drift = uninterrupted.iter().position(|&s| s == Signal::Drift);
        let n = values.len();
        let mut checkpoints = vec![0, n / 3, n / 2 + 1, 2 * n / 3];
        // right after a drift and one before it, while a warning is pending
        if let Some(i) = first_drift {
            checkpoints.extend([i, i.saturating_sub(1)]);
        }
        if let Some(i) = uninterrupted.iter().position(|&s| s == Signal::Warning) {
            checkpoints.push(i);
        }
        let resumed = run_with_checkpoints(detector.clone(), &values, &checkpoints);
        assert_eq!(
            resumed,
            uninterrupted,
            "{} with checkpoints at {checkpoints:?}",
            detector.kind()
        );
        assert!(
            first_drift.is_some(),
            "{}: no drift in the stream",
            detector.kind()
        );
        checked.insert(detector.kind());
    }
    assert_eq!(checked.len(), DetectorKind::ALL.len(), "{checked:?}");
}

/// Mean and standard error of the mean.
fn mean_and_se(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Drift indices of KSWIN with default parameters and `seed`.
fn kswin_drifts(values: &[f64], seed: u64) -> Vec<usize> {
    let seed = seed.to_string();
    let mut detector = Detector::from_name("kswin", &[("seed", &seed)]).unwrap();
    run(&mut detector, values).0
}

/// How far apart two Monte Carlo means may be: 3.5 standard errors of their difference.
const SIGMAS: f64 = 3.5;

#[test]
fn kswin_detects_as_often_and_as_fast_as_rivers() {
    let reference = load_reference("river_detectors.json");
    let kswin = &reference["kswin"];
    let n_seeds = kswin["n_seeds"].as_u64().unwrap();

    // change-free streams: detections per stream (false alarms)
    let free = &kswin["change_free"];
    let mut counts = Vec::new();
    for values in free["streams"].as_array().unwrap() {
        let values = numbers(values);
        for seed in 0..n_seeds {
            counts.push(kswin_drifts(&values, seed).len() as f64);
        }
    }
    let (ours, ours_se) = mean_and_se(&counts);
    let river = free["detections_mean"].as_f64().unwrap();
    let river_se = free["detections_se"].as_f64().unwrap();
    let allowed = SIGMAS * (ours_se.powi(2) + river_se.powi(2)).sqrt();

    // abrupt change: delay to the first detection at or after it, and misses
    let change = &kswin["change"];
    let change_at = change["change_at"].as_u64().unwrap() as usize;
    let (mut delays, mut missed, mut runs) = (Vec::new(), 0u32, 0u32);
    for values in change["streams"].as_array().unwrap() {
        let values = numbers(values);
        for seed in 0..n_seeds {
            runs += 1;
            match kswin_drifts(&values, seed)
                .into_iter()
                .find(|&i| i >= change_at)
            {
                Some(i) => delays.push((i - change_at) as f64),
                None => missed += 1,
            }
        }
    }
    let (delay, delay_se) = mean_and_se(&delays);
    let river_delay = change["delay_mean"].as_f64().unwrap();
    let river_delay_se = change["delay_se"].as_f64().unwrap();
    let delay_allowed = SIGMAS * (delay_se.powi(2) + river_delay_se.powi(2)).sqrt();
    let river_missed = change["missed"].as_f64().unwrap();
    // two proportions: pooled standard error of the difference
    let pooled = (f64::from(missed) + river_missed) / (2.0 * f64::from(runs));
    let missed_allowed =
        SIGMAS * (2.0 * pooled * (1.0 - pooled) / f64::from(runs)).sqrt() * f64::from(runs);

    #[allow(clippy::print_stderr)] // the measured agreement, for the record
    {
        eprintln!(
            "kswin false alarms per stream: ours {ours:.3} ± {ours_se:.3}, river {river:.3} ± {river_se:.3}\n\
             kswin delay: ours {delay:.2} ± {delay_se:.2}, river {river_delay:.2} ± {river_delay_se:.2}\n\
             kswin missed: ours {missed}, river {river_missed} of {runs}"
        );
    }
    assert!(
        (ours - river).abs() <= allowed,
        "false alarms per stream: ours {ours} ± {ours_se}, river {river} ± {river_se}"
    );
    assert!(
        (delay - river_delay).abs() <= delay_allowed,
        "delay: ours {delay} ± {delay_se}, river {river_delay} ± {river_delay_se}"
    );
    assert!(
        (f64::from(missed) - river_missed).abs() <= missed_allowed,
        "missed: ours {missed}, river {river_missed} of {runs}"
    );
}
