//! `monitor drift` end to end on every input format (CSV, gzip, JSON Lines, Parquet) and on
//! bad input, which exits 2 with the file, line and column in the message.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{json_of, monitor, write};

/// The `convert` example of `tabular` (CSV to gzip, JSON Lines or Parquet), built once;
/// its path comes from cargo's own report of the build.
fn converter() -> &'static Path {
    static CONVERT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    CONVERT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = std::process::Command::new(cargo)
            .args([
                "build",
                "--quiet",
                // the units `cargo test --workspace --all-targets` built: a no-op there
                "--workspace",
                "--all-targets",
                "--message-format=json",
            ])
            .output()
            .expect("running cargo build");
        assert!(
            output.status.success(),
            "building the convert example failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "convert")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reports the convert executable")
    })
}

/// Writes `input` in the format `output`'s extension names.
fn convert(input: &Path, output: &Path) {
    let status = std::process::Command::new(converter())
        .arg(input)
        .arg(output)
        .status()
        .expect("running convert");
    assert!(
        status.success(),
        "convert {} {}",
        input.display(),
        output.display()
    );
}

/// A fresh directory under the target dir for one test's files.
fn scratch(name: &str) -> PathBuf {
    crate::support::scratch(&format!("inputs_{name}"))
}

/// Runs `monitor drift --format json` with `extra` flags; the report, asserting exit 0.
fn drift(reference: &Path, current: &Path, extra: &[&str]) -> Value {
    let output = monitor()
        .args(["drift", "--format", "json"])
        .args(extra)
        .arg("--reference")
        .arg(reference)
        .arg("--current")
        .arg(current)
        .output()
        .expect("running monitor");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{} vs {}: stderr: {}",
        reference.display(),
        current.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    json_of(&output.stdout)
}

/// What a report says about its columns, without where the data came from.
fn findings(report: &Value) -> Vec<(String, String, String, String, String)> {
    report["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| {
            (
                c["name"].to_string(),
                c["kind"].to_string(),
                c["test"].to_string(),
                c["statistic"].to_string(),
                c["drifted"].to_string(),
            )
        })
        .collect()
}

/// A reference and a current table with numeric, categorical, binary and missing values.
fn tables(dir: &Path) -> (PathBuf, PathBuf) {
    let table = |shift: usize| {
        let mut text = String::from("age,plan,clicked,score\n");
        for i in 0..400 {
            let age = 20 + (i * 7 + shift) % 50;
            let plan = ["free", "pro", "team"][(i + shift / 5) % 3];
            let score = if i % 37 == 0 {
                "NA".to_owned()
            } else {
                format!("{:.3}", (i as f64 * 0.37 + shift as f64).sin())
            };
            text.push_str(&format!("{age},{plan},{},{score}\n", (i + shift) % 2));
        }
        text
    };
    (
        write(dir, "reference.csv", table(0)),
        write(dir, "current.csv", table(11)),
    )
}

#[test]
fn every_format_gives_the_report_of_the_csv() {
    let dir = scratch("formats");
    let (reference, current) = tables(&dir);
    let expected = findings(&drift(&reference, &current, &[]));
    assert_eq!(expected.len(), 4);
    for extension in ["csv.gz", "jsonl", "ndjson.gz", "parquet"] {
        let r = dir.join(format!("reference.{extension}"));
        let c = dir.join(format!("current.{extension}"));
        convert(&reference, &r);
        convert(&current, &c);
        assert_eq!(
            findings(&drift(&r, &c, &[])),
            expected,
            "{extension} differs from csv"
        );
    }
    // formats mix: Parquet against gzip-compressed JSON Lines
    assert_eq!(
        findings(&drift(
            &dir.join("reference.parquet"),
            &dir.join("current.ndjson.gz"),
            &[]
        )),
        expected
    );
    // an unknown extension is sniffed: Parquet by its magic, JSON by its first line
    let r = dir.join("reference.data");
    let c = dir.join("current.log");
    std::fs::copy(dir.join("reference.parquet"), &r).expect("copy");
    std::fs::copy(dir.join("current.jsonl"), &c).expect("copy");
    assert_eq!(findings(&drift(&r, &c, &[])), expected);
}

#[test]
fn delimiters_are_detected_or_given() {
    let dir = scratch("delimiters");
    let (reference, current) = tables(&dir);
    let expected = findings(&drift(&reference, &current, &[]));
    let semicolons = |path: &Path, name: &str| {
        let text = std::fs::read_to_string(path).expect("read");
        write(&dir, name, text.replace(',', ";"))
    };
    let r = semicolons(&reference, "reference_semicolon.csv");
    let c = semicolons(&current, "current_semicolon.csv");
    assert_eq!(findings(&drift(&r, &c, &[])), expected);
    let tabs = |path: &Path, name: &str| {
        let text = std::fs::read_to_string(path).expect("read");
        write(&dir, name, text.replace(',', "\t"))
    };
    let r = tabs(&reference, "reference.tsv");
    let c = tabs(&current, "current.tsv");
    assert_eq!(findings(&drift(&r, &c, &[])), expected);
    // given: the header's commas are then part of the names
    let r = write(&dir, "r_pipe.txt", "a,b|c\n1|x\n2|y\n3|x\n");
    let report = drift(&r, &r, &["--delimiter", "|"]);
    let names: Vec<&str> = report["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["a,b", "c"]);
}

#[test]
fn numeric_flag_reports_a_stray_word_with_file_line_and_value() {
    let dir = scratch("numeric");
    let good = write(&dir, "good.csv", "x,y\n1,a\n2,b\n3,a\n4,b\n");
    let stray = write(&dir, "stray.csv", "x,y\n1,a\n2,b\noops,a\n4,b\n");
    // without the flag, the column turns categorical on both sides
    let report = drift(&good, &stray, &[]);
    assert_eq!(report["columns"][0]["kind"], "categorical");
    let output = monitor()
        .args(["drift", "--numeric", "x", "--reference"])
        .arg(&good)
        .arg("--current")
        .arg(&stray)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("stray.csv:4: column \"x\" is numeric, but \"oops\" is not a number"),
        "{stderr}"
    );
    // in JSON Lines too, with the flattened name
    let jsonl = write(
        &dir,
        "stray.jsonl",
        "{\"f\": {\"x\": 1}}\n{\"f\": {\"x\": \"two\"}}\n",
    );
    let output = monitor()
        .args(["drift", "--numeric", "f.x", "--reference"])
        .arg(&jsonl)
        .arg("--current")
        .arg(&jsonl)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("stray.jsonl:2: column \"f.x\" is numeric, but \"two\" is not a number"),
        "{stderr}"
    );
}

#[test]
fn an_all_missing_column_is_read_and_reported_not_refused() {
    let dir = scratch("all_missing");
    let r = write(&dir, "r.csv", "a,b\n1,NA\n2,\n3,null\n4,NA\n");
    let report = drift(&r, &r, &[]);
    let columns = report["columns"].as_array().expect("columns");
    assert_eq!(columns.len(), 2, "{report}");
    assert_eq!(columns[1]["name"], "b");
    assert!(columns[1]["error"].is_string(), "{report}");

    // when it is the only column there is nothing to report: exit 2, no output file
    let only = write(&dir, "only.csv", "b\nNA\n\nnull\n");
    let out = dir.join("report.json");
    let output = monitor()
        .args(["drift", "--format", "json", "--output"])
        .arg(&out)
        .arg("--reference")
        .arg(&only)
        .arg("--current")
        .arg(&only)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no column could be tested") && stderr.contains("column \"b\""),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn bad_input_exits_two_naming_file_line_and_column() {
    let dir = scratch("bad");
    let good = write(&dir, "good.csv", "a,b\n1,2\n3,4\n");
    let (reference, _) = tables(&dir);
    let real_parquet = dir.join("real.parquet");
    convert(&reference, &real_parquet);
    let parquet = std::fs::read(&real_parquet).expect("read");
    let mut long_line = b"a,b\n1,2\n".to_vec();
    long_line.resize(long_line.len() + (17 << 20), b'x');
    long_line.extend_from_slice(b",3\n");
    let a_directory = dir.join("a_directory.csv");
    std::fs::create_dir_all(&a_directory).expect("mkdir");
    let cases: Vec<(PathBuf, String)> = vec![
        (
            write(&dir, "empty.csv", ""),
            "empty.csv: the file is empty (expected a header row)".into(),
        ),
        (
            write(&dir, "header_only.csv", "a,b\n"),
            "header_only.csv: the file has a header row but no data rows".into(),
        ),
        (
            write(&dir, "ragged.csv", "a,b\n1,2\n3\n"),
            "ragged.csv:3: expected 2 fields as in the header, found 1".into(),
        ),
        (
            write(&dir, "utf8.csv", b"a,b\n1,2\n3,\xff\xfe\n"),
            "utf8.csv:3: field 2 (column \"b\") is not valid UTF-8".into(),
        ),
        (
            write(&dir, "duplicate.csv", "a,b,a\n1,2,3\n"),
            "duplicate.csv:1: column \"a\" appears twice in the header".into(),
        ),
        (
            write(&dir, "fake.parquet", "a,b\n1,2\n"),
            "fake.parquet: not a readable Parquet file (".into(),
        ),
        (
            write(&dir, "truncated.parquet", &parquet[..parquet.len() / 2]),
            "truncated.parquet: not a readable Parquet file (".into(),
        ),
        (
            write(&dir, "long_line.csv", &long_line),
            "long_line.csv: line 3 is longer than 16 MiB".into(),
        ),
        (
            write(&dir, "not_gzip.csv.gz", "a,b\n1,2\n3,4\n5,6\n"),
            "not_gzip.csv.gz: not a valid gzip file (invalid gzip header)".into(),
        ),
        (
            write(&dir, "array.jsonl", "{\"a\": 1}\n[1, 2]\n"),
            "array.jsonl:2:1: expected a JSON object, found an array".into(),
        ),
        (
            write(&dir, "syntax.jsonl", "{\"a\": 1}\n{\"a\": 2,}\n"),
            "syntax.jsonl:2:9: trailing comma".into(),
        ),
        (
            write(&dir, "nested.jsonl", "{\"a\": 1}\n{\"a\": 2, \"t\": [1]}\n"),
            "nested.jsonl:2: key \"t\" holds an array".into(),
        ),
        (
            a_directory.clone(),
            format!("{}: is a directory, not a file", a_directory.display()),
        ),
        (
            dir.join("absent.csv"),
            "absent.csv: No such file or directory".into(),
        ),
    ];
    for (path, message) in &cases {
        let report = dir.join("report.json");
        let output = monitor()
            .args(["drift", "--format", "json", "--output"])
            .arg(&report)
            .arg("--reference")
            .arg(&good)
            .arg("--current")
            .arg(path)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {stderr}",
            path.display()
        );
        assert!(
            stderr.contains(message.as_str()),
            "expected {message:?} in {stderr:?}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            !report.exists(),
            "{}: a report was left behind",
            path.display()
        );
    }
}
