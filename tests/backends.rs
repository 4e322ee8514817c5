//! Real servers for end-to-end tests: Prometheus on 127.0.0.1, and small HTTP servers the
//! tests control (scrape targets, hook receivers). Everything stops when dropped.

// helpers for the canary, alerting and telemetry tests that build on this module
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
pub use test_support::http::{HttpServer, Request, free_port, http_get, poll};

/// Where Debian's `prometheus` package puts the server; `cargo xtask test` installs it.
const PROMETHEUS: &str = "/usr/bin/prometheus";

/// Percent-encodes a query parameter.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A real Prometheus server on 127.0.0.1 scraping the given targets every second; killed
/// (by its PID) when dropped.
pub struct Prometheus {
    /// Where its HTTP API listens.
    pub addr: SocketAddr,
    child: Child,
    log: PathBuf,
}

impl Prometheus {
    /// Starts Prometheus with one scrape job per `(job, target)` and waits until it is
    /// ready. Its data and log live under `dir`.
    pub fn start(dir: &Path, jobs: &[(&str, SocketAddr)]) -> Self {
        assert!(
            Path::new(PROMETHEUS).is_file(),
            "{PROMETHEUS} not found: run `cargo xtask test`, which installs Debian's prometheus package"
        );
        let mut config = String::from(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n",
        );
        for (job, target) in jobs {
            config.push_str(&format!(
                "  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']\n"
            ));
        }
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config).expect("writing prometheus.yml");
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("an address");
        let log = dir.join("prometheus.log");
        let log_file = std::fs::File::create(&log).expect("creating the log");
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file)
            .spawn()
            .expect("starting prometheus");
        let prometheus = Prometheus { addr, child, log };
        poll("prometheus to be ready", Duration::from_secs(30), || {
            matches!(http_get(addr, "/-/ready"), Ok((200, _))).then_some(())
        });
        prometheus
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An instant query's `data.result` array.
    pub fn query(&self, expr: &str) -> Vec<Value> {
        let (status, body) = http_get(self.addr, &format!("/api/v1/query?query={}", encode(expr)))
            .expect("querying prometheus");
        assert_eq!(status, 200, "query {expr}: {body}");
        let value: Value = serde_json::from_str(&body).expect("a JSON answer");
        value["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until every job's target has been scraped at least once.
    pub fn wait_for_scrapes(&self, jobs: &[&str]) {
        for job in jobs {
            poll(
                &format!("a scrape of job {job}"),
                Duration::from_secs(30),
                || {
                    self.query(&format!("up{{job=\"{job}\"}} == 1"))
                        .first()
                        .map(|_| ())
                },
            );
        }
    }

    /// The server's log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn prometheus_scrapes_a_target_the_test_controls() {
    let dir = crate::support::scratch("backends-prometheus");
    let count = Arc::new(Mutex::new(0u64));
    let target = {
        let count = Arc::clone(&count);
        HttpServer::start(move |_| {
            let n = *count.lock().unwrap_or_else(PoisonError::into_inner);
            (
                200,
                format!("# TYPE demo_requests_total counter\ndemo_requests_total {n}\n"),
            )
        })
    };
    let prometheus = Prometheus::start(&dir, &[("demo", target.addr)]);
    prometheus.wait_for_scrapes(&["demo"]);
    *count.lock().unwrap_or_else(PoisonError::into_inner) = 42;
    poll(
        "the new value to be scraped",
        Duration::from_secs(30),
        || {
            prometheus
                .query("demo_requests_total")
                .first()
                .filter(|sample| sample["value"][1] == "42")
                .map(|_| ())
        },
    );
    assert!(
        target.requests().iter().all(|r| r.path == "/metrics"),
        "log: {}",
        prometheus.log()
    );
}
