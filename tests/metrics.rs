//! Metrics in real Prometheus servers: a `/metrics` endpoint scraped by Prometheus, a
//! `monitor drift` run pushed to a Pushgateway, and the shipped alerting rules and
//! dashboard checked with promtool and a live Prometheus.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use telemetry::metrics::{Metrics, serve};

use crate::backends::{Prometheus, free_port, poll};
use crate::collectors::Pushgateway;
use crate::support::{assert_succeeded, examples, json_of, monitor, scratch};

/// Where Debian's `prometheus` package puts promtool.
const PROMTOOL: &str = "/usr/bin/promtool";

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The value of an instant query's only (or first) sample, if there is one.
fn value(prometheus: &Prometheus, expr: &str) -> Option<f64> {
    prometheus
        .query(expr)
        .first()
        .and_then(|sample| sample["value"][1].as_str()?.parse().ok())
}

/// Polls until `expr` has the value `expected`.
fn wait_for_value(prometheus: &Prometheus, expr: &str, expected: f64) {
    poll(
        &format!("{expr} == {expected}"),
        Duration::from_secs(30),
        || (value(prometheus, expr) == Some(expected)).then_some(()),
    );
}

#[test]
fn prometheus_scrapes_the_metrics_endpoint() {
    let dir = scratch("metrics-scrape");
    let metrics = Arc::new(Metrics::new());
    metrics.record_rollout_weight("canary", 0.25);
    for ms in [3, 3, 3, 30] {
        metrics.record_prediction("canary", Duration::from_millis(ms));
    }
    metrics.record_feature_drift("age", "ks", 0.003, true);
    metrics.record_retrain_queue(2, Duration::from_secs(600));
    let server = serve(
        "127.0.0.1:0".parse().expect("an address"),
        Arc::clone(&metrics),
    )
    .expect("serving /metrics");
    let prometheus = Prometheus::start(&dir, &[("monitor", server.addr())]);
    prometheus.wait_for_scrapes(&["monitor"]);
    let at = |expr: &str| value(&prometheus, expr);
    assert_eq!(
        at(r#"monitor_rollout_weight_ratio{variant="canary"}"#),
        Some(0.25),
        "{}",
        prometheus.log()
    );
    assert_eq!(
        at(r#"monitor_predictions_total{variant="canary"}"#),
        Some(4.0)
    );
    assert_eq!(
        at(r#"monitor_prediction_latency_seconds_bucket{variant="canary",le="0.005"}"#),
        Some(3.0)
    );
    assert_eq!(
        at(r#"monitor_prediction_latency_seconds_count{variant="canary"}"#),
        Some(4.0)
    );
    assert_eq!(
        at(r#"monitor_feature_drifted{feature="age",test="ks"}"#),
        Some(1.0)
    );
    assert_eq!(
        at(r#"monitor_feature_drift_score{feature="age",test="ks"}"#),
        Some(0.003)
    );
    assert_eq!(at("monitor_retrain_queue_oldest_age_seconds"), Some(600.0));
    assert_eq!(
        prometheus.query("monitor_telemetry_dropped_total").len(),
        6,
        "two signals by three reasons"
    );
    // the endpoint is live: a later value is scraped
    metrics.record_rollout_weight("canary", 0.5);
    wait_for_value(
        &prometheus,
        r#"monitor_rollout_weight_ratio{variant="canary"}"#,
        0.5,
    );
    // every query of the dashboard parses and runs (Prometheus answers 200)
    for expr in dashboard_queries() {
        prometheus.query(&expr.replace("$job", ".*"));
    }
}

/// evidently's reference values for the example data.
fn evidently_examples() -> Value {
    json_of(
        &std::fs::read(repository().join("reference/values/evidently_examples.json"))
            .expect("evidently_examples.json"),
    )
}

/// The value of the series of `name` in a Prometheus text page whose labels include all
/// of `labels` (written `key="value"`).
fn sample(text: &str, name: &str, labels: &[String]) -> Option<f64> {
    text.lines()
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix('{'))
        .filter_map(|l| l.split_once("} "))
        .find(|(set, _)| {
            let set: Vec<&str> = set.split(',').collect();
            labels.iter().all(|l| set.contains(&l.as_str()))
        })
        .and_then(|(_, v)| v.trim().parse().ok())
}

fn drift_pushing_to(gateway: &str) -> std::process::Output {
    monitor()
        .args(["drift", "--format", "json", "--reference"])
        .arg(examples().join("reference.csv"))
        .arg("--current")
        .arg(examples().join("current.csv"))
        .args(["--push-gateway", gateway])
        .output()
        .expect("running monitor")
}

#[test]
fn a_drift_run_pushed_to_the_pushgateway_reaches_prometheus() {
    let dir = scratch("metrics-push");
    let gateway = Pushgateway::start(&dir);
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let output = drift_pushing_to(&gateway.url());
    assert_succeeded(&output);
    let text = gateway.metrics();
    let expected = evidently_examples();
    let job = r#"job="monitor_drift""#.to_owned();
    for column in expected["columns"].as_array().expect("columns") {
        let labels = [
            job.clone(),
            format!("feature={}", column["name"]),
            format!("test={}", column["auto_test"]),
        ];
        let name = &column["name"];
        let score = sample(&text, "monitor_feature_drift_score", &labels)
            .unwrap_or_else(|| panic!("no score of {name} in:\n{text}"));
        let evidently = column["score"].as_f64().expect("score");
        assert!(
            (score - evidently).abs() <= 1e-9 * evidently.abs(),
            "{name}: pushed {score}, evidently {evidently}"
        );
        let drifted = sample(&text, "monitor_feature_drifted", &labels);
        let evidently = column["drifted"].as_bool().expect("drifted");
        assert_eq!(
            drifted,
            Some(f64::from(u8::from(evidently))),
            "{name}:\n{text}"
        );
    }
    let dataset = &expected["dataset"];
    let at = |name: &str| sample(&text, name, std::slice::from_ref(&job));
    let drifted = dataset["dataset_drift"].as_bool().expect("dataset_drift");
    assert_eq!(
        at("monitor_dataset_drifted"),
        Some(f64::from(u8::from(drifted)))
    );
    let share = dataset["share_of_drifted_columns"].as_f64().expect("share");
    assert_eq!(at("monitor_dataset_drift_share"), Some(share));
    let finished = at("monitor_drift_last_run_timestamp_seconds").expect("timestamp");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    assert!(
        (started..=now).contains(&finished),
        "{started} <= {finished} <= {now}"
    );
    // Prometheus scraping the gateway sees the run (the gateway's job label is kept as
    // exported_job, the scrape config not honouring labels)
    let prometheus = Prometheus::start(&dir, &[("pushgateway", gateway.addr)]);
    wait_for_value(
        &prometheus,
        r#"monitor_dataset_drift_share{exported_job="monitor_drift"}"#,
        share,
    );
    let drifted_features = expected["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter(|c| c["drifted"] == true)
        .count();
    wait_for_value(
        &prometheus,
        r#"sum(monitor_feature_drifted{exported_job="monitor_drift"})"#,
        drifted_features as f64,
    );
}

#[test]
fn a_push_that_fails_warns_and_keeps_the_report_and_exit_code() {
    let down = format!("http://127.0.0.1:{}", free_port());
    let output = drift_pushing_to(&down);
    assert_succeeded(&output);
    let report = json_of(&output.stdout);
    assert_eq!(report["schema_version"], 1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("drift metrics were not pushed"), "{stderr}");
    assert!(
        stderr.contains(&format!("{down}/metrics/job/monitor_drift")),
        "{stderr}"
    );
}

/// Runs promtool with `args` in `dir`, failing with its output when it fails.
fn promtool(dir: &Path, args: &[&str]) -> String {
    assert!(
        Path::new(PROMTOOL).is_file(),
        "{PROMTOOL} not found: run `cargo xtask test`, which installs Debian's prometheus package"
    );
    let output = Command::new(PROMTOOL)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("running promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "promtool {}: {text}",
        args.join(" ")
    );
    text
}

#[test]
fn the_alerting_rules_pass_promtool_and_their_unit_tests() {
    let dir = repository().join("deploy/prometheus");
    let checked = promtool(&dir, &["check", "rules", "rules.yml"]);
    assert!(checked.contains("SUCCESS: 9 rules found"), "{checked}");
    let tested = promtool(&dir, &["test", "rules", "rules_test.yml"]);
    assert!(tested.contains("SUCCESS"), "{tested}");
}

/// Every PromQL expression of the Grafana dashboard.
fn dashboard_queries() -> Vec<String> {
    let text = std::fs::read_to_string(repository().join("deploy/grafana/monitor.json"))
        .expect("deploy/grafana/monitor.json");
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    panels
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .map(|t| t["expr"].as_str().expect("a target's expr").to_owned())
        .collect()
}

/// `monitor_*` names in `text` (a bare `monitor_` prefix, as in a regex, is skipped).
fn metric_names(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("monitor_") && w.len() > "monitor_".len())
        .map(str::to_owned)
        .collect()
}

#[test]
fn rules_and_dashboard_use_only_documented_families() {
    let docs = std::fs::read_to_string(repository().join("docs/metrics.md")).expect("docs");
    let documented: BTreeSet<String> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split_once('`'))
        .map(|(name, _)| name.to_owned())
        .collect();
    assert!(documented.len() >= 18, "{documented:?}");
    let rules =
        std::fs::read_to_string(repository().join("deploy/prometheus/rules.yml")).expect("rules");
    let queries = dashboard_queries();
    assert!(queries.len() >= 20, "{queries:?}");
    let used = metric_names(&rules)
        .into_iter()
        .chain(queries.iter().flat_map(|q| metric_names(q)));
    for name in used {
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|base| documented.contains(*base))
            })
            .unwrap_or(&name);
        assert!(
            documented.contains(family),
            "{name} is not in docs/metrics.md"
        );
    }
}
