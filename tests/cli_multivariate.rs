//! `monitor drift --multivariate` end to end: the real binary on a correlation-only shift,
//! against scikit-learn's and alibi-detect's numbers from
//! `reference/scripts/multivariate_cli_reference.py`.

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;

use crate::collectors::Rotel;
use crate::support::{assert_succeeded, json_of, monitor, scratch, write};

/// The repository root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `reference/values/multivariate_cli.json`.
fn expected() -> Value {
    let path = root().join("reference/values/multivariate_cli.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("the reference values are JSON")
}

/// `monitor drift` on the fixture with `args` added.
fn drift(args: &[&str]) -> Output {
    let values = expected();
    let fixture = |side: &str| root().join(values["fixtures"][side].as_str().expect("a path"));
    monitor()
        .arg("drift")
        .arg("--reference")
        .arg(fixture("reference"))
        .arg("--current")
        .arg(fixture("current"))
        .args(args)
        .output()
        .expect("running monitor")
}

/// `monitor drift --format json` with `args`, asserting exit 0.
fn report(args: &[&str]) -> Value {
    let output = drift(&[&["--format", "json"], args].concat());
    assert_succeeded(&output);
    json_of(&output.stdout)
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

#[track_caller]
fn assert_relative(actual: &Value, expected: &Value, tolerance: f64, what: &str) {
    let (actual, expected) = (number(actual), number(expected));
    let difference = (actual - expected).abs() / expected.abs().max(1e-300);
    assert!(
        difference <= tolerance,
        "{what}: {actual} vs {expected} (relative difference {difference:e} > {tolerance:e})"
    );
}

#[track_caller]
fn assert_all_relative(actual: &Value, expected: &Value, tolerance: f64, what: &str) {
    let (actual, expected) = (
        actual.as_array().expect("an array"),
        expected.as_array().expect("an array"),
    );
    assert_eq!(actual.len(), expected.len(), "{what}: lengths");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert_relative(a, e, tolerance, &format!("{what}[{i}]"));
    }
}

#[test]
fn a_correlation_shift_missed_column_by_column_is_caught_and_matches_the_references() {
    let expected = expected();
    let report = report(&["--multivariate", "mmd,classifier,pca"]);

    // column by column nothing drifted (scipy's p-values, evidently's automatic tests)
    assert_eq!(report["dataset_drift"], false);
    assert_eq!(report["schema_version"], 1);
    for column in report["columns"].as_array().expect("columns") {
        let name = column["name"].as_str().expect("a name");
        assert_eq!(column["drifted"], false, "column {name}");
        assert_relative(
            &column["p_value"],
            &expected["per_column_p_values"][name],
            1e-9,
            name,
        );
    }

    let section = &report["multivariate"];
    assert_eq!(section["drifted"], true);
    assert_eq!(
        section["columns"],
        serde_json::json!(["x1", "x2", "x3", "color"])
    );
    assert_eq!(section["features"], expected["features"]);
    assert_eq!(section["reference_rows"], expected["rows"]);
    assert_eq!(section["current_rows"], expected["rows"]);

    // MMD: alibi-detect's bandwidth and unbiased MMD² (numpy), our permutation p-value
    let mmd = &section["mmd"];
    assert_relative(
        &mmd["bandwidth"],
        &expected["mmd"]["bandwidth"],
        1e-9,
        "bandwidth",
    );
    assert_relative(
        &mmd["statistic"],
        &expected["mmd"]["statistic"],
        1e-9,
        "MMD²",
    );
    assert!(number(&mmd["p_value"]) < 0.05, "{mmd}");
    assert_eq!(mmd["drifted"], true);
    assert_eq!(mmd["method"], "exact");
    assert_eq!(mmd["method_selection"], "auto");
    assert_eq!(mmd["n_permutations"], 100);
    assert_eq!(mmd["threshold"], 0.05);
    assert_eq!(mmd["reference_rows"], expected["rows"]);

    // the classifier: scikit-learn's logistic regression on the same folds, alibi-detect's
    // one-sided KS p-value (scipy's alternative='greater') on its out-of-fold scores
    let classifier = &section["classifier"];
    let reference = &expected["classifier"];
    assert_relative(&classifier["auc"], &reference["auc"], 1e-6, "AUC");
    assert_relative(
        &classifier["p_value"],
        &reference["p_value"],
        1e-6,
        "KS p-value",
    );
    assert_eq!(classifier["folds"], reference["folds"]);
    // A linear model cannot separate a flipped correlation: it is worse than chance here
    // (AUC 0.455), so its scores are no evidence of drift (p = 0.52). The two-sided test
    // used before called it drift (p = 0.016); MMD and PCA catch this shift.
    assert!(number(&classifier["auc"]) < 0.5, "{classifier}");
    assert!(number(&reference["two_sided_p_value"]) < 0.05);
    assert!(number(&classifier["p_value"]) > 0.5, "{classifier}");
    assert_eq!(classifier["drifted"], false, "{classifier}");
    let features = expected["features"].as_array().expect("features");
    let top = classifier["top_features"].as_array().expect("top features");
    assert_eq!(top.len(), features.len());
    for pair in top.windows(2) {
        assert!(number(&pair[0]["importance"]) >= number(&pair[1]["importance"]));
    }
    for entry in top {
        let idx = features
            .iter()
            .position(|f| *f == entry["feature"])
            .expect("a known feature");
        let (ours, theirs) = (
            number(&entry["importance"]),
            number(&reference["importance"][idx]),
        );
        assert!((ours - theirs).abs() < 1e-6, "{entry}: {ours} vs {theirs}");
    }

    // PCA: scikit-learn's reconstruction errors and NannyML's thresholds
    let pca = &section["pca"];
    let reference = &expected["pca"];
    assert_eq!(pca["chunk_size"], reference["chunk_size"]);
    assert_eq!(pca["n_components"], reference["n_components"]);
    assert_relative(
        &pca["variance_explained"],
        &reference["variance_explained"],
        1e-9,
        "variance explained",
    );
    assert_relative(&pca["lower"], &reference["lower"], 1e-9, "lower threshold");
    assert_relative(&pca["upper"], &reference["upper"], 1e-9, "upper threshold");
    assert_all_relative(
        &pca["reference_errors"],
        &reference["reference_errors"],
        1e-9,
        "reference chunk errors",
    );
    let chunks = pca["chunks"].as_array().expect("chunks");
    let errors: Vec<Value> = chunks.iter().map(|c| c["error"].clone()).collect();
    assert_all_relative(
        &Value::from(errors),
        &reference["chunk_errors"],
        1e-9,
        "current chunk errors",
    );
    let alerts: Vec<Value> = chunks.iter().map(|c| c["alert"].clone()).collect();
    assert_eq!(Value::from(alerts), reference["alerts"]);
    assert_eq!(pca["drifted"], true);
}

#[test]
fn every_format_shows_the_section_and_plain_runs_are_unchanged() {
    let plain = drift(&["--format", "json"]);
    assert_succeeded(&plain);
    let plain = json_of(&plain.stdout);
    assert!(plain.get("multivariate").is_none(), "{plain}");

    let run = |format: &str| {
        let output = drift(&["--format", format, "--multivariate", "mmd,pca"]);
        assert_succeeded(&output);
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let table = run("table");
    assert!(
        table.contains("\nMULTIVARIATE DRIFT (6 encoded features from 4 columns"),
        "{table}"
    );
    assert!(table.contains("\nmmd: exact (auto), bandwidth "), "{table}");
    assert!(!table.contains("classifier"), "{table}");
    let markdown = run("markdown");
    assert!(
        markdown.contains("### Multivariate drift\n\n**Multivariate drift**: "),
        "{markdown}"
    );
    assert!(markdown.contains("| pca | max chunk error |"), "{markdown}");
    let html = run("html");
    assert!(html.contains("<h2>Multivariate drift</h2>"), "{html}");
    assert!(
        html.contains("<tr class=\"drifted\"><td>mmd</td>"),
        "{html}"
    );
    assert!(html.contains("<svg class=\"plot chunks\""), "{html}");
}

#[test]
fn fail_on_drift_counts_multivariate_drift() {
    let calm = drift(&["--format", "json", "--fail-on-drift"]);
    assert_eq!(calm.status.code(), Some(0));
    let caught = drift(&[
        "--format",
        "json",
        "--fail-on-drift",
        "--multivariate",
        "pca",
    ]);
    assert_eq!(
        caught.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&caught.stderr)
    );
}

#[test]
fn knobs_are_recorded_and_the_config_file_asks_too() {
    let report = report(&[
        "--multivariate",
        "mmd",
        "--mmd-method",
        "rff",
        "--mmd-features",
        "300",
        "--mmd-permutations",
        "20",
        "--mmd-max-rows",
        "250",
        "--seed",
        "7",
    ]);
    let mmd = &report["multivariate"]["mmd"];
    assert_eq!(mmd["method"], "random_features");
    assert_eq!(mmd["method_selection"], "configured");
    assert_eq!(mmd["random_features"], 300);
    assert_eq!(mmd["n_permutations"], 20);
    assert_eq!(mmd["seed"], 7);
    assert_eq!(mmd["reference_rows"], 250);
    assert_eq!(mmd["current_rows"], 250);
    assert!(report["multivariate"].get("pca").is_none());

    let dir = scratch("multivariate_config");
    let config = write(&dir, "monitor.toml", "[drift]\nmultivariate = [\"pca\"]\n");
    let from_file = report_with_config(&config, &[]);
    assert!(from_file["multivariate"]["pca"].is_object(), "{from_file}");
    assert!(from_file["multivariate"].get("mmd").is_none());
    // the flag overrides the file
    let overridden = report_with_config(&config, &["--multivariate", "classifier"]);
    assert!(overridden["multivariate"].get("pca").is_none());
    assert!(overridden["multivariate"]["classifier"].is_object());
    assert_eq!(
        overridden["multivariate"]["classifier"]["top_features"][0]["importance"]
            .as_f64()
            .map(f64::is_finite),
        Some(true)
    );
    assert_eq!(
        report_with_config(&config, &["--pca-chunk-size", "100"])["multivariate"]["pca"]["chunks"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}

#[test]
fn auto_switches_to_random_features_above_20000_rows() {
    let dir = scratch("multivariate_auto");
    let table = |offset: u32| {
        (0..10_001_u32).fold("a,b\n".to_owned(), |text, i| {
            text + &format!("{},{}\n", (i * 7 + offset) % 97, (i * 13) % 89)
        })
    };
    let reference = write(&dir, "reference.csv", table(0));
    let current = write(&dir, "current.csv", table(5));
    let run = |args: &[&str]| {
        let output = monitor()
            .args(["drift", "--format", "json", "--reference"])
            .arg(&reference)
            .arg("--current")
            .arg(&current)
            .args(["--multivariate", "mmd", "--mmd-permutations", "5"])
            .args(args)
            .output()
            .expect("running monitor");
        assert_succeeded(&output);
        json_of(&output.stdout)["multivariate"]["mmd"].clone()
    };
    let large = run(&[]);
    assert_eq!(large["method"], "random_features", "{large}");
    assert_eq!(large["method_selection"], "auto");
    assert_eq!(large["random_features"], 500);
    assert_eq!(large["reference_rows"], 10_001);
    // at the limit (10 000 rows a side after the subsample) it is exact
    let limited = run(&["--mmd-max-rows", "10000"]);
    assert_eq!(limited["method"], "exact", "{limited}");
    assert_eq!(limited["method_selection"], "auto");
    assert!(limited.get("random_features").is_none());
    assert_eq!(limited["current_rows"], 10_000);
}

fn report_with_config(config: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["--config", config.to_str().expect("a UTF-8 path")];
    all.extend_from_slice(args);
    report(&all)
}

#[test]
fn bad_requests_exit_2_and_say_why() {
    let bogus = drift(&["--multivariate", "mmd,bogus"]);
    assert_eq!(bogus.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bogus.stderr);
    assert!(stderr.contains("unknown method \"bogus\""), "{stderr}");

    let dir = scratch("multivariate_profiles");
    let values = expected();
    let reference = root().join(values["fixtures"]["reference"].as_str().expect("a path"));
    let profile = dir.join("reference.profile");
    let built = monitor()
        .args(["profile", "build", "--input"])
        .arg(&reference)
        .arg("--output")
        .arg(&profile)
        .output()
        .expect("running monitor profile build");
    assert_succeeded(&built);
    let output = monitor()
        .args(["drift", "--multivariate", "pca", "--reference-profile"])
        .arg(&profile)
        .arg("--current")
        .arg(&reference)
        .output()
        .expect("running monitor");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--multivariate needs the rows of both sides"),
        "{stderr}"
    );

    let bad_threshold = drift(&["--multivariate", "mmd", "--multivariate-threshold", "1.5"]);
    assert_eq!(bad_threshold.status.code(), Some(2));
}

#[test]
fn each_method_has_a_span_under_the_comparison() {
    let dir = scratch("multivariate_spans");
    let rotel = Rotel::start(&dir);
    let values = expected();
    let fixture = |side: &str| root().join(values["fixtures"][side].as_str().expect("a path"));
    let mut command = monitor();
    for (name, _) in std::env::vars() {
        if name.starts_with("OTEL_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    let output = command
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://{}", rotel.grpc),
        )
        .args([
            "drift",
            "--format",
            "json",
            "--multivariate",
            "mmd,classifier,pca",
        ])
        .arg("--reference")
        .arg(fixture("reference"))
        .arg("--current")
        .arg(fixture("current"))
        .output()
        .expect("running monitor");
    assert_succeeded(&output);
    // the root, two reads, compare, encode, 4 columns, 3 methods, report
    let spans = rotel.wait_for_trace("monitor drift", 13);
    let compare = spans
        .iter()
        .find(|s| s.name == "compare")
        .expect("a compare span");
    let methods: Vec<_> = spans.iter().filter(|s| s.name == "multivariate").collect();
    assert_eq!(methods.len(), 3, "{methods:#?}");
    for span in &methods {
        assert_eq!(span.parent_id, compare.span_id, "{span:#?}");
        // the classifier is worse than chance on this fixture: no drift (see above)
        let drifted = span.text("method") != Some("classifier");
        assert_eq!(span.flag("drifted"), Some(drifted), "{span:#?}");
        assert!(span.number("statistic").is_some(), "{span:#?}");
    }
    let method = |name: &str| {
        methods
            .iter()
            .find(|s| s.text("method") == Some(name))
            .unwrap_or_else(|| panic!("no {name} span: {methods:#?}"))
    };
    let mmd = method("mmd");
    let statistic = mmd.number("statistic").expect("a statistic");
    let reference = number(&values["mmd"]["statistic"]);
    assert!(
        (statistic - reference).abs() <= 1e-9 * reference,
        "{statistic} vs {reference}"
    );
    assert!(mmd.number("p_value").is_some_and(|p| p < 0.05));
    let classifier = method("classifier");
    let p = classifier.number("p_value").expect("a p-value");
    let reference = number(&values["classifier"]["p_value"]);
    assert!(
        (p - reference).abs() <= 1e-6 * reference,
        "{p} vs {reference}"
    );
    assert!(method("pca").number("p_value").is_none());
}
