//! Real telemetry receivers for end-to-end tests: rotel (an OpenTelemetry collector that
//! prints every span and log record it receives) and the Prometheus Pushgateway. Both run
//! on 127.0.0.1 on free ports and are killed (by their PID) when dropped.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::backends::{free_port, http_get, poll};

/// Where Debian's `prometheus-pushgateway` package puts the server.
const PUSHGATEWAY: &str = "/usr/bin/prometheus-pushgateway";

/// The rotel binary: `MONITOR_TEST_ROTEL`, or where `cargo xtask test` installs it
/// (`target/rotel-venv`, a Python venv with the `rotel` wheel, whose binary is inside).
pub fn rotel_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("MONITOR_TEST_ROTEL") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "MONITOR_TEST_ROTEL={} is not a file",
            path.display()
        );
        return path;
    }
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target dir")
        .to_path_buf();
    let venv = target.join("rotel-venv");
    let found = std::fs::read_dir(venv.join("lib"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|python| python.path().join("site-packages/rotel/rotel-agent"))
        .find(|binary| binary.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "rotel not found under {}: run `cargo xtask test`, which installs it \
             (python3 -m venv {0} && {0}/bin/pip install rotel==0.0.1a15), \
             or point MONITOR_TEST_ROTEL at a rotel-agent binary",
            venv.display()
        )
    })
}

/// One span as rotel printed it.
#[derive(Debug, Clone, Default)]
pub struct ReceivedSpan {
    /// 32 hex digits.
    pub trace_id: String,
    /// 16 hex digits; empty for a root span.
    pub parent_id: String,
    /// 16 hex digits.
    pub span_id: String,
    /// The span's name.
    pub name: String,
    /// Attributes as rotel prints them: `Str(drift)`, `Double(0.25)`, `Int(3)`, `Bool(true)`.
    pub attributes: BTreeMap<String, String>,
    /// The resource attributes of the batch it came in.
    pub resource: BTreeMap<String, String>,
}

/// One log record as rotel printed it.
#[derive(Debug, Clone, Default)]
pub struct ReceivedLog {
    /// The body, e.g. `Str(test not computed)`.
    pub body: String,
    /// `WARN`, `INFO`, ...
    pub severity: String,
    /// The record's attributes, as for spans.
    pub attributes: BTreeMap<String, String>,
    /// The trace it was emitted in.
    pub trace_id: String,
    /// The span it was emitted in.
    pub span_id: String,
    /// The resource attributes of the batch it came in.
    pub resource: BTreeMap<String, String>,
}

impl ReceivedSpan {
    /// A string attribute's value (`Str(...)`).
    pub fn text(&self, key: &str) -> Option<&str> {
        unwrap_value(self.attributes.get(key)?, "Str")
    }

    /// A numeric attribute's value (`Double(...)` or `Int(...)`).
    pub fn number(&self, key: &str) -> Option<f64> {
        let value = self.attributes.get(key)?;
        unwrap_value(value, "Double")
            .or_else(|| unwrap_value(value, "Int"))?
            .parse()
            .ok()
    }

    /// A boolean attribute's value (`Bool(...)`).
    pub fn flag(&self, key: &str) -> Option<bool> {
        unwrap_value(self.attributes.get(key)?, "Bool")?
            .parse()
            .ok()
    }
}

fn unwrap_value<'a>(value: &'a str, kind: &str) -> Option<&'a str> {
    value
        .strip_prefix(kind)?
        .strip_prefix('(')?
        .strip_suffix(')')
}

/// A rotel collector receiving OTLP on gRPC and HTTP, printing what it gets to its log.
pub struct Rotel {
    /// The OTLP/gRPC port.
    pub grpc: SocketAddr,
    /// The OTLP/HTTP port.
    pub http: SocketAddr,
    child: Child,
    log: PathBuf,
}

impl Rotel {
    /// Starts rotel with its files under `dir` and waits until both ports accept
    /// connections.
    pub fn start(dir: &Path) -> Rotel {
        let binary = rotel_binary();
        let addr = || -> SocketAddr {
            format!("127.0.0.1:{}", free_port())
                .parse()
                .expect("an address")
        };
        let (grpc, http) = (addr(), addr());
        let log = dir.join("rotel.log");
        let log_file = std::fs::File::create(&log).expect("creating the log");
        let child = Command::new(&binary)
            .arg("start")
            .args(["--otlp-grpc-endpoint", &grpc.to_string()])
            .args(["--otlp-http-endpoint", &http.to_string()])
            .args(["--exporter", "blackhole"])
            .args(["--debug-log", "traces", "--debug-log", "logs"])
            .args(["--debug-log-verbosity", "detailed"])
            .arg("--pid-file")
            .arg(dir.join("rotel.pid"))
            .arg("--log-file")
            .arg(dir.join("rotel-agent.log"))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let rotel = Rotel {
            grpc,
            http,
            child,
            log,
        };
        for port in [grpc, http] {
            poll("rotel to listen", Duration::from_secs(20), || {
                TcpStream::connect_timeout(&port, Duration::from_millis(200))
                    .ok()
                    .map(|_| ())
            });
        }
        rotel
    }

    /// What rotel printed so far, without terminal colour codes.
    pub fn log(&self) -> String {
        strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        parse(&self.log()).0
    }

    /// Every log record received so far.
    pub fn logs(&self) -> Vec<ReceivedLog> {
        parse(&self.log()).1
    }

    /// Waits until the spans of the trace whose root span is `root` have arrived, with
    /// at least `at_least` spans in that trace; returns them.
    pub fn wait_for_trace(&self, root: &str, at_least: usize) -> Vec<ReceivedSpan> {
        poll(
            &format!("a trace rooted at {root:?} with {at_least} spans"),
            Duration::from_secs(30),
            || {
                let spans = self.spans();
                let trace_id = spans
                    .iter()
                    .find(|s| s.name == root && s.parent_id.is_empty())?
                    .trace_id
                    .clone();
                let trace: Vec<ReceivedSpan> = spans
                    .into_iter()
                    .filter(|s| s.trace_id == trace_id)
                    .collect();
                (trace.len() >= at_least).then_some(trace)
            },
        )
    }
}

impl Drop for Rotel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// What a `-> key: value` line belongs to.
#[derive(PartialEq)]
enum Section {
    Resource,
    Span,
    Log,
    Other,
}

/// Reads rotel's detailed debug output: `ResourceSpans` / `ResourceLog` blocks with
/// their resource attributes, then `Span #n` / `LogRecord #n` blocks with `Key : value`
/// lines and `-> key: value` attributes.
fn parse(log: &str) -> (Vec<ReceivedSpan>, Vec<ReceivedLog>) {
    let mut spans: Vec<ReceivedSpan> = Vec::new();
    let mut logs: Vec<ReceivedLog> = Vec::new();
    let mut resource = BTreeMap::new();
    let mut section = Section::Other;
    let mut in_span = false;
    for line in log.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("ResourceSpans #") || trimmed.starts_with("ResourceLog") {
            resource = BTreeMap::new();
            in_span = false;
            section = Section::Other;
        } else if trimmed == "Resource attributes:" {
            section = Section::Resource;
        } else if trimmed.starts_with("Span #") {
            spans.push(ReceivedSpan {
                resource: resource.clone(),
                ..ReceivedSpan::default()
            });
            in_span = true;
            section = Section::Other;
        } else if trimmed.starts_with("LogRecord #") {
            logs.push(ReceivedLog {
                resource: resource.clone(),
                ..ReceivedLog::default()
            });
            in_span = false;
            section = Section::Other;
        } else if trimmed == "Attributes:" {
            section = if in_span { Section::Span } else { Section::Log };
        } else if trimmed == "Events:" || trimmed == "Links:" || trimmed.starts_with("ScopeSpans") {
            section = Section::Other;
        } else if let Some(pair) = trimmed.strip_prefix("-> ") {
            let Some((key, value)) = pair.split_once(": ") else {
                continue;
            };
            let (key, value) = (key.to_owned(), value.to_owned());
            match section {
                Section::Resource => {
                    resource.insert(key, value);
                }
                Section::Span => {
                    if let Some(span) = spans.last_mut() {
                        span.attributes.insert(key, value);
                    }
                }
                Section::Log => {
                    if let Some(record) = logs.last_mut() {
                        record.attributes.insert(key, value);
                    }
                }
                Section::Other => {}
            }
        } else if let Some((key, value)) = trimmed.split_once(':') {
            let (key, value) = (key.trim(), value.trim().to_owned());
            if in_span && let Some(span) = spans.last_mut() {
                match key {
                    "Trace ID" => span.trace_id = value,
                    "Parent ID" => span.parent_id = value,
                    "ID" => span.span_id = value,
                    "Name" => span.name = value,
                    _ => {}
                }
            } else if !in_span && let Some(record) = logs.last_mut() {
                match key {
                    "Body" => record.body = value,
                    "SeverityText" => record.severity = value,
                    "Trace ID" => record.trace_id = value,
                    "Span ID" => record.span_id = value,
                    _ => {}
                }
            }
        }
    }
    (spans, logs)
}

/// A Prometheus Pushgateway on 127.0.0.1; killed when dropped.
pub struct Pushgateway {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
}

impl Pushgateway {
    /// Starts a Pushgateway (no persistence) with its log under `dir`, and waits until it
    /// is ready.
    pub fn start(dir: &Path) -> Pushgateway {
        assert!(
            Path::new(PUSHGATEWAY).is_file(),
            "{PUSHGATEWAY} not found: run `cargo xtask test`, which installs Debian's prometheus-pushgateway package"
        );
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("an address");
        let log = std::fs::File::create(dir.join("pushgateway.log")).expect("creating the log");
        let child = Command::new(PUSHGATEWAY)
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("starting the pushgateway");
        let gateway = Pushgateway { addr, child };
        poll(
            "the pushgateway to be ready",
            Duration::from_secs(30),
            || matches!(http_get(addr, "/-/ready"), Ok((200, _))).then_some(()),
        );
        gateway
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its own `/metrics` page: what it holds, in the Prometheus text format.
    pub fn metrics(&self) -> String {
        // HTTP/1.0, so that the page is not chunked (`http_get` reads bodies as sent)
        let mut stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))
            .expect("connecting to the pushgateway");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a read timeout");
        write!(
            stream,
            "GET /metrics HTTP/1.0\r\nHost: {}\r\n\r\n",
            self.addr
        )
        .expect("asking the pushgateway");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("reading the pushgateway");
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        assert!(
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
            "{head}"
        );
        assert!(!head.to_ascii_lowercase().contains("chunked"), "{head}");
        body.to_owned()
    }
}

impl Drop for Pushgateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn rotel_output_is_parsed_into_spans_and_logs() {
    let log = "\u{1b}[2m2026\u{1b}[0m Starting Rotel.\nResourceSpans #0\nResource attributes:\n     -> service.name: Str(monitor)\nScopeSpans #0\nSpan #0\n    Trace ID       : aa\n    Parent ID      : \n    ID             : bb\n    Name           : monitor drift\nAttributes:\n     -> command: Str(drift)\n     -> p_value: Double(0.25)\nEvents:\nSpanEvent #0\n     -> Name: test not computed\nResourceLog #0\nResource attributes:\n     -> service.name: Str(nightly)\nLogRecord #0\nSeverityText: WARN\nBody: Str(test not computed)\nAttributes:\n     -> column: Str(b)\n    Trace ID       : aa\n    Span ID        : bb\n";
    let (spans, logs) = parse(&strip_ansi(log));
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(
        (span.trace_id.as_str(), span.span_id.as_str()),
        ("aa", "bb")
    );
    assert!(span.parent_id.is_empty());
    assert_eq!(span.name, "monitor drift");
    assert_eq!(span.text("command"), Some("drift"));
    assert_eq!(span.number("p_value"), Some(0.25));
    assert_eq!(
        span.attributes.len(),
        2,
        "event attributes are not span attributes"
    );
    assert_eq!(span.resource["service.name"], "Str(monitor)");
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].body, "Str(test not computed)");
    assert_eq!(logs[0].severity, "WARN");
    assert_eq!(logs[0].attributes["column"], "Str(b)");
    assert_eq!(logs[0].trace_id, "aa");
    assert_eq!(logs[0].resource["service.name"], "Str(nightly)");
}
