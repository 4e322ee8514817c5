//! `monitor watch` end to end: a million prediction events (and their labels) followed from
//! a growing file, a real Prometheus scraping `--metrics-addr`, alerts into the outbox and
//! retraining jobs into the SQLite queue.
//!
//! The stream is `monitor demo --generate-only`'s scenario with data and concept drift from
//! prediction 642,000 on: inside window 64 of the 100 windows of 10,000 predictions (its
//! last 8,000). The file first holds everything before window 64; once Prometheus has seen
//! the 64 clean windows (dataset drift 0), the rest is appended. Then the dataset-drift alert
//! must fire in window 64 and no alert in any window before, Prometheus must see the gauge
//! turn to 1, and the policy (retrain on drift, cooldown 24 h; the stream spans 14 h) must
//! enqueue exactly one job. SIGTERM ends the follower cleanly with the last window still
//! waiting for its labels (`label_wait_windows = 1`); a restart without `--follow` resumes
//! from the checkpoint, reaches the end of the file and writes it, and enqueues nothing more.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::backends::{Prometheus, free_port, poll};
use crate::support::{monitor, scratch};

const EVENTS: u64 = 1_000_000;
const SHIFT_AT: u64 = 642_000;
const WINDOW: u64 = 10_000;
/// The window that holds the shift.
const SHIFT_WINDOW: u64 = SHIFT_AT / WINDOW;

/// The value of a one-series instant query, if Prometheus has it.
fn gauge(prometheus: &Prometheus, expr: &str) -> Option<f64> {
    let result = prometheus.query(expr);
    let value = result.first()?["value"][1].as_str()?.to_owned();
    value.parse().ok()
}

#[test]
fn a_million_events_alert_at_the_shift_and_enqueue_one_job() {
    let dir = scratch("watch-e2e");
    let generated = monitor()
        .args(["demo", "--generate-only", "--events"])
        .arg(EVENTS.to_string())
        .arg("--shift-at")
        .arg(SHIFT_AT.to_string())
        .arg("--dir")
        .arg(&dir)
        .output()
        .expect("running monitor demo --generate-only");
    crate::support::assert_succeeded(&generated);

    // Split the stream where window 64's first prediction starts.
    let all = std::fs::read(dir.join("events.jsonl")).expect("reading the stream");
    let marker = format!("\"request_id\":\"r-{}\",\"model\"", SHIFT_WINDOW * WINDOW);
    let cut = find(&all, marker.as_bytes()).expect("the first prediction of the shift window");
    let cut = all[..cut]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let stream = dir.join("stream.jsonl");
    std::fs::write(&stream, &all[..cut]).expect("writing the first part");

    let metrics_addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port())
        .parse()
        .expect("an address");
    let prometheus = Prometheus::start(&dir, &[("monitor", metrics_addr)]);
    let mut watch = Command::new(monitor().get_program())
        .args(["--log-format", "json", "watch", "--follow", "--config"])
        .arg(dir.join("monitor.toml"))
        .arg("--input")
        .arg(&stream)
        .arg("--metrics-addr")
        .arg(metrics_addr.to_string())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("watch.log")).expect("the log file"))
        .spawn()
        .expect("starting monitor watch --follow");
    let log = || std::fs::read_to_string(dir.join("watch.log")).unwrap_or_default();

    // Before the shift: every window closed and scraped, none drifted.
    let clean_windows = poll(
        "Prometheus to see the windows before the shift",
        Duration::from_secs(300),
        || {
            let windows = gauge(
                &prometheus,
                "sum(monitor_watch_windows_total{model=\"churn\",version=\"v3\"})",
            )?;
            let drifted = gauge(
                &prometheus,
                "monitor_watch_dataset_drifted{model=\"churn\",version=\"v3\"}",
            )?;
            (windows >= SHIFT_WINDOW as f64).then_some((windows, drifted))
        },
    );
    assert_eq!(
        clean_windows.1,
        0.0,
        "no dataset drift before the shift; log: {}",
        log()
    );

    // The rest of the stream arrives.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&stream)
        .expect("opening the stream to append");
    file.write_all(&all[cut..]).expect("appending the rest");
    file.flush().expect("flushing the stream");
    drop(all);

    poll(
        "Prometheus to see the dataset drift",
        Duration::from_secs(300),
        || {
            gauge(
                &prometheus,
                "monitor_watch_dataset_drifted{model=\"churn\",version=\"v3\"}",
            )
            .filter(|&v| v == 1.0)
        },
    );
    // Every window but the last is final (the last waits for one more window's labels).
    poll(
        "every window but the last to be written",
        Duration::from_secs(300),
        || {
            let text = std::fs::read_to_string(dir.join("watch-out/windows.jsonl")).ok()?;
            (text.lines().count() as u64 >= EVENTS / WINDOW - 1).then_some(())
        },
    );

    // SIGTERM: a clean stop, state flushed.
    let status = Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status()
        .expect("running kill");
    assert!(status.success());
    let status = poll("monitor watch to stop", Duration::from_secs(60), || {
        watch.try_wait().expect("waiting for monitor watch")
    });
    assert_eq!(status.code(), Some(0), "log: {}", log());
    assert!(dir.join("watch-out/checkpoint.json").is_file());
    let stdout = watch.stdout.take().map(std::io::read_to_string);
    assert!(
        matches!(&stdout, Some(Ok(text)) if text.starts_with("watch stopped: 99 windows, 1000000 events")),
        "{stdout:?}"
    );

    // A restart without --follow resumes, reaches the end and writes the last window.
    let resumed = monitor()
        .args(["--log-format", "json", "watch", "--config"])
        .arg(dir.join("monitor.toml"))
        .arg("--input")
        .arg(&stream)
        .output()
        .expect("resuming monitor watch");
    crate::support::assert_succeeded(&resumed);

    // The windows: the alert fires in the shift's window, never before.
    let windows: Vec<Value> = std::fs::read_to_string(dir.join("watch-out/windows.jsonl"))
        .expect("reading windows.jsonl")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON window"))
        .collect();
    assert_eq!(windows.len() as u64, EVENTS / WINDOW);
    let raised: Vec<u64> = windows
        .iter()
        .filter(|w| {
            w["alerts"]["raised"]
                .as_array()
                .is_some_and(|a| a.iter().any(|name| name == "WatchDatasetDrift"))
        })
        .map(|w| w["index"].as_u64().expect("a window index"))
        .collect();
    assert_eq!(
        raised.first(),
        Some(&SHIFT_WINDOW),
        "raised in windows {raised:?}"
    );
    for window in &windows[..SHIFT_WINDOW as usize] {
        assert_eq!(
            window["drift"]["dataset_drift"], false,
            "{}",
            window["index"]
        );
    }
    for window in &windows[SHIFT_WINDOW as usize..] {
        assert_eq!(
            window["drift"]["dataset_drift"], true,
            "{}",
            window["index"]
        );
    }

    // Exactly one retraining job, from the shift's window.
    let listed = monitor()
        .args(["retrain", "queue", "list", "--queue"])
        .arg(dir.join("queue.sqlite"))
        .output()
        .expect("listing the queue");
    crate::support::assert_succeeded(&listed);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("churn/v3"), "{listed}");

    // The alert is in the outbox, firing.
    let alerts = monitor()
        .args(["alerts", "list", "--config"])
        .arg(dir.join("alerts.toml"))
        .output()
        .expect("listing alerts");
    crate::support::assert_succeeded(&alerts);
    let alerts = String::from_utf8_lossy(&alerts.stdout).into_owned();
    assert!(alerts.contains("WatchDatasetDrift"), "{alerts}");
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
