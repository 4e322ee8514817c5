//! Crash test: a dispatcher process killed with SIGKILL at random moments loses no job and,
//! with a receiver that deduplicates by idempotency key, runs every job exactly once.
//!
//! The worker is the `dispatch_worker` example: a real process on the real SQLite queue,
//! posting to a real HTTP receiver on 127.0.0.1. The kill moments come from a seeded
//! generator. Half of them land while the receiver holds a request: the job was delivered
//! but the worker never hears back, so the job must return after its lease and be
//! delivered again. The others land after a random number of further deliveries,
//! wherever the worker happens to be (in SQLite, in the HTTP client, between jobs).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use drift_core::rng::SeededRng;
use retrain_policy::{JobQueue, JobState, NewJob, QueueOptions, SqliteQueue, verify};

const JOBS: usize = 240;
const KILLS: usize = 6;
const SECRET: &str = "crash-test-secret";
const LEASE_MS: &str = "400";
const DEADLINE: Duration = Duration::from_secs(60);

/// What the receiver saw.
#[derive(Default)]
struct Seen {
    /// Every delivery's key, in arrival order (redeliveries included).
    deliveries: Vec<String>,
    /// How many times each job was run. The receiver deduplicates: a key it has run
    /// already is acknowledged without running the job again.
    runs: BTreeMap<String, u32>,
    /// Requests whose signature did not verify or whose body disagreed with its header.
    rejected: u32,
    /// Hold the request that makes `deliveries` this long until the test says go on.
    pause_at: Option<usize>,
}

/// The receiver's shared state and its two hand-offs with the test thread.
struct Webhook {
    seen: Mutex<Seen>,
    changed: Condvar,
    paused: Mutex<Sender<()>>,
    resume: Mutex<Receiver<()>>,
}

type Request = (Vec<(String, String)>, Vec<u8>);

/// Reads one HTTP/1.1 request (lowercased headers, body); `None` at the end of the stream.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((headers, body))
}

fn serve(webhook: &Webhook, stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some((headers, body)) = read_request(&mut reader) {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let key = header("idempotency-key");
        let body_key = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["idempotency_key"].as_str().map(str::to_owned));
        let valid = verify(SECRET.as_bytes(), &body, &header("x-monitor-signature"))
            && body_key.as_deref() == Some(key.as_str());
        let pause = {
            let mut seen = webhook.seen.lock().unwrap();
            if valid {
                seen.deliveries.push(key.clone());
                // The job's effect happens here, once per key.
                seen.runs.entry(key).or_insert(1);
            } else {
                seen.rejected += 1;
            }
            let pause = seen.pause_at == Some(seen.deliveries.len());
            if pause {
                seen.pause_at = None;
            }
            webhook.changed.notify_all();
            pause
        };
        if pause {
            // Hold the response while the test kills the worker.
            let _ = webhook.paused.lock().unwrap().send(());
            let _ = webhook.resume.lock().unwrap().recv_timeout(DEADLINE);
        }
        let status = if valid { "200 OK" } else { "401 Unauthorized" };
        let response = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// The `dispatch_worker` example, built for this test's profile (a no-op when fresh).
fn worker_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let target_dir = profile_dir.parent().expect("a target directory");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            // the units `cargo test --workspace --all-targets` built (dev-dependencies'
            // features included): a no-op there, where `-p retrain-policy --example`
            // would rebuild dependencies with other features
            "--workspace",
            "--all-targets",
        ])
        .args(["--profile", profile])
        .arg("--target-dir")
        .arg(target_dir)
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building the dispatch_worker example failed"
    );
    let binary = profile_dir
        .join("examples")
        .join(format!("dispatch_worker{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.exists(), "{} missing", binary.display());
    binary
}

fn start_worker(binary: &Path, queue: &Path, url: &str, round: usize) -> Child {
    Command::new(binary)
        .arg("--queue")
        .arg(queue)
        .args(["--url", url, "--secret", SECRET, "--lease-ms", LEASE_MS])
        .args([
            "--worker-id",
            &format!("worker-{round}"),
            "--seed",
            &round.to_string(),
        ])
        .args(["--max-attempts", "100"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the worker starts")
}

/// Waits until the receiver has seen at least `count` deliveries (or the deadline passes).
fn wait_for_deliveries(webhook: &Webhook, count: usize) -> usize {
    let seen = webhook.seen.lock().unwrap();
    let (seen, _) = webhook
        .changed
        .wait_timeout_while(seen, DEADLINE, |s| s.deliveries.len() < count)
        .unwrap();
    seen.deliveries.len()
}

#[test]
fn sigkilled_dispatcher_loses_nothing_and_runs_each_job_once() {
    let binary = worker_binary();
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let queue_path = dir.path().join("queue.db");
    let queue = SqliteQueue::open(&queue_path, QueueOptions::default()).unwrap();
    let mut expected = BTreeSet::new();
    for i in 0..JOBS {
        let job = NewJob {
            model: "churn".into(),
            version: "v3".into(),
            reason: "accuracy_low".into(),
            window: format!("2026-11-27T{:02}:{:02}Z", i / 60, i % 60),
            payload: serde_json::json!({"decision": "retrain", "n": i}),
            max_attempts: Some(100),
        };
        expected.insert(job.key().as_str().to_owned());
        queue.enqueue(&job).unwrap();
    }
    assert_eq!(expected.len(), JOBS);

    let (paused_tx, paused_rx) = channel();
    let (resume_tx, resume_rx) = channel();
    let webhook = Arc::new(Webhook {
        seen: Mutex::new(Seen::default()),
        changed: Condvar::new(),
        paused: Mutex::new(paused_tx),
        resume: Mutex::new(resume_rx),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/retrain", listener.local_addr().unwrap());
    {
        let webhook = webhook.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let webhook = webhook.clone();
                std::thread::spawn(move || serve(&webhook, stream));
            }
        });
    }

    let mut rng = SeededRng::new(20261127);
    let mut mid_request_kills = 0;
    for round in 0..KILLS {
        let mid_request = round % 2 == 0;
        let target = {
            // Chosen and armed before the worker starts, so it cannot run past the target.
            let mut seen = webhook.seen.lock().unwrap();
            let target = seen.deliveries.len() + 5 + rng.below(25);
            if mid_request {
                seen.pause_at = Some(target);
            }
            target
        };
        let mut worker = start_worker(&binary, &queue_path, &url, round);
        if mid_request {
            paused_rx
                .recv_timeout(DEADLINE)
                .expect("the worker reaches the chosen delivery");
        } else {
            let reached = wait_for_deliveries(&webhook, target);
            assert!(
                reached >= target,
                "round {round}: only {reached} deliveries, wanted {target}"
            );
        }
        worker.kill().expect("SIGKILL the worker");
        let status = worker.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the worker should have been killed, not exit"
        );
        if mid_request {
            mid_request_kills += 1;
            resume_tx.send(()).unwrap();
        }
    }

    // The last worker runs undisturbed until every job is finished.
    let mut worker = start_worker(&binary, &queue_path, &url, KILLS);
    let (done_tx, done_rx) = channel();
    let mut stderr = worker.stderr.take().unwrap();
    std::thread::spawn(move || {
        let status = worker.wait();
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let _ = done_tx.send((status, text));
    });
    let (status, stderr) = done_rx
        .recv_timeout(DEADLINE)
        .expect("the last worker drains the queue in time");
    assert!(
        status.unwrap().success(),
        "the last worker failed: {stderr}"
    );

    // Nothing lost: every job succeeded, and the receiver ran each exactly once.
    assert_eq!(queue.counts().unwrap(), vec![(JobState::Succeeded, JOBS)]);
    let seen = webhook.seen.lock().unwrap();
    assert_eq!(seen.rejected, 0, "every request was signed and consistent");
    let keys: BTreeSet<String> = seen.deliveries.iter().cloned().collect();
    assert_eq!(
        keys, expected,
        "the receiver saw every idempotency key, and no other"
    );
    assert_eq!(seen.runs.len(), JOBS);
    assert!(seen.runs.values().all(|runs| *runs == 1));
    // The crashes mattered: jobs held at a kill were delivered again.
    assert_eq!(mid_request_kills, KILLS / 2);
    assert!(
        seen.deliveries.len() > JOBS,
        "expected redeliveries after the kills, saw {} deliveries for {JOBS} jobs",
        seen.deliveries.len()
    );
    let redelivered = seen.deliveries.len() - JOBS;
    // Shown with --nocapture; the assertions above are the test.
    let _ = writeln!(
        std::io::stderr(),
        "crash test: {JOBS} jobs, {KILLS} kills, {redelivered} redeliveries, {:?}",
        started.elapsed()
    );
}
