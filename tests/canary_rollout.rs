//! `monitor canary run` end to end: a real Prometheus scrapes a baseline and a candidate
//! that the test drives; the binary judges each analysis from PromQL and calls a hook
//! receiver, whose record of calls is checked exactly.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;

use crate::backends::{HttpServer, Prometheus, free_port};
use crate::support::{monitor, scratch, write};

/// Latency bucket bounds (seconds) of the simulated services' histogram.
const BUCKETS: [f64; 6] = [0.05, 0.1, 0.2, 0.4, 0.8, f64::INFINITY];

/// One service's counters, as it would expose them.
#[derive(Default)]
struct Service {
    requests: u64,
    errors: u64,
    buckets: [u64; 6],
    latency_sum: f64,
}

impl Service {
    fn serve(&mut self, latency: f64, error: bool) {
        self.requests += 1;
        self.errors += u64::from(error);
        self.latency_sum += latency;
        for (bucket, bound) in self.buckets.iter_mut().zip(BUCKETS) {
            if latency <= bound {
                *bucket += 1;
            }
        }
    }

    fn exposition(&self, variant: &str) -> String {
        let mut text = format!(
            "# TYPE app_requests_total counter\napp_requests_total{{variant=\"{variant}\"}} {}\n\
             # TYPE app_errors_total counter\napp_errors_total{{variant=\"{variant}\"}} {}\n\
             # TYPE app_latency_seconds histogram\n",
            self.requests, self.errors
        );
        for (count, bound) in self.buckets.iter().zip(BUCKETS) {
            let le = if bound.is_infinite() {
                "+Inf".to_owned()
            } else {
                bound.to_string()
            };
            text.push_str(&format!(
                "app_latency_seconds_bucket{{variant=\"{variant}\",le=\"{le}\"}} {count}\n"
            ));
        }
        text.push_str(&format!(
            "app_latency_seconds_sum{{variant=\"{variant}\"}} {}\napp_latency_seconds_count{{variant=\"{variant}\"}} {}\n",
            self.latency_sum, self.requests
        ));
        text
    }
}

/// How the candidate behaves.
#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    /// Like the baseline throughout.
    Healthy,
    /// 20% errors once it takes half the traffic.
    ErrorsAtHalf,
    /// Latency four times the baseline's once it takes half the traffic.
    SlowAtHalf,
    /// Never serves a request.
    NoTraffic,
}

/// The last weight the hook receiver was told, 0 before any.
fn current_weight(hook: &Mutex<Vec<Value>>) -> u64 {
    hook.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .rev()
        .find_map(|call| call["weight"].as_u64())
        .unwrap_or(0)
}

/// What one rollout did: hook calls, stdout, exit code, and what Prometheus saw of the
/// command's own `/metrics` (highest candidate weight and canary score over the run).
struct Run {
    calls: Vec<Value>,
    stdout: String,
    code: Option<i32>,
    max_weight: Option<f64>,
    max_score: Option<f64>,
}

/// Runs one rollout against a fresh Prometheus, which also scrapes the command's metrics.
fn rollout(name: &str, scenario: Scenario) -> Run {
    let dir = scratch(name);
    let services = Arc::new([
        Mutex::new(Service::default()),
        Mutex::new(Service::default()),
    ]);
    let target = |index: usize, variant: &'static str| {
        let services = Arc::clone(&services);
        HttpServer::start(move |_| {
            let text = services[index]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .exposition(variant);
            (200, text)
        })
    };
    let (baseline, candidate) = (target(0, "baseline"), target(1, "candidate"));
    let calls: Arc<Mutex<Vec<Value>>> = Arc::new(Mutex::new(Vec::new()));
    let hook = {
        let calls = Arc::clone(&calls);
        HttpServer::start(move |request| {
            let call: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            calls
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(call);
            (200, "ok".into())
        })
    };
    let metrics_addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port())
        .parse()
        .expect("an address");
    let prometheus = Prometheus::start(
        &dir,
        &[
            ("baseline", baseline.addr),
            ("candidate", candidate.addr),
            ("monitor", metrics_addr),
        ],
    );
    // traffic: 50 requests a second a side, 1% errors, latencies cycling 20..200 ms
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = {
        let (services, calls, stop) =
            (Arc::clone(&services), Arc::clone(&calls), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut tick = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let half = current_weight(&calls) >= 50;
                for i in 0..5 {
                    let n = tick * 5 + i;
                    let latency = 0.02 + (n % 10) as f64 * 0.02;
                    let error = n.is_multiple_of(100);
                    services[0]
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .serve(latency, error);
                    let (latency, error) = match scenario {
                        Scenario::Healthy => (latency, error),
                        Scenario::ErrorsAtHalf if half => (latency, n.is_multiple_of(5)),
                        Scenario::SlowAtHalf if half => (latency * 4.0, error),
                        Scenario::ErrorsAtHalf | Scenario::SlowAtHalf => (latency, error),
                        Scenario::NoTraffic => continue,
                    };
                    services[1]
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .serve(latency, error);
                }
                tick += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    prometheus.wait_for_scrapes(&["baseline", "candidate"]);
    let config = format!(
        r#"
name = "{name}"

[rollout]
progress_deadline = "60s"
steps = [
  {{ set_weight = 20 }},
  {{ analysis = {{ metrics = [{{ name = "canary", initial_delay = "9s" }}] }} }},
  {{ set_weight = 50 }},
  {{ analysis = {{ metrics = [{{ name = "canary", initial_delay = "9s" }}] }} }},
  {{ set_weight = 100 }},
]

[prometheus]
url = "{prometheus}"
lookback = "8s"
step = "1s"

[hook]
webhook = "{hook}/hook"

[judge]
# as operators do: a significant shift fails only when it is also large (mean ratio)
[[judge.metrics]]
name = "error_rate"
kind = "rate"
direction = "increase"
min_samples = 50
effect_size = {{ allowed_increase = 2.0 }}

[[judge.metrics]]
name = "latency_p90"
direction = "increase"
min_samples = 5
effect_size = {{ allowed_increase = 1.25 }}

[queries.error_rate]
events = 'sum(increase(app_errors_total{{variant="{{variant}}"}}[8s]))'
trials = 'sum(increase(app_requests_total{{variant="{{variant}}"}}[8s]))'

[queries.latency_p90]
query = 'histogram_quantile(0.9, sum by (le) (rate(app_latency_seconds_bucket{{variant="{{variant}}"}}[3s])))'
"#,
        prometheus = prometheus.url(),
        hook = hook.url(),
    );
    let config = write(&dir, "rollout.toml", config);
    let output = monitor()
        .args(["canary", "run", "--config"])
        .arg(&config)
        .arg("--metrics-addr")
        .arg(metrics_addr.to_string())
        .timeout(Duration::from_secs(120))
        .output()
        .expect("running monitor canary run");
    stop.store(true, Ordering::SeqCst);
    let _ = traffic.join();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let recorded = calls.lock().unwrap_or_else(PoisonError::into_inner).clone();
    #[allow(clippy::print_stderr)] // shown when an assertion below fails
    {
        eprintln!(
            "{name}: exit {:?}\nstdout: {stdout}\nstderr: {stderr}\ncalls: {recorded:?}",
            output.status.code()
        );
    }
    let max = |metric: &str| {
        prometheus
            .query(&format!(
                "max_over_time({metric}{{variant=\"candidate\"}}[5m])"
            ))
            .first()
            .and_then(|sample| sample["value"][1].as_str()?.parse::<f64>().ok())
    };
    Run {
        calls: recorded,
        stdout,
        code: output.status.code(),
        max_weight: max("monitor_rollout_weight_ratio"),
        max_score: max("monitor_canary_score"),
    }
}

/// The calls' `action` (and weight) in order, e.g. `["set_weight 20", "promote"]`.
fn sequence(calls: &[Value]) -> Vec<String> {
    calls
        .iter()
        .map(|call| match call["weight"].as_u64() {
            Some(weight) => format!("{} {weight}", call["action"].as_str().unwrap_or("?")),
            None => call["action"].as_str().unwrap_or("?").to_owned(),
        })
        .collect()
}

#[test]
fn a_healthy_candidate_is_promoted_through_every_step() {
    let run = rollout("canary-healthy", Scenario::Healthy);
    assert_eq!(
        sequence(&run.calls),
        [
            "set_weight 20",
            "set_weight 50",
            "set_weight 100",
            "promote"
        ]
    );
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.contains("promoted"), "{}", run.stdout);
    assert!(run.calls.iter().all(|c| c["rollout"] == "canary-healthy"));
    // Prometheus scraped the command's /metrics while it ran: the weight reached at least
    // the 50% step (the last steps may end between two scrapes) and the canary passed
    assert!(
        run.max_weight.is_some_and(|w| w >= 0.5),
        "{:?}",
        run.max_weight
    );
    assert_eq!(run.max_score, Some(100.0));
}

#[test]
fn a_candidate_whose_errors_rise_is_rolled_back_at_that_step() {
    let run = rollout("canary-errors", Scenario::ErrorsAtHalf);
    assert_eq!(
        sequence(&run.calls),
        ["set_weight 20", "set_weight 50", "rollback"]
    );
    assert_eq!(run.code, Some(1), "a rollback exits 1");
    assert!(run.stdout.contains("rolled back"), "{}", run.stdout);
    let reason = run.calls[2]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("error_rate") || reason.contains("canary"),
        "{reason}"
    );
}

#[test]
fn a_candidate_whose_latency_rises_is_rolled_back_at_that_step() {
    let run = rollout("canary-latency", Scenario::SlowAtHalf);
    assert_eq!(
        sequence(&run.calls),
        ["set_weight 20", "set_weight 50", "rollback"]
    );
    assert_eq!(run.code, Some(1));
}

#[test]
fn a_candidate_without_traffic_pauses_as_inconclusive_instead_of_failing() {
    let run = rollout("canary-no-traffic", Scenario::NoTraffic);
    assert_eq!(sequence(&run.calls), ["set_weight 20", "pause"]);
    assert_eq!(run.calls[1]["reason"]["reason"], "inconclusive_analysis");
    assert_eq!(run.code, Some(0), "a pause is not a failure");
    assert!(run.stdout.contains("paused"), "{}", run.stdout);
}
