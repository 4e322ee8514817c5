//! Shared test helpers: tolerance assertions, loading committed reference values, and a
//! small HTTP server for tests that play a remote end ([`http`]).

use std::path::PathBuf;

pub mod http;

/// Asserts `actual` is within `rel` relative or `abs` absolute of `expected`.
///
/// NaN equals NaN here (some references are NaN on purpose); infinities must match exactly.
#[track_caller]
pub fn assert_close(actual: f64, expected: f64, rel: f64, abs: f64, what: &str) {
    if expected.is_nan() && actual.is_nan() {
        return;
    }
    if expected.is_infinite() || actual.is_infinite() {
        assert!(
            actual == expected,
            "{what}: got {actual}, expected {expected}"
        );
        return;
    }
    let diff = (actual - expected).abs();
    assert!(
        diff <= abs || diff <= rel * expected.abs(),
        "{what}: got {actual:e}, expected {expected:e} (difference {diff:e}, allowed {rel:e} relative or {abs:e} absolute)"
    );
}

/// Relative difference `|a - e| / |e|`, or the absolute one where `e` is 0; 0 for NaN == NaN.
pub fn relative_difference(actual: f64, expected: f64) -> f64 {
    if expected.is_nan() && actual.is_nan() {
        return 0.0;
    }
    let diff = (actual - expected).abs();
    if expected == 0.0 {
        diff
    } else {
        diff / expected.abs()
    }
}

/// The repository's `reference/` directory, where committed reference scripts and values live.
pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../reference")
}

/// Reads and parses `reference/values/<name>` as JSON.
///
/// # Panics
/// When the file is missing or not JSON: a test set-up error, reported loudly.
pub fn load_reference(name: &str) -> serde_json::Value {
    let path = reference_dir().join("values").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// A number from a reference file: a JSON number, or `"nan"`, `"inf"`, `"-inf"` for the
/// values JSON cannot hold.
///
/// # Panics
/// On anything else: the reference file is malformed.
pub fn number(value: &serde_json::Value) -> f64 {
    match value {
        serde_json::Value::String(s) => match s.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => panic!("unexpected number string {other:?}"),
        },
        other => other
            .as_f64()
            .unwrap_or_else(|| panic!("expected a number, got {other}")),
    }
}

/// A list of numbers from a reference file (see [`number`]).
///
/// # Panics
/// When `value` is not a list of numbers.
pub fn numbers(value: &serde_json::Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a list, got {value}"))
        .iter()
        .map(number)
        .collect()
}

/// [`numbers`], sorted ascending (the tests' inputs are sorted samples).
pub fn sorted_numbers(value: &serde_json::Value) -> Vec<f64> {
    let mut values = numbers(value);
    values.sort_by(f64::total_cmp);
    values
}

/// `values` sorted ascending (total order).
pub fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}
