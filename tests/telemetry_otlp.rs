//! Traces and logs of a real `monitor drift` run arriving at a real OpenTelemetry collector
//! (rotel) over gRPC and over HTTP, configured by the standard `OTEL_*` variables only; and
//! a collector that is down or silent costing a command little.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::backends::free_port;
use crate::collectors::{ReceivedSpan, Rotel};
use crate::support::{assert_succeeded, examples, json_of, monitor, scratch, write};

/// `monitor drift --format json` on two files with exactly the given `OTEL_*` variables
/// (any the test process has are removed) and `RUST_LOG` unset.
fn drift_with(vars: &[(&str, &str)], reference: &Path, current: &Path) -> assert_cmd::Command {
    let mut command = monitor();
    for (name, _) in std::env::vars() {
        if name.starts_with("OTEL_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command.envs(vars.iter().copied());
    command
        .args(["drift", "--format", "json", "--reference"])
        .arg(reference)
        .arg("--current")
        .arg(current);
    command
}

/// [`drift_with`] on the example data, run to its end.
fn example_drift(vars: &[(&str, &str)]) -> std::process::Output {
    drift_with(
        vars,
        &examples().join("reference.csv"),
        &examples().join("current.csv"),
    )
    .output()
    .expect("running monitor")
}

/// evidently's verdicts on the example data, by column: (test, score, drifted).
fn evidently_columns() -> BTreeMap<String, (String, f64, bool)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../reference/values/evidently_examples.json");
    let expected = json_of(&std::fs::read(path).expect("evidently_examples.json"));
    expected["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("name").to_owned(),
                (
                    c["auto_test"].as_str().expect("test").to_owned(),
                    c["score"].as_f64().expect("score"),
                    c["drifted"].as_bool().expect("drifted"),
                ),
            )
        })
        .collect()
}

/// Checks the trace of one `monitor drift` run on the example data: one root span,
/// phases as its children, one span per column with evidently's test, score and verdict.
fn assert_drift_trace(spans: &[ReceivedSpan]) {
    let named =
        |name: &str| -> Vec<&ReceivedSpan> { spans.iter().filter(|s| s.name == name).collect() };
    let roots = named("monitor drift");
    assert_eq!(roots.len(), 1, "{spans:#?}");
    let root = roots[0];
    assert!(root.parent_id.is_empty(), "the command's span is the root");
    assert_eq!(root.text("command"), Some("drift"));
    assert_eq!(
        root.resource.get("service.name").map(String::as_str),
        Some("Str(monitor)")
    );
    assert_eq!(
        root.resource.get("service.version"),
        Some(&format!("Str({})", env!("CARGO_PKG_VERSION")))
    );
    let reads = named("read");
    assert_eq!(reads.len(), 2, "one read span a file: {reads:#?}");
    for span in reads
        .iter()
        .chain(&named("compare"))
        .chain(&named("report"))
    {
        assert_eq!(
            span.parent_id, root.span_id,
            "{} is a child of the root",
            span.name
        );
    }
    let compare = named("compare");
    assert_eq!(compare.len(), 1);
    assert_eq!(named("report").len(), 1);
    let expected = evidently_columns();
    let columns = named("column");
    assert_eq!(columns.len(), expected.len(), "one span a column");
    for span in columns {
        assert_eq!(span.parent_id, compare[0].span_id);
        let name = span.text("column").expect("column attribute");
        let (test, score, drifted) = &expected[name];
        assert_eq!(span.text("test"), Some(test.as_str()), "{name}: test");
        assert_eq!(span.flag("drifted"), Some(*drifted), "{name}: drifted");
        let ours = span
            .number("p_value")
            .or_else(|| span.number("statistic"))
            .unwrap_or_else(|| panic!("{name}: no p_value or statistic: {span:#?}"));
        assert!(
            (ours - score).abs() <= 1e-9 * score.abs(),
            "{name}: score {ours} vs evidently's {score}"
        );
        assert!(span.number("statistic").is_some(), "{name}: statistic");
    }
    assert!(spans.iter().all(|s| s.trace_id == root.trace_id));
}

#[test]
fn drift_spans_reach_the_collector_over_grpc_with_only_the_endpoint_set() {
    let dir = scratch("otlp-grpc");
    let rotel = Rotel::start(&dir);
    let endpoint = format!("http://{}", rotel.grpc);
    let output = example_drift(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)]);
    assert_succeeded(&output);
    let spans = rotel.wait_for_trace("monitor drift", 25);
    assert_drift_trace(&spans);
}

#[test]
fn drift_spans_reach_the_collector_over_http() {
    let dir = scratch("otlp-http");
    let rotel = Rotel::start(&dir);
    let endpoint = format!("http://{}", rotel.http);
    let output = example_drift(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    ]);
    assert_succeeded(&output);
    let spans = rotel.wait_for_trace("monitor drift", 25);
    assert_drift_trace(&spans);
}

#[test]
fn log_records_and_resource_attributes_follow_the_standard_variables() {
    let dir = scratch("otlp-logs");
    let rotel = Rotel::start(&dir);
    // column b has no value on the current side: its test is not computed, with a warning
    let reference = write(&dir, "reference.csv", "a,b\n1,x\n2,y\n3,z\n4,x\n");
    let current = write(&dir, "current.csv", "a,b\n1,\n5,\n7,\n9,\n");
    let endpoint = format!("http://{}", rotel.grpc);
    let output = drift_with(
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_SERVICE_NAME", "drift-nightly"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment=test,team=ml%20ops",
            ),
        ],
        &reference,
        &current,
    )
    .output()
    .expect("running monitor");
    assert_succeeded(&output);
    let spans = rotel.wait_for_trace("monitor drift", 2);
    let root = spans
        .iter()
        .find(|s| s.name == "monitor drift")
        .expect("root span");
    assert_eq!(root.resource["service.name"], "Str(drift-nightly)");
    assert_eq!(root.resource["deployment.environment"], "Str(test)");
    assert_eq!(root.resource["team"], "Str(ml ops)");
    let logs = crate::backends::poll(
        "the warning as a log record",
        Duration::from_secs(30),
        || {
            let logs = rotel.logs();
            (!logs.is_empty()).then_some(logs)
        },
    );
    let warning = logs
        .iter()
        .find(|l| l.body == "Str(test not computed)")
        .unwrap_or_else(|| panic!("{logs:#?}"));
    assert_eq!(warning.severity, "WARN");
    assert_eq!(warning.attributes["column"], "Str(b)");
    assert_eq!(
        warning.trace_id, root.trace_id,
        "the record is in the command's trace"
    );
    assert_eq!(warning.resource["service.name"], "Str(drift-nightly)");
    // the same event on stderr, as a JSON line carrying the same trace id
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line: Value = stderr
        .lines()
        .find(|l| l.contains("test not computed"))
        .map(|l| serde_json::from_str(l).expect("a JSON log line"))
        .unwrap_or_else(|| panic!("no warning on stderr: {stderr}"));
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["trace_id"].as_str(), Some(root.trace_id.as_str()));
    assert_eq!(line["fields"]["column"], "b");
}

/// A TCP server that accepts connections and never answers: a hung collector.
struct Silent {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    held.extend(stream.ok());
                }
            })
        };
        Silent {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs the command `n` times and returns the fastest wall time and the last output.
fn fastest(
    n: usize,
    mut run: impl FnMut() -> std::process::Output,
) -> (Duration, std::process::Output) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..n {
        let started = Instant::now();
        let output = run();
        best = best.min(started.elapsed());
        last = Some(output);
    }
    (best, last.expect("at least one run"))
}

#[test]
fn a_collector_that_is_down_or_silent_costs_a_command_little() {
    let (baseline, expected) = fastest(3, || example_drift(&[]));
    assert_succeeded(&expected);
    // nothing listens: connections are refused at once
    let down = format!("http://127.0.0.1:{}", free_port());
    for protocol in ["grpc", "http/protobuf"] {
        let (elapsed, output) = fastest(3, || {
            example_drift(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &down),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ])
        });
        assert_succeeded(&output);
        assert_eq!(
            output.stdout, expected.stdout,
            "{protocol}: the same report"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("spans were not exported"),
            "{protocol}: {stderr}"
        );
        let added = elapsed.saturating_sub(baseline);
        #[allow(clippy::print_stderr)] // the measured cost, quoted in docs/telemetry.md
        {
            eprintln!(
                "collector down ({protocol}): {elapsed:?} against {baseline:?} without export, +{added:?}"
            );
        }
        assert!(
            added < Duration::from_millis(1500),
            "{protocol}: +{added:?}"
        );
    }
    // a collector that accepts and never answers: bounded by OTEL_EXPORTER_OTLP_TIMEOUT
    let silent = Silent::start();
    let endpoint = format!("http://{}", silent.addr);
    let started = Instant::now();
    let output = example_drift(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
    ]);
    let elapsed = started.elapsed();
    assert_succeeded(&output);
    assert_eq!(output.stdout, expected.stdout);
    let added = elapsed.saturating_sub(baseline);
    #[allow(clippy::print_stderr)] // the measured cost, quoted in docs/telemetry.md
    {
        eprintln!("silent collector, 1 s timeout: {elapsed:?}, +{added:?}");
    }
    // the export timeout plus half a second of shutdown, and scheduling slack
    assert!(added < Duration::from_millis(2500), "+{added:?}");
}
