//! Real servers for end-to-end tests: Prometheus on 127.0.0.1, and small HTTP servers the
//! tests control (scrape targets, hook receivers). Everything stops when dropped.

// helpers for the canary, alerting and telemetry tests that build on this module
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Where Debian's `prometheus` package puts the server; `cargo xtask test` installs it.
const PROMETHEUS: &str = "/usr/bin/prometheus";

/// One HTTP request as a test server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Request {
    /// A header's value by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&Request) -> (u16, String) + Send + Sync;

/// A small HTTP/1.1 server on 127.0.0.1 (one connection at a time, `Connection: close`)
/// that answers through a handler and records every request.
pub struct HttpServer {
    /// Where it listens.
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// Starts a server on a free port.
    pub fn start(handler: impl Fn(&Request) -> (u16, String) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a test server");
        let addr = listener.local_addr().expect("its address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let thread = {
            let (requests, stop) = (Arc::clone(&requests), Arc::clone(&stop));
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    if let Some(request) = serve(stream, handler.as_ref()) {
                        requests
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(request);
                    }
                }
            })
        };
        HttpServer {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // wake the accept loop so it sees the flag
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request, answers it, returns it (None for a connection that sent nothing).
fn serve(stream: TcpStream, handler: &Handler) -> Option<Request> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let request = Request {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let (status, text) = handler(&request);
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    Some(request)
}

/// `GET` over plain HTTP/1.0 (so that no server answers in chunks); returns the status and
/// body.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

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

/// A free port on 127.0.0.1 (bound, then released for the server to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Polls `check` until it returns `Some` or `deadline` passes; panics with `what` then.
pub fn poll<T>(what: &str, deadline: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            started.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
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
