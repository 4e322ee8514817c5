//! `monitor detect` end to end: the real binary on river's reference streams, bad input.

use serde_json::Value;

use crate::support::{assert_succeeded, json_of, monitor, scratch, write};

/// river 0.26.1's detections, from `reference/scripts/river_detectors.py`.
fn river() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../reference/values/river_detectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("reading river_detectors.json"))
        .expect("river_detectors.json is JSON")
}

/// A parameter as `--set` text.
fn setting(key: &str, value: &Value) -> String {
    match value {
        Value::String(text) => format!("{key}={text}"),
        other => format!("{key}={other}"),
    }
}

/// Every index in `[first, last]` runs.
fn expand(runs: &Value) -> Vec<u64> {
    runs.as_array()
        .expect("warning runs")
        .iter()
        .flat_map(|run| {
            let (first, last) = (run[0].as_u64().expect("u64"), run[1].as_u64().expect("u64"));
            first..=last
        })
        .collect()
}

#[test]
fn detections_match_river_on_every_deterministic_reference_case() {
    let river = river();
    let dir = scratch("cli-detect-river");
    let mut files = std::collections::HashMap::new();
    let mut checked = 0;
    for case in river["cases"].as_array().expect("cases") {
        let detector = case["detector"].as_str().expect("detector");
        if detector == "kswin" {
            continue; // random sampling: compared statistically in drift-core's tests
        }
        let stream = case["stream"].as_str().expect("stream");
        let path = files
            .entry(stream.to_owned())
            .or_insert_with(|| {
                let values = river["streams"][stream]["values"]
                    .as_array()
                    .or_else(|| river["streams"][stream].as_array())
                    .expect("stream values");
                let text: String = values.iter().map(|v| format!("{v}\n")).collect();
                write(&dir, &format!("{stream}.txt"), text)
            })
            .clone();
        let mut command = monitor();
        command.args([
            "detect",
            "--detector",
            detector,
            "--format",
            "json",
            "--input",
        ]);
        command.arg(&path);
        for (key, value) in case["params"].as_object().expect("params") {
            command.args(["--set", &setting(key, value)]);
        }
        let output = command.output().expect("running monitor detect");
        assert_succeeded(&output);
        let result = json_of(&output.stdout);
        let label = format!("{detector} {} on {stream}", case["params"]);
        assert_eq!(result["schema_version"], 1, "{label}");
        assert_eq!(result["detector"], detector, "{label}");
        assert_eq!(result["detections"], case["drift"], "{label}");
        if let Some(warnings) = case["warning"].as_array() {
            let expected: Vec<u64> = warnings.iter().filter_map(Value::as_u64).collect();
            assert_eq!(expand(&result["warnings"]), expected, "{label}");
        }
        for (key, value) in case["params"].as_object().expect("params") {
            let echoed = &result["params"][key];
            match (echoed.as_f64(), value.as_f64()) {
                (Some(echoed), Some(value)) => assert_eq!(echoed, value, "{label}: echoed {key}"),
                _ => assert_eq!(echoed, value, "{label}: echoed {key}"),
            }
        }
        checked += 1;
    }
    assert!(checked >= 100, "only {checked} cases ran");
}

#[test]
fn the_table_says_where_drift_was_found_and_stdin_works() {
    let stream: String = (0..400)
        .map(|i| format!("{}\n", if i < 200 { 0.0 } else { 10.0 }))
        .collect();
    let output = monitor()
        .args([
            "detect",
            "--detector",
            "page-hinkley",
            "--input",
            "-",
            "--format",
            "table",
            "--fail-on-drift",
        ])
        .write_stdin(stream)
        .output()
        .expect("running monitor detect");
    assert_eq!(
        output.status.code(),
        Some(1),
        "drift found, --fail-on-drift"
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("page-hinkley"), "{text}");
    assert!(text.contains("values      400"), "{text}");
    assert!(text.contains("drifts      1"), "{text}");
}

#[test]
fn bad_streams_and_settings_are_errors_that_name_the_place() {
    let dir = scratch("cli-detect-bad");
    let cases: [(&str, &[u8], &[&str], &str); 5] = [
        (
            "word.txt",
            b"1\n2\nthree\n",
            &[],
            "word.txt:3: expected one number a line, found \"three\"",
        ),
        (
            "blank.txt",
            b"1\n\n2\n",
            &[],
            "blank.txt:2: expected one number a line, found an empty line",
        ),
        ("utf8.txt", b"1\n\xff\n", &[], "utf8.txt:2"),
        ("ok.txt", b"1\n", &["--set", "nonsense=1"], "nonsense"),
        ("ok2.txt", b"1\n", &["--set", "delta"], "delta"),
    ];
    for (name, bytes, extra, expected) in cases {
        let path = write(&dir, name, bytes);
        let output = monitor()
            .args(["detect", "--detector", "adwin", "--input"])
            .arg(&path)
            .args(extra)
            .output()
            .expect("running monitor detect");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    let output = monitor()
        .args(["detect", "--detector", "nope", "--input"])
        .arg(dir.join("ok.txt"))
        .output()
        .expect("running monitor detect");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("adwin"),
        "names the known detectors: {stderr}"
    );
    let output = monitor()
        .args(["detect", "--detector", "adwin", "--input"])
        .arg(dir.join("missing.txt"))
        .output()
        .expect("running monitor detect");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing.txt"));
}
