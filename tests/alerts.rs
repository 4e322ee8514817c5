//! `monitor alerts` end to end against a real Alertmanager (Debian's
//! prometheus-alertmanager) and local PagerDuty-like and webhook receivers on 127.0.0.1:
//! alerts arrive, acknowledgement silences, resolve clears, an Alertmanager outage loses
//! nothing, and a delivery cut short by a crash is sent again.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use telemetry::alert::verify;

use crate::backends::{HttpServer, Request, free_port, http_get, poll};
use crate::support::{assert_succeeded, json_of, monitor, scratch, write};

/// Where Debian's `prometheus-alertmanager` package puts the server; `cargo xtask test`
/// installs it.
const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

const WEBHOOK_SECRET: &str = "webhook-secret-for-tests";
const ROUTING_KEY: &str = "routing-key-for-tests";

/// A real Alertmanager on 127.0.0.1, killed (by its PID) when dropped.
pub struct Alertmanager {
    /// Where its API listens.
    pub addr: SocketAddr,
    dir: PathBuf,
    child: Option<Child>,
}

impl Alertmanager {
    /// Starts Alertmanager on a free port with its data and log under `dir`, and waits
    /// until it is ready.
    pub fn start(dir: &Path) -> Alertmanager {
        assert!(
            Path::new(ALERTMANAGER).is_file(),
            "{ALERTMANAGER} not found: run `cargo xtask test`, which installs Debian's prometheus-alertmanager package"
        );
        std::fs::write(
            dir.join("alertmanager.yml"),
            "route:\n  receiver: 'null'\n  group_wait: 1s\nreceivers:\n  - name: 'null'\n",
        )
        .expect("writing alertmanager.yml");
        let addr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("an address");
        let mut alertmanager = Alertmanager {
            addr,
            dir: dir.to_path_buf(),
            child: None,
        };
        alertmanager.restart();
        alertmanager
    }

    /// Starts it (again) on the same port and storage, and waits until it is ready.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "alertmanager is running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("alertmanager.log"))
            .expect("the log");
        let child = Command::new(ALERTMANAGER)
            .arg(format!(
                "--config.file={}",
                self.dir.join("alertmanager.yml").display()
            ))
            .arg(format!(
                "--storage.path={}",
                self.dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={}", self.addr))
            // empty: no cluster listener (it would bind 0.0.0.0:9094)
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("starting alertmanager");
        self.child = Some(child);
        let addr = self.addr;
        poll("alertmanager to be ready", Duration::from_secs(30), || {
            matches!(http_get(addr, "/-/ready"), Ok((200, _))).then_some(())
        });
    }

    /// Kills it by its PID and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `GET` as HTTP/1.0, so that Alertmanager answers without chunked encoding (which
    /// `backends::http_get` does not decode) however long the answer.
    fn get(&self, path: &str) -> Vec<Value> {
        let mut stream =
            TcpStream::connect_timeout(&self.addr, Duration::from_secs(5)).expect("connecting");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a timeout");
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr).expect("asking");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("an answer");
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        assert!(
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
            "{path}: {response}"
        );
        serde_json::from_str::<Value>(body)
            .unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// `GET /api/v2/alerts`: the alerts it holds (not resolved).
    pub fn alerts(&self) -> Vec<Value> {
        self.get("/api/v2/alerts")
    }

    /// `GET /api/v2/silences`.
    pub fn silences(&self) -> Vec<Value> {
        self.get("/api/v2/silences")
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("alertmanager.log")).unwrap_or_default()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A PagerDuty-like receiver: accepts every event as PagerDuty does (202).
fn pagerduty() -> HttpServer {
    HttpServer::start(|_| {
        (
            202,
            r#"{"status":"success","message":"Event processed"}"#.to_owned(),
        )
    })
}

/// A webhook receiver that checks the signature: 401 when it does not verify.
fn webhook() -> HttpServer {
    HttpServer::start(|request| {
        if signed(request) {
            (200, String::new())
        } else {
            (401, "bad signature".to_owned())
        }
    })
}

fn signed(request: &Request) -> bool {
    request
        .header("x-monitor-signature")
        .is_some_and(|header| verify(WEBHOOK_SECRET.as_bytes(), &request.body, header))
}

fn body(request: &Request) -> Value {
    request.json()
}

/// alerts.toml for the given sinks (a webhook only when `webhook` is given).
fn config(
    dir: &Path,
    alertmanager: Option<&str>,
    pagerduty: Option<&str>,
    webhook: Option<&str>,
    extra: &str,
) -> PathBuf {
    let mut text = format!(
        "[outbox]\npath = \"alerts.db\"\n\n[delivery]\ntimeout = \"5s\"\nretry_initial = \"100ms\"\nretry_max = \"500ms\"\npoll = \"100ms\"\n{extra}\n"
    );
    if let Some(url) = alertmanager {
        text.push_str(&format!(
            "[[sinks]]\nkind = \"alertmanager\"\nurl = \"{url}\"\nheartbeat = \"1s\"\n\n"
        ));
    }
    if let Some(url) = pagerduty {
        text.push_str(&format!(
            "[[sinks]]\nkind = \"pagerduty\"\nurl = \"{url}/v2/enqueue\"\nrouting_key = \"{ROUTING_KEY}\"\n\n"
        ));
    }
    if let Some(url) = webhook {
        text.push_str(&format!(
            "[[sinks]]\nkind = \"webhook\"\nurl = \"{url}/hook\"\nsecret = \"{WEBHOOK_SECRET}\"\n"
        ));
    }
    write(dir, "alerts.toml", text)
}

/// Runs `monitor alerts ARGS --config CONFIG` and returns its output.
fn alerts(config: &Path, args: &[&str]) -> std::process::Output {
    monitor()
        .arg("alerts")
        .args(&args[..1])
        .arg("--config")
        .arg(config)
        .args(&args[1..])
        .output()
        .expect("running monitor")
}

/// The fingerprint `monitor alerts fire` prints first.
fn fired(output: &std::process::Output) -> String {
    assert_succeeded(output);
    let text = String::from_utf8_lossy(&output.stdout);
    let fingerprint = text.split_whitespace().next().expect("a fingerprint");
    assert_eq!(fingerprint.len(), 16, "{text}");
    fingerprint.to_owned()
}

fn list(config: &Path) -> Value {
    let output = alerts(config, &["list", "--all", "--format", "json"]);
    assert_succeeded(&output);
    json_of(&output.stdout)
}

fn find<'a>(alerts: &'a [Value], fingerprint: &str) -> Option<&'a Value> {
    alerts.iter().find(|a| a["fingerprint"] == fingerprint)
}

#[test]
fn alerts_arrive_acknowledgement_silences_and_resolve_clears() {
    let dir = scratch("alerts-lifecycle");
    let am = Alertmanager::start(&dir);
    let (pd, hook) = (pagerduty(), webhook());
    let config = config(
        &dir,
        Some(&am.url()),
        Some(&pd.url()),
        Some(&hook.url()),
        "",
    );
    // a real drift report: the alert explains itself from its drifted columns
    let report_path = dir.join("drift.json");
    let output = monitor()
        .args(["drift", "--format", "json", "--reference"])
        .arg(crate::support::examples().join("reference.csv"))
        .arg("--current")
        .arg(crate::support::examples().join("current.csv"))
        .arg("--output")
        .arg(&report_path)
        .output()
        .expect("running monitor drift");
    assert_succeeded(&output);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).expect("the report"))
            .expect("JSON");
    let drifted: Vec<&str> = report["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter(|c| c["drifted"] == true)
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert!(!drifted.is_empty(), "the example data drifts");
    let fingerprint = fired(&alerts(
        &config,
        &[
            "fire",
            "--name",
            "DriftDetected",
            "--severity",
            "warning",
            "--summary",
            "drift on churn v3",
            "--label",
            "model=churn",
            "--label",
            "version=v3",
            "--details",
            report_path.to_str().expect("utf-8"),
        ],
    ));

    // Alertmanager holds it, under the same fingerprint
    let alert = poll("the alert in alertmanager", Duration::from_secs(10), || {
        find(&am.alerts(), &fingerprint).cloned()
    });
    assert_eq!(alert["labels"]["alertname"], "DriftDetected");
    assert_eq!(alert["labels"]["model"], "churn");
    assert_eq!(alert["labels"]["severity"], "warning");
    let description = alert["annotations"]["description"]
        .as_str()
        .expect("the explanation");
    assert!(
        description.contains(&format!(
            "{} of {} columns drifted",
            drifted.len(),
            report["n_columns"]
        )),
        "{description}"
    );
    for name in drifted.iter().take(10) {
        assert!(
            description.contains(&format!("{name} (")),
            "{name}: {description}"
        );
    }
    assert_eq!(alert["status"]["state"], "active");
    let trigger = body(&pd.requests()[0]);
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(trigger["routing_key"], ROUTING_KEY);
    assert_eq!(trigger["dedup_key"], fingerprint.as_str());
    let sent: Vec<&str> = trigger["payload"]["custom_details"]["details"]["drifted_columns"]
        .as_array()
        .expect("the drifted columns")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(sent, drifted, "details name every drifted column");
    let firing = &hook.requests()[0];
    assert!(signed(firing), "the webhook signature verifies");
    assert_eq!(body(firing)["event"], "firing");

    // acknowledge by a prefix of the fingerprint
    let output = alerts(
        &config,
        &[
            "ack",
            &fingerprint[..6],
            "--by",
            "ana",
            "--comment",
            "retraining is on its way",
        ],
    );
    assert_succeeded(&output);
    let silences = am.silences();
    assert_eq!(silences.len(), 1, "{silences:?}");
    let silence = &silences[0];
    assert_eq!(silence["status"]["state"], "active");
    assert_eq!(silence["createdBy"], "ana");
    assert_eq!(silence["comment"], "retraining is on its way");
    let mut matchers: Vec<(String, String)> = silence["matchers"]
        .as_array()
        .expect("matchers")
        .iter()
        .map(|m| {
            assert_eq!(
                (m["isRegex"].as_bool(), m["isEqual"].as_bool()),
                (Some(false), Some(true))
            );
            (
                m["name"].as_str().expect("name").to_owned(),
                m["value"].as_str().expect("value").to_owned(),
            )
        })
        .collect();
    matchers.sort();
    let labels: Vec<(String, String)> = alert["labels"]
        .as_object()
        .expect("labels")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("value").to_owned()))
        .collect();
    assert_eq!(matchers, labels, "the silence matches the alert's labels");
    let muted = poll("the alert to be silenced", Duration::from_secs(10), || {
        find(&am.alerts(), &fingerprint)
            .filter(|a| a["status"]["state"] == "suppressed")
            .cloned()
    });
    assert_eq!(muted["status"]["silencedBy"][0], silence["id"]);
    assert_eq!(
        body(pd.requests().last().expect("pd"))
            .get("event_action")
            .and_then(Value::as_str),
        Some("acknowledge")
    );
    let acknowledged = hook.requests().last().cloned().expect("hook");
    assert!(signed(&acknowledged));
    assert_eq!(body(&acknowledged)["event"], "acknowledged");
    assert_eq!(body(&acknowledged)["acknowledgement"]["by"], "ana");

    // what the acknowledgement pauses
    let paused = alerts(&config, &["paused", "rollout", "--label", "model=churn"]);
    assert_eq!(paused.status.code(), Some(1), "{paused:?}");
    assert!(String::from_utf8_lossy(&paused.stdout).contains("acknowledged by ana"));
    let other = alerts(&config, &["paused", "rollout", "--label", "model=fraud"]);
    assert_eq!(other.status.code(), Some(0), "{other:?}");

    // firing again while acknowledged: no new page, no new webhook call
    let (pd_calls, hook_calls) = (pd.requests().len(), hook.requests().len());
    let again = alerts(
        &config,
        &[
            "fire",
            "--name",
            "DriftDetected",
            "--severity",
            "warning",
            "--summary",
            "still drifting",
            "--label",
            "model=churn",
            "--label",
            "version=v3",
        ],
    );
    assert_eq!(fired(&again), fingerprint);
    assert_eq!(
        (pd.requests().len(), hook.requests().len()),
        (pd_calls, hook_calls)
    );
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains("acknowledged (updated): 1 deliveries queued"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );

    // resolve: gone from Alertmanager, silence expired, PagerDuty and the webhook told
    assert_succeeded(&alerts(&config, &["resolve", &fingerprint]));
    poll(
        "the alert to leave alertmanager",
        Duration::from_secs(10),
        || find(&am.alerts(), &fingerprint).is_none().then_some(()),
    );
    assert_eq!(am.silences()[0]["status"]["state"], "expired");
    assert_eq!(
        body(pd.requests().last().expect("pd"))["event_action"],
        "resolve"
    );
    let resolved = hook.requests().last().cloned().expect("hook");
    assert!(signed(&resolved));
    assert_eq!(body(&resolved)["event"], "resolved");
    assert!(hook.requests().iter().all(signed));

    let listed = list(&config);
    let record = find(listed["alerts"].as_array().expect("alerts"), &fingerprint).expect("listed");
    assert_eq!(record["state"], "resolved");
    assert_eq!(
        record["acknowledgement"]["comment"],
        "retraining is on its way"
    );
    assert_eq!(record["summary"], "still drifting");
    assert_eq!(listed["pending"], Value::Array(Vec::new()));
    assert_eq!(
        listed["dead_letters"],
        Value::Array(Vec::new()),
        "log: {}",
        am.log()
    );
}

#[test]
fn alerts_test_reports_every_sink() {
    let dir = scratch("alerts-test-command");
    let am = Alertmanager::start(&dir);
    let (pd, hook) = (pagerduty(), webhook());
    let good = config(
        &dir,
        Some(&am.url()),
        Some(&pd.url()),
        Some(&hook.url()),
        "",
    );
    let output = alerts(&good, &["test", "--keep"]);
    assert_succeeded(&output);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    for sink in ["alertmanager", "pagerduty", "webhook"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(sink) && l.contains(" ok: ")),
            "{sink}: {text}"
        );
    }
    let fingerprint = text
        .split_whitespace()
        .nth(2)
        .expect("the fingerprint")
        .to_owned();
    let alert = poll("the test alert", Duration::from_secs(10), || {
        find(&am.alerts(), &fingerprint).cloned()
    });
    assert_eq!(alert["labels"]["alertname"], "MonitorTest");
    assert_eq!(body(&pd.requests()[0])["dedup_key"], fingerprint.as_str());
    assert!(signed(&hook.requests()[0]));

    // a sink that refuses: reported, exit 3, and kept as a dead letter
    let refusing = HttpServer::start(|_| (400, "no".to_owned()));
    let refusing_dir = dir.join("refusing");
    std::fs::create_dir_all(&refusing_dir).expect("a directory");
    let bad = config(&refusing_dir, None, None, Some(&refusing.url()), "");
    let output = alerts(&bad, &["test"]);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("webhook") && text.contains("FAILED") && text.contains("HTTP 400"),
        "{text}"
    );
    let listed = list(&bad);
    assert_eq!(listed["dead_letters"][0]["status"], 400);
}

#[test]
fn alerts_survive_an_alertmanager_outage() {
    let dir = scratch("alerts-outage");
    let mut am = Alertmanager::start(&dir);
    let hook = webhook();
    let config = config(&dir, Some(&am.url()), None, Some(&hook.url()), "");
    // a long-running deliverer: retries and heartbeats (every second)
    let mut deliverer = Command::new(monitor().get_program())
        .args(["alerts", "deliver", "--follow", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting monitor alerts deliver --follow");
    let fire = |i: usize| {
        fired(&alerts(
            &config,
            &[
                "fire",
                "--name",
                "DriftDetected",
                "--severity",
                "warning",
                "--summary",
                &format!("drift on feature f{i}"),
                "--label",
                "model=churn",
                "--label",
                &format!("feature=f{i}"),
            ],
        ))
    };
    let mut fingerprints = Vec::new();
    for i in 0..4 {
        fingerprints.push(fire(i));
    }
    poll("the first alerts", Duration::from_secs(15), || {
        (am.alerts().len() == 4).then_some(())
    });
    am.stop();
    for i in 4..8 {
        fingerprints.push(fire(i));
    }
    // while it is down, the posts fail and wait in the outbox
    poll(
        "failed posts to wait in the outbox",
        Duration::from_secs(15),
        || {
            let listed = list(&config);
            let failed = listed["pending"]
                .as_array()
                .expect("pending")
                .iter()
                .filter(|d| {
                    d["sink"] == "alertmanager"
                        && d["last_error"]
                            .as_str()
                            .is_some_and(|e| e.contains("Connection refused"))
                })
                .count();
            (failed >= 4).then_some(())
        },
    );
    // back on the same port, with nothing in memory: heartbeats and retries refill it
    am.restart();
    for i in 8..12 {
        fingerprints.push(fire(i));
    }
    let held = poll(
        "every alert in alertmanager",
        Duration::from_secs(30),
        || {
            let held = am.alerts();
            (held.len() >= fingerprints.len()).then_some(held)
        },
    );
    let _ = deliverer.kill();
    let _ = deliverer.wait();
    let mut got: Vec<String> = held
        .iter()
        .map(|a| a["fingerprint"].as_str().expect("fingerprint").to_owned())
        .collect();
    got.sort();
    let mut want = fingerprints.clone();
    want.sort();
    assert_eq!(got, want, "every alert, once each; log: {}", am.log());
    // the webhook heard each alert fire; a repeat would carry the same idempotency key
    let calls = hook.requests();
    assert!(calls.iter().all(signed));
    let mut keys: Vec<(String, String)> = calls
        .iter()
        .map(|r| {
            (
                body(r)["fingerprint"]
                    .as_str()
                    .expect("fingerprint")
                    .to_owned(),
                r.header("idempotency-key").expect("key").to_owned(),
            )
        })
        .collect();
    keys.sort();
    keys.dedup();
    let notified: Vec<&String> = keys.iter().map(|(fp, _)| fp).collect();
    assert_eq!(
        notified,
        want.iter().collect::<Vec<_>>(),
        "one delivery per alert"
    );
    let listed = list(&config);
    assert_eq!(listed["dead_letters"], Value::Array(Vec::new()));
}

#[test]
fn alerts_in_flight_when_the_process_dies_are_sent_again() {
    let dir = scratch("alerts-crash");
    let (release, released) = mpsc::channel::<()>();
    let released = Mutex::new(released);
    let entered = Arc::new(AtomicUsize::new(0));
    let hook = {
        let entered = Arc::clone(&entered);
        HttpServer::start(move |_| {
            // hold the first request until the sender is dead
            if entered.fetch_add(1, Ordering::SeqCst) == 0 {
                let _ = released
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .recv_timeout(Duration::from_secs(60));
            }
            (200, String::new())
        })
    };
    let config = config(&dir, None, None, Some(&hook.url()), "");
    let mut sender = Command::new(monitor().get_program())
        .args(["alerts", "fire", "--config"])
        .arg(&config)
        .args([
            "--name",
            "CanaryFailed",
            "--severity",
            "critical",
            "--summary",
            "canary v4 failed",
            "--label",
            "model=churn",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting monitor alerts fire");
    poll(
        "the delivery to be in flight",
        Duration::from_secs(30),
        || (entered.load(Ordering::SeqCst) >= 1).then_some(()),
    );
    sender.kill().expect("killing the sender");
    let _ = sender.wait();
    release.send(()).expect("releasing the receiver");
    let output = alerts(&config, &["deliver", "--timeout", "20s"]);
    assert_succeeded(&output);
    let calls = poll("both attempts recorded", Duration::from_secs(10), || {
        let calls = hook.requests();
        (calls.len() >= 2).then_some(calls)
    });
    assert_eq!(calls.len(), 2, "sent again once");
    assert_eq!(
        calls[0].header("idempotency-key"),
        calls[1].header("idempotency-key")
    );
    assert_eq!(calls[0].header("x-monitor-attempt"), Some("1"));
    assert_eq!(calls[1].header("x-monitor-attempt"), Some("2"));
    assert!(calls.iter().all(signed));
    let listed = list(&config);
    assert_eq!(listed["pending"], Value::Array(Vec::new()));
}

#[test]
fn alerts_reject_bad_input_with_exit_2() {
    let dir = scratch("alerts-bad-input");
    let config = config(&dir, None, None, None, "");
    let user = alerts(
        &config,
        &[
            "fire",
            "--name",
            "X",
            "--severity",
            "info",
            "--summary",
            "s",
            "--label",
            "user_id=u-123",
        ],
    );
    assert_eq!(user.status.code(), Some(2), "{user:?}");
    assert!(String::from_utf8_lossy(&user.stderr).contains("clear user id"));
    let missing = alerts(&dir.join("missing.toml"), &["list"]);
    assert_eq!(missing.status.code(), Some(2));
    let unknown = alerts(&config, &["ack", "0123456789abcdef", "--by", "ana"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("no alert with fingerprint 0123456789abcdef")
    );
    let typo = write(
        &dir,
        "typo.toml",
        "[outbox]\npath = \"a.db\"\n[[sinks]]\nkind = \"alertmanager\"\nurl = \"http://127.0.0.1:1\"\nheartbeat = \"10m\"\n",
    );
    let output = alerts(&typo, &["list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("sinks[0].heartbeat"));
}
