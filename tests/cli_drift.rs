//! `monitor drift` end to end: the real binary on CSV files.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{assert_succeeded, examples, json_of, monitor, scratch, write};

/// `monitor drift --format json` on the example data, asserting exit 0.
fn example_report() -> Value {
    let output = monitor()
        .args(["drift", "--format", "json", "--reference"])
        .arg(examples().join("reference.csv"))
        .arg("--current")
        .arg(examples().join("current.csv"))
        .output()
        .expect("running monitor");
    assert_succeeded(&output);
    json_of(&output.stdout)
}

#[test]
fn example_data_gives_a_schema_v1_report() {
    let report = example_report();
    assert_eq!(report["schema_version"], 1);
    for field in [
        "reference",
        "current",
        "dataset_drift",
        "drift_share",
        "drift_share_threshold",
        "n_columns",
        "n_drifted",
        "correction",
        "columns",
    ] {
        assert!(report.get(field).is_some(), "missing field {field}");
    }
    let columns = report["columns"].as_array().expect("columns");
    assert_eq!(columns.len(), 20);
    for column in columns {
        for field in [
            "name",
            "kind",
            "test",
            "statistic",
            "p_value",
            "threshold",
            "drifted",
            "reference",
            "current",
            "quality",
        ] {
            assert!(
                column.get(field).is_some(),
                "column {} lacks {field}",
                column["name"]
            );
        }
    }
}

#[test]
fn fail_on_drift_exits_one_only_on_drift() {
    let dir = scratch("fail_on_drift");
    let same = write(
        &dir,
        "same.csv",
        (0..100).fold("x\n".to_owned(), |s, i| s + &format!("{i}\n")),
    );
    let shifted = write(
        &dir,
        "shifted.csv",
        (0..100).fold("x\n".to_owned(), |s, i| s + &format!("{}\n", i + 80)),
    );
    monitor()
        .args(["drift", "--fail-on-drift", "--reference"])
        .arg(&same)
        .arg("--current")
        .arg(&same)
        .assert()
        .code(0);
    monitor()
        .args(["drift", "--fail-on-drift", "--reference"])
        .arg(&same)
        .arg("--current")
        .arg(&shifted)
        .assert()
        .code(1);
    // without the flag, drift is a finding, not a failure
    monitor()
        .args(["drift", "--reference"])
        .arg(&same)
        .arg("--current")
        .arg(&shifted)
        .assert()
        .code(0);
}

#[test]
fn a_named_test_and_categorical_override_are_honoured() {
    let dir = scratch("named_test");
    let reference = write(
        &dir,
        "r.csv",
        (0..300).fold("code,v\n".to_owned(), |s, i| {
            s + &format!("{},{}\n", i % 3, i % 7)
        }),
    );
    let current = write(
        &dir,
        "c.csv",
        (0..300).fold("code,v\n".to_owned(), |s, i| {
            s + &format!("{},{}\n", (i % 4).min(2), i % 7)
        }),
    );
    let output = monitor()
        .args([
            "drift",
            "--format",
            "json",
            "--test",
            "psi",
            "--categorical",
            "code",
            "--reference",
        ])
        .arg(&reference)
        .arg("--current")
        .arg(&current)
        .output()
        .expect("running monitor");
    assert_succeeded(&output);
    let report = json_of(&output.stdout);
    let code = &report["columns"][0];
    assert_eq!(
        (
            code["name"].as_str(),
            code["kind"].as_str(),
            code["test"].as_str()
        ),
        (Some("code"), Some("categorical"), Some("psi"))
    );
    assert_eq!(code["p_value"], Value::Null);
    assert_eq!(report["columns"][1]["kind"], "numeric");
}

#[test]
fn table_output_names_every_column_and_the_verdict() {
    let output = monitor()
        .args(["drift", "--format", "table", "--reference"])
        .arg(examples().join("reference.csv"))
        .arg("--current")
        .arg(examples().join("current.csv"))
        .output()
        .expect("running monitor");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.lines().next().is_some_and(|l| l.starts_with("column")),
        "{text}"
    );
    assert!(text.contains("columns drifted"), "{text}");
}

#[test]
fn bad_input_exits_two_with_file_and_line() {
    let dir = scratch("bad_input");
    let good = write(&dir, "good.csv", "a,b\n1,2\n3,4\n");
    let ragged = write(&dir, "ragged.csv", "a,b\n1,2\n3\n");
    let empty = write(&dir, "empty.csv", "");
    let cases: [(&Path, &str); 3] = [
        (
            &ragged,
            "ragged.csv:3: expected 2 fields as in the header, found 1",
        ),
        (
            &empty,
            "empty.csv: the file is empty (expected a header row)",
        ),
        (
            &dir.join("absent.csv"),
            "absent.csv: No such file or directory",
        ),
    ];
    for (path, message) in cases {
        let output = monitor()
            .args(["drift", "--reference"])
            .arg(&good)
            .arg("--current")
            .arg(path)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{}", path.display());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(message),
            "expected {message:?} in {stderr:?}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let output = monitor()
        .args(["drift", "--test", "nope", "--reference"])
        .arg(&good)
        .arg("--current")
        .arg(&good)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown test \"nope\""));
}

#[test]
fn output_file_is_written_whole_and_not_on_failure() {
    let dir = scratch("output_file");
    let good = write(&dir, "good.csv", "a\n1\n2\n3\n");
    let report = dir.join("report.json");
    monitor()
        .args(["drift", "--format", "json", "--output"])
        .arg(&report)
        .arg("--reference")
        .arg(&good)
        .arg("--current")
        .arg(&good)
        .assert()
        .code(0);
    assert_eq!(
        json_of(&std::fs::read(&report).expect("report written"))["n_columns"],
        1
    );
    let failed = dir.join("failed.json");
    let bad = write(&dir, "bad.csv", "a\n");
    monitor()
        .args(["drift", "--output"])
        .arg(&failed)
        .arg("--reference")
        .arg(&good)
        .arg("--current")
        .arg(&bad)
        .assert()
        .code(2);
    assert!(!failed.exists());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn example_report_matches_evidently_column_by_column() {
    let expected_path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../reference/values/evidently_examples.json");
    let expected = json_of(&std::fs::read(&expected_path).expect("evidently_examples.json"));
    let report = example_report();
    assert_eq!(report["reference"]["rows"], expected["rows"]["reference"]);
    assert_eq!(report["current"]["rows"], expected["rows"]["current"]);
    let ours = report["columns"].as_array().expect("columns");
    let theirs = expected["columns"].as_array().expect("columns");
    assert_eq!(ours.len(), theirs.len());
    for (ours, theirs) in ours.iter().zip(theirs) {
        let name = theirs["name"].as_str().expect("name");
        assert_eq!(ours["name"], theirs["name"]);
        assert_eq!(ours["kind"], theirs["kind"], "{name}: kind");
        assert_eq!(ours["test"], theirs["auto_test"], "{name}: test");
        let score = ours["p_value"]
            .as_f64()
            .or(ours["statistic"].as_f64())
            .expect("score");
        let expected_score = theirs["score"].as_f64().expect("score");
        assert!(
            (score - expected_score).abs() <= 1e-9 * expected_score.abs(),
            "{name}: score {score} vs evidently's {expected_score}"
        );
        assert_eq!(ours["drifted"], theirs["drifted"], "{name}: drifted");
        assert_eq!(ours["threshold"], theirs["threshold"], "{name}: threshold");
    }
    assert_eq!(
        report["n_drifted"],
        expected["dataset"]["number_of_drifted_columns"]
    );
    assert_eq!(
        report["dataset_drift"],
        expected["dataset"]["dataset_drift"]
    );
    assert_eq!(
        report["drift_share"],
        expected["dataset"]["share_of_drifted_columns"]
    );
}

#[test]
fn progress_bar_shows_on_a_terminal_and_not_in_a_pipe() {
    // util-linux `script` runs the command on a pseudo-terminal, as a user's shell would
    let dir = scratch("progress_bar");
    let mut text = String::from("a,b\n");
    for i in 0..1_400_000u32 {
        text.push_str(&format!("{},{}\n", i % 997, i % 13));
    }
    let big = write(&dir, "big.csv", &text);
    assert!(
        text.len() > 8 << 20,
        "the file must pass the bar's 8 MiB floor"
    );
    let binary = assert_cmd::cargo::cargo_bin("monitor");
    let _ = monitor(); // builds the binary
    let command = format!(
        "{} drift --format json --output {} --reference {} --current {}",
        binary.display(),
        dir.join("report.json").display(),
        big.display(),
        big.display()
    );
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("running util-linux script");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let terminal = String::from_utf8_lossy(&output.stdout);
    assert!(
        terminal.contains("reading ["),
        "no progress bar on the terminal: {terminal:?}"
    );
    // through a pipe (this process's stderr is not a terminal): no bar
    let piped = monitor()
        .args(["drift", "--format", "json", "--reference"])
        .arg(&big)
        .arg("--current")
        .arg(&big)
        .output()
        .expect("run");
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("reading ["));
}
